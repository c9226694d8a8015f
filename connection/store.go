package connection

import (
	"context"
	"errors"
	"time"
)

// Store keeps connections as immutable versions. Implementations must be
// safe for concurrent use, from several instances sharing one database,
// and pass the suite of package connection/storetest.
type Store interface {
	// List returns the latest version of every connection, deleted ones
	// left out, ordered by Name.
	List(ctx context.Context) ([]Settings, error)

	// Get returns the latest version of the connection name, or
	// ErrNotFound.
	Get(ctx context.Context, name string) (Settings, error)

	// GetVersion returns the given version of the connection name while
	// it is retained: the latest version, and a superseded one for at
	// least RetainSuperseded after it was superseded. Otherwise, and
	// after the connection was deleted, ErrNotFound.
	GetVersion(ctx context.Context, name string, version int64) (Settings, error)

	// Put saves s as a new version of its connection and returns what
	// was stored (with the new Version, Updated, UpdatedBy set to by, and
	// the secret opened). s.Version is the version the edit started from:
	// 0 creates the connection (ErrConflict if the name exists), anything
	// else must be the latest version (ErrConflict if another save came
	// first, ErrNotFound if the connection is gone). s is validated
	// first (Settings.Validate; the error is an *rp.ConfigError). An email
	// domain that another connection holds fails with ErrDomainTaken
	// (domains compare in NormalizeDomain's form, which is how they are
	// stored; "*.example.com" and "example.com" are different domains).
	// ClientSecret.Action decides the secret; the result's Action is "".
	// Versions count from 1; a connection re-created after Delete
	// continues after its last version, so that a name and version never
	// stand for two different settings. NextVersion implements these
	// rules for a Store.
	Put(ctx context.Context, s Settings, by string) (Settings, error)

	// Delete removes the connection name, whose latest version must be
	// version (ErrConflict otherwise, ErrNotFound if it does not exist).
	// Its versions are no longer returned, and its domains are free.
	Delete(ctx context.Context, name string, version int64) error

	// Revision returns a number that changes (grows) with every Put and
	// Delete on any instance: instances poll it to learn cheaply that
	// something changed.
	Revision(ctx context.Context) (int64, error)
}

// Watcher is implemented by Stores that can push changes (such as
// PostgreSQL's LISTEN/NOTIFY). Watch calls changed, from its own
// goroutine, soon after any Put or Delete on any instance, until ctx ends;
// it returns ctx's error then, or the error that stopped it, after which
// the caller falls back to polling Revision.
type Watcher interface {
	Watch(ctx context.Context, changed func()) error
}

// RetainSuperseded is how long a Store keeps a superseded version
// readable by GetVersion: the longest rp.Config.LoginTimeout, so that a
// login completes under the version it started with.
const RetainSuperseded = time.Hour

var (
	// ErrNotFound: no such connection, or no such retained version.
	ErrNotFound = errors.New("connection: not found")
	// ErrConflict: the connection was saved or deleted since the version
	// the edit started from, or a new connection's name is taken.
	ErrConflict = errors.New("connection: changed by someone else meanwhile; reload and edit again")
	// ErrDomainTaken: an email domain of the settings belongs to another
	// connection.
	ErrDomainTaken = errors.New("connection: email domain is used by another connection")
	// ErrStore: the store failed (database down, a row that does not
	// open). Nothing was saved; nothing should be taken as found.
	ErrStore = errors.New("connection: store failed")
	// ErrDisabled: the connection is disabled or deleted.
	ErrDisabled = errors.New("connection: disabled")
)
