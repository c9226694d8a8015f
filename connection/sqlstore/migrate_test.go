package sqlstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp/connection/sqlstore"
)

// TestOpenTwiceIsNoOp: Open on a migrated database changes nothing: the
// schema_version rows, their times and the data stay as they were.
func TestOpenTwiceIsNoOp(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		clk := newClock()
		s := src.open(t, sealer(t, key('a')), clk.Now)
		mustPut(t, s, withSecret(settings("acme"), "secret"))
		db := src.db(t)
		before := dump(t, db, src.table("schema_version"))
		if len(before) != sqlstore.SchemaVersion {
			t.Fatalf("schema_version rows %q; want %d", before, sqlstore.SchemaVersion)
		}
		clk.Advance(time.Hour)
		s2 := src.open(t, sealer(t, key('a')), clk.Now)
		if after := dump(t, db, src.table("schema_version")); len(after) != len(before) || after[0] != before[0] {
			t.Fatalf("schema_version after a second Open: %q; before: %q", after, before)
		}
		if got, err := s2.Get(t.Context(), "acme"); err != nil || got.Version != 1 || got.ClientSecret.Value != "secret" {
			t.Fatalf("Get after a second Open: %+v, %v", got, err)
		}
		if rev, err := s2.Revision(t.Context()); err != nil || rev != 1 {
			t.Fatalf("Revision after a second Open: %d, %v; want 1", rev, err)
		}
	})
}

// TestConcurrentOpen: instances starting together on an empty database
// all open it, and the schema is migrated once.
func TestConcurrentOpen(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		const n = 6
		dbs := make([]*sqlstoreConfig, n)
		for i := range dbs {
			dbs[i] = &sqlstoreConfig{cfg: sqlstore.Config{DB: src.db(t), Dialect: src.dialect, Sealer: sealer(t, key('a')), TablePrefix: src.prefix}}
		}
		var wg sync.WaitGroup
		for _, d := range dbs {
			wg.Go(func() { d.store, d.err = sqlstore.Open(t.Context(), d.cfg) })
		}
		wg.Wait()
		for i, d := range dbs {
			if d.err != nil {
				t.Fatalf("instance %d: Open: %v", i, d.err)
			}
		}
		if rows := dump(t, src.db(t), src.table("schema_version")); len(rows) != sqlstore.SchemaVersion {
			t.Fatalf("schema_version rows %q; want %d", rows, sqlstore.SchemaVersion)
		}
		mustPut(t, dbs[0].store, settings("acme"))
		if got, err := dbs[n-1].store.Get(t.Context(), "acme"); err != nil || got.Version != 1 {
			t.Fatalf("another instance's Get: %+v, %v", got, err)
		}
	})
}

type sqlstoreConfig struct {
	cfg   sqlstore.Config
	store *sqlstore.Store
	err   error
}

// TestNewerSchemaRefused: a database that a newer version of the package
// migrated is refused with ErrSchemaTooNew, and left as it is.
func TestNewerSchemaRefused(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.open(t, sealer(t, key('a')), nil)
		mustPut(t, s, settings("acme"))
		db := src.db(t)
		src.exec(t, db, `INSERT INTO `+src.table("schema_version")+` (version, applied_ns) VALUES (?, 0)`, sqlstore.SchemaVersion+1)
		_, err := sqlstore.Open(t.Context(), sqlstore.Config{DB: db, Dialect: src.dialect, Sealer: sealer(t, key('a')), TablePrefix: src.prefix})
		if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
			t.Fatalf("Open of a newer schema: %v; want ErrSchemaTooNew", err)
		}
		if rows := dump(t, db, src.table("connections")); len(rows) != 1 {
			t.Fatalf("the refused Open changed the data: %q", rows)
		}
	})
}

// TestPrefixesAreIndependent: two stores with different prefixes in one
// database do not see each other's connections or revisions.
func TestPrefixesAreIndependent(t *testing.T) {
	src := sqliteSource(t)
	db := src.db(t)
	a, err := sqlstore.Open(t.Context(), sqlstore.Config{DB: db, Dialect: sqlstore.SQLite, Sealer: sealer(t, key('a'))})
	if err != nil {
		t.Fatal(err)
	}
	b, err := sqlstore.Open(t.Context(), sqlstore.Config{DB: db, Dialect: sqlstore.SQLite, Sealer: sealer(t, key('a')), TablePrefix: "tenant2_"})
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, a, settings("acme"))
	if list, err := b.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("the other prefix's List = %+v, %v", list, err)
	}
	if rev, err := b.Revision(t.Context()); err != nil || rev != 0 {
		t.Fatalf("the other prefix's Revision = %d, %v", rev, err)
	}
}
