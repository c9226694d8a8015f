package rptest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestEndSessionRegisteredPostLogoutRedirectURIs(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.PostLogoutRedirectURIs = []string{"https://rp.example/bye"} })
	for _, tc := range []struct {
		uri    string
		status int
	}{
		{"https://rp.example/bye", http.StatusFound},
		{"https://rp.example/bye/", http.StatusBadRequest},
		{"https://evil.example/bye", http.StatusBadRequest},
	} {
		q := url.Values{"post_logout_redirect_uri": {tc.uri}, "client_id": {s.ClientID()}, "state": {"s1"}}
		resp, err := noRedirect(s).Get(s.URL + PathEndSession + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.uri, resp.StatusCode, tc.status)
		}
		if tc.status == http.StatusFound && resp.Header.Get("Location") != tc.uri+"?state=s1" {
			t.Errorf("%s: Location %q", tc.uri, resp.Header.Get("Location"))
		}
		if tc.status == http.StatusBadRequest && (resp.Header.Get("Location") != "" || !strings.Contains(string(body), "post_logout_redirect_uri is not registered")) {
			t.Errorf("%s: Location %q, page %q", tc.uri, resp.Header.Get("Location"), body)
		}
	}
	// Without a list, any absolute URI is accepted.
	open, _ := newTest(t, nil)
	if resp := get(t, open, open.URL+PathEndSession+"?post_logout_redirect_uri="+url.QueryEscape("https://any.example/x")); resp.StatusCode != http.StatusFound {
		t.Errorf("no list: status %d, want 302", resp.StatusCode)
	}
}
