package rptest

import (
	"net/http"
	"net/url"
	"testing"
)

func TestEndSession(t *testing.T) {
	s, _ := newTest(t, nil)
	idToken := login(t, s)["id_token"].(string)

	q := url.Values{
		"id_token_hint":            {idToken},
		"post_logout_redirect_uri": {"http://rp.example/bye?x=1"},
		"state":                    {"s1"},
		"client_id":                {s.ClientID()},
	}
	resp := get(t, s, s.URL+"/logout?"+q.Encode())
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "rp.example" ||
		loc.Query().Get("state") != "s1" || loc.Query().Get("x") != "1" {
		t.Fatalf("logout redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	if resp := get(t, s, s.URL+"/logout"); resp.StatusCode != http.StatusOK {
		t.Errorf("plain logout: %d", resp.StatusCode)
	}

	bad := idTokenWith(t, s, Faults{BadSignature: true})
	for name, v := range map[string]url.Values{
		"bad hint":         {"id_token_hint": {bad}},
		"garbage hint":     {"id_token_hint": {"a.b.c"}},
		"other client":     {"id_token_hint": {idToken}, "client_id": {"other"}},
		"relative":         {"post_logout_redirect_uri": {"/bye"}},
		"repeated state":   {"state": {"a", "b"}},
		"foreign audience": {"id_token_hint": {mustSign(t, s, map[string]any{"iss": s.URL, "aud": "x"})}, "client_id": {s.ClientID()}},
		"foreign issuer":   {"id_token_hint": {mustSign(t, s, map[string]any{"iss": "https://x", "aud": s.ClientID()})}},
	} {
		if resp := get(t, s, s.URL+"/logout?"+v.Encode()); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
		}
	}
	if n := s.Requests(EndpointEndSession); n != 9 {
		t.Errorf("Requests(end_session) = %d, want 9", n)
	}
}

func mustSign(t *testing.T, s *Server, claims map[string]any) string {
	t.Helper()
	tok, err := s.SignIDToken(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
