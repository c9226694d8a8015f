package rp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// FAPI2SigningAlgs are the signature algorithms the FAPI 2.0 Security
// Profile allows, for the provider's ID tokens as for the client's own
// assertions and request objects. With Config.FAPI2 no other is used.
var FAPI2SigningAlgs = []string{"PS256", "ES256", "EdDSA"}

// fapiMinRSABits is the smallest RSA key FAPI 2.0 allows (section 5.4.1).
const fapiMinRSABits = 2048

// fapiProblems adds to v what in c breaks the FAPI 2.0 Security Profile's
// requirements of a client, as far as they can be told without the
// provider's metadata (fapiProviderProblems does the rest).
func fapiProblems(c *Config, v *validator) {
	const why = " (FAPI2 is set)"
	if c.ResponseType != "" && c.ResponseType != "code" {
		v.add("ResponseType", fmt.Sprintf("FAPI 2.0 allows only the code flow; remove %q or set it to \"code\"%s", c.ResponseType, why))
	}
	if c.DisablePKCE {
		v.add("DisablePKCE", "FAPI 2.0 requires PKCE with S256; turn DisablePKCE off"+why)
	}
	switch c.ClientAuth {
	case "private_key_jwt", ClientAuthTLS, ClientAuthSelfSignedTLS:
	case "":
		if c.ClientKey == nil {
			v.add("ClientKey", "FAPI 2.0 requires private_key_jwt or mTLS client authentication; set ClientKey (and ClientKeyID)"+why)
		}
	default:
		v.add("ClientAuth", fmt.Sprintf("FAPI 2.0 allows only private_key_jwt or mTLS client authentication, not %q%s", c.ClientAuth, why))
	}
	if c.ClientKey != nil {
		if _, err := fapiKeyAlgorithm(c.ClientKey); err != nil {
			v.add("ClientKey", err.Error()+why)
		}
	}
	if !c.DPoP && !c.CertificateBoundTokens {
		v.add("FAPI2", "FAPI 2.0 requires sender-constrained access tokens; turn on DPoP or CertificateBoundTokens"+why)
	}
	for _, alg := range c.SigningAlgs {
		if !slices.Contains(FAPI2SigningAlgs, alg) {
			v.add("SigningAlgs", fmt.Sprintf("FAPI 2.0 allows only %s, not %q%s", strings.Join(FAPI2SigningAlgs, ", "), alg, why))
		}
	}
}

// fapiProviderProblems adds to v what in the provider's metadata md keeps
// c from following FAPI 2.0: PKCE without S256, or authorization
// responses without the iss parameter (RFC 9207), which FAPI 2.0 requires
// every client to check. The pushed authorization endpoint, which FAPI2
// makes mandatory, is checked with PushedAuthorization's own rule.
func fapiProviderProblems(c *Config, md *ProviderMetadata, v *validator) {
	const why = " (FAPI2 is set)"
	if m := md.CodeChallengeMethodsSupported; len(m) > 0 && !slices.Contains(m, "S256") {
		v.add("FAPI2", fmt.Sprintf("the provider does not offer PKCE with S256 (code_challenge_methods_supported is %q), which FAPI 2.0 requires", m))
	}
	if !md.AuthorizationResponseIssParameterSupported {
		v.add("FAPI2", "the provider does not promise the iss authorization response parameter (authorization_response_iss_parameter_supported), which FAPI 2.0 requires"+why)
	}
}

// clientKeyAlgorithm is the algorithm c's client assertions and request
// objects are signed with: keyAlgorithm's choice, or under FAPI2 the
// FAPI 2.0 one (PS256 for RSA keys).
func (c *Config) clientKeyAlgorithm() (jose.SignatureAlgorithm, error) {
	if c.FAPI2 {
		return fapiKeyAlgorithm(c.ClientKey)
	}
	return keyAlgorithm(c.ClientKey)
}

// fapiKeyAlgorithm picks the FAPI 2.0 algorithm for a client key: PS256
// for RSA keys of 2048 bits or more, ES256 for P-256 keys.
func fapiKeyAlgorithm(key any) (jose.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < fapiMinRSABits {
			return "", fmt.Errorf("rp: FAPI 2.0 needs RSA keys of at least %d bits; ClientKey has %d", fapiMinRSABits, k.N.BitLen())
		}
		return jose.PS256, nil
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return jose.ES256, nil
		}
		return "", fmt.Errorf("rp: FAPI 2.0 allows ES256 only: ClientKey must be a P-256 key, not %s", k.Curve.Params().Name)
	}
	return "", fmt.Errorf("rp: ClientKey must be an RSA (2048 bits or more) or P-256 ECDSA private key for FAPI 2.0, not %T", key)
}
