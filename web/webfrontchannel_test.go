package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
)

// frontchannel sends GET FrontchannelLogoutPath of "mock" with query to
// site's Handler, with cookies, as the provider's iframe would.
func frontchannel(site *Site, query string, cookies []*http.Cookie) (*http.Response, string) {
	req := httptest.NewRequest("GET", "/frontchannel-logout/mock?"+query, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	site.Handler().ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

const signedOutPage = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed out</title></head>\n<body><p>Signed out</p></body></html>\n"

// checkFrontchannelPage checks the answer every front-channel logout gets:
// the same page, which only the provider may frame.
func checkFrontchannelPage(t *testing.T, a *webApp, name string, resp *http.Response, body string) {
	t.Helper()
	h := resp.Header
	if resp.StatusCode != http.StatusOK || body != signedOutPage {
		t.Errorf("%s: %d %q; want 200 and the signed-out page", name, resp.StatusCode, body)
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "" ||
		h.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors "+a.ops["mock"].URL {
		t.Errorf("%s: headers %v; want no-store, no X-Frame-Options and frame-ancestors of the provider's origin %s", name, h, a.ops["mock"].URL)
	}
}

// TestFrontchannelLogout: the provider's front-channel request with its
// issuer and the sid of a session ends the sessions of that provider
// session on every instance, without the browser's cookies (which a
// cross-site iframe usually withholds), and deletes the cookies when the
// browser sends them; the page is the same whatever the request held.
func TestFrontchannelLogout(t *testing.T) {
	for _, mode := range sharedModes {
		t.Run(mode.name, func(t *testing.T) {
			store := newIndexStore()
			var logs testlog.Buffer
			a := newWebApp(t, oneProvider, func(c *Config) {
				mode.set(c, store, newMemShared(c.Now))
				c.Logger = logs.Logger()
			})
			b := a.otherInstance(nil)
			iss := url.QueryEscape(a.ops["mock"].Issuer())
			a.withSID("mock", "op-sid-1")
			a.login("mock", "", "/me")
			first := a.newBrowser()
			a.withSID("mock", "op-sid-2")
			a.login("mock", "", "/me")
			second := a.newBrowser()

			resp, body := frontchannel(b, "iss="+iss+"&sid=op-sid-1", nil)
			checkFrontchannelPage(t, a, "matching, without cookies", resp, body)
			if len(resp.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("Set-Cookie %q without a session in the request", resp.Header.Values("Set-Cookie"))
			}
			for _, site := range []*Site{a.web, b} {
				if status, _ := statusOn(site, first); status != http.StatusUnauthorized {
					t.Errorf("the session of the logged-out sid: %d; want 401", status)
				}
				if status, _ := statusOn(site, second); status != http.StatusOK {
					t.Errorf("the session of another sid: %d; want 200", status)
				}
			}
			line := logs.Only(t, evFrontchannel)
			if line["provider"] != "mock" || line["ended"] != true || line["sid_hash"] != sidHash("op-sid-1") || strings.Contains(logs.String(), "op-sid-1") {
				t.Errorf("log line %v; want provider, ended and the sid's hash, never the sid", line)
			}

			resp, body = frontchannel(a.web, "iss="+iss+"&sid=op-sid-2", second)
			checkFrontchannelPage(t, a, "matching, with the session's cookies", resp, body)
			if c := setCookie(resp, a.web.sessions.CookieName()); c == nil || c.MaxAge >= 0 {
				t.Errorf("the session cookie was not deleted: %q", resp.Header.Values("Set-Cookie"))
			}
			if status, _ := statusOn(b, second); status != http.StatusUnauthorized {
				t.Errorf("the second session after its logout: %d; want 401", status)
			}
		})
	}
}

// TestFrontchannelLogoutInert: a front-channel request that does not name
// the provider's issuer and one well-formed sid ends nothing, and answers
// the same page.
func TestFrontchannelLogoutInert(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	a.withSID("mock", "op-sid-1")
	a.login("mock", "", "/me")
	cookies := a.requestWithCookies().Cookies()
	iss := url.QueryEscape(a.ops["mock"].Issuer())
	for _, q := range []string{
		"",
		"sid=op-sid-1",
		"iss=" + iss,
		"iss=" + iss + "&sid=",
		"iss=https%3A%2F%2Fevil.example&sid=op-sid-1",
		"iss=" + iss + "%2F&sid=op-sid-1",
		"iss=" + iss + "&sid=op-sid-1&sid=op-sid-1",
		"iss=" + iss + "&iss=" + iss + "&sid=op-sid-1",
		"iss=" + iss + "&sid=op%20sid-1",
		"iss=" + iss + "&sid=" + strings.Repeat("s", 256),
		"iss=" + iss + "&sid=%zz",
	} {
		resp, body := frontchannel(a.web, q, cookies)
		checkFrontchannelPage(t, a, q, resp, body)
		if len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("%q: Set-Cookie %q; want none", q, resp.Header.Values("Set-Cookie"))
		}
	}
	if status, _ := statusOn(a.web, cookies); status != http.StatusOK {
		t.Fatalf("the session after inert front-channel requests: %d; want 200", status)
	}
	if _, r := frontchannel(a.web, "iss="+iss+"&sid="+strings.Repeat("s", 255), nil); r != signedOutPage {
		t.Errorf("a sid of 255 characters: %q", r)
	}
	req := httptest.NewRequest("POST", "/frontchannel-logout/mock?iss="+iss+"&sid=op-sid-1", nil)
	rec := httptest.NewRecorder()
	a.web.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d; want 405", rec.Code)
	}
	if status, _ := statusOn(a.web, cookies); status != http.StatusOK {
		t.Fatalf("the session after a POST: %d; want 200", status)
	}
}

// TestFrontchannelLogoutStoreFailure: when the sessions cannot be ended,
// the front-channel logout does not claim success: 503, and a line at
// Error.
func TestFrontchannelLogoutStoreFailure(t *testing.T) {
	var logs testlog.Buffer
	var shared *faultyShared
	a := newWebApp(t, oneProvider, func(c *Config) {
		shared = newFaultyShared(c.Now)
		c.Shared = shared
		c.Logger = logs.Logger()
	})
	shared.fail(nil, errDown, nil)
	resp, body := frontchannel(a.web, "iss="+url.QueryEscape(a.ops["mock"].Issuer())+"&sid=op-sid-1", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "<p>Signed out</p>") || strings.Contains(body, "6379") {
		t.Fatalf("with the store down: %d %q; want 503 without the signed-out line or the error", resp.StatusCode, body)
	}
	if line := logs.Only(t, evFrontchannelFail); line["level"] != "ERROR" || line["error_kind"] != "sessions_not_ended" {
		t.Fatalf("log line %v; want ERROR with error_kind sessions_not_ended", line)
	}
}

// TestFramingForbiddenButFrontchannel: every page the Site serves but the
// front-channel logout forbids framing: the chooser, the sign-in
// redirect, error pages, logout and the return from it.
func TestFramingForbiddenButFrontchannel(t *testing.T) {
	a := newWebApp(t, map[string][]rptest.User{"azure": {alice}, "okta": {alice}}, nil)
	a.login("azure", "", "/")
	for _, tc := range []struct{ method, path string }{
		{"GET", "/login"},                          // chooser
		{"GET", "/login/azure"},                    // redirect to the provider
		{"GET", "/callback/azure?state=x&code=y"},  // error page
		{"GET", "/signout-callback-oidc?state=x"},  // error page
		{"POST", "/logout"},                        // logout
		{"POST", "/backchannel-logout/azure"},      // back-channel refusal
		{"GET", "/frontchannel-logout/azure/more"}, // not the front-channel path
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for _, c := range a.requestWithCookies().Cookies() {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		a.web.Handler().ServeHTTP(rec, req)
		h := rec.Header()
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s %s (%d): X-Frame-Options %q, CSP %q; want DENY and frame-ancestors 'none'", tc.method, tc.path, rec.Code,
				h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
		}
	}
	// The application's own middleware forbids framing everywhere; the
	// front-channel page still lets the provider frame it.
	denyAll := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		a.web.Handler().ServeHTTP(w, r)
	})
	for _, p := range []string{"azure", "okta"} {
		req := httptest.NewRequest("GET", "/frontchannel-logout/"+p, nil)
		rec := httptest.NewRecorder()
		denyAll.ServeHTTP(rec, req)
		if rec.Header().Get("X-Frame-Options") != "" || rec.Header().Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors "+a.ops[p].URL {
			t.Errorf("%s front-channel page: %v; want only %s as frame ancestor", p, rec.Header(), a.ops[p].URL)
		}
	}
}

// TestFrameAncestors: the origins of the provider's URLs, once each, and
// 'none' when none is usable.
func TestFrameAncestors(t *testing.T) {
	for _, tc := range []struct {
		urls []string
		want string
	}{
		{[]string{"https://login.example.com/tenant/v2.0", "https://login.example.com/tenant/oauth2/authorize", ""}, "https://login.example.com"},
		{[]string{"https://id.example", "https://auth.example:8443/authorize", "https://id.example/logout"}, "https://id.example https://auth.example:8443"},
		{[]string{"", "javascript:alert(1)", "https://a.example;script-src *", "//no-scheme.example"}, "'none'"},
	} {
		if got := frameAncestors(tc.urls...); got != tc.want {
			t.Errorf("frameAncestors(%q) = %q; want %q", tc.urls, got, tc.want)
		}
	}
}
