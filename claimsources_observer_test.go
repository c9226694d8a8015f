package rp

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// TestClaimSourceCallsObserved: a distributed claims fetch is told to the
// Observer as EndpointClaimSource with the login's issuer and no host, and
// Graph's getMemberGroups as EndpointGraph with its host, failures with
// their kind.
func TestClaimSourceCallsObserved(t *testing.T) {
	obs := &recorder{}
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.Observer = obs
		c.UserInfo = UserInfoNever // the sources are the ID token's only
		c.ResolveClaimSources = true
		c.EntraGroupOverage = true
		c.GraphBaseURL = c.Authority + rptest.PathGraph
	})
	iss := h.op.Issuer()
	// The source is another server: on h.op's host it would count as Graph.
	src := rptest.NewServer(rptest.Config{})
	t.Cleanup(src.Close)
	src.SetClaimSourceFaults(rptest.ClaimSourceFaults{PlainJSON: true})
	ep, tok := src.DistributedClaims("dist-1", map[string]any{"department": "Research"})
	u := sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, "department")
	u.Claims["hasgroups"] = true
	h.op.AddUser(u)
	h.op.SetGraphGroups("dist-1", []string{"g-1"})
	obs.take()
	res, err := h.loginAs("dist-1")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := res.Claims.String("department"); d != "Research" || fmt.Sprint(res.Claims.Groups) != "[g-1]" {
		t.Fatalf("department %q, groups %v", d, res.Claims.Groups)
	}
	got := slices.DeleteFunc(obs.take(), func(e string) bool {
		return !strings.Contains(e, "claim_source") && !strings.Contains(e, "graph")
	})
	want := []string{
		fmt.Sprintf("call claim_source GET  %s in sign-in: 200 %q", iss, ""),
		fmt.Sprintf("call graph POST 127.0.0.1 %s in sign-in: 200 %q", iss, ""),
	}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	src.SetClaimSourceFaults(rptest.ClaimSourceFaults{Status: 503})
	if _, err := h.loginAs("dist-1"); !errors.Is(err, ErrClaimSourceFetch) {
		t.Fatalf("failing source: %v, want ErrClaimSourceFetch", err)
	}
	got = slices.DeleteFunc(obs.take(), func(e string) bool { return !strings.Contains(e, "claim_source") })
	if want := []string{fmt.Sprintf("call claim_source GET  %s in sign-in: 503 %q", iss, CallStatusFailed)}; !slices.Equal(got, want) {
		t.Errorf("failing source: %q, want %q", got, want)
	}
}
