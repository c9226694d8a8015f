package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

// tokenGate is a transport that, once armed, holds each token endpoint
// request until the test lets it through (release), announcing it on
// arrived, and records the refresh tokens sent. failNext makes the next
// requests let through fail as a broken connection would.
type tokenGate struct {
	arrived chan struct{}
	release chan struct{}
	once    sync.Once

	mu       sync.Mutex
	armed    bool
	failNext int
	sent     []string // refresh tokens, in order
}

func newTokenGate(t *testing.T) *tokenGate {
	g := &tokenGate{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	t.Cleanup(func() { g.once.Do(func() { close(g.release) }) })
	return g
}

func (g *tokenGate) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = true
}

func (g *tokenGate) RoundTrip(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	armed := g.armed && strings.HasSuffix(req.URL.Path, rptest.PathToken)
	g.mu.Unlock()
	if !armed {
		return http.DefaultTransport.RoundTrip(req)
	}
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	g.arrived <- struct{}{}
	<-g.release
	g.mu.Lock()
	if form.Get("grant_type") == "refresh_token" {
		g.sent = append(g.sent, form.Get("refresh_token"))
	}
	fail := g.failNext > 0
	if fail {
		g.failNext--
	}
	g.mu.Unlock()
	if fail {
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(req)
}

// sentTokens returns the refresh tokens sent to the provider so far.
func (g *tokenGate) sentTokens() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.sent...)
}

// claimWatch is a SharedStore that announces each refresh claim an
// instance failed to make, because another instance holds it.
type claimWatch struct {
	SharedStore
	lost chan struct{}
}

func (s *claimWatch) Add(ctx context.Context, key string, value []byte, expiry time.Time) (bool, error) {
	ok, err := s.SharedStore.Add(ctx, key, value, expiry)
	if !ok && err == nil && strings.HasPrefix(key, "rp/refresh/claim/") {
		s.lost <- struct{}{}
	}
	return ok, err
}

// refreshPair is an application on two instances, a and b, that share a
// SharedStore (and, in store mode, a SessionStore), signed in, whose
// token endpoint requests pass through gate.
type refreshPair struct {
	a     *webApp
	b     *Site
	gate  *tokenGate
	watch *claimWatch
	store *session.MemoryStore
}

func newRefreshPair(t *testing.T, storeMode bool, mod func(*Config)) *refreshPair {
	t.Helper()
	p := &refreshPair{gate: newTokenGate(t), store: session.NewMemoryStore()}
	p.a = newWebAppRP(t, oneProvider, func(c *rp.Config) { c.HTTPClient = &http.Client{Transport: p.gate} }, func(c *Config) {
		c.IdleTimeout = 4 * time.Hour
		p.watch = &claimWatch{SharedStore: newMemShared(c.Now), lost: make(chan struct{}, 16)}
		c.Shared = p.watch
		if storeMode {
			c.SessionStore = p.store
		}
		if mod != nil {
			mod(c)
		}
	})
	p.b = p.a.otherInstance(nil)
	if status, _, _ := p.a.login("mock", "", "/me"); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
	p.gate.arm()
	return p
}

// waitFor receives from ch, failing the test if nothing comes for a
// long while: a guard against a hang, not a timing assumption.
func (p *refreshPair) waitFor(ch <-chan struct{}) { recv(p.a.t, ch) }

// recv receives from ch, failing t if nothing comes for a long while: a
// guard against a hang, not a timing assumption.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("nothing happened for 30s")
	}
	panic("unreachable")
}

// meOn serves a script's GET /me with cookies on site, in the background;
// /me answers the session's access token.
func meOn(site *Site, cookies []*http.Cookie) <-chan *httptest.ResponseRecorder {
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		req := httptest.NewRequest("GET", "/me", nil)
		req.Header.Set("Accept", "application/json")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, string(SessionFrom(r.Context()).AccessToken)) // rp.Secret prints redacted
		})).ServeHTTP(rec, req)
		done <- rec
	}()
	return done
}

// TestRefreshOnceAcrossInstances: two instances receiving a request of
// the same session at once, when its access token needs a refresh, make
// one refresh request at the provider, and both requests are signed in
// with the new tokens; the provider, which rotates refresh tokens, never
// sees one twice, also in the next round.
func TestRefreshOnceAcrossInstances(t *testing.T) {
	for _, mode := range []string{"cookie", "store"} {
		t.Run(mode, func(t *testing.T) {
			p := newRefreshPair(t, mode == "store", nil)
			op := p.a.ops["mock"]
			cookies := p.a.requestWithCookies().Cookies()
			_, old := p.a.sessionOf(cookies)
			before := op.Requests(rptest.EndpointToken)
			p.a.clock.Advance(rptest.DefaultTokenTTL) // expired: only a refresh signs in

			onA := meOn(p.a.web, cookies)
			p.waitFor(p.gate.arrived) // a claimed the refresh and asks the provider
			onB := meOn(p.b, cookies)
			p.waitFor(p.watch.lost) // b found the claim taken, and waits
			p.gate.release <- struct{}{}
			ra, rb := recv(t, onA), recv(t, onB)

			newToken := ra.Body.String()
			if ra.Code != http.StatusOK || rb.Code != http.StatusOK || newToken == "" || newToken == old.AccessToken || rb.Body.String() != newToken {
				t.Fatalf("a: %d %q, b: %d %q; want both 200 with one new access token (old %q)", ra.Code, newToken, rb.Code, rb.Body.String(), old.AccessToken)
			}
			if n := op.Requests(rptest.EndpointToken) - before; n != 1 {
				t.Fatalf("the provider got %d token requests; want 1", n)
			}
			if sent := p.gate.sentTokens(); len(sent) != 1 || sent[0] != old.RefreshToken {
				t.Fatalf("refresh tokens sent %q; want the old one once", sent)
			}
			// Both instances keep the new tokens.
			var next []*http.Cookie
			for name, rec := range map[string]*httptest.ResponseRecorder{"a": ra, "b": rb} {
				c := rec.Result().Cookies()
				if mode == "store" {
					c = cookies // the cookie only refers to the session
				}
				if _, d := p.a.sessionOf(c); d.AccessToken != newToken || d.RefreshToken == old.RefreshToken {
					t.Fatalf("%s's session holds access token %q, refresh token %q; want the new one %q and a new refresh token (old %q)",
						name, d.AccessToken, d.RefreshToken, newToken, old.RefreshToken)
				} else if name == "b" {
					next = c
				}
			}
			if mode == "store" && p.store.Len() != 1 {
				t.Errorf("store holds %d sessions; want 1", p.store.Len())
			}
			// A late request with the old cookies reuses the result.
			if r := recv(t, meOn(p.b, cookies)); r.Code != http.StatusOK || r.Body.String() != newToken {
				t.Errorf("a late request with the old cookies: %d %q; want the new token", r.Code, r.Body.String())
			}
			// The next refresh, on the other instance, uses the new refresh
			// token.
			p.a.clock.Advance(rptest.DefaultTokenTTL)
			onA = meOn(p.a.web, next)
			p.waitFor(p.gate.arrived)
			p.gate.release <- struct{}{}
			if r := recv(t, onA); r.Code != http.StatusOK || r.Body.String() == newToken {
				t.Fatalf("the next refresh: %d %q; want 200 with another token", r.Code, r.Body.String())
			}
			if sent := p.gate.sentTokens(); len(sent) != 2 || sent[0] == sent[1] {
				t.Fatalf("refresh tokens sent %q; want two different ones", sent)
			}
		})
	}
}

// TestRefreshClaimGivenUpIsRetried: when the instance that claimed a
// refresh fails to reach the provider, it gives up its claim and the
// waiting instance refreshes itself; the first stays signed in on its
// still valid access token.
func TestRefreshClaimGivenUpIsRetried(t *testing.T) {
	p := newRefreshPair(t, false, nil)
	op := p.a.ops["mock"]
	cookies := p.a.requestWithCookies().Cookies()
	_, old := p.a.sessionOf(cookies)
	before := op.Requests(rptest.EndpointToken)
	p.a.clock.Advance(rptest.DefaultTokenTTL - 30*time.Second) // due, still valid
	p.gate.failNext = 1

	onA := meOn(p.a.web, cookies)
	p.waitFor(p.gate.arrived)
	onB := meOn(p.b, cookies)
	p.waitFor(p.watch.lost)
	p.gate.release <- struct{}{} // a's request fails
	p.waitFor(p.gate.arrived)    // b claimed the refresh after a gave it up
	p.gate.release <- struct{}{}
	ra, rb := recv(t, onA), recv(t, onB)
	if ra.Code != http.StatusOK || ra.Body.String() != old.AccessToken {
		t.Errorf("a, whose refresh failed: %d %q; want 200 on the old token", ra.Code, ra.Body.String())
	}
	if rb.Code != http.StatusOK || rb.Body.String() == old.AccessToken {
		t.Errorf("b, which refreshed after a gave up: %d %q; want 200 with a new token", rb.Code, rb.Body.String())
	}
	if n := op.Requests(rptest.EndpointToken) - before; n != 1 {
		t.Fatalf("the provider got %d token requests; want 1 (a's never arrived)", n)
	}
}

// TestRefreshRefusalAcrossInstances: a refresh the provider refuses ends
// the session on the instance that made it and on the one waiting for it,
// with one request at the provider.
func TestRefreshRefusalAcrossInstances(t *testing.T) {
	p := newRefreshPair(t, false, nil)
	op := p.a.ops["mock"]
	cookies := p.a.requestWithCookies().Cookies()
	before := op.Requests(rptest.EndpointToken)
	p.a.clock.Advance(rptest.DefaultTokenTTL - 30*time.Second)
	op.SetFaults(rptest.Faults{TokenErrorCode: "invalid_grant"})

	onA := meOn(p.a.web, cookies)
	p.waitFor(p.gate.arrived)
	onB := meOn(p.b, cookies)
	p.waitFor(p.watch.lost)
	p.gate.release <- struct{}{}
	for name, rec := range map[string]*httptest.ResponseRecorder{"a": recv(t, onA), "b": recv(t, onB)} {
		if c := setCookie(rec.Result(), p.a.web.sessions.CookieName()); rec.Code != http.StatusUnauthorized || c == nil || c.MaxAge >= 0 {
			t.Errorf("%s after a refused refresh: %d, Set-Cookie %q; want 401 and the cookie deleted", name, rec.Code, rec.Header().Values("Set-Cookie"))
		}
	}
	if n := op.Requests(rptest.EndpointToken) - before; n != 1 {
		t.Fatalf("the provider got %d token requests; want 1", n)
	}
}

// TestRefreshWithSharedStoreDown: when the refresh cannot be claimed, it
// does not happen: the request is signed in on the still valid access
// token, with a line at Error, and is not once the token expired.
func TestRefreshWithSharedStoreDown(t *testing.T) {
	var logs testlog.Buffer
	var shared *faultyShared
	a := newWebApp(t, oneProvider, func(c *Config) {
		c.IdleTimeout = 4 * time.Hour
		shared = newFaultyShared(c.Now)
		c.Shared = shared
		c.SessionStore = session.NewMemoryStore() // no revocation records to read
		c.Logger = logs.Logger()
	})
	a.login("mock", "", "/me")
	op := a.ops["mock"]
	cookies := a.requestWithCookies().Cookies()
	before := op.Requests(rptest.EndpointToken)
	a.clock.Advance(rptest.DefaultTokenTTL - 30*time.Second)
	shared.fail(nil, nil, errDown)
	if r := recv(t, meOn(a.web, cookies)); r.Code != http.StatusOK || len(r.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("with the shared store down: %d, Set-Cookie %q; want 200 on the valid token, the session untouched", r.Code, r.Header().Values("Set-Cookie"))
	}
	line := logs.Only(t, evRefreshFailed)
	if line["level"] != "ERROR" || line["error_kind"] != "shared_store" {
		t.Fatalf("log line %v; want ERROR with error_kind shared_store", line)
	}
	a.clock.Advance(30 * time.Second)
	if r := recv(t, meOn(a.web, cookies)); r.Code != http.StatusUnauthorized {
		t.Fatalf("with the store down and the token expired: %d; want 401", r.Code)
	}
	if n := op.Requests(rptest.EndpointToken) - before; n != 0 {
		t.Fatalf("the provider got %d token requests; want none without a claim", n)
	}
	shared.fail(nil, nil, nil)
	if r := recv(t, meOn(a.web, cookies)); r.Code != http.StatusOK {
		t.Fatalf("once the store is back: %d; want 200 after a refresh", r.Code)
	}
}

// TestSharedRefreshResult: results are bound to their key and to the
// Site's secrets: another key's result, or one sealed with other secrets,
// is not used (and is not a refusal).
func TestSharedRefreshResult(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	d := &sessionData{Provider: "mock", AccessToken: "at", RefreshToken: "rt"}
	payload, _ := d.encode()
	sealed := a.web.sealResult("rp/refresh/result/k1", resultTokens, payload)
	if got, err := a.web.openResult("rp/refresh/result/k1", sealed); err != nil || got.AccessToken != "at" {
		t.Fatalf("openResult = %+v, %v", got, err)
	}
	if _, err := a.web.openResult("rp/refresh/result/k2", sealed); !errors.Is(err, errRefreshUnavailable) || refreshRefused(err) {
		t.Errorf("another key's result: %v; want errRefreshUnavailable, not a refusal", err)
	}
	other := a.otherInstance(func(c *Config) { c.SessionSecrets = []rp.Secret{rp.Secret(strings.Repeat("o", 32))} })
	if _, err := other.openResult("rp/refresh/result/k1", sealed); !errors.Is(err, errRefreshUnavailable) {
		t.Errorf("a result sealed with other secrets: %v; want errRefreshUnavailable", err)
	}
	if _, err := a.web.openResult("k", a.web.sealResult("k", resultRefused, nil)); !refreshRefused(err) {
		t.Errorf("a shared refusal: %v; want a refusal", err)
	}
	if _, err := a.web.openResult("k", a.web.sealResult("k", resultMissing, nil)); !errors.Is(err, errRefreshUnavailable) {
		t.Errorf("a result too large to share: %v; want errRefreshUnavailable", err)
	}
}
