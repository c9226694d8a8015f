package rptest

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// idTokenWith logs in under faults f and returns the raw ID token.
func idTokenWith(t *testing.T, s *Server, f Faults) string {
	t.Helper()
	s.SetFaults(f)
	defer s.SetFaults(Faults{})
	tok, _ := login(t, s)["id_token"].(string)
	return tok
}

func TestSignatureFaults(t *testing.T) {
	s, _ := newTest(t, nil)
	kid := fetchJWKS(t, s).Keys[0].KeyID

	bad := idTokenWith(t, s, Faults{BadSignature: true})
	if _, hdr, err := tryVerify(fetchJWKS(t, s), bad); err == nil || hdr.KeyID != kid {
		t.Errorf("BadSignature: err %v kid %q (want failure with kid %q)", err, hdr.KeyID, kid)
	}

	none := idTokenWith(t, s, Faults{AlgNone: true})
	hdr, claims, sig := unverifiedParts(t, none)
	if len(hdr) != 1 || hdr["alg"] != "none" || sig != "" || claims["sub"] != "alice" {
		t.Errorf("AlgNone: header %v sig %q claims %v", hdr, sig, claims)
	}

	noKid := idTokenWith(t, s, Faults{OmitKid: true})
	if hdr, _, _ := unverifiedParts(t, noKid); hdr["kid"] != nil || hdr["alg"] != "RS256" {
		t.Errorf("OmitKid: header %v", hdr)
	}
	// Still validly signed by the published key, found without a kid.
	jws, err := jose.ParseSignedCompact(noKid, allAlgs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(fetchJWKS(t, s).Keys[0]); err != nil {
		t.Errorf("OmitKid token does not verify with the published key: %v", err)
	}
}

func TestClaimFaults(t *testing.T) {
	s, clock := newTest(t, nil)
	now := clock.Now()
	empty := ""
	evil := "evil-nonce"
	cases := []struct {
		name  string
		f     Faults
		check func(map[string]any) bool
	}{
		{"Issuer", Faults{Issuer: "https://evil.example"}, func(c map[string]any) bool { return c["iss"] == "https://evil.example" }},
		{"Audience", Faults{Audience: []string{"a", "b"}}, func(c map[string]any) bool {
			aud, _ := c["aud"].([]any)
			return len(aud) == 2 && aud[0] == "a" && aud[1] == "b"
		}},
		{"Audience single", Faults{Audience: []string{"test-client"}}, func(c map[string]any) bool {
			aud, _ := c["aud"].([]any)
			return len(aud) == 1 && aud[0] == "test-client"
		}},
		{"Azp", Faults{Azp: "someone-else"}, func(c map[string]any) bool { return c["azp"] == "someone-else" }},
		{"Nonce", Faults{Nonce: &evil}, func(c map[string]any) bool { return c["nonce"] == "evil-nonce" }},
		{"Nonce empty", Faults{Nonce: &empty}, func(c map[string]any) bool { v, ok := c["nonce"]; return ok && v == "" }},
		{"OmitNonce", Faults{OmitNonce: true}, func(c map[string]any) bool { _, ok := c["nonce"]; return !ok }},
		{"Expired", Faults{Expired: true}, func(c map[string]any) bool {
			return c["exp"] == float64(now.Add(-time.Hour).Unix()) && c["iat"] == float64(now.Add(-2*time.Hour).Unix())
		}},
		{"IssuedAt", Faults{IssuedAt: 10 * time.Minute}, func(c map[string]any) bool {
			return c["iat"] == float64(now.Add(10*time.Minute).Unix())
		}},
		{"ExtraIDTokenClaims", Faults{ExtraIDTokenClaims: map[string]any{"sub": "root", "exp": nil, "x": "y"}}, func(c map[string]any) bool {
			_, hasExp := c["exp"]
			return c["sub"] == "root" && !hasExp && c["x"] == "y"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims, _ := verifyIDToken(t, s, idTokenWith(t, s, c.f))
			if !c.check(claims) {
				t.Errorf("claims %v", claims)
			}
		})
	}
	// And without faults, nothing of the above remains.
	claims, _ := verifyIDToken(t, s, idTokenWith(t, s, Faults{}))
	if claims["iss"] != s.URL || claims["aud"] != "test-client" || claims["nonce"] != "nonce-456" || claims["azp"] != nil {
		t.Errorf("well-behaved claims %v", claims)
	}
}

func TestSetFaultsCopies(t *testing.T) {
	s, _ := newTest(t, nil)
	aud := []string{"a"}
	extra := map[string]any{"k": "v"}
	s.SetFaults(Faults{Audience: aud, ExtraIDTokenClaims: extra})
	aud[0] = "changed"
	extra["k"] = "changed"
	tok, _ := login(t, s)["id_token"].(string)
	claims, _ := verifyIDToken(t, s, tok)
	if a, _ := claims["aud"].([]any); len(a) != 1 || a[0] != "a" || claims["k"] != "v" {
		t.Errorf("faults changed after SetFaults: %v", claims)
	}
}

func TestTokenEndpointFaults(t *testing.T) {
	s, _ := newTest(t, nil)

	s.SetFaults(Faults{OmitIDToken: true})
	if tok := login(t, s); tok["id_token"] != nil || tok["access_token"] == nil {
		t.Errorf("OmitIDToken: %v", tok)
	}

	code := getCode(t, s, nil)
	s.SetFaults(Faults{TokenStatus: http.StatusServiceUnavailable})
	status, body, _ := tokenCall(t, s, codeForm(code), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusServiceUnavailable, "server_error")
	s.SetFaults(Faults{})
	exchange(t, s, code) // TokenStatus did not consume the code

	s.SetFaults(Faults{SkipPKCECheck: true})
	form := codeForm(getCode(t, s, nil))
	form.Set("code_verifier", "wrong")
	if status, body, _ := tokenCall(t, s, form, s.ClientID(), s.ClientSecret()); status != http.StatusOK {
		t.Errorf("SkipPKCECheck: %d %v", status, body)
	}
}

func TestAuthorizeFaults(t *testing.T) {
	s, _ := newTest(t, nil)

	s.SetFaults(Faults{ResponseIss: "https://evil.example"})
	if _, q := authorize(t, s, authParams(s, nil)); q.Get("iss") != "https://evil.example" || q.Get("code") == "" {
		t.Errorf("ResponseIss: %v", q)
	}

	s.SetFaults(Faults{OmitResponseIss: true})
	if _, q := authorize(t, s, authParams(s, nil)); q.Has("iss") || q.Get("code") == "" {
		t.Errorf("OmitResponseIss: %v", q)
	}

	s.SetFaults(Faults{AuthorizeError: "access_denied", AuthorizeErrorDescription: "user said no"})
	_, q := authorize(t, s, authParams(s, nil))
	want := url.Values{"error": {"access_denied"}, "error_description": {"user said no"}, "state": {"state-123"}, "iss": {s.URL}}
	if q.Encode() != want.Encode() {
		t.Errorf("AuthorizeError: %v, want %v", q, want)
	}

	other, empty := "forged", ""
	s.SetFaults(Faults{ResponseState: &other})
	if _, q := authorize(t, s, authParams(s, nil)); q.Get("state") != "forged" {
		t.Errorf("ResponseState: %v", q)
	}
	s.SetFaults(Faults{ResponseState: &empty})
	if _, q := authorize(t, s, authParams(s, nil)); q.Has("state") {
		t.Errorf("empty ResponseState: %v", q)
	}
}

func TestJWKSStatusFault(t *testing.T) {
	s, _ := newTest(t, nil)
	s.SetFaults(Faults{JWKSStatus: http.StatusInternalServerError})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/jwks", nil)
	status, body, _ := do(t, s, req)
	wantOAuthError(t, status, body, http.StatusInternalServerError, "server_error")
}
