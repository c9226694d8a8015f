package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

func TestWebRefreshOnceUnderConcurrency(t *testing.T) {
	a := newWebApp(t, oneProvider, func(c *Config) { c.IdleTimeout = 4 * time.Hour; c.AbsoluteTimeout = 8 * time.Hour })
	a.login("mock", "", "/me")
	op := a.ops["mock"]
	before := op.Requests(rptest.EndpointToken)
	a.clock.Advance(rptest.DefaultTokenTTL) // the access token is now due
	req := a.requestWithCookies()
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() {
			r, _ := http.NewRequest("GET", a.srv.URL+"/me", nil)
			for _, c := range req.Cookies() {
				r.AddCookie(c)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("request %d: %d", i, s)
		}
	}
	if n := op.Requests(rptest.EndpointToken) - before; n != 1 {
		t.Fatalf("token endpoint called %d times for 20 concurrent requests; want 1", n)
	}
}

func TestWebRefreshUpdatesSession(t *testing.T) {
	a := newWebApp(t, oneProvider, func(c *Config) { c.IdleTimeout = 4 * time.Hour })
	a.login("mock", "", "/me")
	first, _ := a.web.sessions.Load(a.requestWithCookies())
	a.clock.Advance(rptest.DefaultTokenTTL)
	if status, _, _ := a.get("/me"); status != 200 {
		t.Fatalf("/me after expiry: %d", status)
	}
	second, _ := a.web.sessions.Load(a.requestWithCookies())
	if first == nil || second == nil || string(first.Data) == string(second.Data) {
		t.Fatal("the browser's session was not updated with the refreshed tokens")
	}
	// No second refresh while the new token is fresh.
	before := a.ops["mock"].Requests(rptest.EndpointToken)
	a.get("/me")
	if n := a.ops["mock"].Requests(rptest.EndpointToken); n != before {
		t.Fatal("refreshed again although the new access token is fresh")
	}
}

func TestWebFailedRefreshEndsSession(t *testing.T) {
	a := newWebApp(t, oneProvider, func(c *Config) { c.IdleTimeout = 4 * time.Hour })
	a.login("mock", "", "/me")
	a.clock.Advance(rptest.DefaultTokenTTL)
	a.ops["mock"].SetFaults(rptest.Faults{TokenStatus: http.StatusBadRequest})
	resp := a.raw("GET", "/me", http.Header{"Accept": {"text/html"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/mock") {
		t.Fatalf("failed refresh: %d %q; want a new sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}
	a.ops["mock"].SetFaults(rptest.Faults{})
	if s, ok := a.web.sessions.Load(a.requestWithCookies()); ok {
		t.Fatalf("session %s survived a failed refresh", s.ID)
	}
}

func manyGroups(n int) []any {
	groups := make([]any, n)
	for i := range groups {
		groups[i] = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i*7919, i%65536, i%4096, (i*31)%4096, i*104729)
	}
	return groups
}

func TestWebChunkedSessionWith300Groups(t *testing.T) {
	user := rptest.User{Subject: "entra-user", Claims: map[string]any{"preferred_username": "grouped", "groups": manyGroups(300)}}
	a := newWebApp(t, map[string][]rptest.User{"entra": {user}}, nil)
	status, _, body := a.login("entra", "", "/me")
	if status != 200 || body != "user=grouped provider=entra sub=entra-user groups=300" {
		t.Fatalf("300 groups: %d %q", status, body)
	}
	cookies := a.requestWithCookies().Cookies()
	if len(cookies) < 2 {
		t.Fatalf("%d cookies; want the session chunked over several", len(cookies))
	}
}

func TestWebSessionTooLargeFailsCleanly(t *testing.T) {
	user := rptest.User{Subject: "huge", Claims: map[string]any{"preferred_username": "huge", "groups": manyGroups(3000)}}
	a := newWebApp(t, map[string][]rptest.User{"entra": {user}}, nil)
	status, _, body := a.login("entra", "", "/me")
	if status != http.StatusInternalServerError || !strings.Contains(body, "server-side session store") {
		t.Fatalf("huge session: %d %q", status, body)
	}
	if r := a.raw("GET", "/me", http.Header{"Accept": {"application/json"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a failed oversized sign-in left a session: %d", r.StatusCode)
	}
	// A server-side store takes it.
	b := newWebApp(t, map[string][]rptest.User{"entra": {user}}, func(c *Config) { c.SessionStore = session.NewMemoryStore() })
	if status, _, body := b.login("entra", "", "/me"); status != 200 || !strings.Contains(body, "groups=3000") {
		t.Fatalf("huge session with a store: %d %q", status, body)
	}
}
