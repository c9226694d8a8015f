package rptest

import (
	"net/http"
	"strings"
	"testing"
)

// TestHostileRequests sends malformed requests to every endpoint: each
// must get a 4xx answer (JSON for the token endpoint), never a 5xx or a
// dropped connection.
func TestHostileRequests(t *testing.T) {
	s, _ := newTest(t, nil)
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name, method, path, ctype, auth, body string
	}{
		{"token garbage basic", "POST", "/token", form, "Basic !!!", "grant_type=authorization_code"},
		{"token basic bad escape", "POST", "/token", form, "Basic JXp6OiV6eg==", "grant_type=authorization_code"}, // "%zz:%zz"
		{"token basic id mismatch", "POST", "/token", form, "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ=", "client_id=other&grant_type=authorization_code"},
		{"token post without id", "POST", "/token", form, "", "client_secret=test-secret&grant_type=authorization_code"},
		{"token bad form", "POST", "/token", form, "", "a=%zz"},
		{"token no content type", "POST", "/token", "", "", "grant_type=authorization_code"},
		{"token bad content type", "POST", "/token", "text/plain; charset=\"unterminated", "", "x"},
		{"token unknown client none", "POST", "/token", form, "", "client_id=other&grant_type=authorization_code"},
		{"token assertion not accepted", "POST", "/token", form, "", "client_assertion_type=x&client_assertion=a.b.c&grant_type=authorization_code"},
		{"token assertion and basic", "POST", "/token", form, "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ=", "client_assertion=a.b.c&grant_type=authorization_code"},
		{"userinfo basic", "GET", "/userinfo", "", "Basic dGVzdDp0ZXN0", ""},
		{"userinfo empty bearer", "GET", "/userinfo", "", "Bearer ", ""},
		{"userinfo put", "PUT", "/userinfo", "", "", ""},
		{"authorize bad post", "POST", "/authorize", form, "", "client_id=%zz"},
		{"authorize huge post", "POST", "/authorize", form, "", "state=" + strings.Repeat("x", 70<<10)},
		{"logout bad query", "GET", "/logout?state=%zz", "", "", ""},
		{"logout put", "PUT", "/logout", "", "", ""},
		{"jwks post", "POST", "/jwks", form, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			status, body, _ := do(t, s, req)
			if status < 400 || status > 499 {
				t.Errorf("status %d", status)
			}
			if c.path == "/token" && body["error"] == nil {
				t.Errorf("token error body %v", body)
			}
		})
	}
}

// TestUnencodableClaims: a user claim that JSON cannot encode gives a
// server_error, not a panic.
func TestUnencodableClaims(t *testing.T) {
	s, _ := newTest(t, func(c *Config) {
		c.Users = []User{{Subject: "x", Claims: map[string]any{"bad": func() {}}}}
	})
	status, body, _ := tokenCall(t, s, codeForm(getCode(t, s, nil)), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusInternalServerError, "server_error")
}
