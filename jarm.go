package rp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// JARM, the JWT Secured Authorization Response Mode (OpenID FAPI JARM):
// the provider returns the authorization response as one parameter,
// "response", a JWT it signed whose claims are the response's parameters
// beside iss, aud and exp.

// jarmModes are the JARM values of Config.ResponseMode.
var jarmModes = []string{"jwt", "query.jwt", "fragment.jwt", "form_post.jwt"}

// jwtClaims are the claims of a response JWT that describe the JWT
// rather than the response; they are checked and are not parameters.
var jwtClaims = []string{"aud", "exp", "iat", "nbf"}

// isJARM reports whether c asks for a JARM response.
func (c *Config) isJARM() bool { return slices.Contains(jarmModes, c.ResponseMode) }

// responseDelivery is how the browser brings the response back: "query",
// "fragment" or "form_post", the response mode without JARM's ".jwt".
// JARM's "jwt" is query.jwt for "code" and fragment.jwt for the response
// types that return tokens (JARM section 2.3.4).
func (c *Config) responseDelivery() string {
	mode := c.responseMode()
	if mode == "jwt" {
		if c.responseType() == "code" {
			return "query"
		}
		return "fragment"
	}
	return strings.TrimSuffix(mode, ".jwt")
}

// jarmProviderProblem says what is wrong with a JARM response mode for the
// provider md describes: one its response_modes_supported leaves out. A
// provider that lists no modes is trusted to support it.
func jarmProviderProblem(c *Config, md *ProviderMetadata) string {
	modes := md.ResponseModesSupported
	if !c.isJARM() || len(modes) == 0 || slices.Contains(modes, c.ResponseMode) {
		return ""
	}
	return fmt.Sprintf("the provider supports the response modes %q, not %q: choose one of them, or leave ResponseMode empty", modes, c.ResponseMode)
}

// responseJWTParams verifies the response JWT of a JARM response and
// returns its claims as the response's parameters, to be processed as a
// plain response's are (state first). The response must be exactly one
// parameter, "response" (responseParams bounded its length): anything
// else, a plain response in particular, is refused, so that a JARM
// login cannot be downgraded. The JWT is a compact JWS with an accepted
// algorithm, verified with the provider's keys (an untrusted channel: an
// unknown kid shares the refetch budget of the front channel), whose iss
// is the provider's (as the iss parameter is checked), whose aud names
// this client, and whose exp, required, has not passed (with the clock
// skew). Every other claim is a parameter and must be a string. An
// encrypted response (a compact JWE) is first decrypted (openResponseJWT)
// and its inner JWT then verified exactly so.
func (r *RP) responseJWTParams(ctx context.Context, params url.Values) (url.Values, error) {
	raw := params.Get("response")
	if len(params) != 1 || raw == "" {
		names := make([]string, 0, len(params))
		for k := range params {
			names = append(names, sanitize(k))
		}
		slices.Sort(names)
		return nil, responseJWTErr(ErrResponseJWTMissing, "the response has the parameters %q; want only \"response\"", names)
	}
	if isCompactJWE(raw) {
		var err error
		if raw, err = r.openResponseJWT(raw); err != nil {
			return nil, err
		}
	}
	if strings.Count(raw, ".") != 2 {
		return nil, responseJWTErr(ErrResponseJWTMalformed, "not a compact JWS")
	}
	jws, err := jose.ParseSignedCompact(raw, parseAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, responseJWTErr(ErrResponseJWTMalformed, "not a compact JWS signed with an allowed algorithm")
	}
	alg := jws.Signatures[0].Header.Algorithm
	if !slices.Contains(r.ids.algs, alg) || !slices.Contains(SupportedSigningAlgs, alg) {
		return nil, responseJWTErr(ErrResponseJWTAlgorithm, "alg %q is not one of %v", sanitize(alg), r.ids.algs)
	}
	payload, err := r.keys.verifyJWS(untrusted(ctx), jws)
	if errors.Is(err, errMalformedJWS) {
		return nil, responseJWTErr(ErrResponseJWTMalformed, "%v", err)
	}
	if err != nil {
		return nil, responseJWTErr(ErrResponseJWTSignature, "%v", err)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, responseJWTErr(ErrResponseJWTMalformed, "the claims are not a JSON object")
	}
	if err := r.checkResponseJWTClaims(claims); err != nil {
		return nil, err
	}
	out := make(url.Values, len(claims))
	for name, v := range claims {
		if slices.Contains(jwtClaims, name) {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, responseJWTErr(ErrResponseJWTMalformed, "the parameter %q is not a string", sanitize(name))
		}
		out.Set(name, s)
	}
	return out, nil
}

// openResponseJWT decrypts the encrypted response JWT raw with
// Config.DecryptionKeys, with the checks of an encrypted ID token (the
// length bound, the alg and enc allow-lists, RSA1_5 and compression
// refused), and returns its plaintext, the signed JWT that
// responseJWTParams then verifies (cty, when set, must say JWT; an
// unsigned or JSON plaintext fails that verification). Without
// DecryptionKeys the response is refused with ErrResponseJWTEncrypted; a
// JWE that does not decrypt fails with its ErrDecryption kind (which
// matches ErrResponseJWT too).
func (r *RP) openResponseJWT(raw string) (string, error) {
	if r.ids.dec == nil {
		return "", responseJWTErr(ErrResponseJWTEncrypted, "set Config.DecryptionKeys to decrypt it, or ask the provider to sign authorization responses without encrypting them")
	}
	plaintext, h, err := r.ids.dec.open(raw)
	if err != nil {
		var de *decryptErr
		if errors.As(err, &de) {
			return "", responseJWTErr(de.kind, "%s", de.detail)
		}
		return "", responseJWTErr(ErrDecryptionFailed, "")
	}
	if isJWT, set := nestedJWT(h); set && !isJWT {
		return "", responseJWTErr(ErrResponseJWTMalformed, "the encrypted response's cty is %q, not JWT", sanitize(h.Cty))
	}
	return string(plaintext), nil
}

// checkResponseJWTClaims checks the claims of a response JWT whose
// signature verified: iss, then aud, then exp and nbf.
func (r *RP) checkResponseJWTClaims(claims map[string]any) error {
	iss, ok := claims["iss"].(string)
	if _, present := claims["iss"]; present && !ok {
		return responseJWTErr(ErrResponseJWTMalformed, "iss is not a string")
	}
	if !ok || !r.issuers.checkResponseIss(iss) {
		return responseJWTErr(ErrResponseJWTIssuer, "iss is %q, expected %q", sanitize(iss), r.issuers.issuer)
	}
	aud, ok := audienceList(claims["aud"])
	if !ok || !slices.Contains(aud, r.cfg.ClientID) {
		return responseJWTErr(ErrResponseJWTAudience, "aud does not include this client")
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if v, present := claims[name]; present {
			if _, ok := numericDate(v); !ok {
				return responseJWTErr(ErrResponseJWTMalformed, "%s is not a number", name)
			}
		}
	}
	now, skew := r.now(), r.cfg.ClockSkew
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return responseJWTErr(ErrResponseJWTExpired, "the JWT has no exp")
	}
	if exp.Before(now.Add(-skew)) {
		return responseJWTErr(ErrResponseJWTExpired, "it expired at %s (allowed clock skew %v)", exp.UTC().Format(time.RFC3339), skew)
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && nbf.After(now.Add(skew)) {
		return responseJWTErr(ErrResponseJWTExpired, "nbf is %s", nbf.UTC().Format(time.RFC3339))
	}
	return nil
}

// responseJWTState is the state claim of a JARM response's JWT, read
// without verifying it, or "": only to route the response to an RP (see
// ResponseStateTag), whose Callback verifies the JWT.
func responseJWTState(params url.Values) string {
	raw := params.Get("response")
	if len(params) != 1 || raw == "" || strings.Count(raw, ".") != 2 {
		return ""
	}
	jws, err := jose.ParseSignedCompact(raw, parseAlgs)
	if err != nil {
		return ""
	}
	claims, err := decodeClaims(jws.UnsafePayloadWithoutVerification())
	if err != nil {
		return ""
	}
	state, _ := claims["state"].(string)
	return state
}
