package web

import (
	"context"
	"errors"
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
)

var errSuspended = errors.New("app: account suspended")

// hookCalls records what the hooks of a test saw, safely across the
// requests of the test server.
type hookCalls struct {
	mu       sync.Mutex
	logouts  []LogoutInfo
	refresh  []RefreshInfo
	failures []SignInFailure
	signIns  []SignInInfo
}

func (h *hookCalls) add(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

// TestHookBeforeSessionVeto: a refusing BeforeSession fails the sign-in
// with its error and rp.ErrHookRefused (403, the error page) and creates
// no session; AfterSignIn does not run.
func TestHookBeforeSessionVeto(t *testing.T) {
	var got error
	signedIn := false
	a := newWebApp(t, oneProvider, func(c *Config) {
		c.Hooks.BeforeSession = func(_ context.Context, s *SignInInfo) error {
			if s.Provider != "mock" || s.Claims.Subject != "alice-sub" || s.User == nil || s.User.Username != "alice" || s.ReturnTo != "/me" {
				t.Errorf("BeforeSession saw %+v", s)
			}
			return errSuspended
		}
		c.Hooks.AfterSignIn = func(context.Context, *SignInInfo) { signedIn = true }
		c.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, status int, err error) {
			got = err
			http.Error(w, ErrorMessage(err), status)
		}
	})
	status, _, body := a.login("mock", "", "/me")
	var he *rp.HookError
	if status != http.StatusForbidden || !errors.Is(got, errSuspended) || !errors.Is(got, rp.ErrHookRefused) ||
		!errors.As(got, &he) || he.Hook != "BeforeSession" || !strings.Contains(body, "This site did not accept the sign-in.") {
		t.Fatalf("vetoed sign-in: %d %q, error %v; want 403 with errSuspended and ErrHookRefused", status, body, got)
	}
	if _, ok := a.web.sessions.Load(a.requestWithCookies()); ok || signedIn {
		t.Fatalf("a vetoed sign-in created a session (%v) or ran AfterSignIn (%v)", ok, signedIn)
	}
}

// TestHookBeforeSessionAppData: the data BeforeSession keeps comes back
// from SessionInfo.App on later requests, survives a refresh, and
// AfterSignIn sees it; more than MaxAppData fails the sign-in with
// ErrAppDataTooLarge and no session.
func TestHookBeforeSessionAppData(t *testing.T) {
	var calls hookCalls
	kept := map[string]string{"tenant": "contoso", "plan": "gold"}
	a := newWebApp(t, oneProvider, func(c *Config) {
		c.IdleTimeout = 4 * time.Hour
		c.Hooks.BeforeSession = func(_ context.Context, s *SignInInfo) error {
			for k, v := range kept {
				s.App[k] = v
			}
			return nil
		}
		c.Hooks.AfterSignIn = func(_ context.Context, s *SignInInfo) {
			calls.add(func() { calls.signIns = append(calls.signIns, *s) })
		}
	})
	var seen []string
	app := a.web.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := SessionFrom(r.Context())
		seen = append(seen, s.App("tenant")+"/"+s.App("plan")+"/"+s.App("none"))
		if d := s.AppData(); len(d) != 2 {
			t.Errorf("AppData() = %v", d)
		}
	}))
	if status, _, _ := a.login("mock", "", "/me"); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
	if len(calls.signIns) != 1 || calls.signIns[0].App["tenant"] != "contoso" {
		t.Fatalf("AfterSignIn saw %+v", calls.signIns)
	}
	serve := func() {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, a.requestWithCookies())
		if rec.Code != http.StatusOK {
			t.Fatalf("/app: %d", rec.Code)
		}
		for _, c := range rec.Result().Cookies() {
			a.jar.SetCookies(a.srvURL(), []*http.Cookie{c})
		}
	}
	serve()
	before := a.ops["mock"].Requests(rptest.EndpointToken)
	a.clock.Advance(rptest.DefaultTokenTTL) // the next request refreshes
	serve()
	if a.ops["mock"].Requests(rptest.EndpointToken) != before+1 {
		t.Fatal("the session was not refreshed")
	}
	if len(seen) != 2 || seen[0] != "contoso/gold/" || seen[1] != "contoso/gold/" {
		t.Fatalf("SessionInfo.App read %q; want contoso/gold/ before and after the refresh", seen)
	}
	if (*SessionInfo)(nil).App("tenant") != "" || (*SessionInfo)(nil).AppData() != nil {
		t.Fatal("a nil SessionInfo has app data")
	}

	// Too much data.
	var got error
	b := newWebApp(t, oneProvider, func(c *Config) {
		c.Hooks.BeforeSession = func(_ context.Context, s *SignInInfo) error {
			s.App["big"] = strings.Repeat("x", MaxAppData)
			return nil
		}
		c.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, status int, err error) { got = err; w.WriteHeader(status) }
	})
	if status, _, _ := b.login("mock", "", "/me"); status != http.StatusInternalServerError || !errors.Is(got, ErrAppDataTooLarge) || !errors.Is(got, rp.ErrHookRefused) {
		t.Fatalf("oversized app data: %d, %v; want 500 and ErrAppDataTooLarge", status, got)
	}
	if _, ok := b.web.sessions.Load(b.requestWithCookies()); ok {
		t.Fatal("oversized app data created a session")
	}
}

// TestAppDataSessionFormat: a session with app data is format 4 and
// decodes to the same data; one without it stays format 3; a format 4
// encoding with an empty app map is refused (each session has one
// encoding).
func TestAppDataSessionFormat(t *testing.T) {
	d := &sessionData{Provider: "p", Subject: "s", App: map[string]string{"b": "2", "a": "1"}}
	enc := fuzzEncode(t, d)
	if enc[0] != sessionFormatApp {
		t.Fatalf("format %d; want %d", enc[0], sessionFormatApp)
	}
	back := fuzzDecode(t, enc)
	if len(back.App) != 2 || back.App["a"] != "1" || back.App["b"] != "2" {
		t.Fatalf("decoded app data %v", back.App)
	}
	d.App = map[string]string{}
	if enc := fuzzEncode(t, d); enc[0] != sessionFormat {
		t.Fatalf("empty app data: format %d; want %d", enc[0], sessionFormat)
	}
	// Format 4 whose app part is an empty map (count 1) or nil (0).
	for _, app := range []byte{1, 0} {
		hot := []byte{1, 'p', 0, 0, 0, 0, 1, 's', 0, app}
		b := append([]byte{sessionFormatApp, byte(len(hot))}, hot...)
		b = append(b, coldRaw, 0, idTokenNone)
		if d, err := decodeSession(b); err == nil {
			t.Errorf("format 4 with app count %d decoded: %+v", app, d)
		}
	}
}

// srvURL is the app server's URL, for the cookie jar.
func (a *webApp) srvURL() *url.URL {
	u, _ := url.Parse(a.srv.URL)
	return u
}

// TestHookPanicFailsSignIn: a panicking BeforeSession gives the failed
// sign-in page (500, rp.ErrHookPanicked), logged at Error with the hook's
// name, and no session; a panicking AfterSignIn is logged and the sign-in
// goes on.
func TestHookPanicFailsSignIn(t *testing.T) {
	var logs testlog.Buffer
	a := newWebApp(t, oneProvider, func(c *Config) {
		c.Logger = logs.Logger()
		c.Hooks.BeforeSession = func(context.Context, *SignInInfo) error { panic("database handle is nil") }
	})
	status, _, body := a.login("mock", "", "/me")
	if status != http.StatusInternalServerError || !strings.Contains(body, "Sign-in problem") || !strings.Contains(body, "error on this site") {
		t.Fatalf("panicking hook: %d %q; want 500 and the error page", status, body)
	}
	if _, ok := a.web.sessions.Load(a.requestWithCookies()); ok {
		t.Fatal("a panicking hook created a session")
	}
	if line := logs.Only(t, "rp: hook panicked"); line["level"] != "ERROR" || line["hook"] != "BeforeSession" {
		t.Fatalf("panic log line %v", line)
	}
	if line := logs.Only(t, evSignInRefused); line["error_kind"] != "hook_panicked" || line["level"] != "ERROR" {
		t.Fatalf("refusal line %v", line)
	}

	b := newWebApp(t, oneProvider, func(c *Config) {
		c.Hooks.AfterSignIn = func(context.Context, *SignInInfo) { panic("boom") }
	})
	if status, path, _ := b.login("mock", "", "/me"); status != http.StatusOK || path != "/me" {
		t.Fatalf("panicking AfterSignIn: %d %s; want the sign-in to go on to /me", status, path)
	}
}

// TestHookSignInFailed: the failure hook sees the error and chooses a
// redirect (303 to its location), a retry with prompt=login (a new sign-in
// at the provider), or the page; a location off the site shows the page.
// access_denied goes to AccessDenied when set.
func TestHookSignInFailed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		choice     FailureResponse
		deniedHook bool
		check      func(t *testing.T, a *webApp, resp *http.Response, calls *hookCalls)
	}{
		{"redirect", FailureResponse{Action: RedirectTo, Location: "/help?topic=signin"}, false, func(t *testing.T, _ *webApp, resp *http.Response, _ *hookCalls) {
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/help?topic=signin" {
				t.Fatalf("%d %q; want 303 to /help?topic=signin", resp.StatusCode, resp.Header.Get("Location"))
			}
		}},
		{"retry", FailureResponse{Action: RetryLogin, Location: "/reports"}, false, func(t *testing.T, a *webApp, resp *http.Response, _ *hookCalls) {
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), a.ops["mock"].URL+"/authorize?") || loc.Query().Get("prompt") != "login" {
				t.Fatalf("%d %q; want 302 to the provider with prompt=login", resp.StatusCode, loc)
			}
			// The new sign-in completes and returns to the hook's location.
			a.ops["mock"].SetFaults(rptest.Faults{})
			end, err := a.browser.Get(loc.String())
			if err != nil {
				t.Fatal(err)
			}
			end.Body.Close()
			if end.Request.URL.Path != "/reports" {
				t.Fatalf("retried sign-in ended at %d %s; want /reports", end.StatusCode, end.Request.URL)
			}
			if _, ok := a.web.sessions.Load(a.requestWithCookies()); !ok {
				t.Fatal("the retried sign-in made no session")
			}
		}},
		{"page", FailureResponse{}, false, func(t *testing.T, _ *webApp, resp *http.Response, _ *hookCalls) {
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%d; want the 403 error page", resp.StatusCode)
			}
		}},
		{"redirect off site", FailureResponse{Action: RedirectTo, Location: "https://evil.example/"}, false, func(t *testing.T, _ *webApp, resp *http.Response, _ *hookCalls) {
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
				t.Fatalf("%d %q; want the 403 error page", resp.StatusCode, resp.Header.Get("Location"))
			}
		}},
		{"access denied hook", FailureResponse{Action: RedirectTo, Location: "/declined"}, true, func(t *testing.T, _ *webApp, resp *http.Response, calls *hookCalls) {
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/declined" || len(calls.failures) != 0 {
				t.Fatalf("%d %q, SignInFailed calls %d; want 303 to /declined by AccessDenied only", resp.StatusCode, resp.Header.Get("Location"), len(calls.failures))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls hookCalls
			var denied []SignInFailure
			a := newWebApp(t, oneProvider, func(c *Config) {
				c.Hooks.SignInFailed = func(_ context.Context, f *SignInFailure) FailureResponse {
					calls.add(func() { calls.failures = append(calls.failures, *f) })
					return tc.choice
				}
				if tc.deniedHook {
					c.Hooks.AccessDenied = func(_ context.Context, f *SignInFailure) FailureResponse {
						denied = append(denied, *f)
						return tc.choice
					}
				}
			})
			a.ops["mock"].SetFaults(rptest.Faults{AuthorizeError: "access_denied"})
			resp := a.raw("GET", "/login/mock", nil)
			resp = a.raw("GET", resp.Header.Get("Location"), nil) // the provider answers with the error
			resp = a.raw("GET", resp.Header.Get("Location"), nil) // the callback
			all := append(calls.failures, denied...)
			var ae *rp.AuthorizationError
			if len(all) != 1 || all[0].Provider != "mock" || all[0].Status != http.StatusForbidden || !errors.As(all[0].Err, &ae) ||
				ae.Code != "access_denied" || rp.ErrorRef(all[0].Err) == "" {
				t.Fatalf("the failure hooks saw %+v; want one access_denied failure of mock with a reference", all)
			}
			tc.check(t, a, resp, &calls)
		})
	}
}

// TestHookAfterRefresh: AfterRefresh runs once per refresh this instance
// makes, with the session's user, and reports a refused refresh as ending
// the session.
func TestHookAfterRefresh(t *testing.T) {
	var calls hookCalls
	a := newWebApp(t, oneProvider, func(c *Config) {
		c.IdleTimeout = 4 * time.Hour
		c.Hooks.AfterRefresh = func(_ context.Context, info *RefreshInfo) {
			calls.add(func() { calls.refresh = append(calls.refresh, *info) })
		}
	})
	a.login("mock", "", "/me")
	a.get("/me")
	if len(calls.refresh) != 0 {
		t.Fatalf("AfterRefresh ran %d times without a refresh", len(calls.refresh))
	}
	a.clock.Advance(rptest.DefaultTokenTTL)
	if status, _, _ := a.get("/me"); status != http.StatusOK {
		t.Fatalf("/me: %d", status)
	}
	if len(calls.refresh) != 1 {
		t.Fatalf("AfterRefresh ran %d times; want 1", len(calls.refresh))
	}
	if r := calls.refresh[0]; r.Provider != "mock" || r.Subject != "alice-sub" || r.User == nil || r.User.Username != "alice" || r.Err != nil || r.SessionEnded {
		t.Fatalf("AfterRefresh saw %+v", r)
	}
	a.clock.Advance(rptest.DefaultTokenTTL)
	a.ops["mock"].SetFaults(rptest.Faults{TokenStatus: http.StatusBadRequest})
	a.raw("GET", "/me", http.Header{"Accept": {"application/json"}})
	if len(calls.refresh) != 2 || !errors.Is(calls.refresh[1].Err, rp.ErrTokenExchange) || !calls.refresh[1].SessionEnded {
		t.Fatalf("AfterRefresh after a refused refresh saw %+v; want ErrTokenExchange and SessionEnded", calls.refresh[1:])
	}
}

// TestHookAfterLogoutKinds: AfterLogout reports each of the four logouts
// with its kind and what it knows of the user.
func TestHookAfterLogoutKinds(t *testing.T) {
	var calls hookCalls
	store := newIndexStore()
	a := newWebApp(t, oneProvider, func(c *Config) {
		c.SessionStore = store
		c.Hooks.AfterLogout = func(_ context.Context, info *LogoutInfo) {
			calls.add(func() { calls.logouts = append(calls.logouts, *info) })
		}
	})
	last := func() LogoutInfo {
		t.Helper()
		calls.mu.Lock()
		defer calls.mu.Unlock()
		if len(calls.logouts) == 0 {
			t.Fatal("AfterLogout did not run")
		}
		l := calls.logouts[len(calls.logouts)-1]
		calls.logouts = nil
		return l
	}
	iss := a.ops["mock"].Issuer()

	// RP-initiated: the provider has an end-session endpoint.
	a.login("mock", "", "/me")
	a.logout()
	if l := last(); l.Kind != LogoutRPInitiated || l.Provider != "mock" || l.Subject != "alice-sub" || l.Issuer != iss || l.User == nil || l.User.Username != "alice" {
		t.Fatalf("RP-initiated logout: %+v", l)
	}

	// Local: a password sign-in has no provider to go on to.
	rec := httptest.NewRecorder()
	if err := a.web.SignIn(rec, httptest.NewRequest("POST", a.srv.URL+"/password", nil), &rp.User{ID: "u-9", Username: "pat"}); err != nil {
		t.Fatal(err)
	}
	a.jar.SetCookies(a.srvURL(), rec.Result().Cookies())
	a.logout()
	if l := last(); l.Kind != LogoutLocal || l.Provider != "" || l.User == nil || l.User.Username != "pat" || l.Kind.String() != "local" {
		t.Fatalf("local logout: %+v", l)
	}

	// Back-channel: a logout token for the provider session.
	a.withSID("mock", "op-sid-1")
	a.login("mock", "", "/me")
	tok, err := a.ops["mock"].LogoutToken(rptest.LogoutTokenOptions{Subject: "alice-sub", SessionID: "op-sid-1"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := a.postBackchannel("POST", formType, "logout_token="+url.QueryEscape(tok)); resp.StatusCode != http.StatusOK {
		t.Fatalf("back-channel logout: %d %s", resp.StatusCode, body)
	}
	if l := last(); l.Kind != LogoutBackchannel || l.Provider != "mock" || l.Subject != "alice-sub" || l.Issuer != iss || l.Sessions != 1 || l.Kind.String() != "backchannel" {
		t.Fatalf("back-channel logout: %+v", l)
	}

	// Front-channel: the provider's iframe names the provider session.
	a.withSID("mock", "op-sid-2")
	a.login("mock", "", "/me")
	if resp, _ := frontchannel(a.web, "iss="+url.QueryEscape(iss)+"&sid=op-sid-2", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("front-channel logout: %d", resp.StatusCode)
	}
	if l := last(); l.Kind != LogoutFrontchannel || l.Provider != "mock" || l.Issuer != iss || l.Sessions != 1 || l.Kind.String() != "frontchannel" {
		t.Fatalf("front-channel logout: %+v", l)
	}
	// An inert front-channel request ends nothing and reports nothing.
	frontchannel(a.web, "iss="+url.QueryEscape(iss)+"&sid=", nil)
	calls.mu.Lock()
	n := len(calls.logouts)
	calls.mu.Unlock()
	if n != 0 {
		t.Fatalf("an inert front-channel request ran AfterLogout %d times", n)
	}
}
