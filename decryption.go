package rp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// SupportedKeyManagementAlgs are the JWE key management algorithms ("alg")
// the library decrypts with. RSA1_5 is deliberately absent and refused
// with ErrDecryptionRSA15; so are the symmetric and password-based ones.
var SupportedKeyManagementAlgs = []string{
	"RSA-OAEP", "RSA-OAEP-256",
	"ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW",
}

// SupportedContentEncryptions are the JWE content encryption algorithms
// ("enc") the library decrypts.
var SupportedContentEncryptions = []string{"A128GCM", "A256GCM", "A128CBC-HS256"}

// rsaKeyManagement and ecKeyManagement are the algorithms of each key type,
// and a DecryptionKey's default.
var (
	rsaKeyManagement = []string{"RSA-OAEP", "RSA-OAEP-256"}
	ecKeyManagement  = []string{"ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"}
)

// DecryptionKey is one private key the provider may encrypt ID tokens and
// userinfo responses to (Config.DecryptionKeys). The application registers
// its public half at the provider (see PublicJWK and PublicJWKS).
//
// It never prints its key: fmt with any verb, log/slog and text or JSON
// marshalling show only the KeyID and the algorithms.
type DecryptionKey struct {
	// KeyID is the key's id (JWK "kid") as registered at the provider. A
	// JWE whose header names a kid is decrypted only with the keys of that
	// KeyID and those without one; a JWE without a kid is tried with
	// every key that fits its alg. Optional, but set it when there are
	// several keys: the KeyIDs that are set must differ.
	KeyID string

	// Key is the private key: an *rsa.PrivateKey of at least 2048 bits,
	// or an *ecdsa.PrivateKey on P-256, P-384 or P-521. Required.
	Key crypto.PrivateKey

	// Algorithms are the key management algorithms allowed with this key.
	// Default: RSA-OAEP and RSA-OAEP-256 for an RSA key; ECDH-ES,
	// ECDH-ES+A128KW and ECDH-ES+A256KW for an EC key. Each must be one
	// of SupportedKeyManagementAlgs and fit the key's type.
	Algorithms []string
}

// String names the key by KeyID and algorithms; the key stays hidden.
func (k DecryptionKey) String() string {
	return fmt.Sprintf("DecryptionKey{KeyID: %q, Algorithms: %q, Key: %s}", k.KeyID, k.Algorithms, redacted)
}

// GoString is String, so that %#v hides the key too.
func (k DecryptionKey) GoString() string { return k.String() }

// Format writes String for every verb.
func (k DecryptionKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue implements slog.LogValuer: the KeyID and algorithms only.
func (k DecryptionKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.KeyID), slog.Any("algorithms", k.Algorithms), slog.String("key", redacted))
}

// MarshalText returns String; encoding/json uses it too.
func (k DecryptionKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// algorithms returns the key's allowed key management algorithms, the
// default for its type when none are set.
func (k DecryptionKey) algorithms() []string {
	if len(k.Algorithms) > 0 {
		return k.Algorithms
	}
	switch k.Key.(type) {
	case *rsa.PrivateKey:
		return rsaKeyManagement
	case *ecdsa.PrivateKey:
		return ecKeyManagement
	}
	return nil
}

// fits reports whether the key may decrypt a JWE of key management alg.
func (k DecryptionKey) fits(alg string) bool {
	return slices.Contains(k.algorithms(), alg)
}

// PublicJWK returns the key's public half as a JSON Web Key (JSON), with
// its kid, "use":"enc" and, when the key allows exactly one algorithm,
// that "alg". It holds no private part. It fails when the key is not one
// Config.Validate accepts.
func (k DecryptionKey) PublicJWK() (json.RawMessage, error) {
	jwk, err := k.publicJWK()
	if err != nil {
		return nil, err
	}
	return jwk.MarshalJSON()
}

func (k DecryptionKey) publicJWK() (jose.JSONWebKey, error) {
	if msg := k.problem(); msg != "" {
		return jose.JSONWebKey{}, fmt.Errorf("rp: decryption key %q: %s", k.KeyID, msg)
	}
	var pub crypto.PublicKey
	switch key := k.Key.(type) {
	case *rsa.PrivateKey:
		pub = &key.PublicKey
	case *ecdsa.PrivateKey:
		pub = &key.PublicKey
	}
	jwk := jose.JSONWebKey{Key: pub, KeyID: k.KeyID, Use: "enc"}
	if algs := k.algorithms(); len(algs) == 1 {
		jwk.Algorithm = algs[0]
	}
	return jwk, nil
}

// PublicJWKS returns the public halves of keys as a JSON Web Key Set
// ({"keys":[...]}, see PublicJWK), for the application to serve at the
// jwks_uri it registered at the provider, or to register directly. It
// fails on the first key Config.Validate would refuse.
func PublicJWKS(keys []DecryptionKey) ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(keys))}
	for _, k := range keys {
		jwk, err := k.publicJWK()
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, jwk)
	}
	return json.Marshal(set)
}

// problem says what is wrong with the key, or "".
func (k DecryptionKey) problem() string {
	switch key := k.Key.(type) {
	case *rsa.PrivateKey:
		if key == nil || key.N == nil {
			return "the RSA key is empty"
		}
		if key.N.BitLen() < 2048 {
			return fmt.Sprintf("the RSA key has %d bits; use at least 2048", key.N.BitLen())
		}
	case *ecdsa.PrivateKey:
		if key == nil || key.Curve == nil {
			return "the EC key is empty"
		}
		switch key.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return "the EC key is not on P-256, P-384 or P-521"
		}
	case nil:
		return "set Key to an *rsa.PrivateKey or *ecdsa.PrivateKey"
	default:
		return fmt.Sprintf("Key is a %T; use an *rsa.PrivateKey or *ecdsa.PrivateKey", k.Key)
	}
	_, isRSA := k.Key.(*rsa.PrivateKey)
	for _, alg := range k.Algorithms {
		switch {
		case alg == "RSA1_5":
			return "RSA1_5 is refused (it is open to padding-oracle attacks); use RSA-OAEP-256 or RSA-OAEP"
		case !slices.Contains(SupportedKeyManagementAlgs, alg):
			return fmt.Sprintf("%q is not supported; use some of %s", sanitize(alg), strings.Join(SupportedKeyManagementAlgs, ", "))
		case isRSA != slices.Contains(rsaKeyManagement, alg):
			return fmt.Sprintf("%q does not fit the key's type", alg)
		}
	}
	return ""
}

// validateDecryption adds the problems of DecryptionKeys and
// RequireEncryptedIDToken to v.
func (c *Config) validateDecryption(v *validator) {
	seen := map[string]bool{}
	for i, k := range c.DecryptionKeys {
		if msg := k.problem(); msg != "" {
			v.add("DecryptionKeys", fmt.Sprintf("key %d (kid %q): %s", i, k.KeyID, msg))
		}
		if k.KeyID != "" && seen[k.KeyID] {
			v.add("DecryptionKeys", fmt.Sprintf("kid %q is used by two keys; give each key its own KeyID", k.KeyID))
		}
		seen[k.KeyID] = true
	}
	if c.RequireEncryptedIDToken && len(c.DecryptionKeys) == 0 {
		v.add("RequireEncryptedIDToken", "set DecryptionKeys, the keys the provider encrypts ID tokens to")
	}
}

// decryptionProblems checks the configured keys against the provider's
// metadata: when encryption is required and the provider lists the key
// management algorithms it encrypts ID tokens with, one key must allow one
// of them.
func decryptionProblems(cfg *Config, md *ProviderMetadata) []ConfigProblem {
	advertised := md.IDTokenEncryptionAlgValuesSupported
	if !cfg.RequireEncryptedIDToken || len(advertised) == 0 {
		return nil
	}
	for _, k := range cfg.DecryptionKeys {
		for _, a := range k.algorithms() {
			if slices.Contains(advertised, a) {
				return nil
			}
		}
	}
	return []ConfigProblem{{Field: "DecryptionKeys", Message: fmt.Sprintf(
		"the provider encrypts ID tokens only with %q, which no key allows; add a key for one of them", sanitize(strings.Join(advertised, " ")))}}
}
