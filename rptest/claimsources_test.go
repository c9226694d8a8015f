package rptest

import (
	"net/http"
	"strings"
	"testing"
)

func TestClaimSourceEndpointsRefuseUnknownTokens(t *testing.T) {
	s := NewServer(Config{})
	defer s.Close()
	ep, _ := s.DistributedClaims("u", map[string]any{"c": "v"})
	for _, tc := range []struct {
		name, method, url, ctype, body string
		want                           int
	}{
		{"distributed, unknown token", http.MethodGet, ep, "", "", http.StatusUnauthorized},
		{"distributed, POST", http.MethodPost, ep, "", "", http.StatusMethodNotAllowed},
		{"graph, unknown token", http.MethodPost, s.URL + PathGraph + "/v1.0/me/getMemberGroups", "application/json", `{"securityEnabledOnly":false}`, http.StatusUnauthorized},
		{"graph, no body", http.MethodPost, s.URL + PathGraph + "/v1.0/me/getMemberGroups", "application/json", `{}`, http.StatusBadRequest},
		{"graph, GET", http.MethodGet, s.URL + PathGraph + "/v1.0/me/getMemberGroups", "", "", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer not-issued")
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d; want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}
