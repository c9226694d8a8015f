package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
)

// TestErrorPageEscapesProviderText: the default error page shows the
// provider's sanitized error code and description HTML-escaped, so a
// hostile provider cannot script the site.
func TestErrorPageEscapesProviderText(t *testing.T) {
	err := &rp.AuthorizationError{Code: `<img src=x onerror="alert(1)">`, Description: "<script>alert(document.cookie)</script>"}
	rec := httptest.NewRecorder()
	renderError(rec, http.StatusForbidden, err)
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
