package pgnotify_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/connection/sqlstore/pgnotify"
)

// postgres returns the URL of $RP_POSTGRES_URL and a table prefix of t's
// own, whose tables are dropped when t ends. Without the variable t is
// skipped, unless CI is set: there a missing PostgreSQL must not pass.
func postgres(t *testing.T) (url, prefix string) {
	t.Helper()
	url = os.Getenv("RP_POSTGRES_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("RP_POSTGRES_URL is not set, and CI is: the PostgreSQL tests must run in CI")
		}
		t.Skip("RP_POSTGRES_URL is not set; set it (like postgres://postgres@127.0.0.1:5432/rp_test?sslmode=disable) to run the PostgreSQL tests")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix = "n" + hex.EncodeToString(b[:]) + "_"
	t.Cleanup(func() {
		db, err := sql.Open("pgx", url)
		if err != nil {
			return
		}
		defer db.Close()
		for _, table := range []string{"connection_domains", "connection_versions", "connections", "revision", "schema_version"} {
			_, _ = db.Exec("DROP TABLE IF EXISTS " + prefix + table)
		}
	})
	return url, prefix
}

func openDB(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openStore(t *testing.T, db *sql.DB, prefix string) *sqlstore.Store {
	t.Helper()
	sl, err := connection.NewSecretSealer(rp.Secret(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(t.Context(), sqlstore.Config{DB: db, Dialect: sqlstore.PostgreSQL, Sealer: sl, TablePrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wait fails t unless ch delivers within the bound (a deadline for a
// broken push, not a timing assumption).
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not happen within 20s", what)
	}
	var zero T
	return zero
}

// watch runs w.Watch until t ends, and returns the channels of its
// changed calls and its result.
func watch(t *testing.T, ctx context.Context, w *pgnotify.Watcher) (<-chan struct{}, <-chan error) {
	changed := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() { done <- w.Watch(ctx, func() { changed <- struct{}{} }) }()
	return changed, done
}

// TestWatchSeesAnotherInstance: a Watcher on one instance's database
// hears the saves and deletes another instance commits.
func TestWatchSeesAnotherInstance(t *testing.T) {
	url, prefix := postgres(t)
	dbA, dbB := openDB(t, "pgx", url), openDB(t, "pgx", url)
	openStore(t, dbA, prefix)
	other := openStore(t, dbB, prefix)

	ctx, cancel := context.WithCancel(t.Context())
	changed, done := watch(t, ctx, pgnotify.New(dbA, prefix))
	wait(t, changed, "the call when Watch listens")

	in := connection.Settings{Name: "acme", Enabled: true, Authority: "https://idp.example.com", ClientID: "c"}
	v1, err := other.Put(ctx, in, "x")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, changed, "the notification of a Put on another instance")
	if err := other.Delete(ctx, "acme", v1.Version); err != nil {
		t.Fatal(err)
	}
	wait(t, changed, "the notification of a Delete on another instance")

	cancel()
	if err := wait(t, done, "Watch's return after ctx ended"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch after cancel = %v; want context.Canceled", err)
	}
}

// TestWatchLostConnection: a Watch whose connection the server ends
// returns an error wrapping ErrStore (the caller polls then), not ctx's.
func TestWatchLostConnection(t *testing.T) {
	url, prefix := postgres(t)
	db := openDB(t, "pgx", url)
	openStore(t, db, prefix)
	changed, done := watch(t, t.Context(), pgnotify.New(openDB(t, "pgx", url), prefix))
	wait(t, changed, "the call when Watch listens")
	res, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
		`LISTEN "`+sqlstore.Channel(prefix)+`"`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("found %d listening backends; want 1", n)
	}
	err = wait(t, done, "Watch's return after its connection was terminated")
	if !errors.Is(err, connection.ErrStore) || errors.Is(err, context.Canceled) {
		t.Fatalf("Watch after the connection was lost = %v; want ErrStore", err)
	}
}

// TestWatchNeedsPgx: a database not opened through pgx's stdlib is refused
// with ErrNotPgx, and changed is never called.
func TestWatchNeedsPgx(t *testing.T) {
	db := openDB(t, "sqlite", "file:"+filepath.Join(t.TempDir(), "x.db"))
	err := pgnotify.New(db, "").Watch(t.Context(), func() { t.Error("changed called") })
	if !errors.Is(err, pgnotify.ErrNotPgx) {
		t.Fatalf("Watch on SQLite = %v; want ErrNotPgx", err)
	}
}
