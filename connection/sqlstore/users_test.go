package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/userstoretest"
)

// users opens a UserStore on a new *sql.DB on src: another instance.
func (src *source) users(t *testing.T, now func() time.Time) *sqlstore.UserStore {
	t.Helper()
	s, err := sqlstore.OpenUsers(t.Context(), sqlstore.UsersConfig{
		DB: src.db(t), Dialect: src.dialect, TablePrefix: src.prefix, Now: now,
	})
	if err != nil {
		t.Fatalf("OpenUsers: %v", err)
	}
	return s
}

func mustAdd(t *testing.T, s *sqlstore.UserStore, u rp.User) *rp.User {
	t.Helper()
	got, err := s.AddUser(t.Context(), u)
	if err != nil {
		t.Fatalf("AddUser(%q): %v", u.Username, err)
	}
	return got
}

// TestUserStoreConformance runs the rp.UserStore conformance suite on
// SQLite and on PostgreSQL, each subtest on a database of its own, with
// accounts seeded by AddUser.
func TestUserStoreConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			userstoretest.RunWith(t, func(t *testing.T) rp.UserStore {
				return b.open(t).users(t, nil)
			}, userstoretest.Options{Seed: func(t *testing.T, s rp.UserStore, u rp.User) rp.User {
				return *mustAdd(t, s.(*sqlstore.UserStore), u)
			}})
		})
	}
}

// loginOf is the identity of a first login at issuer as subject, named by
// preferred_username.
func loginOf(issuer, subject, username string) *rp.Identity {
	return &rp.Identity{
		Claims: &rp.Claims{Issuer: issuer, Subject: subject, PreferredUsername: username,
			Raw: map[string]any{"iss": issuer, "sub": subject, "preferred_username": username}},
		UsernameClaim: "preferred_username",
	}
}

// matchAll runs 16 logins at once, alternating between two instances'
// matchers, and returns their users and errors.
func matchAll(t *testing.T, matchers [2]*rp.Matcher, id func(i int) *rp.Identity) ([]*rp.User, []error) {
	const n = 16
	users, errs := make([]*rp.User, n), make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			users[i], errs[i] = matchers[i%2].Match(t.Context(), id(i))
		})
	}
	close(start)
	wg.Wait()
	return users, errs
}

// countUsers returns the number of accounts in src's tables.
func countUsers(t *testing.T, src *source) int {
	t.Helper()
	var n int
	if err := src.db(t).QueryRow(`SELECT COUNT(*) FROM ` + src.table("users")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUsersFirstLoginOnTwoInstances: the first login of one person, 16
// times at once through the default matcher of two instances sharing the
// database: one account, and every login signs in to it.
func TestUsersFirstLoginOnTwoInstances(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		var matchers [2]*rp.Matcher
		for i := range matchers {
			m, err := rp.NewMatcher(rp.MatcherConfig{Store: src.users(t, nil), AutoLink: true, CreateUsers: true})
			if err != nil {
				t.Fatal(err)
			}
			matchers[i] = m
		}
		for round := range 3 {
			sub := fmt.Sprint("sub-", round)
			users, errs := matchAll(t, matchers, func(int) *rp.Identity {
				return loginOf("https://idp.example.com", sub, fmt.Sprint("ann", round))
			})
			for i := range users {
				if errs[i] != nil || users[i] == nil || users[i].ID != users[0].ID {
					t.Fatalf("round %d: login %d = %+v, %v; want the one account %+v", round, i, users[i], errs[i], users[0])
				}
			}
			if n := countUsers(t, src); n != round+1 {
				t.Fatalf("round %d: %d accounts; want %d", round, n, round+1)
			}
		}
	})
}

// TestUsersSubjectConflictNotRaced: 16 logins with different subjects of
// one issuer naming one existing account, at once on two instances: one
// links it, every other is refused with ErrSubjectConflict.
func TestUsersSubjectConflictNotRaced(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		var matchers [2]*rp.Matcher
		var stores [2]*sqlstore.UserStore
		for i := range matchers {
			stores[i] = src.users(t, nil)
			m, err := rp.NewMatcher(rp.MatcherConfig{Store: stores[i], AutoLink: true})
			if err != nil {
				t.Fatal(err)
			}
			matchers[i] = m
		}
		ann := mustAdd(t, stores[0], rp.User{Username: "ann"})
		users, errs := matchAll(t, matchers, func(i int) *rp.Identity {
			return loginOf("https://idp.example.com", fmt.Sprint("sub-", i), "ANN")
		})
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner < 0 && users[i].ID == ann.ID:
				winner = i
			case err == nil:
				t.Fatalf("logins %d and %d both signed in (as %+v)", winner, i, users[i])
			case !errors.Is(err, rp.ErrSubjectConflict):
				t.Fatalf("login %d: %v; want nil or ErrSubjectConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no login linked the account")
		}
		if sub, err := stores[1].SubjectOf(t.Context(), ann.ID, "https://idp.example.com"); err != nil || sub != fmt.Sprint("sub-", winner) {
			t.Fatalf("SubjectOf = %q, %v; want the winner's sub-%d", sub, err, winner)
		}
	})
}

// TestUsersAddUser: AddUser keeps a chosen ID, refuses a taken ID,
// username or email with ErrUserExists, stores Admin, and UserByID finds
// the account.
func TestUsersAddUser(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.users(t, nil)
		admin := mustAdd(t, s, rp.User{ID: "admin", Username: "Admin", Email: "admin@example.com", Admin: true})
		if admin.ID != "admin" {
			t.Fatalf("AddUser with an ID returned %q", admin.ID)
		}
		got, err := s.UserByID(t.Context(), "admin")
		if err != nil || !got.Admin || got.Username != "Admin" {
			t.Fatalf("UserByID = %+v, %v", got, err)
		}
		auto := mustAdd(t, s, rp.User{Username: "bob"})
		if auto.ID == "" || auto.ID == "admin" {
			t.Fatalf("AddUser without an ID chose %q", auto.ID)
		}
		for _, u := range []rp.User{
			{ID: "admin", Username: "other"},
			{Username: "ADMIN"},
			{Username: "x", Email: "Admin@Example.com"},
		} {
			if _, err := s.AddUser(t.Context(), u); !errors.Is(err, rp.ErrUserExists) {
				t.Errorf("AddUser(%+v) = %v; want ErrUserExists", u, err)
			}
		}
		if n := countUsers(t, src); n != 2 {
			t.Fatalf("%d accounts after refused AddUsers; want 2", n)
		}
		_, err = s.UserByID(t.Context(), "nobody")
		if !errors.Is(err, rp.ErrUserNotFound) {
			t.Fatalf("UserByID of an unknown ID = %v; want ErrUserNotFound", err)
		}
		// The matcher refuses the administrator by default.
		if err := s.LinkSubject(t.Context(), "admin", "https://idp.example.com", "adm"); err != nil {
			t.Fatal(err)
		}
		m, _ := rp.NewMatcher(rp.MatcherConfig{Store: s})
		if _, err := m.Match(t.Context(), loginOf("https://idp.example.com", "adm", "Admin")); !errors.Is(err, rp.ErrAdminRefused) {
			t.Fatalf("Match of the administrator = %v; want ErrAdminRefused", err)
		}
	})
}

// TestUsersUpdateEmailTaken: UpdateUser to an email another account has
// (by SameIdentifier) fails with ErrUserExists and changes nothing; an
// email nobody has is saved.
func TestUsersUpdateEmailTaken(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.users(t, nil)
		mustAdd(t, s, rp.User{Username: "ann", Email: "ann@example.com"})
		bob := mustAdd(t, s, rp.User{Username: "bob", Email: "bob@example.com", Name: "Bob"})
		edit := *bob
		edit.Email, edit.Name = "ANN@example.com", "Bobby"
		if err := s.UpdateUser(t.Context(), &edit); !errors.Is(err, rp.ErrUserExists) {
			t.Fatalf("UpdateUser to a taken email = %v; want ErrUserExists", err)
		}
		if got, err := s.UserByID(t.Context(), bob.ID); err != nil || got.Email != "bob@example.com" || got.Name != "Bob" {
			t.Fatalf("after the refused update: %+v, %v", got, err)
		}
		edit.Email = ""
		if err := s.UpdateUser(t.Context(), &edit); err != nil {
			t.Fatalf("UpdateUser clearing the email = %v", err)
		}
		// Two accounts without an email do not collide.
		ann, _ := s.UserByUsername(t.Context(), "ann")
		ann.Email = ""
		if err := s.UpdateUser(t.Context(), ann); err != nil {
			t.Fatalf("a second account without an email = %v", err)
		}
	})
}

// TestUsersDatabaseFailure: with the database gone, every method fails
// with an error wrapping rp.ErrStore: never not-found, never a success,
// and the matcher reports a *rp.StoreError.
func TestUsersDatabaseFailure(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		db := src.db(t)
		s, err := sqlstore.OpenUsers(t.Context(), sqlstore.UsersConfig{DB: db, Dialect: src.dialect, TablePrefix: src.prefix})
		if err != nil {
			t.Fatal(err)
		}
		u := mustAdd(t, s, rp.User{Username: "ann"})
		_ = db.Close()
		ctx := t.Context()
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, rp.ErrStore) || errors.Is(err, rp.ErrUserNotFound) {
				t.Errorf("%s on a closed database = %v; want an error wrapping rp.ErrStore", what, err)
			}
		}
		_, err = s.UserBySubject(ctx, "https://idp.example.com", "s")
		check("UserBySubject", err)
		_, err = s.UserByUsername(ctx, "ann")
		check("UserByUsername", err)
		_, err = s.UserByEmail(ctx, "ann@example.com")
		check("UserByEmail", err)
		_, err = s.UserByID(ctx, u.ID)
		check("UserByID", err)
		_, err = s.SubjectOf(ctx, u.ID, "https://idp.example.com")
		check("SubjectOf", err)
		check("LinkSubject", s.LinkSubject(ctx, u.ID, "https://idp.example.com", "s"))
		_, err = s.CreateUser(ctx, &rp.User{Username: "bob"}, "https://idp.example.com", "s")
		check("CreateUser", err)
		_, err = s.AddUser(ctx, rp.User{Username: "bob"})
		check("AddUser", err)
		check("UpdateUser", s.UpdateUser(ctx, u))
		m, _ := rp.NewMatcher(rp.MatcherConfig{Store: s, CreateUsers: true})
		_, err = m.Match(ctx, loginOf("https://idp.example.com", "s", "bob"))
		var se *rp.StoreError
		if !errors.As(err, &se) {
			t.Errorf("Match on a closed database = %v; want a *rp.StoreError", err)
		}
	})
}

// TestUsersHostileRows: rows the database hands back are checked: a
// username_norm that does not match its username, and groups or
// attributes that are not JSON, fail with rp.ErrStore rather than sign
// anyone in.
func TestUsersHostileRows(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.users(t, nil)
		db := src.db(t)
		ann := mustAdd(t, s, rp.User{Username: "ann", Email: "ann@example.com"})
		src.exec(t, db, `UPDATE `+src.table("users")+` SET username_norm = 'admin', email_norm = 'admin@example.com' WHERE id = ?`, ann.ID)
		if u, err := s.UserByUsername(t.Context(), "admin"); !errors.Is(err, rp.ErrStore) {
			t.Errorf("UserByUsername of a tampered username_norm = %+v, %v; want rp.ErrStore", u, err)
		}
		if u, err := s.UserByEmail(t.Context(), "admin@example.com"); !errors.Is(err, rp.ErrStore) {
			t.Errorf("UserByEmail of a tampered email_norm = %+v, %v; want rp.ErrStore", u, err)
		}
		bob := mustAdd(t, s, rp.User{Username: "bob"})
		src.exec(t, db, `UPDATE `+src.table("users")+` SET groups_json = '{"a":1}' WHERE id = ?`, bob.ID)
		if u, err := s.UserByID(t.Context(), bob.ID); !errors.Is(err, rp.ErrStore) {
			t.Errorf("UserByID with bad groups = %+v, %v; want rp.ErrStore", u, err)
		}
		src.exec(t, db, `UPDATE `+src.table("users")+` SET groups_json = '[]', attributes_json = '{"a":1}' WHERE id = ?`, bob.ID)
		if u, err := s.UserByUsername(t.Context(), "bob"); !errors.Is(err, rp.ErrStore) {
			t.Errorf("UserByUsername with bad attributes = %+v, %v; want rp.ErrStore", u, err)
		}
	})
}

// TestUsersUnstorableValues: identifiers a database cannot hold (NUL,
// invalid UTF-8, longer than MaxKeyLength) are never found, and writing
// them fails with rp.ErrStore and stores nothing.
func TestUsersUnstorableValues(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.users(t, nil)
		ctx := t.Context()
		long := strings.Repeat("s", sqlstore.MaxKeyLength+1)
		for _, v := range []string{"a\x00b", "\xff", long} {
			if u, err := s.UserBySubject(ctx, "https://idp.example.com", v); !errors.Is(err, rp.ErrUserNotFound) {
				t.Errorf("UserBySubject(%.10q) = %+v, %v; want ErrUserNotFound", v, u, err)
			}
			if u, err := s.UserByUsername(ctx, v); !errors.Is(err, rp.ErrUserNotFound) {
				t.Errorf("UserByUsername(%.10q) = %+v, %v; want ErrUserNotFound", v, u, err)
			}
			if _, err := s.CreateUser(ctx, &rp.User{Username: "ann"}, "https://idp.example.com", v); !errors.Is(err, rp.ErrStore) {
				t.Errorf("CreateUser with subject %.10q = %v; want rp.ErrStore", v, err)
			}
			if _, err := s.CreateUser(ctx, &rp.User{Username: v}, "https://idp.example.com", "s"); !errors.Is(err, rp.ErrStore) {
				t.Errorf("CreateUser with username %.10q = %v; want rp.ErrStore", v, err)
			}
			if v == long {
				continue // names are not indexed: they may be long
			}
			if _, err := s.AddUser(ctx, rp.User{Username: "ann", Name: v}); !errors.Is(err, rp.ErrStore) {
				t.Errorf("AddUser with name %q = %v; want rp.ErrStore", v, err)
			}
		}
		if n := countUsers(t, src); n != 0 {
			t.Fatalf("%d accounts stored; want none", n)
		}
		// The longest allowed value is stored and found.
		ok := strings.Repeat("s", sqlstore.MaxKeyLength)
		u, err := s.CreateUser(ctx, &rp.User{Username: ok}, "https://idp.example.com", ok)
		if err != nil {
			t.Fatalf("CreateUser with %d-byte values = %v", len(ok), err)
		}
		if got, err := s.UserBySubject(ctx, "https://idp.example.com", ok); err != nil || got.ID != u.ID {
			t.Fatalf("UserBySubject of the longest subject = %+v, %v", got, err)
		}
	})
}

// TestUsersSchemaUpgrade: a database at schema version 1 (the connection
// tables only) gains the users tables when OpenUsers or Open migrates it,
// keeping its connections; OpenUsers refuses a newer schema.
func TestUsersSchemaUpgrade(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		store := src.open(t, sealer(t, key('a')), nil)
		mustPut(t, store, settings("acme"))
		db := src.db(t)
		src.exec(t, db, `DROP TABLE `+src.table("user_subjects"))
		src.exec(t, db, `DROP TABLE `+src.table("users"))
		src.exec(t, db, `DELETE FROM `+src.table("schema_version")+` WHERE version = 2`)
		s := src.users(t, nil)
		mustAdd(t, s, rp.User{Username: "ann"})
		if got, err := store.Get(t.Context(), "acme"); err != nil || got.Version != 1 {
			t.Fatalf("the connection after the upgrade: %+v, %v", got, err)
		}
		if rows := dump(t, db, src.table("schema_version")); len(rows) != 2 {
			t.Fatalf("schema_version rows %q; want 2", rows)
		}
		src.exec(t, db, `INSERT INTO `+src.table("schema_version")+` (version, applied_ns) VALUES (?, 0)`, sqlstore.SchemaVersion+1)
		_, err := sqlstore.OpenUsers(t.Context(), sqlstore.UsersConfig{DB: db, Dialect: src.dialect, TablePrefix: src.prefix})
		if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
			t.Fatalf("OpenUsers of a newer schema: %v; want ErrSchemaTooNew", err)
		}
	})
}

// TestOpenUsersConfig: an unusable UsersConfig fails with ErrConfig.
func TestOpenUsersConfig(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/x.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, cfg := range []sqlstore.UsersConfig{
		{Dialect: sqlstore.SQLite},
		{DB: db},
		{DB: db, Dialect: sqlstore.SQLite, TablePrefix: "bad-prefix"},
		{DB: db, Dialect: sqlstore.SQLite, TablePrefix: "1x"},
	} {
		if _, err := sqlstore.OpenUsers(context.Background(), cfg); !errors.Is(err, sqlstore.ErrConfig) {
			t.Errorf("OpenUsers(%+v) = %v; want ErrConfig", cfg, err)
		}
	}
}
