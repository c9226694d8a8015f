package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oidcrp/rp/connection"
)

// TestHomeRealmDiscovery: the chooser asks for the email address first
// and routes it to the connection owning its domain, with the address as
// login_hint; no match and several matches are explicit outcomes.
func TestHomeRealmDiscovery(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	acme := settingsFor("acme", op)
	acme.EmailDomains = []connection.EmailDomain{{Domain: "acme.example"}, {Domain: "*.eu.example"}}
	globex := settingsFor("globex", op)
	globex.EmailDomains = []connection.EmailDomain{{Domain: "globex.example"}, {Domain: "*.fr.eu.example"}}
	put(t, store, acme)
	put(t, store, globex)
	a := newConnApp(t, clock, store, func(c *Config) { c.Connections.EmailFirst = true })

	_, _, page := a.get("/login")
	if !strings.Contains(page, `<input id="email" name="email" type="email"`) || !strings.Contains(page, `href="/sso/acme/login"`) {
		t.Fatalf("chooser without the email form or the buttons:\n%s", page)
	}
	resp := a.raw("GET", "/login?email=Bob%40ACME.example&return_to=%2Fme", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/sso/acme/login?login_hint=Bob%40ACME.example&return_to=%2Fme" {
		t.Fatalf("routing bob@acme: %d to %q", resp.StatusCode, loc)
	}
	if status, path, body := a.get("/login?email=bob%40acme.example&return_to=%2Fme"); status != http.StatusOK || path != "/me" || !strings.HasPrefix(body, "user=") {
		t.Fatalf("sign-in routed by email: %d %s %q", status, path, body)
	}
	if hint := op.LastAuthorizeParams().Get("login_hint"); hint != "bob@acme.example" {
		t.Fatalf("login_hint at the provider %q", hint)
	}
	for email, want := range map[string]string{
		"x@nowhere.example":    "There is no single sign-on for this address.",
		"x@gmail.com":          "There is no single sign-on for this address.",
		"not-an-address":       "Enter your email address",
		"x@lyon.fr.eu.example": "Several sign-in options match this address.",
	} {
		resp := a.raw("GET", "/login?email="+email, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d; want the chooser again", email, resp.StatusCode)
			continue
		}
		if _, _, body := a.get("/login?email=" + email); !strings.Contains(body, want) || !strings.Contains(body, `href="/sso/globex/login"`) {
			t.Errorf("%s: page without %q and the buttons", email, want)
		}
	}
	if l, err := a.web.RouteEmail(context.Background(), "ann@paris.eu.example"); err != nil || l.Name != "acme" {
		t.Fatalf("RouteEmail by the one wildcard: %+v, %v", l, err)
	}
	if _, err := a.web.RouteEmail(context.Background(), "x@lyon.fr.eu.example"); !errors.Is(err, connection.ErrAmbiguousDomain) {
		t.Fatalf("RouteEmail with two wildcards: %v; want ErrAmbiguousDomain", err)
	}
}

func TestHomeRealmNoMatchURL(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	put(t, store, settingsFor("acme", newConnOP(t, clock)))
	a := newConnApp(t, clock, store, func(c *Config) {
		c.Connections.EmailFirst, c.Connections.NoMatchURL = true, "/password-login"
	})
	resp := a.raw("GET", "/login?email=x%40nowhere.example&return_to=%2Fme", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/password-login?email=x%40nowhere.example&return_to=%2Fme" {
		t.Fatalf("no match: %d to %q; want the password sign-in", resp.StatusCode, loc)
	}
}
