package rptest

import (
	"net/http"
	"net/url"
	"testing"
)

// TestOmitIssWithIDToken: like node oidc-provider, the switch keeps the
// RFC 9207 promise in discovery but leaves iss out of exactly the
// responses that carry an ID token.
func TestOmitIssWithIDToken(t *testing.T) {
	for _, omit := range []bool{false, true} {
		s, _ := newTest(t, func(c *Config) { c.OmitIssWithIDToken = omit })
		req, _ := http.NewRequest(http.MethodGet, s.URL+PathDiscovery, nil)
		_, doc, _ := do(t, s, req)
		if doc["authorization_response_iss_parameter_supported"] != true {
			t.Errorf("omit=%v: discovery advertises iss support %v; want true", omit, doc["authorization_response_iss_parameter_supported"])
		}
		for _, rt := range []string{"code", "code token", "id_token", "id_token token", "code id_token", "code id_token token"} {
			_, v := frontChannel(t, s, authParams(s, func(p url.Values) {
				p.Set("response_type", rt)
				p.Set("response_mode", "fragment")
			}))
			hasIDToken := v.Get("id_token") != ""
			if hasIDToken != (rt != "code" && rt != "code token") {
				t.Fatalf("omit=%v %s: id_token present %v", omit, rt, hasIDToken)
			}
			wantIss := !omit || !hasIDToken
			if got := v.Has("iss"); got != wantIss {
				t.Errorf("omit=%v %s: iss present %v; want %v", omit, rt, got, wantIss)
			}
			if wantIss && v.Get("iss") != s.Issuer() {
				t.Errorf("omit=%v %s: iss %q", omit, rt, v.Get("iss"))
			}
		}
		// Error responses keep iss.
		_, v := frontChannel(t, s, authParams(s, func(p url.Values) {
			p.Set("response_type", "id_token")
			p.Set("response_mode", "fragment")
			p.Del("nonce")
		}))
		if v.Get("error") != "invalid_request" || v.Get("iss") != s.Issuer() {
			t.Errorf("omit=%v: error response %v; want invalid_request with iss", omit, v)
		}
	}
}
