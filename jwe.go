package rp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// maxEncryptedTokenLen bounds a JWE the library reads (ID token or
// userinfo), before any decoding.
const maxEncryptedTokenLen = 256 << 10

// decrypter opens JWEs with Config.DecryptionKeys. It is immutable.
type decrypter struct {
	keys            []DecryptionKey
	requireIDTokens bool // Config.RequireEncryptedIDToken
}

// newDecrypter returns the decrypter of cfg, nil when it has no keys.
func newDecrypter(cfg *Config) *decrypter {
	if len(cfg.DecryptionKeys) == 0 {
		return nil
	}
	return &decrypter{keys: slices.Clone(cfg.DecryptionKeys), requireIDTokens: cfg.RequireEncryptedIDToken}
}

// isCompactJWE reports whether raw has the five parts of a compact JWE
// (a compact JWS has three).
func isCompactJWE(raw string) bool { return strings.Count(raw, ".") == 4 }

// jweHeader is what the library reads of a JWE's protected header before
// handing it to go-jose.
type jweHeader struct {
	Alg string `json:"alg"`
	Enc string `json:"enc"`
	Kid string `json:"kid"`
	Cty string `json:"cty"`
	Zip string `json:"zip"`
}

// decryptErr is a decryption failure: kind is one of the ErrDecryption
// kinds; detail never holds the token, plaintext or key material.
type decryptErr struct {
	kind   error
	detail string
}

func (e *decryptErr) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *decryptErr) Unwrap() error { return e.kind }

func decryptFailure(kind error, format string, args ...any) *decryptErr {
	return &decryptErr{kind: kind, detail: fmt.Sprintf(format, args...)}
}

// open decrypts the compact JWE raw and returns its plaintext and
// protected header. Before go-jose sees the token it checks its length and
// header: alg must be in SupportedKeyManagementAlgs (RSA1_5 has its own
// refusal), enc in SupportedContentEncryptions, no compression. go-jose
// then parses it with exactly that alg and enc allowed and decrypts it
// with each key that fits: of the header's kid (or without a KeyID) when
// it names one, else every key allowing alg. The failure is a *decryptErr.
// d may be nil: every JWE then fails with ErrNoDecryptionKey.
func (d *decrypter) open(raw string) ([]byte, *jweHeader, error) {
	if len(raw) > maxEncryptedTokenLen {
		return nil, nil, decryptFailure(ErrDecryptionMalformed, "it is longer than %d bytes", maxEncryptedTokenLen)
	}
	h, err := readJWEHeader(raw)
	if err != nil {
		return nil, nil, err
	}
	if h.Alg == string(jose.RSA1_5) {
		return nil, nil, decryptFailure(ErrDecryptionRSA15, "alg is RSA1_5")
	}
	if !slices.Contains(SupportedKeyManagementAlgs, h.Alg) {
		return nil, nil, decryptFailure(ErrDecryptionAlgorithm, "alg %q is not one of %s", sanitize(h.Alg), strings.Join(SupportedKeyManagementAlgs, ", "))
	}
	if !slices.Contains(SupportedContentEncryptions, h.Enc) {
		return nil, nil, decryptFailure(ErrDecryptionAlgorithm, "enc %q is not one of %s", sanitize(h.Enc), strings.Join(SupportedContentEncryptions, ", "))
	}
	if h.Zip != "" {
		return nil, nil, decryptFailure(ErrDecryptionMalformed, "it is compressed (zip), which is not supported")
	}
	if d == nil {
		return nil, nil, decryptFailure(ErrNoDecryptionKey, "the token is encrypted but Config.DecryptionKeys is empty")
	}
	var candidates []DecryptionKey
	for _, k := range d.keys {
		if k.fits(h.Alg) && (h.Kid == "" || k.KeyID == "" || k.KeyID == h.Kid) {
			candidates = append(candidates, k)
		}
	}
	if len(candidates) == 0 {
		return nil, nil, decryptFailure(ErrNoDecryptionKey, "no key allows alg %s for kid %q", h.Alg, sanitize(h.Kid))
	}
	jwe, err := jose.ParseEncryptedCompact(raw, []jose.KeyAlgorithm{jose.KeyAlgorithm(h.Alg)}, []jose.ContentEncryption{jose.ContentEncryption(h.Enc)})
	if err != nil {
		return nil, nil, decryptFailure(ErrDecryptionMalformed, "it does not parse as a compact JWE")
	}
	for _, k := range candidates {
		if plaintext, err := jwe.Decrypt(k.Key); err == nil {
			return plaintext, h, nil
		}
	}
	return nil, nil, decryptFailure(ErrDecryptionFailed, "alg %s, enc %s, kid %q: %d key(s) tried", h.Alg, h.Enc, sanitize(h.Kid), len(candidates))
}

// readJWEHeader decodes the protected header of the compact JWE raw.
func readJWEHeader(raw string) (*jweHeader, error) {
	first, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		return nil, decryptFailure(ErrDecryptionMalformed, "its header is not base64url")
	}
	var h jweHeader
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, decryptFailure(ErrDecryptionMalformed, "its header is not a JSON object of string members")
	}
	return &h, nil
}

// nestedJWT reports whether a JWE's cty says its plaintext is a JWT
// ("JWT", case-insensitively, with or without "application/"), and
// whether cty is set at all.
func nestedJWT(h *jweHeader) (isJWT, set bool) {
	if h.Cty == "" {
		return false, false
	}
	return strings.EqualFold(strings.TrimPrefix(strings.ToLower(h.Cty), "application/"), "jwt"), true
}

// openIDToken returns the signed JWT to verify for the ID token raw: raw
// itself when it is not encrypted (unless RequireEncryptedIDToken), else
// the JWE's plaintext, which must be a JWT (cty "JWT" when set; the JWS
// checks that follow refuse anything that is not a signed one, "none"
// included). Failures are *IDTokenError values whose Kind is an
// ErrDecryption kind, or ErrIDTokenMalformed for a wrong cty.
func (v *idTokenVerifier) openIDToken(raw string) (string, error) {
	if !isCompactJWE(raw) {
		if v.dec != nil && v.dec.requireIDTokens {
			return "", idTokenError(ErrEncryptionRequired, ErrEncryptionRequired, "the ID token is a plain signed JWT")
		}
		return raw, nil
	}
	plaintext, h, err := v.dec.open(raw)
	if err != nil {
		var de *decryptErr
		if errors.As(err, &de) {
			return "", idTokenError(de.kind, de.kind, "%s", de.detail)
		}
		return "", idTokenError(ErrDecryptionFailed, ErrDecryptionFailed, "")
	}
	if isJWT, set := nestedJWT(h); set && !isJWT {
		return "", idTokenError(ErrIDTokenMalformed, nil, "the encrypted ID token's cty is %q, not JWT", sanitize(h.Cty))
	}
	return string(plaintext), nil
}
