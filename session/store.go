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
}
