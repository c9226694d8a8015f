package rp

import (
	"errors"
	"strings"
	"testing"
)

// TestTransactionTagBindsLogin: two RPs that differ only in their
// TransactionTag (one connection's two versions) never complete each
// other's logins, even with shared secrets and one redirect URL; the state
// starts with the tag, and StateTag reads it back.
func TestTransactionTagBindsLogin(t *testing.T) {
	clock := newFakeClock()
	op := newProvider(t, clock)
	tagged := func(tag string) func(*Config) {
		return func(c *Config) {
			c.CookieSecrets = sharedSecrets
			c.TransactionTag = tag
			c.RedirectURL = strings.Replace(c.RedirectURL, "/v2/", "/v1/", 1) // one redirect URL
		}
	}
	a := newMultiApp(t, clock, map[string]site{"v1": {op, tagged("acme.1")}, "v2": {op, tagged("acme.2")}})

	resp := a.start("v2")
	state := resp.Get("state")
	if !strings.HasPrefix(state, "acme.2.") || StateTag(state) != "acme.2" {
		t.Fatalf("state %q, StateTag %q; want the tag acme.2 first", state, StateTag(state))
	}
	if res, err := a.deliver("v1", resp); !errors.Is(err, ErrStateUnknown) || res != nil {
		t.Fatalf("version 2's login at version 1's RP: %v; want ErrStateUnknown", err)
	}
	// A forged tag changes the state, which then names no login at all.
	forged := resp
	forged.Set("state", "acme.1."+strings.TrimPrefix(state, "acme.2."))
	if _, err := a.deliver("v1", forged); !errors.Is(err, ErrStateUnknown) {
		t.Fatalf("state with a forged tag: %v; want ErrStateUnknown", err)
	}
	forged.Set("state", state)
	if res, err := a.deliver("v2", forged); err != nil || res.Claims.Subject == "" {
		t.Fatalf("version 2's own callback: %+v, %v", res, err)
	}
}

func TestStateTag(t *testing.T) {
	for state, want := range map[string]string{
		"acme.7.abcDEF-_":              "acme.7",
		"okta_x-1.abc":                 "okta_x-1",
		"abcDEF-_":                     "",
		".abc":                         "",
		"a b.c":                        "",
		"acme/1.abc":                   "",
		strings.Repeat("a", 81) + ".x": "",
		"":                             "",
	} {
		if got := StateTag(state); got != want {
			t.Errorf("StateTag(%q) = %q; want %q", state, got, want)
		}
	}
}

func TestTransactionTagValidated(t *testing.T) {
	cfg := Config{Authority: "https://idp.example.com", ClientID: "c", RedirectURL: "https://app.example.com/cb", TransactionTag: "acme/1"}
	var ce *ConfigError
	if err := cfg.Validate(); !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "TransactionTag" {
		t.Fatalf("Validate with tag %q: %v; want one TransactionTag problem", cfg.TransactionTag, err)
	}
}
