package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/oidcrp/rp"
)

// UsersConfig configures OpenUsers.
type UsersConfig struct {
	// DB is the database. Required. The UserStore does not close it.
	DB *sql.DB

	// Dialect is DB's kind: SQLite or PostgreSQL. Required.
	Dialect Dialect

	// TablePrefix starts the name of every table, as Config.TablePrefix
	// does and with its rules. Default "rp_". A UserStore and a Store
	// with the same prefix share one schema (and its schema_version
	// table); with different prefixes they are independent.
	TablePrefix string

	// Now is the clock, for the times an account was created, updated
	// and linked. Default time.Now.
	Now func() time.Time
}

// UserStore is an rp.UserStore in a SQL database: the application's local
// accounts and the provider subjects linked to them, safe for concurrent
// use and by several instances sharing the database. Create it with
// OpenUsers.
//
// The schema enforces the linking rules with constraints, so that no race
// between instances can break them:
//
//   - <prefix>users: one row per account, its ID the primary key;
//     username_norm and email_norm hold rp.NormalizeIdentifier of the
//     username and email, NULL when that is "", each UNIQUE, so no two
//     accounts have the same username or email by rp.SameIdentifier;
//     groups and attributes as JSON;
//   - <prefix>user_subjects: one row per linked subject, PRIMARY KEY
//     (issuer, subject), so a subject names one account per issuer, and
//     UNIQUE (user_id, issuer), so an account has one subject per issuer.
//
// Two first logins of one person at the same moment, on two instances,
// create one account: the second CreateUser fails with
// rp.ErrSubjectConflict and the matcher signs the user in to the first's.
// Every database failure is an error wrapping rp.ErrStore, never "not
// found" nor a success. Issuers, subjects, IDs, usernames and emails must
// be valid UTF-8 without NUL and at most MaxKeyLength bytes: lookups of
// other values find nothing, and writes of them fail with an error
// wrapping rp.ErrStore.
type UserStore struct {
	base
}

var _ rp.UserStore = (*UserStore)(nil)

// MaxKeyLength is the longest issuer, subject, ID, username or email, in
// bytes, that a UserStore stores: they are indexed, and PostgreSQL limits
// the size of an index entry.
const MaxKeyLength = 1024

// OpenUsers checks cfg, creates or migrates the schema (the same migrations
// as Open: the users tables arrive with schema version 2), and returns the
// UserStore. A bad cfg fails with an error wrapping ErrConfig; a schema
// newer than this package knows with ErrSchemaTooNew; a database failure
// with an error wrapping rp.ErrStore. Like Open, it is idempotent and safe
// to call from several instances at once.
func OpenUsers(ctx context.Context, cfg UsersConfig) (*UserStore, error) {
	if cfg.DB == nil {
		return nil, fmt.Errorf("%w: DB is nil", ErrConfig)
	}
	if cfg.Dialect != SQLite && cfg.Dialect != PostgreSQL {
		return nil, fmt.Errorf("%w: Dialect must be SQLite or PostgreSQL, not %v", ErrConfig, cfg.Dialect)
	}
	b, err := newBase(cfg.DB, cfg.Dialect, cfg.TablePrefix, cfg.Now, rp.ErrStore)
	if err != nil {
		return nil, err
	}
	s := &UserStore{base: b}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// UserByID returns the account with id, or rp.ErrUserNotFound.
func (s *UserStore) UserByID(ctx context.Context, id string) (*rp.User, error) {
	if !storable(id) {
		return nil, rp.ErrUserNotFound
	}
	return s.queryUser(ctx, "UserByID", `SELECT `+userColumns+` FROM {p}users u WHERE u.id = ?`, id)
}

// UserBySubject implements rp.UserStore: the account linked to subject at
// issuer, compared exactly, or rp.ErrUserNotFound.
func (s *UserStore) UserBySubject(ctx context.Context, issuer, subject string) (*rp.User, error) {
	if !storable(issuer) || !storable(subject) {
		return nil, rp.ErrUserNotFound
	}
	return s.queryUser(ctx, "UserBySubject", `SELECT `+userColumns+` FROM {p}user_subjects l
		JOIN {p}users u ON u.id = l.user_id
		WHERE l.issuer = ? AND l.subject = ?`, issuer, subject)
}

// UserByUsername implements rp.UserStore: the account whose username is
// rp.SameIdentifier with username, or rp.ErrUserNotFound (always when
// rp.NormalizeIdentifier(username) is ""). A row whose username does not
// match the normal form it is indexed under fails with an error wrapping
// rp.ErrStore rather than sign anyone in to it.
func (s *UserStore) UserByUsername(ctx context.Context, username string) (*rp.User, error) {
	return s.byIdentifier(ctx, "UserByUsername", "username_norm", username, func(u *rp.User) string { return u.Username })
}

// UserByEmail implements rp.UserStore as UserByUsername does, for email
// addresses.
func (s *UserStore) UserByEmail(ctx context.Context, email string) (*rp.User, error) {
	return s.byIdentifier(ctx, "UserByEmail", "email_norm", email, func(u *rp.User) string { return u.Email })
}

// byIdentifier looks v up in column (username_norm or email_norm) and
// checks that the row's own value, field of the user, is v by
// rp.SameIdentifier: the database is not trusted to have kept the column
// in step.
func (s *UserStore) byIdentifier(ctx context.Context, op, column, v string, field func(*rp.User) string) (*rp.User, error) {
	want := rp.NormalizeIdentifier(v)
	if want == "" || !storable(want) {
		return nil, rp.ErrUserNotFound
	}
	u, err := s.queryUser(ctx, op, `SELECT `+userColumns+` FROM {p}users u WHERE u.`+column+` = ?`, want)
	if err != nil {
		return nil, err
	}
	if !rp.SameIdentifier(field(u), v) {
		return nil, s.fail(op, fmt.Errorf("user %q: %s does not match the stored value", u.ID, column))
	}
	return u, nil
}

// SubjectOf implements rp.UserStore: the subject linked to the user at
// issuer, or "" and nil when there is none (or no such user).
func (s *UserStore) SubjectOf(ctx context.Context, userID, issuer string) (string, error) {
	if !storable(userID) || !storable(issuer) {
		return "", nil
	}
	var subject string
	err := s.db.QueryRowContext(ctx, s.sql(`SELECT subject FROM {p}user_subjects WHERE user_id = ? AND issuer = ?`),
		userID, issuer).Scan(&subject)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", s.fail("SubjectOf", err)
	}
	return subject, nil
}

// queryUser runs a query for one user: rp.ErrUserNotFound when it finds
// none, an error wrapping rp.ErrStore when the database fails or the row
// does not decode.
func (s *UserStore) queryUser(ctx context.Context, op, query string, args ...any) (*rp.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.sql(query), args...))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, rp.ErrUserNotFound
	case err != nil:
		return nil, s.fail(op, err)
	}
	return u, nil
}
