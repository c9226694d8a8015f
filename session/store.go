package session

import (
	"context"
	"time"
)

// Store keeps session data on the server, for sessions that must be
// revocable or that are too big for cookies. The data a Manager gives a
// Store is already sealed: the Store never sees the payload in the clear,
// and data altered in the Store or moved to another id does not load.
//
// Implementations must be safe for concurrent use and may be shared by
// several Managers only if their cookie names differ.
type Store interface {
	// Get returns the data last set for id. It returns ErrNotFound (or an
	// error wrapping it) when id is unknown or its expiry has passed, and
	// any other error when the store fails; Load treats both as "no
	// session", Lookup reports the latter as an error matching ErrStore.
	Get(ctx context.Context, id string) ([]byte, error)

	// Set stores data for id until expiry, replacing what id held. The
	// Store may keep data longer, since Load checks the timeouts itself,
	// but should drop it at some point after expiry.
	Set(ctx context.Context, id string, data []byte, expiry time.Time) error

	// Delete removes id; deleting an unknown id is not an error. After
	// Delete returns nil, Get of id must return ErrNotFound. An error
	// makes Manager.Destroy report the sign-out as incomplete.
	Delete(ctx context.Context, id string) error

	// Index files id under each of keys until expiry, so that
	// DeleteIndexed of any of them finds it: the keys name what the
	// session belongs to ("this user", "this session at the provider").
	// Keys are at most 512 bytes of any content. An entry may be kept
	// past expiry but must be dropped at some point after it, and never
	// makes a deleted or expired session loadable again. Manager.Save
	// calls it before the first Set of a session with Session.Index, with
	// the session's absolute expiry.
	Index(ctx context.Context, id string, keys []string, expiry time.Time) error

	// DeleteIndexed deletes every session filed under key, as Delete
	// does, and the index entry itself, and returns how many sessions it
	// deleted (sessions already gone may be counted or not). After it
	// returns nil, Get of each such id returns ErrNotFound. An error
	// means some sessions may be left; the caller must report the
	// revocation as failed.
	DeleteIndexed(ctx context.Context, key string) (int, error)
}

// MaxIndexKey is the longest index key a Store must accept.
const MaxIndexKey = 512
