package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

// tripwire is a transport that, once armed, fails the test on any use.
type tripwire struct {
	t     testing.TB
	armed atomic.Bool
}

func (w *tripwire) RoundTrip(req *http.Request) (*http.Response, error) {
	if w.armed.Load() {
		w.t.Errorf("a signed-in request used the network: %s %s", req.Method, req.URL.Redacted())
		return nil, http.ErrHandlerTimeout
	}
	return http.DefaultTransport.RoundTrip(req)
}

// readOnlyStore is a session store that, once armed, fails the test on
// any write.
type readOnlyStore struct {
	*session.MemoryStore
	t     testing.TB
	armed atomic.Bool
}

func (s *readOnlyStore) Set(ctx context.Context, id string, data []byte, expiry time.Time) error {
	if s.armed.Load() {
		s.t.Errorf("a signed-in request wrote the session store")
	}
	return s.MemoryStore.Set(ctx, id, data, expiry)
}

func (s *readOnlyStore) Delete(ctx context.Context, id string) error {
	if s.armed.Load() {
		s.t.Errorf("a signed-in request deleted from the session store")
	}
	return s.MemoryStore.Delete(ctx, id)
}

// sharedTripwire is a SharedStore that, once armed, fails the test on
// any write, and on any use at all when untouchable.
type sharedTripwire struct {
	SharedStore
	t           testing.TB
	armed       atomic.Bool
	untouchable bool
}

func (s *sharedTripwire) check(op string) {
	if s.armed.Load() && (s.untouchable || op != "Get") {
		s.t.Errorf("a signed-in request called the shared store's %s", op)
	}
}

func (s *sharedTripwire) Get(ctx context.Context, keys ...string) ([][]byte, error) {
	s.check("Get")
	return s.SharedStore.Get(ctx, keys...)
}

func (s *sharedTripwire) Add(ctx context.Context, key string, value []byte, expiry time.Time) (bool, error) {
	s.check("Add")
	return s.SharedStore.Add(ctx, key, value, expiry)
}

func (s *sharedTripwire) Put(ctx context.Context, key string, value []byte, expiry time.Time) error {
	s.check("Put")
	return s.SharedStore.Put(ctx, key, value, expiry)
}

func (s *sharedTripwire) Remove(ctx context.Context, key string, value []byte) error {
	s.check("Remove")
	return s.SharedStore.Remove(ctx, key, value)
}

// TestSignedInRequestIsReadOnly: once signed in, requests through Require
// (no refresh due, idle timeout far) neither reach the provider nor write
// the session store nor the shared store nor set a cookie, whatever the
// handler reads. With the default SharedStore, and no session ever ended,
// they do not even read it (so take no lock): in cookie mode, in store
// mode, and in store mode with an application's SharedStore. Cookie mode
// with an application's SharedStore reads the revocation records, once.
func TestSignedInRequestIsReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name             string
		withStore, given bool
	}{{"cookie", false, false}, {"store", true, false}, {"store and shared", true, true}, {"cookie and shared", false, true}} {
		wire := &tripwire{t: t}
		store := &readOnlyStore{MemoryStore: session.NewMemoryStore(), t: t}
		var shared *faultyShared
		a := newWebAppRP(t, map[string][]rptest.User{"mock": {entraUser(300, randomGUIDs)}},
			func(c *rp.Config) { c.HTTPClient = &http.Client{Transport: wire} },
			func(c *Config) {
				if tc.withStore {
					c.SessionStore = store
				}
				if tc.given {
					shared = newFaultyShared(c.Now)
					c.Shared = shared
				}
			})
		if status, _, _ := a.login("mock", "", "/me"); status != 200 {
			t.Fatalf("sign-in: %d", status)
		}
		req := a.requestWithCookies()
		trip := &sharedTripwire{SharedStore: a.web.shared, t: t, untouchable: !tc.given || tc.withStore}
		a.web.shared = trip
		wire.armed.Store(true)
		store.armed.Store(true)
		trip.armed.Store(true)
		var gets int
		if shared != nil {
			gets, _, _, _ = shared.counts()
		}
		var seen atomic.Int32
		h := a.web.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if UserFrom(r.Context()) == nil || ClaimsFrom(r.Context()).Subject == "" || len(ClaimsFrom(r.Context()).Groups) != 300 {
				t.Errorf("session without its user or claims")
			}
			seen.Add(1)
		}))
		for range 50 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || len(rec.Result().Cookies()) != 0 {
				t.Fatalf("%s: %d, cookies %v", tc.name, rec.Code, rec.Result().Cookies())
			}
		}
		if seen.Load() != 50 {
			t.Fatalf("%s: %d requests reached the handler; want 50", tc.name, seen.Load())
		}
		if shared != nil {
			want := 0
			if !tc.withStore {
				want = 50 // one Get a request
			}
			if after, _, _, _ := shared.counts(); after-gets != want {
				t.Fatalf("%s: %d reads of the shared store for 50 requests; want %d", tc.name, after-gets, want)
			}
		}
	}
}
