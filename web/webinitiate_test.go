package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/rptest"
)

var initiateUsers = map[string][]rptest.User{"okta": {
	{Subject: "ok-1", Claims: map[string]any{"preferred_username": "otto"}},
	{Subject: "ok-2", Claims: map[string]any{"preferred_username": "olga"}},
}}

// initiateURL is the okta provider's initiate_login_uri with params.
func initiateURL(a *webApp, params url.Values) string {
	return a.srv.URL + "/initiate-login/okta?" + params.Encode()
}

// TestInitiateLoginTile: a dashboard tile's GET with the provider's iss
// and a login_hint starts a normal login: 302 to the provider's
// authorization endpoint carrying the hint, state and PKCE, with a login
// cookie set.
func TestInitiateLoginTile(t *testing.T) {
	a := newWebApp(t, initiateUsers, nil)
	op := a.ops["okta"]
	resp := a.raw("GET", initiateURL(a, url.Values{"iss": {op.Issuer()}, "login_hint": {"olga"}}), nil)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), op.Issuer()) {
		t.Fatalf("initiate: %d %q", resp.StatusCode, loc)
	}
	q := loc.Query()
	if q.Get("login_hint") != "olga" || q.Get("state") == "" || q.Get("code_challenge") == "" || q.Get("client_id") != op.ClientID() {
		t.Fatalf("authorization request %v", q)
	}
	if len(resp.Cookies()) == 0 {
		t.Fatal("no login cookie set")
	}
	if got := a.web.Providers()[0].InitiateLoginURL; got != a.srv.URL+"/initiate-login/okta" {
		t.Fatalf("InitiateLoginURL = %q", got)
	}
}

// TestInitiateLoginLandsAtTarget: the sign-in an initiated login starts
// completes for the hinted user and lands at target_link_uri, given as a
// path or as an absolute URL of this site; by POST as well as GET.
func TestInitiateLoginLandsAtTarget(t *testing.T) {
	for _, c := range []struct{ name, method, target string }{
		{"GET path", "GET", "/me?tab=2"},
		{"GET absolute", "GET", "ABS/me?tab=2"},
		{"POST form", "POST", "/me?tab=2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newWebApp(t, initiateUsers, nil)
			target := strings.Replace(c.target, "ABS", a.srv.URL, 1)
			params := url.Values{"iss": {a.ops["okta"].Issuer()}, "login_hint": {"olga"}, "target_link_uri": {target}}
			var resp *http.Response
			var err error
			if c.method == "POST" {
				resp, err = a.browser.PostForm(a.srv.URL+"/initiate-login/okta", params)
			} else {
				resp, err = a.browser.Get(initiateURL(a, params))
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Request.URL.RequestURI() != "/me?tab=2" || string(body) != "user=olga provider=okta sub=ok-2 groups=0" {
				t.Fatalf("landed: %d %s %q", resp.StatusCode, resp.Request.URL.RequestURI(), body)
			}
		})
	}
}

// TestInitiateLoginOffSiteTarget: a target_link_uri on another site, or
// a scheme-relative one, is not followed: the sign-in lands at "/".
func TestInitiateLoginOffSiteTarget(t *testing.T) {
	for _, target := range []string{"https://evil.example/me", "//evil.example/me", "javascript:alert(1)"} {
		a := newWebApp(t, initiateUsers, nil)
		resp := a.raw("GET", initiateURL(a, url.Values{"iss": {a.ops["okta"].Issuer()}, "target_link_uri": {target}}), nil)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("%q: initiate %d", target, resp.StatusCode)
		}
		resp = a.raw("GET", resp.Header.Get("Location"), nil) // the provider
		resp = a.raw("GET", resp.Header.Get("Location"), nil) // the callback
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("%q: callback %d to %q, want 303 to /", target, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// TestInitiateLoginWrongIssuer: an iss other than the provider's exact
// issuer (another provider's, a trailing-slash variant, none, two) is
// refused with 400 and the page naming the problem; no login starts.
func TestInitiateLoginWrongIssuer(t *testing.T) {
	a := newWebApp(t, initiateUsers, nil)
	iss := a.ops["okta"].Issuer()
	for _, params := range []url.Values{
		{"iss": {"https://evil.example"}},
		{"iss": {iss + "/"}},
		{"iss": {strings.ToUpper(iss)}},
		{},
		{"iss": {iss, "https://evil.example"}},
	} {
		resp, err := a.noRedir.Get(initiateURL(a, params))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "made for another identity provider") {
			t.Errorf("%v: %d %q", params, resp.StatusCode, body)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("%v: cookies set: %v", params, resp.Cookies())
		}
	}
}

// TestInitiateLoginErrorHandler: the refusal reaches Config.ErrorHandler
// as ErrInitiateIssuer.
func TestInitiateLoginErrorHandler(t *testing.T) {
	var got error
	a := newWebApp(t, initiateUsers, func(c *Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, status int, err error) {
			got = err
			w.WriteHeader(status)
		}
	})
	if resp := a.raw("GET", initiateURL(a, url.Values{"iss": {"https://evil.example"}}), nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !errors.Is(got, ErrInitiateIssuer) {
		t.Fatalf("error %v, want ErrInitiateIssuer", got)
	}
}

// TestInitiateLoginHint: a hint longer than maxLoginHint or holding a
// control character is dropped; one at the cap is passed on.
func TestInitiateLoginHint(t *testing.T) {
	a := newWebApp(t, initiateUsers, nil)
	for _, c := range []struct {
		hint string
		sent bool
	}{{strings.Repeat("h", maxLoginHint), true}, {strings.Repeat("h", maxLoginHint+1), false}, {"olga\nx", false}} {
		resp := a.raw("GET", initiateURL(a, url.Values{"iss": {a.ops["okta"].Issuer()}, "login_hint": {c.hint}}), nil)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Has("login_hint") != c.sent {
			t.Errorf("hint of %d bytes: %d, login_hint sent %v, want %v", len(c.hint), resp.StatusCode, loc.Query().Has("login_hint"), c.sent)
		}
	}
}

// TestInitiateLoginOversizedPost: a POST body beyond the bound is refused
// with 400 and starts nothing.
func TestInitiateLoginOversizedPost(t *testing.T) {
	a := newWebApp(t, initiateUsers, nil)
	form := "iss=" + url.QueryEscape(a.ops["okta"].Issuer()) + "&pad=" + strings.Repeat("x", maxInitiateForm)
	resp, err := a.noRedir.Post(a.srv.URL+"/initiate-login/okta", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(resp.Cookies()) != 0 {
		t.Fatalf("oversized POST: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
}

// TestInitiateLoginPathConfig: InitiateLoginPath is checked like the
// other paths: not a route path, or taken by another path, is refused.
func TestInitiateLoginPathConfig(t *testing.T) {
	a := newWebApp(t, initiateUsers, nil)
	r := a.web.providers["okta"].RP
	for _, path := range []string{"initiate", "/login/okta"} {
		_, err := New(Config{SessionSecrets: []rp.Secret{testSessionSecret}, Providers: []Provider{{Name: "okta", RP: r, InitiateLoginPath: path}}})
		var ce *rp.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), path) {
			t.Errorf("InitiateLoginPath %q: %v", path, err)
		}
	}
}

// TestInitiateLoginConnection: a connection serves its initiate_login_uri
// under its prefix, and refuses another issuer; an unknown connection is
// 404.
func TestInitiateLoginConnection(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	put(t, store, settingsFor("acme", op))
	a := newConnApp(t, clock, store, nil)
	if got := a.web.Providers()[0].InitiateLoginURL; got != a.srv.URL+"/sso/acme/initiate-login" {
		t.Fatalf("InitiateLoginURL = %q", got)
	}
	if l, _ := a.web.ConnectionURLs("acme"); l.InitiateLoginURL != a.srv.URL+"/sso/acme/initiate-login" {
		t.Fatalf("ConnectionURLs InitiateLoginURL = %q", l.InitiateLoginURL)
	}
	resp := a.raw("GET", "/sso/acme/initiate-login?iss="+url.QueryEscape(op.Issuer())+"&target_link_uri=%2Fme", nil)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), op.Issuer()) {
		t.Fatalf("initiate: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = a.raw("GET", resp.Header.Get("Location"), nil)
	if resp = a.raw("GET", resp.Header.Get("Location"), nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/me" {
		t.Fatalf("sign-in: %d to %q, want 303 to /me", resp.StatusCode, resp.Header.Get("Location"))
	}
	if status, path, body := a.get("/me"); status != http.StatusOK || path != "/me" || body != "user=alice provider=acme" {
		t.Fatalf("/me: %d %s %q", status, path, body)
	}
	if resp := a.raw("GET", "/sso/acme/initiate-login?iss=https%3A%2F%2Fevil.example", nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong iss: %d", resp.StatusCode)
	}
	if resp := a.raw("GET", "/sso/nope/initiate-login?iss="+url.QueryEscape(op.Issuer()), nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown connection: %d", resp.StatusCode)
	}
}
