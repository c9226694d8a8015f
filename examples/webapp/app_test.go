package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// signIn signs c in at provider as the mock user hint (login_hint skips
// the mock's page) and returns the page it ends on.
func signIn(t *testing.T, app *testApp, c *http.Client, provider, hint string) (*http.Response, string) {
	t.Helper()
	q := url.Values{"return_to": {"/me"}, "login_hint": {hint}}
	return get(t, c, app.URL+connectionPrefix+provider+"/login?"+q.Encode())
}

func TestSignInWithEachProvider(t *testing.T) {
	app := startApp(t, nil)
	for _, tc := range []struct {
		provider, hint string
		want           []string
	}{
		{"azure", "bob", []string{"Bob Brown", "Entra ID (mock)", "u-bob", "reports, staff", "<code>email_verified</code></th><td><code>true</code>"}},
		{"okta", "carol", []string{"Carol Clark", "Okta (mock)", "u-carol", "carol@partner.example", "partners"}},
	} {
		resp, body := signIn(t, app, newClient(t), tc.provider, tc.hint)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" {
			t.Fatalf("%s: sign-in ended with %d at %s, want 200 at /me:\n%s", tc.provider, resp.StatusCode, resp.Request.URL, body)
		}
		for _, want := range tc.want {
			if !strings.Contains(body, want) {
				t.Errorf("%s: /me lacks %q:\n%s", tc.provider, want, body)
			}
		}
	}
}

func TestSignInWithoutLocalAccountIsRefused(t *testing.T) {
	app := startApp(t, nil)
	resp, body := signIn(t, app, newClient(t), "okta", "dave")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "There is no account here for this identity.") ||
		!strings.Contains(body, "Reference for support: <code>") {
		t.Errorf("dave: %d, want 403 saying there is no account:\n%s", resp.StatusCode, body)
	}
}

func TestMeRequiresSignIn(t *testing.T) {
	app := startApp(t, nil)
	c := noRedirects(newClient(t))
	resp, _ := get(t, c, app.URL+"/me")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?return_to=%2Fme" {
		t.Errorf("GET /me: %d to %q, want 303 to /login?return_to=%%2Fme", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/me", nil)
	req.Header.Set("Accept", "application/json")
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /me from a script: %d, want 401", resp.StatusCode)
	}
}

func TestSignOutThroughProvider(t *testing.T) {
	app := startApp(t, nil)
	c := newClient(t)
	if resp, _ := signIn(t, app, c, "azure", "alice"); resp.Request.URL.Path != "/me" {
		t.Fatalf("sign-in ended at %s", resp.Request.URL)
	}
	resp, err := c.PostForm(app.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != app.URL+"/" {
		t.Errorf("sign-out ended with %d at %s, want 200 at /", resp.StatusCode, resp.Request.URL)
	}
	if n := app.idps["azure"].Requests("end_session"); n != 1 {
		t.Errorf("the provider's end-session endpoint saw %d requests, want 1", n)
	}
	if resp, _ := get(t, noRedirects(c), app.URL+"/me"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("/me after sign-out: %d, want 303 to the sign-in page", resp.StatusCode)
	}
}

func TestHomePage(t *testing.T) {
	app := startApp(t, nil)
	c := newClient(t)
	if _, body := get(t, c, app.URL+"/"); !strings.Contains(body, `href="/login"`) {
		t.Errorf("home page for a visitor has no sign-in link:\n%s", body)
	}
	signIn(t, app, c, "azure", "alice")
	if _, body := get(t, c, app.URL+"/"); !strings.Contains(body, "Alice Anders") || !strings.Contains(body, `href="/me"`) {
		t.Errorf("home page for alice has no greeting and link to /me:\n%s", body)
	}
}

func TestLoginPageButtons(t *testing.T) {
	app := startApp(t, nil)
	for returnTo, want := range map[string]string{
		"/me?tab=claims":        "/me?tab=claims",
		"":                      "/me",
		"https://evil.example/": "/me",
		"//evil.example/":       "/me",
	} {
		_, body := get(t, newClient(t), app.URL+"/login?"+url.Values{"return_to": {returnTo}}.Encode())
		q := url.Values{"return_to": {want}}.Encode()
		for _, link := range []string{`href="/sso/azure/login?` + q + `"`, `href="/sso/okta/login?` + q + `"`} {
			if !strings.Contains(body, strings.ReplaceAll(link, "&", "&amp;")) {
				t.Errorf("return_to %q: login page lacks %s:\n%s", returnTo, link, body)
			}
		}
		for _, want := range []string{">Entra ID (mock)</a>", ">Okta (mock)</a>", `action="/login/password"`} {
			if !strings.Contains(body, want) {
				t.Errorf("login page lacks %s", want)
			}
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	app := startApp(t, nil)
	resp, _ := get(t, newClient(t), app.URL+"/login")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self';"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	// /me has the sign-out form, which goes on to the provider's logout.
	resp, _ = signIn(t, app, newClient(t), "okta", "carol")
	if csp, want := resp.Header.Get("Content-Security-Policy"), "form-action 'self' "+app.idps["okta"].URL+";"; !strings.Contains(csp, want) {
		t.Errorf("CSP of /me %q lacks %q", csp, want)
	}
}

func TestCallbackWithBogusState(t *testing.T) {
	app := startApp(t, nil)
	resp, body := get(t, newClient(t), app.URL+"/sso/azure/callback?state=bogus&code=SECRET-CODE")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired or was already used") {
		t.Errorf("bogus state: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "SECRET-CODE") {
		t.Error("the error page shows the code")
	}
}

func TestLogoutNeedsPost(t *testing.T) {
	app := startApp(t, nil)
	if resp, _ := get(t, newClient(t), app.URL+"/logout"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: %d, want 405", resp.StatusCode)
	}
}

func TestNewAppRefusesRedirectPathOfAPage(t *testing.T) {
	for _, path := range []string{"", "/", "/login", "/me", "/login/password"} {
		if err := checkRedirectPath("http://127.0.0.1:8080" + path); err == nil {
			t.Errorf("redirect path %q accepted", path)
		}
	}
	if err := checkRedirectPath("http://127.0.0.1:8080/callback/oidc"); err != nil {
		t.Errorf("/callback/oidc refused: %v", err)
	}
}
