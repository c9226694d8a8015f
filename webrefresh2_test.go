package rp

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// TestWebRefreshedIDTokenChecks: a refreshed ID token must keep iss, sub
// and the nonce rule; a refresh without one keeps the original claims.
func TestWebRefreshedIDTokenChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
		ok     bool
	}{
		{"same subject", rptest.Faults{}, true},
		{"no ID token in the refresh", rptest.Faults{OmitIDToken: true}, true},
		{"other subject", rptest.Faults{ExtraIDTokenClaims: map[string]any{"sub": "mallory"}}, false},
		{"other issuer", rptest.Faults{Issuer: "https://evil.example"}, false},
		{"other nonce", rptest.Faults{Nonce: ptr("another")}, false},
		{"bad signature", rptest.Faults{BadSignature: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newWebApp(t, oneProvider, func(c *WebConfig) { c.IdleTimeout = 4 * time.Hour })
			a.login("mock", "", "/me")
			a.ops["mock"].SetFaults(tc.faults)
			a.clock.Advance(rptest.DefaultTokenTTL)
			resp := a.raw("GET", "/me", http.Header{"Accept": {"application/json"}})
			if tc.ok != (resp.StatusCode == http.StatusOK) {
				t.Fatalf("after refresh: %d; want ok=%v", resp.StatusCode, tc.ok)
			}
			if tc.ok {
				if _, _, body := a.get("/me"); body != "user=alice provider=mock sub=alice-sub groups=0" {
					t.Fatalf("claims after refresh: %q", body)
				}
			}
		})
	}
}

func TestRefreshErrorSaysRefresh(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	_, _, err := h.rp.refreshTokens(t.Context(), "not-a-refresh-token", map[string]any{"sub": "alice-sub"})
	var te *TokenError
	if !errors.As(err, &te) || !te.Refresh || te.Code != "invalid_grant" || !strings.HasPrefix(err.Error(), "rp: token refresh failed") {
		t.Fatalf("refresh with a bad token = %v; want a refresh TokenError invalid_grant", err)
	}
}
