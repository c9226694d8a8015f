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

// TestSignedInRequestIsReadOnly: once signed in, requests through Require
// (no refresh due, idle timeout far) neither reach the provider nor write
// the session store nor set a cookie, whatever the handler reads.
func TestSignedInRequestIsReadOnly(t *testing.T) {
	for _, withStore := range []bool{false, true} {
		wire := &tripwire{t: t}
		store := &readOnlyStore{MemoryStore: session.NewMemoryStore(), t: t}
		a := newWebAppRP(t, map[string][]rptest.User{"mock": {entraUser(300, randomGUIDs)}},
			func(c *rp.Config) { c.HTTPClient = &http.Client{Transport: wire} },
			func(c *Config) {
				if withStore {
					c.SessionStore = store
				}
			})
		if status, _, _ := a.login("mock", "", "/me"); status != 200 {
			t.Fatalf("sign-in: %d", status)
		}
		req := a.requestWithCookies()
		wire.armed.Store(true)
		store.armed.Store(true)
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
				t.Fatalf("store %v: %d, cookies %v", withStore, rec.Code, rec.Result().Cookies())
			}
		}
		if seen.Load() != 50 {
			t.Fatalf("store %v: %d requests reached the handler; want 50", withStore, seen.Load())
		}
	}
}
