package rp

import (
	"encoding/json"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// TestRegistrationAccessors: the client ID and redirect URL as configured,
// and SafeReturnTo as Login applies it.
func TestRegistrationAccessors(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	if got := h.rp.ClientID(); got != h.op.ClientID() {
		t.Errorf("ClientID() = %q; want %q", got, h.op.ClientID())
	}
	if got, want := h.rp.RedirectURL(), h.app.URL+"/callback"; got != want {
		t.Errorf("RedirectURL() = %q; want %q", got, want)
	}
	for raw, want := range map[string]string{"": "/", "/reports?id=7": "/reports?id=7", h.app.URL + "/x": "/x"} {
		if got, ok := h.rp.SafeReturnTo(raw); !ok || got != want {
			t.Errorf("SafeReturnTo(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"https://evil.example/", "//evil.example", "/%2F/evil.example", "/\\evil.example"} {
		if got, ok := h.rp.SafeReturnTo(raw); ok {
			t.Errorf("SafeReturnTo(%q) = %q; want refused", raw, got)
		}
	}
}

// TestRefresh: Refresh returns the new tokens and, when the provider sends
// a new ID token, the sign-in's claims with the new token's over them.
func TestRefresh(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.Scopes = []string{"openid", "profile", "offline_access"} })
	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	if res.Tokens.RefreshToken == "" {
		t.Fatal("no refresh token issued")
	}
	h.clock.Advance(10 * time.Minute)
	tok, claims, err := h.rp.Refresh(t.Context(), res.Tokens.RefreshToken, res.Claims)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.AccessToken == res.Tokens.AccessToken || tok.RefreshToken == "" || tok.IDToken == "" {
		t.Fatalf("refreshed tokens: new access token %v, refresh token %v, ID token %v",
			tok.AccessToken != res.Tokens.AccessToken, tok.RefreshToken != "", tok.IDToken != "")
	}
	if want := h.clock.Now().Add(rptest.DefaultTokenTTL); !tok.Expiry.Equal(want) {
		t.Errorf("Expiry %v; want %v by the RP's clock", tok.Expiry, want)
	}
	if claims == nil || claims.Subject != res.Claims.Subject || claims.Name != res.Claims.Name {
		t.Fatalf("refreshed claims %+v; want the sign-in's subject and name", claims)
	}
	if claims.Raw["iat"] == res.Claims.Raw["iat"] {
		t.Errorf("the refreshed claims kept the sign-in's iat %v; want the new ID token's", claims.Raw["iat"])
	}

	// Without an ID token in the answer: no claims, and a refresh token
	// that was not rotated is kept.
	h.op.SetFaults(rptest.Faults{OmitIDToken: true})
	tok2, claims2, err := h.rp.Refresh(t.Context(), tok.RefreshToken, claims)
	if err != nil {
		t.Fatal(err)
	}
	if claims2 != nil || tok2.IDToken != "" || tok2.RefreshToken == "" {
		t.Fatalf("refresh without an ID token: claims %v, ID token %q, refresh token set %v", claims2, tok2.IDToken, tok2.RefreshToken != "")
	}

	// A refreshed ID token for someone else is refused.
	h.op.SetFaults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"sub": "mallory"}})
	if _, _, err := h.rp.Refresh(t.Context(), tok2.RefreshToken, claims); !errors.Is(err, ErrInvalidIDToken) {
		t.Fatalf("refresh with another subject's ID token: %v; want ErrInvalidIDToken", err)
	}
}

// TestClaimsJSON: Claims encode as the object of all claims and decode to
// the same typed fields.
func TestClaimsJSON(t *testing.T) {
	in := newClaims(map[string]any{"iss": "https://op.example", "sub": "s-1", "name": "Pat", "email_verified": true,
		"groups": []any{"a", "b"}, "exp": json.Number("1700000000")}, nil)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Claims
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Subject != "s-1" || out.Name != "Pat" || !out.EmailVerified || len(out.Groups) != 2 || !maps.EqualFunc(out.Raw, in.Raw, func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}) {
		t.Fatalf("round trip: %+v; want %+v", out, in)
	}
	if b, _ := json.Marshal(&Claims{}); string(b) != "{}" {
		t.Errorf("empty Claims encode as %s; want {}", b)
	}
	for _, bad := range []string{`[]`, `null`, `"x"`, `{"a":1}}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}
