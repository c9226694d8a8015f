package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postPassword posts the fallback form and returns the response without
// following its redirect.
func postPassword(t *testing.T, app *testApp, c *http.Client, username, password, returnTo string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"username": {username}, "password": {password}, "return_to": {returnTo}}
	req, err := http.NewRequest(http.MethodPost, app.URL+"/login/password", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, noRedirects(c), req)
}

func TestPasswordFallback(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		noUserFallback               bool
		username, password, returnTo string
		status                       int
		location, text               string
	}{
		{"admin", false, "admin", "admin-demo", "/me", http.StatusSeeOther, "/me", ""},
		{"admin, username in capitals", false, "ADMIN", "admin-demo", "/", http.StatusSeeOther, "/", ""},
		{"admin without user fallback", true, "admin", "admin-demo", "/me", http.StatusSeeOther, "/me", ""},
		{"user", false, "bob", "bob-demo", "/me?x=1", http.StatusSeeOther, "/me?x=1", ""},
		{"user without user fallback", true, "bob", "bob-demo", "/me", http.StatusForbidden, "", "signs in with its identity provider"},
		{"wrong password", false, "admin", "bob-demo", "/me", http.StatusUnauthorized, "", "Wrong username or password."},
		{"unknown user", false, "mallory", "x", "/me", http.StatusUnauthorized, "", "Wrong username or password."},
		{"empty", false, "", "", "/me", http.StatusUnauthorized, "", "Wrong username or password."},
		{"foreign return_to", false, "admin", "admin-demo", "https://evil.example/", http.StatusSeeOther, "/me", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := startApp(t, func(o *options) { o.NoPasswordFallback = tc.noUserFallback })
			resp, body := postPassword(t, app, newClient(t), tc.username, tc.password, tc.returnTo)
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
				t.Fatalf("status %d to %q, want %d to %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location, body)
			}
			if !strings.Contains(body, tc.text) {
				t.Errorf("page lacks %q:\n%s", tc.text, body)
			}
		})
	}
}

func TestPasswordSessionIsAnRPSession(t *testing.T) {
	app := startApp(t, nil)
	c := newClient(t)
	if resp, _ := postPassword(t, app, c, "admin", "admin-demo", "/me"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	_, body := get(t, c, app.URL+"/me")
	for _, want := range []string{"Site Administrator", `<strong id="provider">Password</strong>`, "u-admin", "None: you signed in with a password"} {
		if !strings.Contains(body, want) {
			t.Errorf("/me lacks %q:\n%s", want, body)
		}
	}
	resp, err := c.PostForm(app.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" {
		t.Errorf("sign-out ended at %s, want /", resp.Request.URL)
	}
	for name, op := range app.idps {
		if n := op.Requests("end_session"); n != 0 {
			t.Errorf("a password session's sign-out went to %s (%d requests)", name, n)
		}
	}
}

func TestPasswordFormRefusesCrossSitePosts(t *testing.T) {
	app := startApp(t, nil)
	form := url.Values{"username": {"admin"}, "password": {"admin-demo"}}
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/login/password", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := do(t, newClient(t), req); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("cross-site post: %d with cookies %v, want 403 and none", resp.StatusCode, resp.Cookies())
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                  "/",
		"/me?tab=claims":     "/me?tab=claims",
		"":                   "/me",
		"me":                 "/me",
		"//evil.example":     "/me",
		"/\\evil.example":    "/me",
		"https://evil.ex/":   "/me",
		"/ok\r\nSet-Cookie:": "/me",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
