package rp

import (
	"context"
	"errors"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// Attacks on account linking, each through a real login: none may sign in
// as the victim.

const victimID = "victim"

func victimStore() *MemoryUserStore {
	return NewMemoryUserStoreWith(User{ID: victimID, Username: "victim", Email: "victim@example.com"})
}

func assertNotVictim(t *testing.T, res *Result, err error) {
	t.Helper()
	if err == nil && res.User != nil && res.User.ID == victimID {
		t.Fatal("the attacker signed in as the victim")
	}
}

func TestHostileUnverifiedEmailOfVictim(t *testing.T) {
	store := victimStore()
	attacker := rptest.User{Subject: "attacker", Claims: map[string]any{"email": "VICTIM@example.com", "email_verified": false}}
	h := newHarness(t, rptest.Config{Users: []rptest.User{attacker}}, func(c *Config) {
		c.EmailClaim = "email"
		c.Matcher = newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, CreateUsers: true})
	})
	res, err := h.login()
	assertNotVictim(t, res, err)
	if !errors.Is(err, ErrUnverifiedEmail) {
		t.Fatalf("Callback = %v; want ErrUnverifiedEmail", err)
	}
	if sub, _ := store.SubjectOf(context.Background(), victimID, h.op.Issuer()); sub != "" {
		t.Fatalf("the victim's account was linked to %q", sub)
	}
	// Entra-style: no email_verified at all.
	h.op.AddUser(rptest.User{Subject: "attacker", Claims: map[string]any{"email": "victim@example.com"}})
	res, err = h.login()
	assertNotVictim(t, res, err)
	if !errors.Is(err, ErrUnverifiedEmail) {
		t.Fatalf("without email_verified: %v; want ErrUnverifiedEmail", err)
	}
}

func TestHostilePreferredUsernameWithoutMapping(t *testing.T) {
	store := victimStore()
	attacker := rptest.User{Subject: "attacker", Claims: map[string]any{"preferred_username": "victim", "name": "Not Victim"}}
	h := newHarness(t, rptest.Config{Users: []rptest.User{attacker}}, func(c *Config) {
		c.EmailClaim = "email" // a mapping, but not of the username
		c.Matcher = newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, CreateUsers: true})
	})
	res, err := h.login()
	assertNotVictim(t, res, err)
	if err != nil {
		t.Fatalf("Callback = %v; want a new, separate account", err)
	}
	if res.User.Username == "victim" {
		t.Fatalf("new account took the victim's username: %+v", res.User)
	}
	// Without any mapping (upn/unique_name fallback) it is ignored too.
	h.rp.cfg.EmailClaim = ""
	h.rp.cfg.Matcher = newMatcherT(t, MatcherConfig{Store: victimStore(), AutoLink: true})
	res, err = h.login()
	assertNotVictim(t, res, err)
	if !errors.Is(err, ErrNoLocalAccount) {
		t.Fatalf("no mapping: %v; want ErrNoLocalAccount", err)
	}
}

func TestHostileVictimSubFromAnotherIssuer(t *testing.T) {
	store := victimStore()
	matcher := newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, CreateUsers: true})
	victimIdP := newHarness(t, rptest.Config{Users: []rptest.User{{Subject: "1234", Claims: map[string]any{"preferred_username": "victim"}}}},
		func(c *Config) { c.UsernameClaim = "preferred_username"; c.Matcher = matcher })
	if res, err := victimIdP.login(); err != nil || res.User.ID != victimID {
		t.Fatalf("victim's own login: %+v, %v", res, err)
	}
	attackerIdP := newHarness(t, rptest.Config{Users: []rptest.User{{Subject: "1234"}}},
		func(c *Config) { c.Matcher = matcher })
	res, err := attackerIdP.login()
	assertNotVictim(t, res, err)
	if err != nil {
		t.Fatalf("Callback = %v; want a separate new account", err)
	}
	if store.Len() != 2 {
		t.Fatalf("%d accounts; want the victim's and the attacker's", store.Len())
	}
}
