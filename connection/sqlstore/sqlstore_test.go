package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
)

func TestOpenRefusesBadConfig(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/x.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sl := sealer(t, key('a'))
	for name, cfg := range map[string]sqlstore.Config{
		"no DB":           {Dialect: sqlstore.SQLite, Sealer: sl},
		"no dialect":      {DB: db, Sealer: sl},
		"unknown":         {DB: db, Dialect: 7, Sealer: sl},
		"no sealer":       {DB: db, Dialect: sqlstore.SQLite},
		"prefix quote":    {DB: db, Dialect: sqlstore.SQLite, Sealer: sl, TablePrefix: `rp"; DROP TABLE x; --`},
		"prefix digit":    {DB: db, Dialect: sqlstore.SQLite, Sealer: sl, TablePrefix: "1rp_"},
		"prefix space":    {DB: db, Dialect: sqlstore.SQLite, Sealer: sl, TablePrefix: "rp "},
		"prefix too long": {DB: db, Dialect: sqlstore.SQLite, Sealer: sl, TablePrefix: strings.Repeat("p", 41)},
	} {
		if s, err := sqlstore.Open(t.Context(), cfg); !errors.Is(err, sqlstore.ErrConfig) || s != nil {
			t.Errorf("%s: Open = %v, %v; want nil, ErrConfig", name, s, err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil || n != 0 {
		t.Errorf("a refused Open created %d schema objects (%v)", n, err)
	}
}

// TestVersionsAndTombstones: the store's versions on each database, through
// the public API: create, update from the latest, stale saves, delete,
// and a name created again after a delete, which continues the numbering
// so a login pinned to the old connection's version never meets the new
// one's.
func TestVersionsAndTombstones(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		clk := newClock()
		s := src.open(t, sealer(t, key('a')), clk.Now)
		ctx := t.Context()

		rev0, err := s.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v1 := mustPut(t, s, withSecret(settings("acme"), "secret-one"))
		if v1.Version != 1 || !v1.Updated.Equal(clk.Now()) || v1.UpdatedBy != "admin@example.com" ||
			v1.ClientSecret.Value != "secret-one" || !v1.ClientSecret.IsSet {
			t.Fatalf("Put returned %+v", v1)
		}
		if _, err := s.Put(ctx, settings("acme"), "x"); !errors.Is(err, connection.ErrConflict) {
			t.Fatalf("creating an existing name: %v; want ErrConflict", err)
		}
		clk.Advance(time.Minute)
		edit := v1
		edit.Title = "Acme staff"
		edit.ClientSecret = connection.ClientSecret{} // keep
		v2 := mustPut(t, s, edit)
		if v2.Version != 2 || v2.ClientSecret.Value != "secret-one" || v2.Title != "Acme staff" {
			t.Fatalf("update returned %+v", v2)
		}
		if _, err := s.Put(ctx, edit, "x"); !errors.Is(err, connection.ErrConflict) {
			t.Fatalf("saving from stale version 1: %v; want ErrConflict", err)
		}
		got, err := s.Get(ctx, "acme")
		if err != nil || got.Version != 2 || got.Title != "Acme staff" || got.ClientSecret.Value != "secret-one" ||
			!got.Updated.Equal(clk.Now()) || got.Authority != v1.Authority {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		if old, err := s.GetVersion(ctx, "acme", 1); err != nil || old.Title != "" || old.Version != 1 {
			t.Fatalf("GetVersion(1) = %+v, %v", old, err)
		}
		rev1, _ := s.Revision(ctx)
		if rev1 != rev0+2 {
			t.Fatalf("revision %d after two saves from %d (failed saves must not count)", rev1, rev0)
		}

		if err := s.Delete(ctx, "acme", 1); !errors.Is(err, connection.ErrConflict) {
			t.Fatalf("Delete(stale version): %v; want ErrConflict", err)
		}
		if err := s.Delete(ctx, "acme", 2); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "acme", 2); !errors.Is(err, connection.ErrNotFound) {
			t.Fatalf("Delete twice: %v; want ErrNotFound", err)
		}
		for _, v := range []int64{1, 2} {
			if _, err := s.GetVersion(ctx, "acme", v); !errors.Is(err, connection.ErrNotFound) {
				t.Fatalf("GetVersion(%d) after Delete: %v; want ErrNotFound", v, err)
			}
		}
		if _, err := s.Put(ctx, v2, "x"); !errors.Is(err, connection.ErrNotFound) {
			t.Fatalf("saving a deleted connection: %v; want ErrNotFound", err)
		}
		again := mustPut(t, s, settings("acme"))
		if again.Version != 3 || again.ClientSecret.IsSet || again.Title != "" {
			t.Fatalf("created again: %+v; want version 3, no secret, nothing of the deleted one", again)
		}
		if _, err := s.GetVersion(ctx, "acme", 2); !errors.Is(err, connection.ErrNotFound) {
			t.Fatalf("the deleted connection's version 2 after re-creation: %v; want ErrNotFound", err)
		}
		if list, err := s.List(ctx); err != nil || len(list) != 1 || list[0].Version != 3 {
			t.Fatalf("List = %+v, %v", list, err)
		}
	})
}

// TestListOrderIsByteOrder: List orders by Go's string order whatever the
// database's collation.
func TestListOrderIsByteOrder(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.open(t, sealer(t, key('a')), nil)
		names := []string{"b", "B", "a-1", "a_1", "A", "a"}
		for _, n := range names {
			mustPut(t, s, settings(n))
		}
		list, err := s.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.Name)
		}
		if want := "A B a a-1 a_1 b"; strings.Join(got, " ") != want {
			t.Fatalf("List order %q; want %q", got, want)
		}
	})
}

// TestRetention: a superseded version stays readable for exactly
// RetainSuperseded after it was superseded, and a later Put prunes it.
func TestRetention(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		clk := newClock()
		s := src.open(t, sealer(t, key('a')), clk.Now)
		ctx := t.Context()
		v1 := mustPut(t, s, settings("acme"))
		clk.Advance(time.Minute)
		mustPut(t, s, v1) // supersedes version 1 now
		clk.Advance(connection.RetainSuperseded)
		if _, err := s.GetVersion(ctx, "acme", 1); err != nil {
			t.Fatalf("version 1 exactly RetainSuperseded after it was superseded: %v", err)
		}
		clk.Advance(time.Nanosecond)
		if _, err := s.GetVersion(ctx, "acme", 1); !errors.Is(err, connection.ErrNotFound) {
			t.Fatalf("version 1 past RetainSuperseded: %v; want ErrNotFound", err)
		}
		db := src.db(t)
		count := func() int {
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM ` + src.table("connection_versions")).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 2 {
			t.Fatalf("%d version rows before a Put prunes; want 2", n)
		}
		mustPut(t, s, settings("other"))
		if n := count(); n != 2 { // acme v2 and other v1
			t.Fatalf("%d version rows after the Put; want 2 (acme's version 1 pruned)", n)
		}
		if got, err := s.Get(ctx, "acme"); err != nil || got.Version != 2 {
			t.Fatalf("the latest version is never pruned: %+v, %v", got, err)
		}
	})
}

// TestNoSecretInClear reads every column of every table: the secret is
// nowhere in clear, the sealed column opens under the store's key, and the
// key ID column names the key.
func TestNoSecretInClear(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		sl := sealer(t, key('a'))
		s := src.open(t, sl, nil)
		const secret = "very-secret-client-secret-4f1d"
		v1 := mustPut(t, s, withSecret(settings("acme"), secret))
		v1.ClientSecret = connection.ClientSecret{}
		mustPut(t, s, v1)
		db := src.db(t)
		for _, table := range []string{"connections", "connection_versions", "connection_domains", "revision", "schema_version"} {
			for _, row := range dump(t, db, src.table(table)) {
				if strings.Contains(row, secret) {
					t.Fatalf("table %s holds the secret in clear: %s", table, row)
				}
			}
		}
		rows, err := db.Query(`SELECT version, settings, sealed_secret, secret_key_id FROM ` + src.table("connection_versions"))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var version int64
			var js, sealed, keyID string
			if err := rows.Scan(&version, &js, &sealed, &keyID); err != nil {
				t.Fatal(err)
			}
			n++
			if strings.Contains(js, "client_secret") || strings.Contains(js, "redacted") {
				t.Errorf("version %d: the settings JSON mentions the secret: %s", version, js)
			}
			if got, err := sl.Open("acme", sealed); err != nil || got != secret {
				t.Errorf("version %d: sealed column does not open to the secret: %v", version, err)
			}
			if keyID == "" || keyID != sl.KeyID(sealed) || !sl.Current(sealed) {
				t.Errorf("version %d: key ID column %q; want %q, the current key's", version, keyID, sl.KeyID(sealed))
			}
		}
		if n != 2 {
			t.Fatalf("%d version rows; want 2", n)
		}
	})
}

// dump returns every row of table as text.
func dump(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%s=%v ", cols[i], v)
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCopiedSecretDoesNotOpen: a sealed secret copied onto another
// connection's row fails that connection closed, with ErrSealedSecret and
// ErrStore, on Get, GetVersion, List and a Put keeping it; the copy's
// source still opens.
func TestCopiedSecretDoesNotOpen(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.open(t, sealer(t, key('a')), nil)
		ctx := t.Context()
		mustPut(t, s, withSecret(settings("acme"), "acme-secret"))
		other := mustPut(t, s, withSecret(settings("other"), "other-secret"))
		db := src.db(t)
		src.exec(t, db, `UPDATE `+src.table("connection_versions")+` SET sealed_secret = (SELECT sealed_secret FROM `+
			src.table("connection_versions")+` WHERE name = 'acme') WHERE name = 'other'`)

		failsClosed := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, connection.ErrSealedSecret) || !errors.Is(err, connection.ErrStore) {
				t.Fatalf("%s: %v; want ErrSealedSecret and ErrStore", what, err)
			}
			if strings.Contains(err.Error(), "acme-secret") || strings.Contains(err.Error(), "other-secret") {
				t.Fatalf("%s: the error shows a secret: %v", what, err)
			}
		}
		got, err := s.Get(ctx, "other")
		failsClosed("Get", err)
		if got.ClientID != "" || got.ClientSecret.Value != "" {
			t.Fatalf("a failed Get returned settings: %+v", got)
		}
		_, err = s.GetVersion(ctx, "other", 1)
		failsClosed("GetVersion", err)
		_, err = s.List(ctx)
		failsClosed("List", err)
		other.Title = "kept secret"
		other.ClientSecret = connection.ClientSecret{Action: connection.SecretKeep}
		_, err = s.Put(ctx, other, "x")
		failsClosed("Put keeping the secret", err)
		if a, err := s.Get(ctx, "acme"); err != nil || a.ClientSecret.Value != "acme-secret" {
			t.Fatalf("Get(acme) = %v, %v", a.ClientSecret.IsSet, err)
		}
		// Setting a new secret repairs the connection.
		other.ClientSecret = connection.ClientSecret{Action: connection.SecretSet, Value: "new-secret"}
		if fixed, err := s.Put(ctx, other, "x"); err != nil || fixed.ClientSecret.Value != "new-secret" {
			t.Fatalf("Put setting a new secret: %v", err)
		}
	})
}

// TestHostileRows: a settings column that does not decode fails closed
// with ErrStore; JSON that claims another name, version or a secret is
// overridden by the columns.
func TestHostileRows(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.open(t, sealer(t, key('a')), nil)
		ctx := t.Context()
		mustPut(t, s, settings("acme"))
		db := src.db(t)
		src.exec(t, db, `UPDATE `+src.table("connection_versions")+` SET settings = ? WHERE name = 'acme'`,
			`{"name":"evil","version":99,"client_id":"c","client_secret":{"action":"set","value":"injected"}}`)
		got, err := s.Get(ctx, "acme")
		if err != nil || (got.Name != "acme" || got.Version != 1 || got.ClientSecret.IsSet || got.ClientSecret.Value != "") {
			t.Fatalf("Get of JSON claiming another name, version and a secret = %+v, %v; want the columns' acme version 1 without a secret", got, err)
		}
		src.exec(t, db, `UPDATE `+src.table("connection_versions")+` SET settings = ? WHERE name = 'acme'`, `{"client_id": 1`)
		if _, err := s.Get(ctx, "acme"); !errors.Is(err, connection.ErrStore) {
			t.Fatalf("Get of a row that does not decode: %v; want ErrStore", err)
		}
	})
}

// TestDatabaseDownFailsClosed: every method on a closed database fails
// with ErrStore.
func TestDatabaseDownFailsClosed(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		db := src.db(t)
		s, err := sqlstore.Open(t.Context(), sqlstore.Config{DB: db, Dialect: src.dialect, Sealer: sealer(t, key('a')), TablePrefix: src.prefix})
		if err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, settings("acme"))
		_ = db.Close()
		ctx := context.Background()
		_, e1 := s.List(ctx)
		_, e2 := s.Get(ctx, "acme")
		_, e3 := s.GetVersion(ctx, "acme", 1)
		_, e4 := s.Put(ctx, settings("new"), "x")
		e5 := s.Delete(ctx, "acme", 1)
		_, e6 := s.Revision(ctx)
		_, e7 := s.Reseal(ctx)
		for i, err := range []error{e1, e2, e3, e4, e5, e6, e7} {
			if !errors.Is(err, connection.ErrStore) {
				t.Errorf("call %d on a closed database: %v; want ErrStore", i+1, err)
			}
		}
	})
}

// TestPutValidates: invalid settings are refused with the *rp.ConfigError
// of Settings.Validate before the database is touched.
func TestPutValidates(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.open(t, sealer(t, key('a')), nil)
		bad := settings("acme")
		bad.ClientID = ""
		_, err := s.Put(t.Context(), bad, "x")
		var ce *rp.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("Put of settings without a client ID: %v; want a *rp.ConfigError", err)
		}
		if rev, _ := s.Revision(t.Context()); rev != 0 {
			t.Fatalf("revision %d after a refused Put; want 0", rev)
		}
	})
}
