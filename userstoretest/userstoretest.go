// Package userstoretest checks that an implementation of rp.UserStore does
// what the rp.UserStore documentation says: subjects per issuer, usernames
// and emails compared with rp.SameIdentifier (ASCII letters ignoring case,
// nothing else folded, unusable identifiers matching nothing), atomic
// LinkSubject and CreateUser that create nothing when they fail, UpdateUser
// that never changes ID, Username or Admin, copies that callers may
// change, and the races of first logins: sixteen at once of one person
// create one account, and of two subjects linked to one account at one
// issuer one wins. Authors of a UserStore run it from their own tests:
//
//	func TestUserStoreConformance(t *testing.T) {
//		userstoretest.Run(t, func(t *testing.T) rp.UserStore {
//			return newEmptyUserStore(t)
//		})
//	}
//
// It uses only rp, the standard testing package and the standard library,
// and never sleeps. Run it with -race.
package userstoretest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/oidcrp/rp"
)

// Options tune RunWith. Zero fields have the documented defaults.
type Options struct {
	// Seed stores u as an existing account that is linked to no subject
	// (one the application created itself, such as a password user or an
	// administrator) and returns it as stored, its ID set. rp.UserStore
	// has no method for that, so the store's own is needed, such as
	// rp.MemoryUserStore.Add. It may call t.Fatal.
	//
	// Default: CreateUser of u, linked to a subject of its own at an
	// issuer the other tests never use. It then needs a CreateUser that
	// stores every field as given, Admin included; the suite fails when
	// it does not.
	Seed func(t *testing.T, s rp.UserStore, u rp.User) rp.User
}

// Run runs the conformance tests as subtests of t, with the default
// Options. newStore is called once per subtest and must return an empty
// store of its own, cleaned up with t.Cleanup if need be; it may call
// t.Skip or t.Fatal.
func Run(t *testing.T, newStore func(t *testing.T) rp.UserStore) {
	t.Helper()
	RunWith(t, newStore, Options{})
}

// RunWith is Run with opts.
func RunWith(t *testing.T, newStore func(t *testing.T) rp.UserStore, opts Options) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"CreateAndFind", testCreateAndFind},
		{"NotFound", testNotFound},
		{"SubjectPerIssuer", testSubjectPerIssuer},
		{"IdentifierComparison", testIdentifierComparison},
		{"UnusableIdentifiers", testUnusableIdentifiers},
		{"SubjectOf", testSubjectOf},
		{"LinkSubject", testLinkSubject},
		{"CreateUserConflicts", testCreateUserConflicts},
		{"UpdateUser", testUpdateUser},
		{"Copies", testCopies},
		{"ConcurrentFirstLogins", testConcurrentFirstLogins},
		{"ConcurrentCreates", testConcurrentCreates},
		{"ConcurrentLinks", testConcurrentLinks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, store: newStore(t), seedFn: opts.Seed}
			tc.fn(t, e)
		})
	}
}

// Issuers the tests link subjects at. seedIssuer is only the default
// Seed's.
const (
	issA       = "https://a.example.com"
	issB       = "https://b.example.com"
	seedIssuer = "https://seed.userstoretest.invalid"
)

// env is what one subtest works with.
type env struct {
	t      *testing.T
	store  rp.UserStore
	seedFn func(t *testing.T, s rp.UserStore, u rp.User) rp.User
	seeded int
}

func (e *env) ctx() context.Context { return e.t.Context() }

// seed stores u as an existing account and returns it with its ID.
func (e *env) seed(u rp.User) rp.User {
	e.t.Helper()
	u.ID = ""
	var got rp.User
	if e.seedFn != nil {
		got = e.seedFn(e.t, e.store, u)
	} else {
		e.seeded++
		c, err := e.store.CreateUser(e.ctx(), &u, seedIssuer, fmt.Sprint("seed-", e.seeded))
		if err != nil {
			e.t.Fatalf("seeding %q with CreateUser: %v (set Options.Seed if the store adds accounts another way)", u.Username, err)
		}
		got = *c
	}
	if got.ID == "" {
		e.t.Fatalf("seeding %q: the stored user has no ID", u.Username)
	}
	want := u
	want.ID = got.ID
	sameUser(e.t, "the seeded user", &got, &want)
	return got
}

// create runs CreateUser and fails the test on an error.
func (e *env) create(u rp.User, issuer, subject string) *rp.User {
	e.t.Helper()
	got, err := e.store.CreateUser(e.ctx(), &u, issuer, subject)
	if err != nil {
		e.t.Fatalf("CreateUser(%q at %s as %q) = %v; want success", u.Username, issuer, subject, err)
	}
	if got == nil || got.ID == "" {
		e.t.Fatalf("CreateUser(%q) returned %+v; want the user with its ID", u.Username, got)
	}
	return got
}

// link runs LinkSubject and fails the test on an error.
func (e *env) link(userID, issuer, subject string) {
	e.t.Helper()
	if err := e.store.LinkSubject(e.ctx(), userID, issuer, subject); err != nil {
		e.t.Fatalf("LinkSubject(%s, %s, %q) = %v; want success", userID, issuer, subject, err)
	}
}

// bySubject returns the user linked to subject at issuer, failing the test
// unless it is the user with wantID.
func (e *env) bySubject(issuer, subject, wantID string) *rp.User {
	e.t.Helper()
	u, err := e.store.UserBySubject(e.ctx(), issuer, subject)
	if err != nil || u == nil || u.ID != wantID {
		e.t.Fatalf("UserBySubject(%s, %q) = %+v, %v; want user %s", issuer, subject, u, err, wantID)
	}
	return u
}

// byUsername returns the user found by username, failing the test unless
// it is the user with wantID.
func (e *env) byUsername(username, wantID string) *rp.User {
	e.t.Helper()
	u, err := e.store.UserByUsername(e.ctx(), username)
	if err != nil || u == nil || u.ID != wantID {
		e.t.Fatalf("UserByUsername(%q) = %+v, %v; want user %s", username, u, err, wantID)
	}
	return u
}

// byEmail is byUsername for UserByEmail.
func (e *env) byEmail(email, wantID string) *rp.User {
	e.t.Helper()
	u, err := e.store.UserByEmail(e.ctx(), email)
	if err != nil || u == nil || u.ID != wantID {
		e.t.Fatalf("UserByEmail(%q) = %+v, %v; want user %s", email, u, err, wantID)
	}
	return u
}

// subjectOf returns SubjectOf(userID, issuer), failing the test on an
// error.
func (e *env) subjectOf(userID, issuer string) string {
	e.t.Helper()
	sub, err := e.store.SubjectOf(e.ctx(), userID, issuer)
	if err != nil {
		e.t.Fatalf("SubjectOf(%s, %s) = %v", userID, issuer, err)
	}
	return sub
}

// notFound fails the test unless a lookup found nothing with
// rp.ErrUserNotFound.
func notFound(t *testing.T, what string, u *rp.User, err error) {
	t.Helper()
	if !errors.Is(err, rp.ErrUserNotFound) || u != nil {
		t.Errorf("%s = %+v, %v; want nil, rp.ErrUserNotFound", what, u, err)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s = %v; want an error matching %q", what, err, target)
	}
}

// uniform returns u with empty Groups and Attributes as nil, which a store
// may represent either way.
func uniform(u *rp.User) rp.User {
	c := *u
	c.Groups = slices.Clone(u.Groups)
	c.Attributes = maps.Clone(u.Attributes)
	if len(c.Groups) == 0 {
		c.Groups = nil
	}
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	}
	return c
}

// sameUser fails the test unless got and want are equal.
func sameUser(t *testing.T, what string, got, want *rp.User) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil user; want %+v", what, *want)
	}
	if g, w := uniform(got), uniform(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// full returns a user with every field set, named name.
func full(name string) rp.User {
	return rp.User{
		Username:    name,
		Email:       name + "@example.com",
		Name:        "Ann Ünal " + name,
		GivenName:   "Ann",
		FamilyName:  "Ünal",
		PhoneNumber: "+1 555 0100",
		Groups:      []string{"staff", "admins", "Ω-team"},
		Attributes:  map[string]string{"department": "R&D", "employee_id": "E-001 ✓"},
	}
}
