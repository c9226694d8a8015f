package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
)

// TestWebLogsEachEventOnce: a sign-in, a refresh and a logout are one Info
// line each, with provider, iss and sub, and no token, code or secret.
func TestWebLogsEachEventOnce(t *testing.T) {
	var logs testlog.Buffer
	a := newWebApp(t, oneProvider, func(c *Config) { c.Logger = logs.Logger(); c.IdleTimeout = 4 * time.Hour })
	op := a.ops["mock"]

	// Walk the sign-in by hand to see the code.
	resp := a.raw("GET", "/login/mock?return_to=/me", nil)
	resp = a.raw("GET", resp.Header.Get("Location"), nil)
	cb, _ := url.Parse(resp.Header.Get("Location"))
	code := cb.Query().Get("code")
	if resp = a.raw("GET", cb.RequestURI(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	s, _ := a.web.sessions.Load(a.requestWithCookies())
	first, _ := decodeSession(s.Data)
	a.clock.Advance(rptest.DefaultTokenTTL)
	if status, _, _ := a.get("/me"); status != http.StatusOK {
		t.Fatalf("/me after the refresh: %d", status)
	}
	s, _ = a.web.sessions.Load(a.requestWithCookies())
	second, _ := decodeSession(s.Data)
	if resp := a.logout(); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}

	for _, msg := range []string{evSignIn, evRefresh, evLogout} {
		line := logs.Only(t, msg)
		if line["level"] != "INFO" || line["provider"] != "mock" || line["iss"] != op.Issuer() || line["sub"] != "alice-sub" {
			t.Errorf("%s: %v; want INFO with provider, iss and sub", msg, line)
		}
	}
	if n := len(logs.Lines(t)); n != 3 {
		t.Errorf("%d log lines; want 3:\n%s", n, logs.String())
	}
	text := logs.String()
	for name, secret := range map[string]string{
		"code": code, "client secret": op.ClientSecret(),
		"ID token": first.IDToken, "access token": first.AccessToken, "refresh token": first.RefreshToken,
		"refreshed access token": second.AccessToken, "refreshed refresh token": second.RefreshToken,
	} {
		if secret == "" || strings.Contains(text, secret) {
			t.Errorf("the %s (%q) is missing from the session or appears in the log", name, secret)
		}
	}
}

var refOnPage = regexp.MustCompile(`Reference: <code>([A-Z2-7]{8})</code>`)

// TestWebRefusedSignInLoggedOnceWithRef: each refused sign-in is one line,
// at Warn when it looks like an attack and Info otherwise, with the error
// kind and a reference that the error page shows too.
func TestWebRefusedSignInLoggedOnceWithRef(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
		level  string
		kind   string
		status int
	}{
		{"bad signature", rptest.Faults{BadSignature: true}, "WARN", "id_token_signature", http.StatusBadRequest},
		{"mix-up", rptest.Faults{ResponseIss: "https://other.example"}, "WARN", "issuer_mismatch", http.StatusBadRequest},
		{"access denied", rptest.Faults{AuthorizeError: "access_denied"}, "INFO", "authorization_error", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testlog.Buffer
			var rpLogs testlog.Buffer
			a := newWebAppRP(t, oneProvider, func(c *rp.Config) { c.Logger = rpLogs.Logger() }, func(c *Config) { c.Logger = logs.Logger() })
			a.ops["mock"].SetFaults(tc.faults)
			status, _, body := a.login("mock", "", "/me")
			if status != tc.status {
				t.Fatalf("status %d; want %d", status, tc.status)
			}
			line := logs.Only(t, evSignInRefused)
			m := refOnPage.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no reference on the error page: %s", body)
			}
			if line["level"] != tc.level || line["error_kind"] != tc.kind || line["provider"] != "mock" || line["ref"] != m[1] {
				t.Fatalf("log line %v; want %s, error_kind %s, provider mock, ref %s", line, tc.level, tc.kind, m[1])
			}
			if n := len(logs.Lines(t)); n != 1 {
				t.Errorf("%d Site log lines; want 1:\n%s", n, logs.String())
			}
			if strings.Contains(rpLogs.String(), evSignInRefused) {
				t.Errorf("the RP logged the refusal as well:\n%s", rpLogs.String())
			}
		})
	}
}

// TestWebStateReuseLoggedAsWarning: replaying a used callback is one Warn
// line.
func TestWebStateReuseLoggedAsWarning(t *testing.T) {
	var logs testlog.Buffer
	a := newWebApp(t, oneProvider, func(c *Config) { c.Logger = logs.Logger() })
	resp := a.raw("GET", "/login/mock?return_to=/me", nil)
	tx := resp.Cookies()
	resp = a.raw("GET", resp.Header.Get("Location"), nil)
	cb := resp.Header.Get("Location")
	a.raw("GET", cb, nil)
	// The attacker replays the response with the transaction cookie.
	for _, c := range tx {
		a.jar.SetCookies(mustURL(t, a.srv.URL), []*http.Cookie{c})
	}
	resp = a.raw("GET", cb, nil)
	errorKind := ""
	for _, l := range logs.Lines(t) {
		if l["msg"] == evSignInRefused {
			errorKind, _ = l["error_kind"].(string)
			if l["level"] != "WARN" {
				t.Errorf("replayed callback logged at %v; want WARN", l["level"])
			}
		}
	}
	if resp.StatusCode != http.StatusBadRequest || errorKind != "state_reused" {
		t.Fatalf("replay: %d, error_kind %q\n%s", resp.StatusCode, errorKind, logs.String())
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
