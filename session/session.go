// Package session keeps the session of a signed-in browser: opaque bytes
// chosen by the caller (typically JSON it encodes itself), with an absolute
// timeout counted from sign-in and an idle timeout counted from the last
// Save or Touch.
//
// By default the session lives in the browser: it is sealed (encrypted and
// authenticated with AES-256-GCM), compressed when that helps (unless
// Config.Uncompressed), and split
// over as many cookies as it needs, up to Config.MaxSize. With a Config.Store
// the session lives on the server and the cookie holds only a sealed
// reference to it, so sessions can be revoked and may be of any size.
//
// A browser cannot read, forge, alter, truncate, reorder or mix the cookies
// of a session without Load reporting "no session"; it can only replay
// cookies it was given, until they time out (or, with a Store, until the
// session is destroyed).
//
// To prevent session fixation, start every sign-in with Manager.New, which
// draws a fresh ID, rather than reusing a session loaded from the request.
//
// Cookie sessions are compressed before sealing, so the length of the
// cookies tells an observer something about how repetitive the payload is.
// If one payload mixes secrets with strings an attacker chooses, and the
// attacker can both vary those strings and watch cookie sizes, use a Store.
package session

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"
)

// ErrTooLarge is returned by Save, without a Store, when a session sealed
// for cookies would exceed Config.MaxSize, or when its payload exceeds
// 1 MiB before compression. With a Store, sizes are not limited. Nothing
// is written when Save fails.
var ErrTooLarge = errors.New("session: too large for cookies; configure a server-side Store")

// ErrNotFound is what a Store returns from Get for an id it does not know,
// including one whose expiry has passed.
var ErrNotFound = errors.New("session: not found")

// ErrStore is matched by the errors of Lookup, Save and Destroy when the
// Store failed (other than by not knowing the session): it could not be
// reached, timed out, or refused the operation (a read-only replica). The
// error also wraps the Store's own error.
var ErrStore = errors.New("session: the session store failed")

// ErrExpired is returned by Save (and Touch) for a session whose absolute
// timeout has already passed: such a session cannot be extended, and the
// user has to sign in again.
var ErrExpired = errors.New("session: expired; start a new one after sign-in")

// errNoSession and errBadID report misuse of Save and Touch by the caller.
var (
	errNoSession = errors.New("session: Save or Touch of a nil *Session")
	errBadID     = errors.New("session: the session's ID was not made by Manager.New")
)

// idBytes is the number of random bytes in a session ID; idLen is the
// length of its unpadded base64url form.
const (
	idBytes = 32
	idLen   = (idBytes*8 + 5) / 6
)

// Session is one signed-in browser's session.
//
// Changing a Session changes nothing until it is given to Manager.Save. It
// is not safe for concurrent use. With a Store, a Session that was loaded
// or saved remembers it, so that Save does not re-create it in the Store
// once it has been destroyed.
type Session struct {
	// ID is a random 256-bit identifier in unpadded base64url (43
	// characters), new for every session made by Manager.New. With a
	// Store it is the key of the session's data; it is never shown to
	// the browser in the clear.
	ID string

	// Data is the caller's payload, kept as given (not copied) by
	// Manager.New. After Load it holds the saved bytes, possibly empty
	// but never nil.
	Data []byte

	// Created is the sign-in time, in whole seconds; the absolute timeout
	// counts from here and nothing extends it.
	Created time.Time

	// LastSeen is the time of the last Save or Touch that wrote the
	// session, in whole seconds; the idle timeout counts from here.
	LastSeen time.Time

	// Index, with a Store, names what the session belongs to (keys such
	// as a user or the provider's session), so that Store.DeleteIndexed
	// of one of them ends it with all the others filed under that key.
	// Save files a new session under them (Store.Index) until its
	// absolute timeout, before it first stores it. It is not kept in the
	// session: a loaded Session has none, and setting it on a session
	// that is already stored changes nothing. Without a Store it is
	// ignored. At most 8 keys of MaxIndexKey bytes each.
	Index []string

	// stored is set once the session is known to be in a Store, so
	// Save does not bring it back after it was destroyed.
	stored bool
}

// New returns a fresh session holding data, with a new random ID and
// Created and LastSeen set to the current time (whole seconds). Nothing is
// written until Save. New cannot fail: the system's random source is
// assumed to work, as crypto/rand guarantees.
func (m *Manager) New(data []byte) *Session {
	now := m.clock()
	return &Session{ID: newID(), Data: data, Created: now, LastSeen: now}
}

// newID returns a random session ID of idLen characters.
func newID() string {
	var b [idBytes]byte
	// crypto/rand.Read never returns an error; it aborts the program if
	// the system's random source fails.
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validID reports whether id has the shape of an ID made by newID.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
