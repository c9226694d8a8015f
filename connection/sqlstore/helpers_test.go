package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/rptest"
)

// A backend is a database the tests run on.
type backend struct {
	name    string
	dialect sqlstore.Dialect
	// open returns the source of a fresh, empty database (for PostgreSQL
	// a unique table prefix in $RP_POSTGRES_URL's database, its tables
	// dropped when t ends), or skips t (fails it with CI set).
	open func(t *testing.T) *source
}

// A source opens *sql.DBs on one database, as separate instances would.
type source struct {
	driver, dsn, prefix string
	dialect             sqlstore.Dialect
}

var backends = []backend{
	{name: "sqlite", dialect: sqlstore.SQLite, open: sqliteSource},
	{name: "postgresql", dialect: sqlstore.PostgreSQL, open: postgresSource},
}

// onBackends runs fn as a subtest on each backend.
func onBackends(t *testing.T, fn func(t *testing.T, src *source)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

func sqliteSource(t *testing.T) *source {
	path := filepath.Join(t.TempDir(), "rp.db")
	return &source{
		driver:  "sqlite",
		dsn:     "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)",
		prefix:  "rp_",
		dialect: sqlstore.SQLite,
	}
}

// postgresSource gives t a table prefix of its own in the database at
// $RP_POSTGRES_URL. Without it the test is skipped, unless CI is set:
// there a missing PostgreSQL must not pass silently.
func postgresSource(t *testing.T) *source {
	t.Helper()
	url := os.Getenv("RP_POSTGRES_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("RP_POSTGRES_URL is not set, and CI is: the PostgreSQL tests must run in CI")
		}
		t.Skip("RP_POSTGRES_URL is not set; set it (like postgres://postgres@127.0.0.1:5432/rp_test?sslmode=disable) to run the PostgreSQL tests")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	src := &source{driver: "pgx", dsn: url, prefix: "t" + hex.EncodeToString(b[:]) + "_", dialect: sqlstore.PostgreSQL}
	db := src.db(t)
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("PostgreSQL at RP_POSTGRES_URL does not answer: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open(src.driver, src.dsn)
		if err != nil {
			return
		}
		defer db.Close()
		for _, table := range []string{"user_subjects", "users", "connection_domains", "connection_versions", "connections", "revision", "schema_version"} {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + src.prefix + table); err != nil {
				t.Errorf("dropping %s%s: %v", src.prefix, table, err)
			}
		}
	})
	return src
}

// db opens a *sql.DB on src, closed when t ends.
func (src *source) db(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open(src.driver, src.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// table is the full name of one of src's tables.
func (src *source) table(name string) string { return src.prefix + name }

// exec runs a statement on src, written with '?' parameters.
func (src *source) exec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(src.rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (src *source) rebind(query string) string {
	if src.dialect != sqlstore.PostgreSQL {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// open opens a Store on a new *sql.DB on src: another instance.
func (src *source) open(t *testing.T, sealer *connection.SecretSealer, now func() time.Time) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), sqlstore.Config{
		DB: src.db(t), Dialect: src.dialect, Sealer: sealer, TablePrefix: src.prefix, Now: now,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// key returns a 32-byte application key made of b.
func key(b byte) rp.Secret { return rp.Secret(strings.Repeat(string(rune(b)), 32)) }

func sealer(t *testing.T, keys ...rp.Secret) *connection.SecretSealer {
	t.Helper()
	s, err := connection.NewSecretSealer(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newClock is a fake clock that tests move by hand.
func newClock() *rptest.Clock { return rptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) }

// settings returns valid settings of a new connection name.
func settings(name string) connection.Settings {
	return connection.Settings{
		Name:      name,
		Enabled:   true,
		Authority: "https://idp.example.com/" + name,
		ClientID:  "client-" + name,
	}
}

// withSecret returns s setting its client secret to secret.
func withSecret(s connection.Settings, secret string) connection.Settings {
	s.ClientSecret = connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(secret)}
	return s
}

func mustPut(t *testing.T, s *sqlstore.Store, in connection.Settings) connection.Settings {
	t.Helper()
	out, err := s.Put(context.Background(), in, "admin@example.com")
	if err != nil {
		t.Fatalf("Put(%s from version %d): %v", in.Name, in.Version, err)
	}
	return out
}
