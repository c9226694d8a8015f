package web

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/internal/events"
)

// TestErrorPageEscapesProviderText: the default error page shows the
// provider's sanitized error code and description HTML-escaped, so a
// hostile provider cannot script the site.
func TestErrorPageEscapesProviderText(t *testing.T) {
	err := &rp.AuthorizationError{Code: `<img src=x onerror="alert(1)">`, Description: "<script>alert(document.cookie)</script>"}
	rec := httptest.NewRecorder()
	renderError(rec, http.StatusForbidden, err, "/login")
	page := rec.Body.String()
	if strings.Contains(page, "<script>") || strings.Contains(page, "<img") || !strings.Contains(page, "&lt;script&gt;") {
		t.Errorf("error page does not escape the provider's text: %s", page)
	}
	if rec.Code != http.StatusForbidden || rec.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("status %d, CSP %q", rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
}

// TestWebErrorKinds: the web layer's own errors have their own words in
// the logs, and everything else rp.ErrorCode's.
func TestWebErrorKinds(t *testing.T) {
	for err, want := range map[error]string{
		ErrLogoutIncomplete: "logout_incomplete",
		ErrLogoutState:      "logout_state",
		rp.ErrStateReused:   "state_reused",
	} {
		if got := errorKindOf(err); got != want {
			t.Errorf("errorKindOf(%v) = %q; want %q", err, got, want)
		}
	}
}

// TestErrorPageSaysWhatToDo: each kind of failure the default page shows
// says what happened and what the user can do next, with the reference
// and a way back to the sign-in page, and nothing of the error's details.
func TestErrorPageSaysWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		err          error
		happened, do string
	}{
		{rp.ErrStateExpired, "This sign-in link expired or was already used.", "Sign in again from the start."},
		{rp.ErrNoLocalAccount, "There is no account here for this identity.", "sign in with it; otherwise ask your administrator for access"},
		{&rp.AuthorizationError{Code: "access_denied"}, "The identity provider did not sign you in.", "choose another account"},
		{ErrConnectionUnavailable, "This sign-in option is unavailable right now.", "Try again in a few minutes."},
		{ErrSettingsChanged, "The sign-in settings changed while you were signing in.", "Sign in again from the start."},
		{connection.ErrDisabled, "This sign-in option is not available.", "Choose another way to sign in."},
		{ErrLogoutIncomplete, "You are signed out in this browser", "Try again in a few minutes."},
	} {
		err := events.WithRef(fmt.Errorf("%w: secret detail 4f2a", tc.err))
		rec := httptest.NewRecorder()
		renderError(rec, http.StatusBadRequest, err, "/login")
		page := rec.Body.String()
		for _, want := range []string{tc.happened, tc.do, "Reference: <code>" + rp.ErrorRef(err) + "</code>", `<a href="/login">Sign in again</a>`} {
			if !strings.Contains(page, html.EscapeString(want)) && !strings.Contains(page, want) {
				t.Errorf("%v: page without %q:\n%s", tc.err, want, page)
			}
		}
		if strings.Contains(page, "secret detail") {
			t.Errorf("%v: page shows the error's details", tc.err)
		}
	}
}
