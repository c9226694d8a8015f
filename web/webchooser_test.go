package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

var twoProviders = map[string][]rptest.User{
	"azure": {{Subject: "az-1", Claims: map[string]any{"preferred_username": "ann"}}},
	"okta":  {{Subject: "ok-1", Claims: map[string]any{"preferred_username": "otto"}}},
}

// TestWebServesProviderChooser: with several providers and no LoginPage,
// Require's redirect target exists: a page with a link per provider that
// carries a safe return_to on.
func TestWebServesProviderChooser(t *testing.T) {
	a := newWebApp(t, twoProviders, nil)
	resp := a.raw("GET", "/me?x=1", http.Header{"Accept": {"text/html"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?return_to=%2Fme%3Fx%3D1" {
		t.Fatalf("anonymous page load: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	page := func(path string) (*http.Response, string) {
		t.Helper()
		r, _ := http.NewRequest("GET", a.srv.URL+path, nil)
		resp, err := a.noRedir.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := page("/login?return_to=%2Fme%3Fx%3D1")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("chooser: %d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{`<html lang="en">`, `<title>Sign in</title>`,
		`href="/login/azure?return_to=%2Fme%3Fx%3D1"`, `href="/login/okta?return_to=%2Fme%3Fx%3D1"`, "Sign in with azure", "Sign in with okta"} {
		if !strings.Contains(body, want) {
			t.Errorf("chooser lacks %q:\n%s", want, body)
		}
	}
	for _, hostile := range []string{"//evil.example", "https://evil.example/", `"><script>alert(1)</script>`} {
		_, body := page("/login?return_to=" + strings.ReplaceAll(hostile, "#", "%23"))
		if strings.Contains(body, "return_to") || strings.Contains(body, "<script>") {
			t.Errorf("return_to %q carried on:\n%s", hostile, body)
		}
	}
	// The chooser's links sign in and come back.
	status, path, got := a.get("/login/okta?return_to=%2Fme%3Fx%3D1")
	if status != http.StatusOK || path != "/me?x=1" || !strings.Contains(got, "provider=okta") {
		t.Fatalf("sign-in from the chooser: %d %s %q", status, path, got)
	}
}

// TestWebChooserOnlyByDefault: an application with its own LoginPage, or
// with a single provider, gets no chooser.
func TestWebChooserOnlyByDefault(t *testing.T) {
	for name, a := range map[string]*webApp{
		"own page":     newWebApp(t, twoProviders, func(c *Config) { c.LoginPage = "/signin" }),
		"one provider": newWebApp(t, oneProvider, nil),
	} {
		if resp := a.raw("GET", "/login", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: GET /login = %d; want 404", name, resp.StatusCode)
		}
	}
}
