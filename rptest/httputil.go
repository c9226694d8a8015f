package rptest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBodyBytes bounds every request body the server reads.
const maxBodyBytes = 64 << 10

// randomString returns n random bytes encoded as unpadded base64url.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b)
}

// writeJSON answers v as JSON with status and Cache-Control: no-store.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"server_error","error_description":"rptest: cannot encode response"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// oauthError is the RFC 6749 section 5.2 error response body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError answers an RFC 6749 JSON error response.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, oauthError{Error: code, Description: description})
}

// writeErrorPage answers a plain-text error page, used where the
// specification forbids redirecting back to the client.
func writeErrorPage(w http.ResponseWriter, status int, code, description string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "rptest: %s: %s\n", code, description)
}

// allowMethods answers 405 and returns false unless r uses one of methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "method "+r.Method+" not allowed")
	return false
}

// errBadForm is returned by readParams for a body that cannot be parsed.
var errBadForm = errors.New("malformed or oversized form body")

// readParams returns the request parameters: the query for GET and HEAD,
// the query merged with the form body for POST (which must then be
// application/x-www-form-urlencoded). requireForm restricts POST parameters
// to the body, as the token endpoint requires.
func readParams(w http.ResponseWriter, r *http.Request, requireForm bool) (url.Values, error) {
	if r.Method != http.MethodPost {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, errBadForm
		}
		return q, nil
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return nil, errors.New("content type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errBadForm
	}
	if requireForm {
		return r.PostForm, nil
	}
	return r.Form, nil
}

// repeatedParam returns the name of a parameter of params that appears more
// than once, RFC 6749 section 3.1 forbidding it, or "" when there is none.
// Only the names listed are checked; extension parameters are free.
func repeatedParam(params url.Values, names ...string) string {
	for _, n := range names {
		if len(params[n]) > 1 {
			return n
		}
	}
	return ""
}

// absoluteURI parses raw and reports whether it is an absolute URI without
// a fragment, as RFC 6749 section 3.1.2 requires of redirection endpoints.
func absoluteURI(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, false
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return nil, false
	}
	return u, true
}

// hasScope reports whether the space-separated scope list contains want.
func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}
