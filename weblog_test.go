package rp

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// TestWebLogsEachEventOnce: a sign-in, a refresh and a logout are one Info
// line each, with provider, iss and sub, and no token, code or secret.
func TestWebLogsEachEventOnce(t *testing.T) {
	var logs logBuffer
	a := newWebApp(t, oneProvider, func(c *WebConfig) { c.Logger = logs.logger(); c.IdleTimeout = 4 * time.Hour })
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
		line := logs.only(t, msg)
		if line["level"] != "INFO" || line["provider"] != "mock" || line["iss"] != op.Issuer() || line["sub"] != "alice-sub" {
			t.Errorf("%s: %v; want INFO with provider, iss and sub", msg, line)
		}
	}
	if n := len(logs.lines(t)); n != 3 {
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

var refOnPage = regexp.MustCompile(`quote this reference: <code>([A-Z2-7]{8})</code>`)

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
			var logs logBuffer
			var rpLogs logBuffer
			a := newWebAppRP(t, oneProvider, func(c *Config) { c.Logger = rpLogs.logger() }, func(c *WebConfig) { c.Logger = logs.logger() })
			a.ops["mock"].SetFaults(tc.faults)
			status, _, body := a.login("mock", "", "/me")
			if status != tc.status {
				t.Fatalf("status %d; want %d", status, tc.status)
			}
			line := logs.only(t, evSignInRefused)
			m := refOnPage.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no reference on the error page: %s", body)
			}
			if line["level"] != tc.level || line["error_kind"] != tc.kind || line["provider"] != "mock" || line["ref"] != m[1] {
				t.Fatalf("log line %v; want %s, error_kind %s, provider mock, ref %s", line, tc.level, tc.kind, m[1])
			}
			if n := len(logs.lines(t)); n != 1 {
				t.Errorf("%d Web log lines; want 1:\n%s", n, logs.String())
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
	var logs logBuffer
	a := newWebApp(t, oneProvider, func(c *WebConfig) { c.Logger = logs.logger() })
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
	for _, l := range logs.lines(t) {
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

// TestRPCallbackLogsOnce: RP.Callback, used without Web, logs one line per
// sign-in or refusal.
func TestRPCallbackLogsOnce(t *testing.T) {
	var logs logBuffer
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.Logger = logs.logger() })
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
	line := logs.only(t, evSignIn)
	if line["level"] != "INFO" || line["iss"] != h.op.Issuer() || line["sub"] != "alice-sub" {
		t.Fatalf("sign-in line %v", line)
	}
	h.op.SetFaults(rptest.Faults{BadSignature: true})
	_, err := h.login()
	if !errors.Is(err, ErrIDTokenSignature) {
		t.Fatalf("a bad signature: %v; want ErrIDTokenSignature", err)
	}
	line = logs.only(t, evSignInRefused)
	if line["level"] != "WARN" || line["error_kind"] != "id_token_signature" {
		t.Fatalf("refusal line %v", line)
	}
	// The error carries the reference of its log line, for the app's page.
	if ref := ErrorRef(err); ref == "" || line["ref"] != ref {
		t.Fatalf("ErrorRef(err) = %q, log ref %v; want the same non-empty reference", ref, line["ref"])
	}
}

// TestErrorKindOfEverySentinel: every error a sign-in, logout or refresh
// can end with has its own word in the logs, and an interaction_required
// answer is told from other authorization errors.
func TestErrorKindOfEverySentinel(t *testing.T) {
	seen := map[string]error{}
	for _, err := range []error{
		ErrStateMissing, ErrStateUnknown, ErrStateInvalid, ErrStateExpired, ErrStateReused, ErrMalformedResponse,
		ErrTokensInQuery, ErrIssuerMismatch, ErrMissingCode, ErrMissingIDToken,
		ErrIDTokenMalformed, ErrIDTokenAlgorithm, ErrIDTokenSignature, ErrIDTokenIssuer, ErrIDTokenAudience,
		ErrIDTokenExpired, ErrIDTokenNotYetValid, ErrIDTokenIssuedInFuture, ErrIDTokenIssuedBeforeLogin,
		ErrIDTokenMissingClaim, ErrNonceMismatch, ErrAccessTokenHash, ErrCodeHash, ErrIDTokenAuthTime, ErrIDTokenACR,
		ErrTenantNotAllowed, ErrHostedDomain, ErrUserInfoSubjectMismatch, ErrUserInfo, ErrNoLocalAccount,
		ErrAmbiguousUser, ErrUnverifiedEmail, ErrSubjectConflict, ErrAdminRefused, ErrUserExists, ErrLogoutIncomplete,
		ErrLogoutState, ErrUnsafeReturnTo, ErrInvalidLoginOption,
		&AuthorizationError{Code: "access_denied"}, &AuthorizationError{Code: "login_required"},
		&TokenError{Code: "invalid_grant"}, &StoreError{Op: "UserByEmail", Err: errors.New("down")},
	} {
		kind := errorKindOf(err)
		if kind == "other" || kind == "state" || kind == "id_token_invalid" {
			t.Errorf("%v has only the generic error_kind %q", err, kind)
		}
		if prev, dup := seen[kind]; dup {
			t.Errorf("%v and %v share error_kind %q", prev, err, kind)
		}
		seen[kind] = err
	}
	if k := errorKindOf(&AuthorizationError{Code: "consent_required"}); k != "interaction_required" {
		t.Errorf("consent_required logged as %q", k)
	}
}
