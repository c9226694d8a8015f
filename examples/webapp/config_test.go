package main

import (
	"errors"
	"flag"
	"reflect"
	"slices"
	"testing"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	o, err := configFromArgs(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:8080" {
		t.Errorf("Addr = %q, want 127.0.0.1:8080", o.Addr)
	}
	if o.RedirectURL != "http://127.0.0.1:8080/callback/oidc" || !o.redirectDerived {
		t.Errorf("RedirectURL = %q (derived %v), want http://127.0.0.1:8080/callback/oidc, derived", o.RedirectURL, o.redirectDerived)
	}
	if o.DB != "webapp.db" {
		t.Errorf("DB = %q, want webapp.db", o.DB)
	}
	if o.Authority != "" || o.ClientID != "" || o.ClientSecret != "" || o.Scopes != nil || o.NoPasswordFallback {
		t.Errorf("unexpected settings without flags or environment: %+v", o)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	o, err := configFromArgs(nil, env(map[string]string{
		"OIDC_AUTHORITY":     "https://login.example.com",
		"OIDC_CLIENT_ID":     "env-client",
		"OIDC_CLIENT_SECRET": "env-secret",
		"OIDC_SCOPES":        "openid, profile  email,groups",
		"OIDC_REDIRECT_URL":  "http://localhost:8080/auth/callback",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Authority != "https://login.example.com" || o.ClientID != "env-client" || string(o.ClientSecret) != "env-secret" {
		t.Errorf("provider settings not taken from the environment: %+v", o)
	}
	if want := []string{"openid", "profile", "email", "groups"}; !slices.Equal(o.Scopes, want) {
		t.Errorf("Scopes = %q, want %q", o.Scopes, want)
	}
	if o.RedirectURL != "http://localhost:8080/auth/callback" || o.redirectDerived {
		t.Errorf("RedirectURL = %q (derived %v), want the environment's", o.RedirectURL, o.redirectDerived)
	}
}

func TestConfigFlagsWinOverEnvironment(t *testing.T) {
	o, err := configFromArgs([]string{
		"-addr", "127.0.0.1:9000",
		"-authority", "https://flag.example.com",
		"-client-id", "flag-client",
		"-client-secret=", // given, though empty: a public client
		"-scopes", "openid email",
		"-redirect-url", "http://127.0.0.1:9000/cb",
		"-no-password-fallback",
		"-db", "/tmp/demo.db",
	}, env(map[string]string{
		"OIDC_AUTHORITY":     "https://env.example.com",
		"OIDC_CLIENT_ID":     "env-client",
		"OIDC_CLIENT_SECRET": "env-secret",
		"OIDC_SCOPES":        "openid profile",
		"OIDC_REDIRECT_URL":  "http://127.0.0.1:8080/callback",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := options{
		Addr:         "127.0.0.1:9000",
		Authority:    "https://flag.example.com",
		ClientID:     "flag-client",
		ClientSecret: "", // the empty flag wins over the environment
		Scopes:       []string{"openid", "email"},
		RedirectURL:  "http://127.0.0.1:9000/cb",
		DB:           "/tmp/demo.db",

		NoPasswordFallback: true,
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got %+v, want %+v", o, want)
	}
}

func TestConfigRedirectURLFromAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:9090": "http://127.0.0.1:9090/callback/oidc",
		":9090":          "http://127.0.0.1:9090/callback/oidc",
		"0.0.0.0:9090":   "http://127.0.0.1:9090/callback/oidc",
		"localhost:9090": "http://localhost:9090/callback/oidc",
		"[::1]:9090":     "http://[::1]:9090/callback/oidc",
	} {
		o, err := configFromArgs([]string{"-addr", addr}, env(nil))
		if err != nil {
			t.Errorf("-addr %s: %v", addr, err)
			continue
		}
		if o.RedirectURL != want {
			t.Errorf("-addr %s: RedirectURL = %q, want %q", addr, o.RedirectURL, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"},
		{"extra"},
		{"-addr", "no-port"},
		{"-addr", ""},
		{"-db", ""},
	} {
		if _, err := configFromArgs(args, env(nil)); err == nil {
			t.Errorf("configFromArgs(%q) succeeded, want an error", args)
		}
	}
	if _, err := configFromArgs([]string{"-h"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
}
