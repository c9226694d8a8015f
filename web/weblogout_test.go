package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"

	"github.com/oidcrp/rp/rptest"
)

func TestWebLogoutThroughProvider(t *testing.T) {
	a := newWebApp(t, oneProvider, func(c *Config) { c.LoggedOutURL = "/bye" })
	a.login("mock", "", "/me")
	resp := a.logout()
	end, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(end.String(), a.ops["mock"].URL+"/logout?") {
		t.Fatalf("logout: %d %q; want 303 to the end-session endpoint", resp.StatusCode, end)
	}
	q := end.Query()
	if q.Get("id_token_hint") == "" || q.Get("client_id") != rptest.DefaultClientID || q.Get("state") == "" ||
		q.Get("post_logout_redirect_uri") != a.srv.URL+"/signout-callback-oidc" {
		t.Fatalf("end-session parameters: %v", q)
	}
	// The session is gone at once.
	if r := a.raw("GET", "/me", http.Header{"Accept": {"application/json"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after logout /me = %d", r.StatusCode)
	}
	// The provider sends the browser back with the state.
	resp = a.raw("GET", end.String(), nil)
	back, _ := url.Parse(resp.Header.Get("Location"))
	resp = a.raw("GET", back.RequestURI(), nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/bye" {
		t.Fatalf("post-logout: %d %q; want 303 to the logout page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestWebPostLogoutStateMismatch(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	a.login("mock", "", "/me")
	a.logout()
	status, _, body := a.get("/signout-callback-oidc?state=forged")
	if status != http.StatusBadRequest || !strings.Contains(body, "sign-out link expired") {
		t.Fatalf("forged post-logout state: %d %s", status, body)
	}
	// Without any logout in progress, too.
	b := newWebApp(t, oneProvider, nil)
	if status, _, _ := b.get("/signout-callback-oidc?state=x"); status != http.StatusBadRequest {
		t.Fatalf("unsolicited post-logout: %d", status)
	}
}

func TestWebLogoutWithoutEndSession(t *testing.T) {
	// A provider without RP-initiated logout: its endpoints by hand, with
	// no end-session endpoint.
	a := newWebAppRP(t, oneProvider, func(c *rp.Config) {
		c.Endpoints = &rp.Endpoints{
			Authorization: c.Authority + rptest.PathAuthorize, Token: c.Authority + rptest.PathToken,
			JWKS: c.Authority + rptest.PathJWKS, UserInfo: c.Authority + rptest.PathUserInfo,
		}
	}, nil)
	a.login("mock", "", "/me")
	resp := a.logout()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("local logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if r := a.raw("GET", "/me", http.Header{"Accept": {"application/json"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after logout /me = %d", r.StatusCode)
	}
}

func TestWebLogoutRefusesCrossOriginPost(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	a.login("mock", "", "/me")
	req, _ := http.NewRequest("POST", a.srv.URL+"/logout", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := a.noRedir.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site logout: %d; want 403", resp.StatusCode)
	}
	if status, _, _ := a.get("/me"); status != 200 {
		t.Fatal("a cross-site POST ended the session")
	}
}

func TestWebTwoProviders(t *testing.T) {
	a := newWebApp(t, map[string][]rptest.User{
		"azure": {{Subject: "az-1", Claims: map[string]any{"preferred_username": "ann"}}},
		"okta":  {{Subject: "ok-1", Claims: map[string]any{"preferred_username": "otto"}}},
	}, nil)
	for _, p := range a.web.Providers() {
		if p.LoginURL != "/login/"+p.Name || p.Title != p.Name {
			t.Errorf("provider link %+v", p)
		}
	}
	if a.web.cfg.LoginPage != "/login" {
		t.Errorf("LoginPage = %q; want the app's chooser /login with several providers", a.web.cfg.LoginPage)
	}
	for _, tc := range []struct{ provider, want string }{{"azure", "provider=azure sub=az-1"}, {"okta", "provider=okta sub=ok-1"}} {
		_, _, body := a.login(tc.provider, "", "/me")
		if !strings.Contains(body, tc.want) {
			t.Errorf("%s: %q; want %q", tc.provider, body, tc.want)
		}
	}
	if a.store.Len() != 2 {
		t.Errorf("accounts %d; want one per provider's user", a.store.Len())
	}
}

func TestConfigErrors(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	r := a.web.order[0].RP
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{}, "SessionSecrets"},
		{Config{SessionSecrets: []rp.Secret{"short"}}, "SessionSecrets[0]"},
		{Config{SessionSecrets: []rp.Secret{testSessionSecret}, Providers: []Provider{{Name: "bad name", RP: r}}}, "Providers[0].Name"},
		{Config{SessionSecrets: []rp.Secret{testSessionSecret}, Providers: []Provider{{Name: "a", RP: r}, {Name: "a", RP: r}}}, "Providers[1].Name"},
		{Config{SessionSecrets: []rp.Secret{testSessionSecret}, Providers: []Provider{{Name: "a", RP: r}, {Name: "b", RP: r}}}, "Providers[1]"},
		{Config{SessionSecrets: []rp.Secret{testSessionSecret}, Providers: []Provider{{Name: "a"}}}, "Providers[0].RP"},
	} {
		_, err := New(tc.cfg)
		var ce *rp.ConfigError
		if !errors.As(err, &ce) || ce.Problems[0].Field != tc.field {
			t.Errorf("New(%+v) = %v; want a problem with %s", tc.cfg, err, tc.field)
		}
	}
}

func TestWebFallbackSignIn(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	a.web.cfg.LoggedOutURL = "/"
	mux := http.NewServeMux()
	mux.HandleFunc("POST /password", func(w http.ResponseWriter, r *http.Request) {
		if err := a.web.SignIn(w, r, &rp.User{ID: "local-1", Username: "localadmin", Admin: true}); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, "/me", http.StatusSeeOther)
	})
	mux.Handle("/", a.srv.Config.Handler)
	a.srv.Config.Handler = mux
	resp, err := a.browser.Post(a.srv.URL+"/password", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if status, _, body := a.get("/me"); status != 200 || body != "user=localadmin provider=" {
		t.Fatalf("after password sign-in: %d %q", status, body)
	}
	if resp := a.logout(); resp.Header.Get("Location") != "/" {
		t.Fatalf("password session logout went to %q; want local logout", resp.Header.Get("Location"))
	}
	if r := a.raw("GET", "/me", http.Header{"Accept": {"application/json"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after logout /me = %d", r.StatusCode)
	}
}
