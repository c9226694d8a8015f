package connection

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/seal"
)

// sealPurpose separates the keys that seal client secrets from every
// other use of the application's keys.
const sealPurpose = "rp connection client secret v1"

// ErrSealedSecret: a sealed client secret does not open. It was sealed
// for another connection (a row copied or moved), under a key that is no
// longer configured, or altered.
var ErrSealedSecret = errors.New("connection: sealed client secret does not open: wrong key or another connection's row")

// SecretSealer seals client secrets for storage with AES-256-GCM, each
// bound to its connection's name, so that a database never holds a
// secret in clear and a sealed secret copied onto another connection's
// row does not open. It is safe for concurrent use.
type SecretSealer struct {
	s *seal.Sealer
}

// NewSecretSealer returns a sealer under keys: the first key seals, every
// key opens, so a key is rotated by putting a new one first and keeping
// the old one until every row is re-sealed (see Current and Reseal). Each
// key must be at least 32 random bytes; the error names the index of a
// bad key, never the key.
func NewSecretSealer(keys ...rp.Secret) (*SecretSealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("connection: NewSecretSealer needs at least one key")
	}
	raw := make([][]byte, len(keys))
	for i, k := range keys {
		raw[i] = []byte(k)
	}
	s, err := seal.New(sealPurpose, raw...)
	if err != nil {
		// seal's errors name the index and the length only.
		return nil, fmt.Errorf("connection: client secret keys: %s", strings.TrimPrefix(err.Error(), "seal: "))
	}
	return &SecretSealer{s: s}, nil
}

// aad binds a sealed secret to its connection.
func aad(name string) []byte { return []byte("connection\x00" + name) }

// Seal returns secret sealed for the connection name, as printable ASCII
// (URL-safe base64) for a text column. A different text every time. The
// empty secret (no secret) seals to "".
func (s *SecretSealer) Seal(name string, secret rp.Secret) string {
	if secret == "" {
		return ""
	}
	return s.s.Seal([]byte(secret), aad(name))
}

// Open returns the secret Seal sealed for the same connection name. ""
// opens as "" (no secret). Anything else that does not open, because it
// was sealed for another name, under a key not given to NewSecretSealer,
// or altered, fails with an error matching ErrSealedSecret.
func (s *SecretSealer) Open(name, sealed string) (rp.Secret, error) {
	if sealed == "" {
		return "", nil
	}
	plain, err := s.s.Open(sealed, aad(name))
	if err != nil {
		return "", fmt.Errorf("%w (connection %q, key %q)", ErrSealedSecret, name, s.KeyID(sealed))
	}
	return rp.Secret(plain), nil
}

// KeyID names the key that sealed sealed, as 8 hexadecimal characters,
// without opening it; "" when sealed is empty or malformed. Key IDs are
// derived from the keys and tell them apart; they reveal nothing about
// the keys or the secret.
func (s *SecretSealer) KeyID(sealed string) string {
	id, ok := s.s.KeyID(sealed)
	if !ok {
		return ""
	}
	return hex.EncodeToString(id[:])
}

// Current reports whether sealed was sealed with the current (first)
// key. A non-empty sealed secret that is not current should be re-sealed
// (Reseal) so that the old key can be retired. The empty sealed secret is
// current.
func (s *SecretSealer) Current(sealed string) bool {
	if sealed == "" {
		return true
	}
	id, ok := s.s.KeyID(sealed)
	return ok && id == s.s.SealingKeyID()
}

// Reseal returns sealed sealed again with the current key, and whether
// that changed anything: a current value is returned as it is. A value
// that does not open fails as Open does.
func (s *SecretSealer) Reseal(name, sealed string) (string, bool, error) {
	secret, err := s.Open(name, sealed)
	if err != nil {
		return "", false, err
	}
	if s.Current(sealed) {
		return sealed, false, nil
	}
	return s.Seal(name, secret), true, nil
}
