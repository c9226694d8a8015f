package web

import (
	"io"
	"net/http"
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
			a := newWebApp(t, oneProvider, func(c *Config) { c.IdleTimeout = 4 * time.Hour })
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

// TestWebRefreshRefusesOldIDToken: the same rule through the Web layer's
// automatic refresh: the session does not adopt the old token.
func TestWebRefreshRefusesOldIDToken(t *testing.T) {
	a := newWebApp(t, oneProvider, func(c *Config) { c.IdleTimeout = 4 * time.Hour })
	a.login("mock", "", "/me")
	a.clock.Advance(rptest.DefaultTokenTTL)
	a.ops["mock"].SetFaults(rptest.Faults{IssuedAt: -2 * time.Hour})
	before, _ := a.web.sessions.Load(a.requestWithCookies())
	a.raw("GET", "/me", nil)
	after, _ := a.web.sessions.Load(a.requestWithCookies())
	if before == nil || (after != nil && string(after.Data) != string(before.Data)) {
		t.Fatal("the session adopted a refreshed ID token issued before the refresh")
	}
}

// TestWebClaimsNameFromUserInfo is the README's example against a provider
// whose ID tokens carry no profile: the handler behind Require reads the
// name that only userinfo serves.
func TestWebClaimsNameFromUserInfo(t *testing.T) {
	thin := dana
	thin.Claims = map[string]any{"preferred_username": "dana"} // the mapped UsernameClaim is present
	a := newWebApp(t, map[string][]rptest.User{"mock": {thin}}, nil)
	a.srv.Config.Handler.(*http.ServeMux).Handle("/hello", a.web.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+ClaimsFrom(r.Context()).Name)
	})))
	status, path, body := a.get("/hello")
	if status != http.StatusOK || path != "/hello" || body != "hello Dana Example" {
		t.Fatalf("GET /hello: %d %s %q; want the userinfo name", status, path, body)
	}
	if n := a.ops["mock"].Requests(rptest.EndpointUserInfo); n != 1 {
		t.Errorf("%d userinfo requests; want 1", n)
	}
}
