// Package seal encrypts and authenticates small values, such as cookie
// contents, with AES-256-GCM under a list of keys: the first key seals, every
// key opens, so keys can be rotated without breaking values sealed earlier.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// MinSecretLen is the shortest secret New accepts.
const MinSecretLen = 32

// ErrOpen reports that a sealed value could not be opened: it was truncated,
// altered, sealed for another purpose, or sealed under a key that is not in
// the list. The cause is deliberately not told apart.
var ErrOpen = errors.New("seal: value cannot be opened")

const (
	idLen    = 4 // key identifier prefix
	nonceLen = 12
)

type key struct {
	id   [idLen]byte
	aead cipher.AEAD
}

// Sealer seals and opens values. It is safe for concurrent use.
type Sealer struct {
	keys []key
}

// New derives one AES-256-GCM key per secret with HKDF-SHA256, using purpose
// as the HKDF info so the same secret yields unrelated keys for unrelated
// uses. Secrets must be at least MinSecretLen bytes; the first one seals.
func New(purpose string, secrets ...[]byte) (*Sealer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("seal: no secret given")
	}
	s := &Sealer{}
	for i, secret := range secrets {
		if len(secret) < MinSecretLen {
			return nil, fmt.Errorf("seal: secret %d is %d bytes; it must be at least %d random bytes", i, len(secret), MinSecretLen)
		}
		derived, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
		if err != nil {
			return nil, fmt.Errorf("seal: deriving key %d: %w", i, err)
		}
		block, err := aes.NewCipher(derived)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i, err)
		}
		sum := sha256.Sum256(append([]byte("seal key id\x00"), derived...))
		var k key
		copy(k.id[:], sum[:idLen])
		k.aead = aead
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// Seal encrypts plaintext and binds it to aad (for example a cookie name, so
// a value cannot be moved to another cookie). The result is URL- and
// cookie-safe base64.
func (s *Sealer) Seal(plaintext, aad []byte) string {
	k := s.keys[0]
	buf := make([]byte, idLen+nonceLen, idLen+nonceLen+len(plaintext)+k.aead.Overhead())
	copy(buf, k.id[:])
	// crypto/rand.Read never returns an error on supported platforms.
	_, _ = rand.Read(buf[idLen:])
	buf = k.aead.Seal(buf, buf[idLen:idLen+nonceLen], plaintext, aad)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Open authenticates and decrypts a value made by Seal with the same aad.
// Any failure returns ErrOpen.
func (s *Sealer) Open(sealed string, aad []byte) ([]byte, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sealed)
	// The decoder skips '\r' and '\n'; only Seal's exact spelling opens.
	if err != nil || len(sealed) != base64.RawURLEncoding.EncodedLen(len(raw)) || len(raw) < idLen+nonceLen {
		return nil, ErrOpen
	}
	for _, k := range s.keys {
		if [idLen]byte(raw[:idLen]) != k.id {
			continue
		}
		if len(raw) < idLen+nonceLen+k.aead.Overhead() {
			return nil, ErrOpen
		}
		plain, err := k.aead.Open(nil, raw[idLen:idLen+nonceLen], raw[idLen+nonceLen:], aad)
		if err != nil {
			return nil, ErrOpen
		}
		return plain, nil
	}
	return nil, ErrOpen
}

// KeyIDLen is the length of a key identifier.
const KeyIDLen = idLen

// KeyID returns the identifier of the key that sealed sealed, as Seal
// wrote it, without opening it: ok is false when sealed is not shaped like
// Seal's output. The identifier says which key to expect, nothing more; a
// value whose KeyID matches may still not open.
func (s *Sealer) KeyID(sealed string) (id [KeyIDLen]byte, ok bool) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sealed)
	if err != nil || len(sealed) != base64.RawURLEncoding.EncodedLen(len(raw)) || len(raw) < idLen+nonceLen {
		return id, false
	}
	return [idLen]byte(raw[:idLen]), true
}

// SealingKeyID returns the identifier of the key Seal uses (the first).
func (s *Sealer) SealingKeyID() [KeyIDLen]byte { return s.keys[0].id }
