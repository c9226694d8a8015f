package rptest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// jarmParams are authorization request parameters asking for mode.
func jarmParams(s *Server, rt, mode string) url.Values {
	return authParams(s, func(p url.Values) {
		p.Set("response_type", rt)
		p.Set("response_mode", mode)
	})
}

// TestJARMResponse: each JARM mode answers one parameter, "response", in
// its delivery, a JWT signed with a published key whose claims are the
// response's parameters with iss, aud, iat and exp.
func TestJARMResponse(t *testing.T) {
	s, clock := newTest(t, nil)
	for _, tc := range []struct{ rt, mode, delivery string }{
		{"code", "query.jwt", "query"},
		{"code", "fragment.jwt", "fragment"},
		{"code", "form_post.jwt", "form_post"},
		{"code", "jwt", "query"},
		{"code id_token", "jwt", "fragment"},
		{"id_token token", "form_post.jwt", "form_post"},
	} {
		mode, v := frontChannel(t, s, jarmParams(s, tc.rt, tc.mode))
		if mode != tc.delivery || len(v) != 1 {
			t.Fatalf("%s/%s: %s %v; want only response by %s", tc.rt, tc.mode, mode, v, tc.delivery)
		}
		claims, err := s.verifyOwnToken(v.Get("response"))
		if err != nil {
			t.Fatalf("%s/%s: %v", tc.rt, tc.mode, err)
		}
		now := float64(clock.Now().Unix())
		if claims["iss"] != s.URL || claims["aud"] != s.ClientID() || claims["state"] != "state-123" ||
			claims["iat"] != now || claims["exp"] != now+DefaultJARMLifetime.Seconds() {
			t.Errorf("%s/%s: claims %v", tc.rt, tc.mode, claims)
		}
		_, hasCode := claims["code"].(string)
		_, hasID := claims["id_token"].(string)
		if hasCode != strings.Contains(tc.rt, "code") || hasID != strings.Contains(tc.rt, "id_token") {
			t.Errorf("%s/%s: claims %v", tc.rt, tc.mode, claims)
		}
	}
}

// TestJARMQueryWithTokensRefused: query.jwt with tokens is refused in the
// response type's default plain mode.
func TestJARMQueryWithTokensRefused(t *testing.T) {
	s, _ := newTest(t, nil)
	mode, v := frontChannel(t, s, jarmParams(s, "code id_token", "query.jwt"))
	if mode != "fragment" || v.Get("error") != "invalid_request" || v.Has("response") || v.Has("code") {
		t.Fatalf("%s %v; want invalid_request in the fragment", mode, v)
	}
}

// TestJARMErrorInJWT: an error response is wrapped too.
func TestJARMErrorInJWT(t *testing.T) {
	s, _ := newTest(t, nil)
	s.SetFaults(Faults{AuthorizeError: "access_denied"})
	_, v := frontChannel(t, s, jarmParams(s, "code", "query.jwt"))
	claims, err := s.verifyOwnToken(v.Get("response"))
	if err != nil || claims["error"] != "access_denied" || claims["state"] != "state-123" || claims["code"] != nil {
		t.Fatalf("claims %v, %v", claims, err)
	}
}

// TestJARMFaults: each fault spoils the response as documented.
func TestJARMFaults(t *testing.T) {
	s, clock := newTest(t, nil)
	now := float64(clock.Now().Unix())
	get := func(jf JARMFaults) (url.Values, map[string]any) {
		t.Helper()
		s.SetFaults(Faults{JARM: jf})
		_, v := frontChannel(t, s, jarmParams(s, "code", "form_post.jwt"))
		raw := v.Get("response")
		if raw == "" {
			return v, nil
		}
		parts := strings.Split(raw, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		return v, claims
	}
	if v, _ := get(JARMFaults{Plain: true}); v.Has("response") || v.Get("code") == "" || v.Get("state") != "state-123" {
		t.Errorf("Plain: %v", v)
	}
	if v, _ := get(JARMFaults{ExtraParams: url.Values{"iss": {"x"}}}); !v.Has("response") || v.Get("iss") != "x" {
		t.Errorf("ExtraParams: %v", v)
	}
	if v, _ := get(JARMFaults{BadSignature: true}); v.Get("response") == "" {
		t.Error("BadSignature: no response")
	} else if _, err := s.verifyOwnToken(v.Get("response")); err == nil {
		t.Error("BadSignature: the JWT verifies")
	}
	if v, _ := get(JARMFaults{AlgNone: true}); !strings.HasPrefix(v.Get("response"), base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))+".") ||
		!strings.HasSuffix(v.Get("response"), ".") {
		t.Errorf("AlgNone: %s", v.Get("response"))
	}
	if _, c := get(JARMFaults{Issuer: "https://evil.example"}); c["iss"] != "https://evil.example" {
		t.Errorf("Issuer: %v", c)
	}
	if _, c := get(JARMFaults{Audience: []string{"a", "b"}}); !slices.Equal(strList(c["aud"]), []string{"a", "b"}) {
		t.Errorf("Audience: %v", c)
	}
	if _, c := get(JARMFaults{Expired: true}); c["exp"] != now-time.Hour.Seconds() {
		t.Errorf("Expired: %v", c)
	}
	if _, c := get(JARMFaults{OmitExp: true, Expired: true}); c["exp"] != nil || c["iat"] == nil {
		t.Errorf("OmitExp: %v", c)
	}
	if _, c := get(JARMFaults{ExtraClaims: map[string]any{"iss": nil, "state": 7}}); c["iss"] != nil || c["state"] != float64(7) {
		t.Errorf("ExtraClaims: %v", c)
	}
}

// TestJARMDiscovery: discovery advertises the JARM modes and algorithm.
func TestJARMDiscovery(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.SigningAlg = "ES256" })
	_, doc, _ := discovery(t, s)
	modes := strList(doc["response_modes_supported"])
	for _, m := range []string{"jwt", "query.jwt", "fragment.jwt", "form_post.jwt"} {
		if !slices.Contains(modes, m) {
			t.Errorf("response_modes_supported %v lacks %s", modes, m)
		}
	}
	if got := strList(doc["authorization_signing_alg_values_supported"]); !slices.Equal(got, []string{"ES256"}) {
		t.Errorf("authorization_signing_alg_values_supported = %v", got)
	}
}
