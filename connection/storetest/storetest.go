// Package storetest checks that an implementation of connection.Store does
// what the connection.Store documentation says: immutable versions with
// optimistic concurrency, retention of superseded versions, write-only
// client secrets, unique email domains, deletion, the change revision,
// copies that callers may change, and (when the store is a
// connection.Watcher) change notifications. Authors of a Store run it from
// their own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, now func() time.Time) connection.Store {
//			return newEmptyStore(t, now)
//		})
//	}
//
// It uses only the standard testing package and never sleeps: the store
// must take the time from now, which the suite advances to test
// retention. Run it with -race.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// Run runs the conformance tests as subtests of t. newStore is called
// once per subtest and must return an empty store of its own, cleaned up
// with t.Cleanup if need be, that takes the time from now (the suite
// advances that clock to test retention); it may call t.Skip or t.Fatal.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) connection.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"CreateGetList", testCreateGetList},
		{"AllFieldsStored", testAllFieldsStored},
		{"Unknown", testUnknown},
		{"CreateExisting", testCreateExisting},
		{"StaleVersion", testStaleVersion},
		{"ConcurrentSaves", testConcurrentSaves},
		{"ConcurrentCreates", testConcurrentCreates},
		{"ConcurrentDomains", testConcurrentDomains},
		{"Invalid", testInvalid},
		{"Secret", testSecret},
		{"VersionsImmutable", testVersionsImmutable},
		{"Retention", testRetention},
		{"Delete", testDelete},
		{"DeleteStale", testDeleteStale},
		{"RecreateContinuesVersions", testRecreate},
		{"DomainTaken", testDomainTaken},
		{"Revision", testRevision},
		{"Copies", testCopies},
		{"Watch", testWatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
			e := &env{t: t, clock: clock}
			e.store = newStore(t, clock.now)
			tc.fn(t, e)
		})
	}
}

// fakeClock is the stores' clock, moved only by the suite.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is what one subtest works with.
type env struct {
	t     *testing.T
	store connection.Store
	clock *fakeClock
}

func (e *env) ctx() context.Context { return e.t.Context() }

// put saves s by "admin@example.com" and fails the test on an error.
func (e *env) put(s connection.Settings) connection.Settings {
	e.t.Helper()
	got, err := e.store.Put(e.ctx(), s, "admin@example.com")
	if err != nil {
		e.t.Fatalf("Put(%q from version %d) = %v; want success", s.Name, s.Version, err)
	}
	return got
}

// get returns the latest version of name, failing the test on an error.
func (e *env) get(name string) connection.Settings {
	e.t.Helper()
	got, err := e.store.Get(e.ctx(), name)
	if err != nil {
		e.t.Fatalf("Get(%q) = %v; want success", name, err)
	}
	return got
}

// revision returns the store's revision, failing the test on an error.
func (e *env) revision() int64 {
	e.t.Helper()
	r, err := e.store.Revision(e.ctx())
	if err != nil {
		e.t.Fatalf("Revision() = %v", err)
	}
	return r
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s = %v; want an error matching %q", what, err, target)
	}
}

// minimal returns valid settings with only the required fields.
func minimal(name string) connection.Settings {
	return connection.Settings{
		Name:      name,
		Enabled:   true,
		Authority: "https://login.example.com/" + name,
		ClientID:  "client-" + name,
	}
}

// full returns valid settings with every field set.
func full(name string, domains ...string) connection.Settings {
	s := connection.Settings{
		Name:      name,
		Enabled:   true,
		Title:     "Sign in with " + name + " ✓",
		Authority: "https://login.example.com/" + name,
		// ConfigurationURL and Endpoints exclude each other: withEndpoints
		// sets the endpoints.
		ConfigurationURL:      "https://login.example.com/" + name + "/.well-known/openid-configuration",
		ClientID:              "client-" + name,
		ClientSecret:          connection.ClientSecret{Action: connection.SecretSet, Value: "secret-of-" + rp.Secret(name)},
		Scopes:                []string{"openid", "profile", "email", "groups"},
		ResponseType:          "code id_token",
		DisablePKCE:           true,
		Prompt:                "select_account",
		UsernameClaim:         "preferred_username",
		EmailClaim:            "email",
		GroupsClaim:           "groups",
		GroupMapping:          map[string]string{"g-admins": "admins", "g-staff": "staff"},
		AttributeMappings:     map[string]string{"department": "dept", "employee_id": "extension_EmployeeId"},
		PostLogoutURL:         "https://app.example.com/signed-out",
		CreateUsers:           true,
		SyncProfile:           true,
		SyncGroups:            true,
		AutoLink:              true,
		AllowAdmins:           true,
		AllowPasswordFallback: true,
	}
	for i, d := range domains {
		s.EmailDomains = append(s.EmailDomains, connection.EmailDomain{Domain: d, Verified: i%2 == 0})
	}
	return s
}

// withEndpoints returns s with the endpoints set by hand instead of a
// configuration URL.
func withEndpoints(s connection.Settings) connection.Settings {
	s = s.Clone()
	s.ConfigurationURL = ""
	base := "https://login.example.com/" + s.Name
	s.Endpoints = &connection.Endpoints{
		Issuer:        base,
		Authorization: base + "/authorize",
		Token:         base + "/token",
		JWKS:          base + "/keys",
		UserInfo:      base + "/userinfo",
		EndSession:    base + "/logout",
	}
	return s
}

// uniform returns s with what a store may represent differently made
// uniform: empty slices and maps as nil, and Updated in UTC.
func uniform(s connection.Settings) connection.Settings {
	s = s.Clone()
	if len(s.Scopes) == 0 {
		s.Scopes = nil
	}
	if len(s.GroupMapping) == 0 {
		s.GroupMapping = nil
	}
	if len(s.AttributeMappings) == 0 {
		s.AttributeMappings = nil
	}
	if len(s.EmailDomains) == 0 {
		s.EmailDomains = nil
	}
	s.Updated = s.Updated.UTC()
	return s
}

// sameSettings fails the test unless got and want are equal, Updated
// compared as instants.
func sameSettings(t *testing.T, what string, got, want connection.Settings) {
	t.Helper()
	g, w := uniform(got), uniform(want)
	if !g.Updated.Equal(w.Updated) {
		t.Errorf("%s: Updated = %v; want %v", what, g.Updated, w.Updated)
	}
	g.Updated, w.Updated = time.Time{}, time.Time{}
	if g.ClientSecret.Value != w.ClientSecret.Value {
		// Secrets print as [redacted]; say which differs without them.
		t.Errorf("%s: ClientSecret.Value differs from the one expected (lengths %d, %d)", what, len(g.ClientSecret.Value), len(w.ClientSecret.Value))
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// stored returns s as a store returns it after Put as version v at now
// by admin@example.com: secret applied to prev (the secret before).
func stored(s connection.Settings, v int64, now time.Time, prev rp.Secret) connection.Settings {
	s = s.Clone()
	s.Version = v
	s.Updated = now
	s.UpdatedBy = "admin@example.com"
	switch s.ClientSecret.Action {
	case "", connection.SecretKeep:
		s.ClientSecret.Value = prev
	case connection.SecretRemove:
		s.ClientSecret.Value = ""
	}
	s.ClientSecret.Action = ""
	s.ClientSecret.IsSet = s.ClientSecret.Value != ""
	for i, d := range s.EmailDomains {
		norm, err := connection.NormalizeDomain(d.Domain)
		if err == nil {
			s.EmailDomains[i].Domain = norm
		}
	}
	return s
}

// names returns the names of ss.
func names(ss []connection.Settings) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}
