package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

// newGatedWebApp is a webApp whose token endpoint requests pass through a
// gate, armed after sign-in.
func newGatedWebApp(t *testing.T, store session.Store) (*webApp, *gate) {
	t.Helper()
	g := newGate(t, rptest.PathToken)
	a := newWebAppRP(t, oneProvider, func(c *rp.Config) { c.HTTPClient = &http.Client{Transport: g} }, func(c *Config) {
		c.IdleTimeout = 4 * time.Hour
		c.SessionStore = store
	})
	a.login("mock", "", "/me")
	g.armed.Store(true)
	return a, g
}

// getMe sends GET /me with the cookies of req, as a script would, and
// returns the response on the channel.
func (a *webApp) getMeAsync(cookies []*http.Cookie) <-chan *http.Response {
	done := make(chan *http.Response, 1)
	go func() {
		r, _ := http.NewRequest("GET", a.srv.URL+"/me", nil)
		r.Header.Set("Accept", "application/json")
		for _, c := range cookies {
			r.AddCookie(c)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			a.t.Error(err)
			done <- nil
			return
		}
		resp.Body.Close()
		done <- resp
	}()
	return done
}

// TestWebCancelledRefreshWaitKeepsSession: a request waiting for another
// request's refresh that is cancelled neither ends the session nor
// deletes its cookie; it is signed in while the access token is valid.
func TestWebCancelledRefreshWaitKeepsSession(t *testing.T) {
	for _, tc := range []struct {
		name    string
		store   bool
		advance time.Duration
		want    int
	}{
		{"cookie, token still valid", false, rptest.DefaultTokenTTL - 30*time.Second, http.StatusOK},
		{"cookie, token expired", false, rptest.DefaultTokenTTL, http.StatusUnauthorized},
		{"store, token still valid", true, rptest.DefaultTokenTTL - 30*time.Second, http.StatusOK},
		{"store, token expired", true, rptest.DefaultTokenTTL, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var store *session.MemoryStore
			var ss session.Store
			if tc.store {
				store = session.NewMemoryStore()
				ss = store
			}
			a, g := newGatedWebApp(t, ss)
			a.clock.Advance(tc.advance) // the refresh is due
			cookies := a.requestWithCookies().Cookies()
			leader := a.getMeAsync(cookies)
			<-g.arrived // the leader is refreshing

			ctx, cancel := context.WithCancel(context.Background())
			cancel() // the browser aborted the fetch
			req := httptest.NewRequestWithContext(ctx, "GET", a.srv.URL+"/me", nil)
			req.Header.Set("Accept", "application/json")
			for _, c := range cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			a.srv.Config.Handler.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("cancelled waiter: %d; want %d", rec.Code, tc.want)
			}
			if h := rec.Header().Values("Set-Cookie"); len(h) != 0 {
				t.Errorf("cancelled waiter wrote cookies %q; want none", h)
			}
			if tc.store && store.Len() != 1 {
				t.Errorf("store holds %d sessions after the cancelled wait; want 1", store.Len())
			}

			g.open()
			if resp := <-leader; resp == nil || resp.StatusCode != http.StatusOK {
				t.Fatal("the refreshing request failed")
			}
			if _, ok := a.web.sessions.Load(a.requestWithCookies()); !ok {
				t.Fatal("the session did not survive a cancelled wait")
			}
		})
	}
}

// TestWebTransientRefreshFailureKeepsSession: a token endpoint that
// cannot be reached says nothing about the session.
func TestWebTransientRefreshFailureKeepsSession(t *testing.T) {
	a := newWebApp(t, oneProvider, func(c *Config) { c.IdleTimeout = 4 * time.Hour })
	a.login("mock", "", "/me")
	a.clock.Advance(rptest.DefaultTokenTTL - 30*time.Second)
	a.ops["mock"].SetFaults(rptest.Faults{TokenStatus: http.StatusServiceUnavailable})
	resp := a.raw("GET", "/me", http.Header{"Accept": {"application/json"}})
	if resp.StatusCode != http.StatusOK || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("refresh answered 503: %d, Set-Cookie %q; want 200 on the still-valid token, cookies untouched", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	a.ops["mock"].SetFaults(rptest.Faults{})
	before := a.ops["mock"].Requests(rptest.EndpointToken)
	if status, _, _ := a.get("/me"); status != http.StatusOK {
		t.Fatalf("after the provider is back: %d", status)
	}
	if n := a.ops["mock"].Requests(rptest.EndpointToken) - before; n != 1 {
		t.Fatalf("token endpoint called %d times after a transient failure; want a new attempt", n)
	}
}

// TestWebLogoutWinsOverRunningRefresh: a refresh that was running when the
// user signed out does not sign the user back in.
func TestWebLogoutWinsOverRunningRefresh(t *testing.T) {
	for _, withStore := range []bool{false, true} {
		name := "cookie"
		var ss session.Store
		if withStore {
			name, ss = "store", session.NewMemoryStore()
		}
		t.Run(name, func(t *testing.T) {
			a, g := newGatedWebApp(t, ss)
			a.clock.Advance(rptest.DefaultTokenTTL)
			old := a.requestWithCookies().Cookies()
			refreshing := a.getMeAsync(old)
			<-g.arrived

			if resp := a.logout(); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d", resp.StatusCode)
			}
			g.open()
			resp := <-refreshing
			if resp == nil {
				t.FailNow()
			}
			if c := setCookie(resp, a.web.sessions.CookieName()); c != nil && c.MaxAge >= 0 {
				t.Errorf("the refreshing response set the session cookie (Max-Age %d) after the logout", c.MaxAge)
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("the refreshing response: %d; want 401 since the session ended", resp.StatusCode)
			}
			again := <-a.getMeAsync(old)
			if again == nil || again.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the old cookie after logout is still signed in; want 401")
			}
		})
	}
}
