package web

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oidcrp/rp"

	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

var testSessionSecret = rp.Secret(strings.Repeat("s", 32))

// webApp is an application using Site with one or more providers, and a
// browser with a cookie jar.
type webApp struct {
	t       testing.TB
	clock   *rptest.Clock
	ops     map[string]*rptest.Server
	web     *Site
	store   *rp.MemoryUserStore
	srv     *httptest.Server
	jar     *cookiejar.Jar
	browser *http.Client // follows redirects
	noRedir *http.Client // stops at the first redirect
}

// newWebApp starts providers named in users, each with its users, an app
// whose /me requires a session and shows the account, and a browser.
func newWebApp(t testing.TB, users map[string][]rptest.User, mod func(*Config)) *webApp {
	t.Helper()
	return newWebAppRP(t, users, nil, mod)
}

// newWebAppRP is newWebApp with rpMod changing each provider's rp.Config
// before rp.New.
func newWebAppRP(t testing.TB, users map[string][]rptest.User, rpMod func(*rp.Config), mod func(*Config)) *webApp {
	t.Helper()
	a := &webApp{t: t, clock: newFakeClock(), ops: map[string]*rptest.Server{}}
	a.store = rp.NewMemoryUserStore()
	matcher := newMatcherT(t, rp.MatcherConfig{Store: a.store, CreateUsers: true})
	mux := http.NewServeMux()
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	cfg := Config{SessionSecrets: []rp.Secret{testSessionSecret}, Now: a.clock.Now}
	for _, name := range slices.Sorted(maps.Keys(users)) {
		op := rptest.NewServer(rptest.Config{Users: users[name], Now: a.clock.Now})
		t.Cleanup(op.Close)
		a.ops[name] = op
		rc := rp.Config{
			Authority: op.Issuer(), ClientID: op.ClientID(), ClientSecret: rp.Secret(op.ClientSecret()),
			RedirectURL: a.srv.URL + "/callback/" + name, Matcher: matcher, Now: a.clock.Now,
			Scopes: []string{"openid", "profile", "email", "offline_access"}, UsernameClaim: "preferred_username",
		}
		if rpMod != nil {
			rpMod(&rc)
		}
		r, err := rp.New(context.Background(), rc)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Providers = append(cfg.Providers, Provider{Name: name, RP: r})
	}
	if mod != nil {
		mod(&cfg)
	}
	web, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.web = web
	mux.Handle("/", web.Handler())
	mux.Handle("/me", web.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := SessionFrom(r.Context())
		fmt.Fprintf(w, "user=%s provider=%s", s.User.Username, s.Provider)
		if c := ClaimsFrom(r.Context()); c.Subject != "" {
			fmt.Fprintf(w, " sub=%s groups=%d", c.Subject, len(c.Groups))
		}
	})))
	a.jar, _ = cookiejar.New(nil)
	a.browser = &http.Client{Jar: a.jar}
	a.noRedir = &http.Client{Jar: a.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return a
}

// get fetches path with the redirect-following browser and returns the
// final status, URL path and body.
func (a *webApp) get(path string) (int, string, string) {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.srv.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := a.browser.Do(req)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.RequestURI(), string(body)
}

// raw sends one request without following redirects.
func (a *webApp) raw(method, path string, header http.Header) *http.Response {
	a.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = a.srv.URL + path
	}
	req, _ := http.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.noRedir.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp
}

func (a *webApp) login(provider, hint, returnTo string) (int, string, string) {
	a.t.Helper()
	return a.get("/login/" + provider + "?login_hint=" + url.QueryEscape(hint) + "&return_to=" + url.QueryEscape(returnTo))
}

func (a *webApp) logout() *http.Response {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.srv.URL+"/logout", nil)
	req.Header.Set("Origin", a.srv.URL)
	resp, err := a.noRedir.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

var oneProvider = map[string][]rptest.User{"mock": {alice}}

func TestWebSignInAndRequire(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	// Not signed in: a page load goes to the login page with return_to.
	resp := a.raw("GET", "/me?tab=1", http.Header{"Accept": {"text/html"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/mock?return_to=%2Fme%3Ftab%3D1" {
		t.Fatalf("anonymous page load: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, h := range []http.Header{{"Accept": {"application/json"}}, {"Sec-Fetch-Mode": {"cors"}}} {
		if resp := a.raw("GET", "/me", h); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous %v: %d; want 401", h, resp.StatusCode)
		}
	}
	if resp := a.raw("POST", "/me", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous POST: %d", resp.StatusCode)
	}
	// Following the redirect signs in and comes back.
	status, path, body := a.get("/me?tab=1")
	if status != 200 || path != "/me?tab=1" || body != "user=alice provider=mock sub=alice-sub groups=0" {
		t.Fatalf("after sign-in: %d %s %q", status, path, body)
	}
}

func TestWebCallbackResponse(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	resp := a.raw("GET", "/login/mock?return_to=/me", nil)
	resp = a.raw("GET", resp.Header.Get("Location"), nil) // the provider
	cb, _ := url.Parse(resp.Header.Get("Location"))
	resp = a.raw("GET", cb.RequestURI(), nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
		t.Fatalf("callback: %d %q; want 303 to /me", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("callback headers: %v", resp.Header)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == a.web.sessions.CookieName() {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie %+v", session)
	}
}

func TestWebOpenRedirectFallsBackToRoot(t *testing.T) {
	for _, rt := range []string{"//evil.example", "https://evil.example", `/\evil.example`, "javascript:alert(1)",
		"%2F%2Fevil.example", "/%2F/evil.example/..", "\\\\evil.example", "http:evil.example", "/.//evil.example", " //evil.example"} {
		a := newWebApp(t, oneProvider, nil)
		_, path, _ := a.login("mock", "", rt)
		if path != "/" {
			t.Errorf("return_to %q landed on %q; want /", rt, path)
		}
	}
}

func TestWebCallbackFailureShowsEscapedErrorAndNoSession(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	a.ops["mock"].SetFaults(rptest.Faults{AuthorizeError: "access_denied", AuthorizeErrorDescription: `<script>alert("x")</script>`})
	status, _, body := a.login("mock", "", "/me")
	if status != http.StatusForbidden || !strings.Contains(body, "did not sign you in") ||
		strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("error page %d: %s", status, body)
	}
	if resp := a.raw("GET", "/me", http.Header{"Accept": {"application/json"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a failed sign-in left a session: %d", resp.StatusCode)
	}
}

func TestWebSessionIDNewAtEverySignIn(t *testing.T) {
	store := session.NewMemoryStore()
	a := newWebApp(t, oneProvider, func(c *Config) { c.SessionStore = store })
	a.login("mock", "", "/")
	first, _ := a.web.sessions.Load(a.requestWithCookies())
	a.login("mock", "", "/")
	second, _ := a.web.sessions.Load(a.requestWithCookies())
	if first == nil || second == nil || first.ID == second.ID {
		t.Fatalf("session IDs %v, %v; want two different sessions", first, second)
	}
	if store.Len() != 1 {
		t.Fatalf("store holds %d sessions; the first should be gone", store.Len())
	}
}

// requestWithCookies returns a request carrying the browser's cookies.
func (a *webApp) requestWithCookies() *http.Request {
	req := httptest.NewRequest("GET", a.srv.URL+"/", nil)
	u, _ := url.Parse(a.srv.URL)
	for _, c := range a.jar.Cookies(u) {
		req.AddCookie(c)
	}
	return req
}
