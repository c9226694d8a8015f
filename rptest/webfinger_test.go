package rptest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWebFingerHandler: an issuer lookup answers the JRD with the issuer
// link; other paths, methods, resources and rels are refused.
func TestWebFingerHandler(t *testing.T) {
	h := WebFingerHandler("https://idp.example")
	q := "?resource=acct%3Abob%40example.com&rel=http%3A%2F%2Fopenid.net%2Fspecs%2Fconnect%2F1.0%2Fissuer"
	for _, tc := range []struct {
		name, method, target string
		status               int
		body                 string
	}{
		{"lookup", http.MethodGet, PathWebFinger + q, http.StatusOK, `"href":"https://idp.example"`},
		{"other path", http.MethodGet, "/other" + q, http.StatusNotFound, ""},
		{"POST", http.MethodPost, PathWebFinger + q, http.StatusMethodNotAllowed, ""},
		{"not acct", http.MethodGet, PathWebFinger + "?resource=https%3A%2F%2Fx&rel=http%3A%2F%2Fopenid.net%2Fspecs%2Fconnect%2F1.0%2Fissuer", http.StatusBadRequest, ""},
		{"other rel", http.MethodGet, PathWebFinger + "?resource=acct%3Abob%40example.com&rel=self", http.StatusBadRequest, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %q; want %d with %q", tc.name, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
		if tc.status == http.StatusOK && rec.Header().Get("Content-Type") != "application/jrd+json" {
			t.Errorf("%s: content type %q", tc.name, rec.Header().Get("Content-Type"))
		}
	}
}
