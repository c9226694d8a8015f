package rptest

import (
	"net/http"
	"slices"
	"testing"
)

func discovery(t *testing.T, s *Server) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/.well-known/openid-configuration", nil)
	return do(t, s, req)
}

func strList(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestDiscoveryDocument(t *testing.T) {
	s, _ := newTest(t, nil)
	status, doc, hdr := discovery(t, s)
	if status != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d content type %q", status, hdr.Get("Content-Type"))
	}
	wantStr := map[string]string{
		"issuer":                 s.URL,
		"authorization_endpoint": s.URL + "/authorize",
		"token_endpoint":         s.URL + "/token",
		"userinfo_endpoint":      s.URL + "/userinfo",
		"jwks_uri":               s.URL + "/jwks",
		"end_session_endpoint":   s.URL + "/logout",
	}
	for k, v := range wantStr {
		if doc[k] != v {
			t.Errorf("%s = %v, want %q", k, doc[k], v)
		}
	}
	wantList := map[string][]string{
		"response_types_supported":              {"code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"},
		"response_modes_supported":              {"query", "fragment", "form_post", "jwt", "query.jwt", "fragment.jwt", "form_post.jwt"},
		"subject_types_supported":               {"public"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"scopes_supported":                      {"openid", "profile", "email", "phone", "offline_access"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      {"S256", "plain"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "implicit"},
	}
	for k, v := range wantList {
		if got := strList(doc[k]); !slices.Equal(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if doc["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("authorization_response_iss_parameter_supported = %v", doc["authorization_response_iss_parameter_supported"])
	}
	claims := strList(doc["claims_supported"])
	for _, c := range []string{"sub", "iss", "email", "preferred_username", "phone_number"} {
		if !slices.Contains(claims, c) {
			t.Errorf("claims_supported %v lacks %q", claims, c)
		}
	}
	if s.Issuer() != s.URL || s.URL[len(s.URL)-1] == '/' {
		t.Errorf("Issuer() = %q, URL = %q", s.Issuer(), s.URL)
	}
	if s.Requests(EndpointDiscovery) != 1 {
		t.Errorf("Requests(discovery) = %d, want 1", s.Requests(EndpointDiscovery))
	}
}

func TestDiscoveryPublicClientAndAlg(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.PublicClient = true; c.SigningAlg = "ES256" })
	_, doc, _ := discovery(t, s)
	if got := strList(doc["token_endpoint_auth_methods_supported"]); !slices.Contains(got, "none") {
		t.Errorf("auth methods %v lack none", got)
	}
	if got := strList(doc["id_token_signing_alg_values_supported"]); !slices.Equal(got, []string{"ES256"}) {
		t.Errorf("algs %v, want [ES256]", got)
	}
	if s.ClientSecret() != "" {
		t.Errorf("public client secret %q, want empty", s.ClientSecret())
	}
}

func TestDiscoveryFaults(t *testing.T) {
	s, _ := newTest(t, nil)

	s.SetFaults(Faults{DiscoveryStatus: http.StatusServiceUnavailable})
	status, body, _ := discovery(t, s)
	wantOAuthError(t, status, body, http.StatusServiceUnavailable, "server_error")

	s.SetFaults(Faults{DiscoveryStatus: 42}) // out of range: sent as 500
	status, _, _ = discovery(t, s)
	if status != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", status)
	}

	s.SetFaults(Faults{DiscoveryBody: []byte(`{"issuer":"x"}`)})
	status, body, _ = discovery(t, s)
	if status != http.StatusOK || len(body) != 1 || body["issuer"] != "x" {
		t.Errorf("DiscoveryBody: status %d body %v", status, body)
	}

	s.SetFaults(Faults{DiscoveryIssuer: "https://other.example", OmitJWKSURI: true, OmitResponseIss: true})
	_, doc, _ := discovery(t, s)
	if doc["issuer"] != "https://other.example" {
		t.Errorf("issuer %v", doc["issuer"])
	}
	if _, ok := doc["jwks_uri"]; ok {
		t.Error("jwks_uri present despite OmitJWKSURI")
	}
	if doc["authorization_response_iss_parameter_supported"] != false {
		t.Error("iss parameter still advertised despite OmitResponseIss")
	}

	s.SetFaults(Faults{})
	if _, doc, _ := discovery(t, s); doc["issuer"] != s.URL {
		t.Errorf("Faults{} did not restore issuer: %v", doc["issuer"])
	}
	if n := s.Requests(EndpointDiscovery); n != 5 {
		t.Errorf("Requests(discovery) = %d, want 5", n)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s, _ := newTest(t, nil)
	req, _ := http.NewRequest(http.MethodDelete, s.URL+"/.well-known/openid-configuration", nil)
	status, body, hdr := do(t, s, req)
	wantOAuthError(t, status, body, http.StatusMethodNotAllowed, "invalid_request")
	if hdr.Get("Allow") == "" {
		t.Error("no Allow header")
	}
	resp := get(t, s, s.URL+"/token")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token: %d", resp.StatusCode)
	}
	if s.Requests(EndpointToken) != 1 || s.Requests("nonsense") != 0 {
		t.Errorf("counts: token %d nonsense %d", s.Requests(EndpointToken), s.Requests("nonsense"))
	}
}
