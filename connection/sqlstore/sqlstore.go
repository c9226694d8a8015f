// Package sqlstore keeps identity provider connections (connection.Settings)
// and the application's local accounts in a SQL database through
// database/sql: SQLite as the embedded default, PostgreSQL for production.
// Store implements connection.Store; UserStore implements rp.UserStore
// (see OpenUsers).
//
// The package imports no driver: the application opens the *sql.DB with the
// driver it chooses (for example modernc.org/sqlite, which needs no cgo, or
// github.com/jackc/pgx/v5/stdlib) and names its Dialect. Open creates and
// migrates the schema; every table's name starts with Config.TablePrefix:
//
//   - <prefix>connections: one row per connection name, holding its latest
//     version (and, once deleted, a tombstone, so a name created again never
//     reuses a version number a login may still be pinned to);
//   - <prefix>connection_versions: one row per retained version, with the
//     settings as JSON without the client secret, the sealed client secret
//     and the ID of the key that sealed it;
//   - <prefix>connection_domains: the email domains, UNIQUE across
//     connections;
//   - <prefix>revision: the one-row counter that Store.Revision reads;
//   - <prefix>users and <prefix>user_subjects: the accounts of UserStore
//     and the provider subjects linked to them (schema version 2);
//   - <prefix>schema_version: the migrations applied.
//
// Client secrets are sealed with Config.Sealer, bound to their connection's
// name: the database never holds one in clear, and a sealed secret copied to
// another connection's row does not open. Every write runs in one
// transaction that first takes the store's write lock (the revision row on
// PostgreSQL, BEGIN IMMEDIATE on SQLite), so several instances sharing one
// database serialise their saves and a save from a stale version fails with
// connection.ErrConflict.
//
// On PostgreSQL every Put and Delete also sends NOTIFY on the channel
// <prefix>connections at commit; package pgnotify turns it into a
// connection.Watcher.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/oidcrp/rp/connection"
)

// Dialect is the SQL database behind a Store.
type Dialect int

const (
	// SQLite is SQLite 3.35 or later, for example through
	// modernc.org/sqlite. Use a file database (":memory:" gives each pooled
	// connection a database of its own) and set a busy timeout, such as
	// "file:rp.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)".
	SQLite Dialect = iota + 1
	// PostgreSQL is PostgreSQL 12 or later, for example through
	// github.com/jackc/pgx/v5/stdlib.
	PostgreSQL
)

// String returns "sqlite" or "postgresql".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgresql"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// DefaultTablePrefix is the prefix of the tables when Config.TablePrefix is
// empty.
const DefaultTablePrefix = "rp_"

// Config configures Open.
type Config struct {
	// DB is the database. Required. The Store does not close it.
	DB *sql.DB

	// Dialect is DB's kind: SQLite or PostgreSQL. Required.
	Dialect Dialect

	// Sealer seals client secrets at rest. Required. Give it the
	// application's current key first and the previous ones after it
	// while Reseal has not re-sealed every row.
	Sealer *connection.SecretSealer

	// TablePrefix starts the name of every table (and the PostgreSQL
	// NOTIFY channel, TablePrefix + "connections"): 1 to 40 ASCII letters,
	// digits and '_', not starting with a digit. Default "rp_". Two Stores
	// with different prefixes in one database are independent.
	TablePrefix string

	// Now is the clock, for the Updated time of a version and the
	// retention of superseded ones. Default time.Now.
	Now func() time.Time
}

// Store is a connection.Store in a SQL database, safe for concurrent use and
// by several instances sharing the database. Create it with Open.
type Store struct {
	base
	sealer *connection.SecretSealer
}

// base is what Store and UserStore share: the database, its dialect, the
// table prefix, the clock, and the sentinel their database failures wrap.
type base struct {
	db       *sql.DB
	dialect  Dialect
	prefix   string
	now      func() time.Time
	errStore error
}

// fail wraps a database failure of op with b's store sentinel. The
// driver's error is kept (it names the failure, not the values bound).
func (b *base) fail(op string, err error) error {
	return fmt.Errorf("%w: sqlstore: %s: %w", b.errStore, op, err)
}

var _ connection.Store = (*Store)(nil)

var (
	// ErrConfig: Open was given an unusable Config (a missing DB, Dialect
	// or Sealer, or a bad TablePrefix).
	ErrConfig = errors.New("sqlstore: invalid configuration")
	// ErrSchemaTooNew: the database's schema was migrated by a newer
	// version of this package than the one running; Open refuses to use
	// it rather than misread it. Upgrade the application.
	ErrSchemaTooNew = errors.New("sqlstore: the database schema is newer than this version of the package knows")
)

// Open checks cfg, creates or migrates the schema (all of it, the tables of
// UserStore included), and returns the Store.
// A bad cfg fails with an error wrapping ErrConfig; a schema newer than this
// package knows with ErrSchemaTooNew; a database failure with an error
// wrapping connection.ErrStore. Open is idempotent and safe to call from
// several instances at once: migrations run one at a time, each in its own
// transaction.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("%w: DB is nil", ErrConfig)
	}
	if cfg.Dialect != SQLite && cfg.Dialect != PostgreSQL {
		return nil, fmt.Errorf("%w: Dialect must be SQLite or PostgreSQL, not %v", ErrConfig, cfg.Dialect)
	}
	if cfg.Sealer == nil {
		return nil, fmt.Errorf("%w: Sealer is nil: client secrets must be sealed at rest", ErrConfig)
	}
	b, err := newBase(cfg.DB, cfg.Dialect, cfg.TablePrefix, cfg.Now, connection.ErrStore)
	if err != nil {
		return nil, err
	}
	s := &Store{base: b, sealer: cfg.Sealer}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// newBase checks the prefix and applies the defaults; db and dialect are
// checked by the caller.
func newBase(db *sql.DB, dialect Dialect, prefix string, now func() time.Time, errStore error) (base, error) {
	if prefix == "" {
		prefix = DefaultTablePrefix
	}
	if !validPrefix(prefix) {
		return base{}, fmt.Errorf("%w: TablePrefix %q: use 1 to 40 ASCII letters, digits and '_', not starting with a digit", ErrConfig, prefix)
	}
	if now == nil {
		now = time.Now
	}
	return base{db: db, dialect: dialect, prefix: prefix, now: now, errStore: errStore}, nil
}

func validPrefix(p string) bool {
	if len(p) == 0 || len(p) > 40 || ('0' <= p[0] && p[0] <= '9') {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Channel returns the PostgreSQL NOTIFY channel of the tables with prefix
// (DefaultTablePrefix if empty): prefix + "connections".
func Channel(prefix string) string {
	if prefix == "" {
		prefix = DefaultTablePrefix
	}
	return prefix + "connections"
}

// storeErr wraps a database failure of op with connection.ErrStore. The
// driver's error is kept (it names the failure, not the values bound).
func storeErr(op string, err error) error {
	return fmt.Errorf("%w: sqlstore: %s: %w", connection.ErrStore, op, err)
}
