package rp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// sourceUser is a user whose claims name one claim source, "src1", for
// the claims in names.
func sourceUser(sub string, src map[string]any, names ...string) rptest.User {
	cn := map[string]any{}
	for _, n := range names {
		cn[n] = "src1"
	}
	return rptest.User{Subject: sub, Claims: map[string]any{
		"_claim_names":   cn,
		"_claim_sources": map[string]any{"src1": src},
	}}
}

func claimsHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	return newHarness(t, rptest.Config{}, func(c *Config) {
		c.ResolveClaimSources = true
		if mod != nil {
			mod(c)
		}
	})
}

func TestAggregatedClaims(t *testing.T) {
	h := claimsHarness(t, nil)
	jwt, err := h.op.AggregatedClaims("agg-1", map[string]any{"department": "Research", "groups": []any{"g1", "g2"},
		"iss": "https://evil.example", "aud": "other", "amr": []any{"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	h.op.AddUser(sourceUser("agg-1", map[string]any{"JWT": jwt}, "department", "groups", "sub", "aud", "amr"))
	res, err := h.loginAs("agg-1")
	if err != nil {
		t.Fatal(err)
	}
	c := res.Claims
	if d, _ := c.String("department"); d != "Research" || fmt.Sprint(c.Groups) != "[g1 g2]" {
		t.Fatalf("resolved claims: department %q, groups %v", d, c.Groups)
	}
	if c.Subject != "agg-1" || c.Issuer != h.op.Issuer() || fmt.Sprint(c.Audience) != "["+h.op.ClientID()+"]" {
		t.Fatalf("a source overrode protocol claims: %v %v %v", c.Issuer, c.Subject, c.Audience)
	}
	if _, ok := c.Get("amr"); ok {
		t.Fatal("a source set a protocol claim the token lacked (amr)")
	}
	if _, ok := c.Get("_claim_sources"); ok {
		t.Fatal("_claim_sources kept after resolution")
	}
}

func TestAggregatedClaimsOffByDefault(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	jwt, _ := h.op.AggregatedClaims("agg-1", map[string]any{"department": "Research"})
	h.op.AddUser(sourceUser("agg-1", map[string]any{"JWT": jwt}, "department"))
	res, err := h.loginAs("agg-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Claims.Get("department"); ok {
		t.Fatal("aggregated claims resolved without ResolveClaimSources")
	}
	if _, ok := res.Claims.Get("_claim_sources"); !ok {
		t.Fatal("_claim_sources dropped although resolution is off")
	}
}

func TestAggregatedClaimsRejections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.ClaimSourceFaults
		jwt    string
		want   error
	}{
		{"bad signature", rptest.ClaimSourceFaults{BadSignature: true}, "", ErrClaimSourceSignature},
		{"other subject", rptest.ClaimSourceFaults{Subject: "mallory"}, "", ErrClaimSourceSubject},
		{"not a JWT", rptest.ClaimSourceFaults{}, "not.a.jwt", ErrClaimSourceMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := claimsHarness(t, nil)
			h.op.SetClaimSourceFaults(tc.faults)
			jwt, err := h.op.AggregatedClaims("agg-1", map[string]any{"department": "Research"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.jwt != "" {
				jwt = tc.jwt
			}
			h.op.AddUser(sourceUser("agg-1", map[string]any{"JWT": jwt}, "department"))
			res, err := h.loginAs("agg-1")
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrClaimSource) || res != nil {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
}

func TestAggregatedClaimsExpired(t *testing.T) {
	h := claimsHarness(t, nil)
	jwt, _ := h.op.AggregatedClaims("agg-1", map[string]any{"department": "R", "exp": h.clock.Now().Add(-time.Hour).Unix()})
	h.op.AddUser(sourceUser("agg-1", map[string]any{"JWT": jwt}, "department"))
	if _, err := h.loginAs("agg-1"); !errors.Is(err, ErrClaimSourceExpired) {
		t.Fatalf("got %v; want ErrClaimSourceExpired", err)
	}
}

func TestAggregatedClaimsUntrustedIssuerIgnored(t *testing.T) {
	other := rptest.NewServer(rptest.Config{})
	defer other.Close()
	jwt, _ := other.AggregatedClaims("agg-1", map[string]any{"department": "Forged"})

	h := claimsHarness(t, nil)
	h.op.AddUser(sourceUser("agg-1", map[string]any{"JWT": jwt}, "department"))
	res, err := h.loginAs("agg-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Claims.Get("department"); ok {
		t.Fatal("claims of an untrusted issuer merged")
	}
	if !strings.Contains(h.logs.String(), "claims of an untrusted issuer ignored") {
		t.Fatalf("not logged: %s", h.logs)
	}

	// The same JWT is accepted once its issuer is a configured source.
	h2 := claimsHarness(t, func(c *Config) { c.ClaimSources = map[string]string{other.Issuer(): other.URL + rptest.PathJWKS} })
	h2.op.AddUser(sourceUser("agg-1", map[string]any{"JWT": jwt}, "department"))
	res, err = h2.loginAs("agg-1")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := res.Claims.String("department"); d != "Forged" {
		t.Fatalf("configured source's claims not merged: %q", d)
	}
	// A configured issuer's JWT signed with another key is refused.
	other.SetClaimSourceFaults(rptest.ClaimSourceFaults{BadSignature: true})
	bad, _ := other.AggregatedClaims("agg-1", map[string]any{"department": "Forged"})
	h2.op.AddUser(sourceUser("agg-1", map[string]any{"JWT": bad}, "department"))
	if _, err := h2.loginAs("agg-1"); !errors.Is(err, ErrClaimSourceSignature) {
		t.Fatalf("got %v; want ErrClaimSourceSignature", err)
	}
}

func TestDistributedClaims(t *testing.T) {
	for _, plain := range []bool{false, true} {
		h := claimsHarness(t, nil)
		h.op.SetClaimSourceFaults(rptest.ClaimSourceFaults{PlainJSON: plain})
		ep, tok := h.op.DistributedClaims("dist-1", map[string]any{"credit_score": "A"})
		h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, "credit_score"))
		res, err := h.loginAs("dist-1")
		if err != nil {
			t.Fatalf("plain %v: %v", plain, err)
		}
		if v, _ := res.Claims.String("credit_score"); v != "A" {
			t.Fatalf("plain %v: credit_score %q", plain, v)
		}
		if strings.Contains(h.logs.String(), tok) {
			t.Fatal("the source's access token was logged")
		}
	}
}

func TestDistributedClaimsRejections(t *testing.T) {
	for _, tc := range []struct {
		name     string
		faults   rptest.ClaimSourceFaults
		endpoint string
		want     error
	}{
		{"bad signature", rptest.ClaimSourceFaults{BadSignature: true}, "", ErrClaimSourceSignature},
		{"other subject", rptest.ClaimSourceFaults{Subject: "mallory"}, "", ErrClaimSourceSubject},
		{"other subject in JSON", rptest.ClaimSourceFaults{PlainJSON: true, Subject: "mallory"}, "", ErrClaimSourceSubject},
		{"server error", rptest.ClaimSourceFaults{Status: 500}, "", ErrClaimSourceFetch},
		{"oversized", rptest.ClaimSourceFaults{Oversized: true}, "", ErrClaimSourceTooLarge},
		{"slow", rptest.ClaimSourceFaults{Slow: true}, "", ErrClaimSourceFetch},
		{"plain http", rptest.ClaimSourceFaults{}, "http://claims.example/c", ErrClaimSourceInsecure},
		{"credentials in URL", rptest.ClaimSourceFaults{}, "https://u:p@claims.example/c", ErrClaimSourceInsecure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := claimsHarness(t, func(c *Config) {
				if tc.faults.Slow {
					c.HTTPTimeout = 300 * time.Millisecond // the source never answers
				}
			})
			h.op.SetClaimSourceFaults(tc.faults)
			ep, tok := h.op.DistributedClaims("dist-1", map[string]any{"credit_score": "A"})
			if tc.endpoint != "" {
				ep = tc.endpoint
			}
			h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep, "access_token": tok}, "credit_score"))
			res, err := h.loginAs("dist-1")
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrClaimSource) || res != nil {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), tok) {
				t.Fatal("the error names the source's access token")
			}
		})
	}
}

func TestDistributedClaimsWithoutTokenIgnored(t *testing.T) {
	h := claimsHarness(t, nil)
	ep, _ := h.op.DistributedClaims("dist-1", map[string]any{"credit_score": "A"})
	h.op.AddUser(sourceUser("dist-1", map[string]any{"endpoint": ep}, "credit_score"))
	res, err := h.loginAs("dist-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Claims.Get("credit_score"); ok {
		t.Fatal("claims fetched without the source's access token")
	}
}

func TestClaimSourcesMalformed(t *testing.T) {
	h := claimsHarness(t, nil)
	h.op.AddUser(sourceUser("m-1", map[string]any{"JWT": 42}, "department"))
	if _, err := h.loginAs("m-1"); !errors.Is(err, ErrClaimSourceMalformed) {
		t.Fatalf("JWT of another type: %v", err)
	}
	h.op.AddUser(sourceUser("m-2", map[string]any{"nothing": "here"}, "department"))
	if _, err := h.loginAs("m-2"); !errors.Is(err, ErrClaimSourceMalformed) {
		t.Fatalf("source without JWT or endpoint: %v", err)
	}
}

func overageHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	return newHarness(t, rptest.Config{}, func(c *Config) {
		c.EntraGroupOverage = true
		c.GraphBaseURL = c.Authority + rptest.PathGraph
		if mod != nil {
			mod(c)
		}
	})
}

var overageUsers = []rptest.User{
	{Subject: "has-1", Claims: map[string]any{"hasgroups": true}},
	sourceUser("names-1", map[string]any{"endpoint": "https://graph.windows.net/tid/users/oid/getMemberObjects"}, "groups"),
}

func TestEntraGroupOverage(t *testing.T) {
	for _, u := range overageUsers {
		h := overageHarness(t, nil)
		h.op.AddUser(u)
		h.op.SetGraphGroups(u.Subject, []string{"g-1", "g-2", "g-3"})
		res, err := h.loginAs(u.Subject)
		if err != nil {
			t.Fatalf("%s: %v", u.Subject, err)
		}
		if got := fmt.Sprint(res.Claims.Groups); got != "[g-1 g-2 g-3]" {
			t.Fatalf("%s: groups %s", u.Subject, got)
		}
	}
}

func TestEntraGroupOverageOff(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.GraphBaseURL = c.Authority + rptest.PathGraph })
	h.op.AddUser(overageUsers[0])
	h.op.SetGraphGroups("has-1", []string{"g-1"})
	res, err := h.loginAs("has-1")
	if err != nil || res.Claims.Groups != nil {
		t.Fatalf("overage resolved while off: %v, %v", res, err)
	}
}

func TestEntraGroupOverageNotWithGroups(t *testing.T) {
	h := overageHarness(t, nil)
	h.op.AddUser(rptest.User{Subject: "g-1", Claims: map[string]any{"hasgroups": true, "groups": []any{"own"}}})
	h.op.SetGraphGroups("g-1", []string{"graph"})
	res, err := h.loginAs("g-1")
	if err != nil || fmt.Sprint(res.Claims.Groups) != "[own]" {
		t.Fatalf("groups present: %v, %v", res, err)
	}
}

func TestEntraGroupOverageRejections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.ClaimSourceFaults
		want   error
	}{
		{"graph error", rptest.ClaimSourceFaults{Status: 403}, ErrClaimSourceFetch},
		{"oversized", rptest.ClaimSourceFaults{Oversized: true}, ErrClaimSourceTooLarge},
		{"slow", rptest.ClaimSourceFaults{Slow: true}, ErrClaimSourceFetch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := overageHarness(t, func(c *Config) {
				if tc.faults.Slow {
					c.HTTPTimeout = 300 * time.Millisecond // Graph never answers
				}
			})
			h.op.AddUser(overageUsers[0])
			h.op.SetClaimSourceFaults(tc.faults)
			res, err := h.loginAs("has-1")
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrClaimSource) || res != nil {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
}

func TestGraphGroupsMalformed(t *testing.T) {
	h := overageHarness(t, nil)
	for _, body := range []string{`{}`, `{"value":[""]}`, `{"value":"g"}`, `[1]`, `{"value":[1]}`} {
		graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		h.rp.cfg.GraphBaseURL = graph.URL
		_, err := h.rp.graphGroups(context.Background(), "token")
		graph.Close()
		if !errors.Is(err, ErrGroupOverage) || !errors.Is(err, ErrClaimSource) {
			t.Errorf("%s: got %v; want ErrGroupOverage", body, err)
		}
	}
	if _, err := h.rp.graphGroups(context.Background(), ""); !errors.Is(err, ErrGroupOverage) {
		t.Errorf("no access token: got %v; want ErrGroupOverage", err)
	}
}

func TestEntraGroupOverageSyncsGroups(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryUserStoreWith(User{ID: "u1", Username: "u1", Groups: []string{"stale"}})
	h := overageHarness(t, func(c *Config) {
		c.Matcher = newMatcherT(t, MatcherConfig{Store: store, GroupsClaim: "groups", SyncGroups: true})
	})
	if err := store.LinkSubject(ctx, "u1", h.op.Issuer(), "has-1"); err != nil {
		t.Fatal(err)
	}
	h.op.AddUser(overageUsers[0])
	h.op.SetGraphGroups("has-1", []string{"g-1", "g-2"})
	res, err := h.loginAs("has-1")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(store.User("u1").Groups); got != "[g-1 g-2]" || fmt.Sprint(res.User.Groups) != got {
		t.Fatalf("synced groups %s, user %v", got, res.User.Groups)
	}
}

func TestClaimSourceConfigValidated(t *testing.T) {
	c := Config{Authority: "https://op.example", ClientID: "c", RedirectURL: "https://app.example/cb",
		GraphBaseURL: "http://graph.example", ClaimSources: map[string]string{"https://src.example": "ftp://x"}}
	var ce *ConfigError
	if err := c.Validate(); !errors.As(err, &ce) || !strings.Contains(err.Error(), "GraphBaseURL") || !strings.Contains(err.Error(), "ClaimSources") {
		t.Fatalf("got %v", err)
	}
}
