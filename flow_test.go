package rp

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

func TestAuthorizationRequestParameters(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.MaxAge = 15 * time.Minute
		c.ACRValues = []string{"urn:mfa", "urn:pwd"}
		c.UILocales = []string{"de-CH", "en"}
		c.ClaimsParameter = json.RawMessage(`{"id_token":{"acr":{"essential":true}}}`)
		c.HostedDomain = "example.com"
		c.ExtraAuthParams = url.Values{"domain_hint": {"example.com"}}
	})
	authURL := h.start()
	for k, want := range map[string]string{
		"max_age": "900", "acr_values": "urn:mfa urn:pwd", "ui_locales": "de-CH en",
		"claims": `{"id_token":{"acr":{"essential":true}}}`, "hd": "example.com", "domain_hint": "example.com",
		"response_type": "code", "response_mode": "",
	} {
		if got := param(t, authURL, k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
}

func TestResponseModeParameter(t *testing.T) {
	for _, tc := range []struct {
		rt, mode, wantMode string
		pkce               bool
	}{
		{"code", "", "", true},
		{"code", "form_post", "form_post", true},
		{"id_token", "", "form_post", false},
		{"code id_token", "fragment", "", true},
		{"id_token token", "", "form_post", false},
	} {
		h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseType, c.ResponseMode = tc.rt, tc.mode })
		authURL := h.start()
		if got := param(t, authURL, "response_type"); got != tc.rt {
			t.Errorf("%s: response_type %q", tc.rt, got)
		}
		if got := param(t, authURL, "response_mode"); got != tc.wantMode {
			t.Errorf("%s/%s: response_mode %q; want %q", tc.rt, tc.mode, got, tc.wantMode)
		}
		if got := param(t, authURL, "code_challenge") != ""; got != tc.pkce {
			t.Errorf("%s: PKCE sent = %v; want %v", tc.rt, got, tc.pkce)
		}
	}
}

func TestLoginClaimChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*Config)
		claims func(now time.Time) map[string]any
		want   error
	}{
		{"max_age auth_time missing", func(c *Config) { c.MaxAge = time.Hour }, func(time.Time) map[string]any { return map[string]any{"auth_time": nil} }, ErrIDTokenAuthTime},
		{"max_age auth_time old", func(c *Config) { c.MaxAge = time.Hour }, func(n time.Time) map[string]any { return map[string]any{"auth_time": n.Add(-2 * time.Hour).Unix()} }, ErrIDTokenAuthTime},
		{"max_age auth_time recent", func(c *Config) { c.MaxAge = time.Hour }, func(n time.Time) map[string]any { return map[string]any{"auth_time": n.Add(-30 * time.Minute).Unix()} }, nil},
		{"acr required and wrong", func(c *Config) { c.ACRValues, c.RequireACR = []string{"urn:mfa"}, true }, func(time.Time) map[string]any { return map[string]any{"acr": "urn:pwd"} }, ErrIDTokenACR},
		{"acr required and missing", func(c *Config) { c.ACRValues, c.RequireACR = []string{"urn:mfa"}, true }, func(time.Time) map[string]any { return map[string]any{"acr": nil} }, ErrIDTokenACR},
		{"acr required and right", func(c *Config) { c.ACRValues, c.RequireACR = []string{"urn:mfa"}, true }, func(time.Time) map[string]any { return map[string]any{"acr": "urn:mfa"} }, nil},
		{"acr requested, not required", func(c *Config) { c.ACRValues = []string{"urn:mfa"} }, func(time.Time) map[string]any { return map[string]any{"acr": "urn:pwd"} }, nil},
		{"hd other domain", func(c *Config) { c.HostedDomain = "example.com" }, func(time.Time) map[string]any { return map[string]any{"hd": "evil.example"} }, ErrHostedDomain},
		{"hd missing (personal account)", func(c *Config) { c.HostedDomain = "example.com" }, func(time.Time) map[string]any { return nil }, ErrHostedDomain},
		{"hd right", func(c *Config) { c.HostedDomain = "example.com" }, func(time.Time) map[string]any { return map[string]any{"hd": "example.com"} }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, tc.mod)
			h.op.SetFaults(rptest.Faults{ExtraIDTokenClaims: tc.claims(h.clock.Now())})
			res, err := h.login()
			if !errors.Is(err, tc.want) {
				t.Fatalf("Callback = %v; want %v", err, tc.want)
			}
			if tc.want != nil && res != nil {
				t.Fatal("a result came with the error")
			}
		})
	}
}

func TestTokensInQueryRefused(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	cb := h.authorize(h.start())
	for _, k := range []string{"id_token", "access_token"} {
		res, err := h.callback(withParam(t, cb, k, "eyJhbGciOiJSUzI1NiJ9.e30.sig"))
		if !errors.Is(err, ErrTokensInQuery) || res != nil {
			t.Fatalf("%s in the query: %v; want ErrTokensInQuery", k, err)
		}
	}
	if n := h.op.Requests(rptest.EndpointToken); n != 0 {
		t.Fatalf("token endpoint called %d times", n)
	}
}

func TestGoogleIssuerSpellings(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	keys := newKeySet(op.Client(), op.URL+"/jwks")
	now := time.Now()
	v := newIDTokenVerifier(issuerPolicy{issuer: googleIssuer}, op.ClientID(), []string{"RS256"}, keys, time.Minute, func() time.Time { return now })
	for iss, want := range map[string]error{
		"https://accounts.google.com":  nil,
		"accounts.google.com":          nil,
		"http://accounts.google.com":   ErrIDTokenIssuer,
		"https://accounts.google.com/": ErrIDTokenIssuer,
		"accounts.google.com/":         ErrIDTokenIssuer,
	} {
		raw, err := op.SignIDToken(map[string]any{"iss": iss, "sub": "1", "aud": op.ClientID(), "nonce": "n",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.verify(context.Background(), raw, "n", now); !errors.Is(err, want) {
			t.Errorf("iss %q: %v; want %v", iss, err, want)
		}
	}
	// The scheme-less spelling is Google's alone.
	other := newIDTokenVerifier(issuerPolicy{issuer: "https://login.example.com"}, op.ClientID(), []string{"RS256"}, keys, time.Minute, func() time.Time { return now })
	raw, _ := op.SignIDToken(map[string]any{"iss": "login.example.com", "sub": "1", "aud": op.ClientID(), "nonce": "n",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	if _, err := other.verify(context.Background(), raw, "n", now); !errors.Is(err, ErrIDTokenIssuer) {
		t.Errorf("scheme-less issuer for a non-Google provider: %v", err)
	}
}

func TestSameIssuerTemplates(t *testing.T) {
	const tmpl = "https://login.microsoftonline.com/{tenantid}/v2.0"
	for _, tc := range []struct {
		doc, authority string
		want           bool
	}{
		{tmpl, "https://login.microsoftonline.com/common/v2.0", true},
		{tmpl, "https://login.microsoftonline.com/organizations/v2.0/", true},
		{tmpl, "https://login.microsoftonline.com/0000-1111/v2.0", true},
		{tmpl, "https://login.microsoftonline.com/v2.0", false},
		{tmpl, "https://login.microsoftonline.com/a/b/v2.0", false},
		{tmpl, "https://login.evil.example/common/v2.0", false},
		{"https://idp.example.com/", "https://idp.example.com", true},
		{"https://idp.example.com", "https://idp.example.com//", false},
	} {
		if got := sameIssuer(tc.doc, tc.authority); got != tc.want {
			t.Errorf("sameIssuer(%q, %q) = %v; want %v", tc.doc, tc.authority, got, tc.want)
		}
	}
	p := issuerPolicy{issuer: tmpl, allowedTenants: []string{"tid-a"}}
	for iss, want := range map[string]bool{
		"https://login.microsoftonline.com/tid-a/v2.0": true,
		"https://login.microsoftonline.com/TID-A/v2.0": true,
		"https://login.microsoftonline.com/tid-b/v2.0": false,
		"https://login.microsoftonline.com//v2.0":      false,
		"https://login.microsoftonline.com/a/b/v2.0":   false,
	} {
		if got := p.checkResponseIss(iss); got != want {
			t.Errorf("checkResponseIss(%q) = %v; want %v", iss, got, want)
		}
	}
}
