package rptest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// validVerifier reports whether v has the form RFC 7636 section 4.1 gives
// code_verifier (and so a plain code_challenge): 43 to 128 characters from
// the unreserved set A-Z a-z 0-9 - . _ ~.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// pkceMatches reports whether verifier answers challenge under method
// ("S256" or "plain"), comparing in constant time.
func pkceMatches(challenge, method, verifier string) bool {
	computed := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		computed = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(computed), []byte(challenge)) == 1
}
