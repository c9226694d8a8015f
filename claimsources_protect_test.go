package rp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// identityClaims are claims a distributed source answers that decide who
// signs in, with the values an attacker controlling the source would give.
var identityClaims = map[string]any{
	"email":              "victim@example.com",
	"email_verified":     true,
	"preferred_username": "victim",
	"upn":                "victim@example.com",
	"tier":               "gold",
	"iss":                "https://evil.example",
}

// TestClaimSourceCannotSetIdentityClaims: a distributed source that
// answers email, email_verified, preferred_username, upn, iss and sub is
// not used for any of them, each one dropped with a Warn line naming the
// claim and not its value, while its ordinary claims (department, groups)
// are merged.
func TestClaimSourceCannotSetIdentityClaims(t *testing.T) {
	store := NewMemoryUserStoreWith(User{ID: "victim", Username: "victim", Email: "victim@example.com"})
	h := claimsHarness(t, func(c *Config) {
		c.UsernameClaim, c.EmailClaim = "preferred_username", "email"
		c.Matcher = newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, AttributeClaims: map[string]string{"tier": "tier"}})
	})
	h.op.SetClaimSourceFaults(rptest.ClaimSourceFaults{PlainJSON: true})
	served := map[string]any{"department": "Research", "groups": []any{"g1"}}
	for k, v := range identityClaims {
		served[k] = v
	}
	ep, tok := h.op.DistributedClaims("dist-1", served)
	names := []string{"department", "groups", "sub", "iss"}
	for k := range identityClaims {
		names = append(names, k)
	}
	h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, names...))
	res, err := h.loginAs("dist-1")
	if !errors.Is(err, ErrNoLocalAccount) || res != nil {
		t.Fatalf("login = %v, %v; want ErrNoLocalAccount (the source's email must not link the victim's account)", res, err)
	}
	logs := h.logs.String()
	for _, claim := range []string{"email", "email_verified", "preferred_username", "upn"} {
		if !strings.Contains(logs, `level=WARN msg="rp: claim source may not set this claim" claim=`+claim+" ") {
			t.Errorf("no Warn line for %s in\n%s", claim, logs)
		}
	}
	if strings.Contains(logs, "victim") {
		t.Errorf("a dropped claim's value was logged:\n%s", logs)
	}
}

// TestClaimSourceMergesOrdinaryClaims: without a Matcher the same source
// gives department and groups, and none of the identity claims; iss and
// sub stay the ID token's.
func TestClaimSourceMergesOrdinaryClaims(t *testing.T) {
	h := claimsHarness(t, nil)
	h.op.SetClaimSourceFaults(rptest.ClaimSourceFaults{PlainJSON: true})
	served := map[string]any{"department": "Research", "groups": []any{"g1", "g2"}}
	for k, v := range identityClaims {
		served[k] = v
	}
	ep, tok := h.op.DistributedClaims("dist-1", served)
	names := []string{"department", "groups", "sub", "iss", "email", "email_verified", "preferred_username", "upn", "tier"}
	h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, names...))
	res, err := h.loginAs("dist-1")
	if err != nil {
		t.Fatal(err)
	}
	c := res.Claims
	if d, _ := c.String("department"); d != "Research" || fmt.Sprint(c.Groups) != "[g1 g2]" {
		t.Fatalf("ordinary claims not merged: department %q, groups %v", d, c.Groups)
	}
	if c.Issuer != h.op.Issuer() || c.Subject != "dist-1" {
		t.Fatalf("iss %q, sub %q: a source overrode the ID token's", c.Issuer, c.Subject)
	}
	for _, claim := range []string{"email", "email_verified", "preferred_username", "upn"} {
		if v, ok := c.Get(claim); ok {
			t.Errorf("a source set %s = %v", claim, v)
		}
	}
	// tier is an ordinary claim here: no Matcher reads it.
	if v, _ := c.String("tier"); v != "gold" {
		t.Errorf("tier %q, want gold", v)
	}
}

// TestClaimSourceGroupsSynced: groups and attributes that the Matcher
// syncs come from a distributed source as the group sync needs;
// only the claims that decide which account signs in are held back.
func TestClaimSourceGroupsSynced(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryUserStoreWith(User{ID: "u1", Username: "u1", Groups: []string{"stale"}})
	h := claimsHarness(t, func(c *Config) {
		c.Matcher = newMatcherT(t, MatcherConfig{Store: store, GroupsClaim: "groups", SyncGroups: true,
			AttributeClaims: map[string]string{"tier": "tier"}})
	})
	if err := store.LinkSubject(ctx, "u1", h.op.Issuer(), "dist-1"); err != nil {
		t.Fatal(err)
	}
	h.op.SetClaimSourceFaults(rptest.ClaimSourceFaults{PlainJSON: true})
	ep, tok := h.op.DistributedClaims("dist-1", map[string]any{"groups": []any{"g-1", "g-2"}, "tier": "gold"})
	h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, "groups", "tier"))
	res, err := h.loginAs("dist-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(store.User("u1").Groups); got != "[g-1 g-2]" || fmt.Sprint(res.User.Groups) != got {
		t.Fatalf("synced groups %s, user %v; want the source's [g-1 g-2]", got, res.User.Groups)
	}
	if v, _ := res.Claims.String("tier"); v != "gold" {
		t.Fatalf("tier %q; want the source's gold", v)
	}
}
