package rp

import (
	"context"
	"errors"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// refreshSourceHarness signs in "dist-1", whose ID token names a
// distributed source for department, with refresh tokens and sources on.
func refreshSourceHarness(t *testing.T) (*harness, *Result) {
	t.Helper()
	h := claimsHarness(t, func(c *Config) {
		c.Scopes = []string{"openid", "offline_access"}
		c.UserInfo = UserInfoNever
	})
	ep, tok := h.op.DistributedClaims("dist-1", map[string]any{"department": "Research"})
	h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, "department"))
	res, err := h.loginAs("dist-1")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := res.Claims.String("department"); d != "Research" {
		t.Fatalf("sign-in department %q", d)
	}
	return h, res
}

// TestRefreshResolvesClaimSources: a refreshed ID token's _claim_names
// are resolved as a sign-in's: the refreshed claims hold the source's new
// department and no _claim_names or _claim_sources.
func TestRefreshResolvesClaimSources(t *testing.T) {
	h, res := refreshSourceHarness(t)
	ep, tok := h.op.DistributedClaims("dist-1", map[string]any{"department": "Operations", "email": "victim@example.com"})
	h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, "department", "email"))
	_, claims, err := h.rp.Refresh(context.Background(), res.Tokens.RefreshToken, res.Claims)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := claims.String("department"); d != "Operations" {
		t.Errorf("refreshed department %q, want Operations", d)
	}
	for _, name := range []string{"_claim_names", "_claim_sources", "email"} {
		if _, ok := claims.Get(name); ok {
			t.Errorf("refreshed claims hold %s", name)
		}
	}
}

// TestRefreshClaimSourceFailure: a refreshed ID token whose source fails
// fails the refresh with the source's error.
func TestRefreshClaimSourceFailure(t *testing.T) {
	h, res := refreshSourceHarness(t)
	h.op.SetClaimSourceFaults(rptest.ClaimSourceFaults{Status: 500})
	tokens, claims, err := h.rp.Refresh(context.Background(), res.Tokens.RefreshToken, res.Claims)
	if !errors.Is(err, ErrClaimSourceFetch) || !errors.Is(err, ErrClaimSource) || tokens != nil || claims != nil {
		t.Fatalf("Refresh = %v, %v, %v; want ErrClaimSourceFetch", tokens, claims, err)
	}
}
