package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

// bob is alice's colleague at the same provider.
var bob = rptest.User{Subject: "bob-sub", Claims: map[string]any{"preferred_username": "bob", "email": "bob@example.com", "email_verified": true}}

// withSID makes the provider's ID tokens carry sid.
func (a *webApp) withSID(provider, sid string) {
	a.ops[provider].SetFaults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"sid": sid}})
}

// TestSessionIndexKeys: a sign-in files its session under its provider
// session (sid), its subject at the provider and its local user, in keys
// of the Site's namespace (its session cookie name), short and printable;
// the session keeps sid and sub in its hot part.
func TestSessionIndexKeys(t *testing.T) {
	store := newIndexStore()
	a := newWebApp(t, oneProvider, func(c *Config) { c.SessionStore = store })
	a.withSID("mock", "op-sid-1")
	a.login("mock", "", "/me")
	_, d := a.sessionOf(a.requestWithCookies().Cookies())
	if d.SID != "op-sid-1" || d.Subject != "alice-sub" || d.User == nil || d.User.ID == "" {
		t.Fatalf("session sid %q sub %q user %+v; want op-sid-1, alice-sub and the local user", d.SID, d.Subject, d.User)
	}
	want := []string{a.web.belongsKey(kindSID, "mock", "op-sid-1"), a.web.belongsKey(kindSub, "mock", "alice-sub"), a.web.belongsKey(kindUser, "", d.User.ID)}
	if len(store.keys) != 1 || strings.Join(store.keys[0], " ") != strings.Join(want, " ") {
		t.Fatalf("index keys %q; want %q", store.keys, want)
	}
	for _, k := range want {
		if !strings.HasPrefix(k, a.web.sessions.CookieName()+"/") || !printableASCII(endedPrefix+k, maxSharedKey) || strings.Contains(k, "op-sid-1") {
			t.Errorf("key %q: want the cookie name's namespace, printable, at most 200 bytes with the record prefix, and no sid in the clear", k)
		}
	}
	other := a.otherInstance(func(c *Config) { c.SessionCookieName = "produce" })
	if k := other.belongsKey(kindSID, "mock", "op-sid-1"); k == want[0] {
		t.Errorf("two Sites with different cookie names share the key %q", k)
	}
	if a.web.belongsKey(kindSID, "mock", "x") == a.web.belongsKey(kindSub, "mock", "x") ||
		a.web.belongsKey(kindSID, "mock", "x\x00") == a.web.belongsKey(kindSID, "mock\x00x", "") {
		t.Error("keys of different kinds or fields collide")
	}
}

// sharedModes are the two ways instances share sessions: a common
// SessionStore, or cookie sessions with a common SharedStore.
var sharedModes = []struct {
	name string
	set  func(c *Config, store session.Store, shared SharedStore)
}{
	{"store", func(c *Config, store session.Store, _ SharedStore) { c.SessionStore = store }},
	{"cookie", func(c *Config, _ session.Store, shared SharedStore) { c.Shared = shared }},
}

// TestEndSessionsOf: an administrator ending a user's sessions on one
// instance ends every session of that user on every instance, and no
// other user's; the user can sign in again afterwards.
func TestEndSessionsOf(t *testing.T) {
	for _, mode := range sharedModes {
		t.Run(mode.name, func(t *testing.T) {
			store := session.NewMemoryStore()
			var shared SharedStore
			var logs testlog.Buffer
			a := newWebApp(t, map[string][]rptest.User{"mock": {alice, bob}}, func(c *Config) {
				shared = newMemShared(c.Now)
				mode.set(c, store, shared)
			})
			b := a.otherInstance(func(c *Config) { c.Logger = logs.Logger() })
			a.login("mock", "alice", "/me")
			alice1 := a.newBrowser()
			a.login("mock", "alice", "/me")
			alice2 := a.newBrowser()
			a.login("mock", "bob", "/me")
			bobs := a.newBrowser()
			_, d := a.sessionOf(alice1)

			if err := b.EndSessionsOf(context.Background(), d.User.ID); err != nil {
				t.Fatalf("EndSessionsOf: %v", err)
			}
			for _, site := range []*Site{a.web, b} {
				for i, c := range [][]*http.Cookie{alice1, alice2} {
					status, resp := statusOn(site, c)
					if status != http.StatusUnauthorized {
						t.Errorf("alice's session %d after EndSessionsOf: %d; want 401", i+1, status)
					}
					if ck := setCookie(resp, a.web.sessions.CookieName()); mode.name == "cookie" && (ck == nil || ck.MaxAge >= 0) {
						t.Errorf("alice's ended session %d: its cookie was not deleted: %v", i+1, resp.Header.Values("Set-Cookie"))
					}
				}
				if status, _ := statusOn(site, bobs); status != http.StatusOK {
					t.Errorf("bob's session after alice's were ended: %d; want 200", status)
				}
			}
			line := logs.Only(t, evSessionsEnded)
			if line["user_id"] != d.User.ID || (mode.name == "store" && line["sessions"] != float64(2)) {
				t.Errorf("log line %v; want the user and, with a store, 2 sessions", line)
			}
			// Only sessions created until then end: alice signs in again.
			a.clock.Advance(time.Second)
			if status, _, _ := a.login("mock", "alice", "/me"); status != http.StatusOK {
				t.Fatalf("sign-in after EndSessionsOf: %d", status)
			}
			if status, _ := statusOn(b, a.requestWithCookies().Cookies()); status != http.StatusOK {
				t.Fatalf("the new session on the other instance: %d; want 200", status)
			}
			if err := b.EndSessionsOf(context.Background(), ""); !errors.Is(err, errNoUserID) {
				t.Errorf("EndSessionsOf(\"\") = %v; want an error", err)
			}
		})
	}
}

// TestEndSessionsOfDefaultSharedIsPerProcess: with cookie sessions and the
// default SharedStore, an ending counts on the instance that made it only,
// as Config documents.
func TestEndSessionsOfDefaultSharedIsPerProcess(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	b := a.otherInstance(nil)
	a.login("mock", "", "/me")
	cookies := a.requestWithCookies().Cookies()
	_, d := a.sessionOf(cookies)
	if err := a.web.EndSessionsOf(context.Background(), d.User.ID); err != nil {
		t.Fatal(err)
	}
	if status, _ := statusOn(a.web, cookies); status != http.StatusUnauthorized {
		t.Errorf("on the instance that ended the session: %d; want 401", status)
	}
	if status, _ := statusOn(b, cookies); status != http.StatusOK {
		t.Errorf("on another instance without a common SharedStore: %d; want 200 (per process only)", status)
	}
}

// TestLogoutEndsCookieSessionOnEveryInstance: with a common SharedStore, a
// copy of the cookie of a session signed out on one instance is not
// signed in on another.
func TestLogoutEndsCookieSessionOnEveryInstance(t *testing.T) {
	var shared SharedStore
	a := newWebApp(t, oneProvider, func(c *Config) { shared = newMemShared(c.Now); c.Shared = shared })
	b := a.otherInstance(nil)
	a.login("mock", "", "/me")
	old := a.requestWithCookies().Cookies()
	if status, _ := statusOn(b, old); status != http.StatusOK {
		t.Fatalf("the other instance before logout: %d; want 200", status)
	}
	if resp := a.logout(); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if status, _ := statusOn(b, old); status != http.StatusUnauthorized {
		t.Fatalf("a copy of the signed-out cookie on the other instance: %d; want 401", status)
	}
}

// TestSharedStoreFailureFailsClosed: in cookie mode, a signed-in request
// whose revocation records cannot be read is not signed in (logged once
// at Error), and is again once the store is back; ending sessions while
// the store fails reports an error, never success.
func TestSharedStoreFailureFailsClosed(t *testing.T) {
	var shared *faultyShared
	var logs testlog.Buffer
	a := newWebApp(t, oneProvider, func(c *Config) {
		shared = newFaultyShared(c.Now)
		c.Shared = shared
		c.Logger = logs.Logger()
	})
	a.login("mock", "", "/me")
	cookies := a.requestWithCookies().Cookies()
	_, d := a.sessionOf(cookies)

	shared.fail(errDown, nil, nil)
	status, resp := statusOn(a.web, cookies)
	if status != http.StatusUnauthorized || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("signed-in request with the shared store down: %d, Set-Cookie %q; want 401 and the cookie kept", status, resp.Header.Values("Set-Cookie"))
	}
	line := logs.Only(t, "rp: shared store failed; request treated as not signed in")
	if line["level"] != "ERROR" || line["error_kind"] != "shared_store" || line["provider"] != "mock" {
		t.Fatalf("log line %v; want ERROR with error_kind shared_store", line)
	}
	shared.fail(nil, nil, nil)
	if status, _ := statusOn(a.web, cookies); status != http.StatusOK {
		t.Fatalf("once the store is back: %d; want 200", status)
	}

	shared.fail(nil, errDown, nil)
	err := a.web.EndSessionsOf(context.Background(), d.User.ID)
	if !errors.Is(err, ErrSessionsNotEnded) || !errors.Is(err, ErrSharedStore) || !errors.Is(err, errDown) {
		t.Fatalf("EndSessionsOf with the store down = %v; want ErrSessionsNotEnded wrapping ErrSharedStore and the store's error", err)
	}
	if line := logs.Only(t, evSessionsNotEnded); line["level"] != "ERROR" || line["error_kind"] != "sessions_not_ended" {
		t.Fatalf("log line %v; want ERROR with error_kind sessions_not_ended", line)
	}
	var handled error
	a.web.cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, status int, err error) {
		handled = err
		w.WriteHeader(status)
	}
	if resp := a.logout(); resp.StatusCode != http.StatusServiceUnavailable || !errors.Is(handled, ErrLogoutIncomplete) || !errors.Is(handled, ErrSharedStore) {
		t.Fatalf("logout with the store down: %d, %v; want 503 with ErrLogoutIncomplete wrapping ErrSharedStore", resp.StatusCode, handled)
	}
}

// TestStoreEndingFailureFallsBack: when the SessionStore cannot delete a
// user's sessions, EndSessionsOf reports it, and this instance refuses
// those sessions anyway.
func TestStoreEndingFailureFallsBack(t *testing.T) {
	store := newIndexStore()
	a := newWebApp(t, oneProvider, func(c *Config) { c.SessionStore = store })
	a.login("mock", "", "/me")
	cookies := a.requestWithCookies().Cookies()
	_, d := a.sessionOf(cookies)
	store.deleteErr = errDown
	err := a.web.EndSessionsOf(context.Background(), d.User.ID)
	if !errors.Is(err, ErrSessionsNotEnded) || !errors.Is(err, session.ErrStore) || !errors.Is(err, errDown) {
		t.Fatalf("EndSessionsOf with a failing store = %v; want ErrSessionsNotEnded wrapping session.ErrStore", err)
	}
	if store.Len() != 1 {
		t.Fatalf("store holds %d sessions; want the one it failed to delete", store.Len())
	}
	if status, _ := statusOn(a.web, cookies); status != http.StatusUnauthorized {
		t.Fatalf("the session the store failed to delete: %d; want 401 on this instance", status)
	}
}

// TestPasswordSessionIndexedByUser: a SignIn session belongs to its user
// only, and EndSessionsOf ends it.
func TestPasswordSessionIndexedByUser(t *testing.T) {
	store := newIndexStore()
	a := newWebApp(t, oneProvider, func(c *Config) { c.SessionStore = store })
	rec := record(func(w http.ResponseWriter, r *http.Request) {
		if err := a.web.SignIn(w, r, &rp.User{ID: "local-1", Username: "admin"}); err != nil {
			t.Fatal(err)
		}
	})
	if len(store.keys) != 1 || len(store.keys[0]) != 1 || store.keys[0][0] != a.web.belongsKey(kindUser, "", "local-1") {
		t.Fatalf("index keys %q; want the user's only", store.keys)
	}
	if err := a.web.EndSessionsOf(context.Background(), "local-1"); err != nil {
		t.Fatal(err)
	}
	if status, _ := statusOn(a.web, rec.Result().Cookies()); status != http.StatusUnauthorized {
		t.Fatalf("password session after EndSessionsOf: %d; want 401", status)
	}
}
