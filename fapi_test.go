package rp

import (
	"context"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// fapiHarness is a provider and an RP with FAPI2 on: private_key_jwt with
// an RSA key, ID tokens signed with sigAlg.
func fapiHarness(t *testing.T, sigAlg string, mod func(*Config)) *harness {
	t.Helper()
	key := rsaKey(t)
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "fapi-1", Use: "sig"}}}
	return newHarness(t, rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks, SigningAlg: sigAlg}, func(c *Config) {
		c.FAPI2, c.DPoP, c.ClientSecret, c.ClientKey, c.ClientKeyID = true, true, "", key, "fapi-1"
		if mod != nil {
			mod(c)
		}
	})
}

func TestFAPI2Login(t *testing.T) {
	for _, alg := range []string{"PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			h := fapiHarness(t, alg, nil)
			loc := h.start()
			if got := queryKeys(t, loc); !slices.Equal(got, []string{"client_id", "request_uri"}) {
				t.Fatalf("browser URL carries %v; FAPI2 must push the request and send only client_id and request_uri", got)
			}
			if _, err := h.callback(h.authorize(loc)); err != nil {
				t.Fatalf("login: %v", err)
			}
			if n := h.op.Requests(rptest.EndpointPAR); n != 1 {
				t.Fatalf("%d pushes; want 1", n)
			}
			seen := h.op.LastAuthorizeParams()
			if m := seen.Get("code_challenge_method"); m != "S256" {
				t.Fatalf("code_challenge_method %q; want S256", m)
			}
			if got := h.op.LastClientAuthMethod(); got != "private_key_jwt" {
				t.Fatalf("client authentication %q; want private_key_jwt", got)
			}
			if seen.Get("dpop_jkt") == "" {
				t.Fatal("the pushed request has no dpop_jkt: the access token is not bound from the login's start")
			}
			if got := h.op.LastClientAssertionClaims()["aud"]; got != h.op.Issuer() {
				t.Fatalf("token endpoint client assertion aud %v; FAPI 2.0 wants the issuer %q as its sole value", got, h.op.Issuer())
			}
			if got := h.op.LastClientAssertionHeader()["alg"]; got != "PS256" {
				t.Fatalf("client assertion signed with %v; FAPI 2.0 wants PS256 for an RSA key", got)
			}
		})
	}
}

// TestFAPI2RefusesRS256IDToken: under FAPI2 an ID token signed with RS256
// is refused even though the provider advertises it, because only
// FAPI2SigningAlgs are accepted.
func TestFAPI2RefusesRS256IDToken(t *testing.T) {
	key := rsaKey(t)
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "fapi-1", Use: "sig"}}}
	op := rptest.NewServer(rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks, SigningAlg: "RS256"})
	t.Cleanup(op.Close)
	_, err := New(context.Background(), Config{
		Authority: op.Issuer(), ClientID: op.ClientID(), RedirectURL: "http://127.0.0.1/callback",
		ClientKey: key, ClientKeyID: "fapi-1", FAPI2: true, DPoP: true,
	})
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "SigningAlgs" ||
		!strings.Contains(ce.Problems[0].Message, "FAPI 2.0 allows only PS256, ES256, EdDSA") {
		t.Fatalf("New = %v; want one SigningAlgs problem naming the FAPI 2.0 algorithms", err)
	}
}

func TestFAPI2ConfigProblems(t *testing.T) {
	key := rsaKey(t)
	good := func() Config {
		return Config{Authority: "https://op.example.com", ClientID: "c", RedirectURL: "https://app.example.com/cb",
			ClientKey: key, FAPI2: true, DPoP: true}
	}
	if err := func() error { c := good(); return c.Validate() }(); err != nil {
		t.Fatalf("a FAPI 2.0 configuration is refused: %v", err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, field, msg string
		mod              func(*Config)
	}{
		{"hybrid flow", "ResponseType", "allows only the code flow", func(c *Config) { c.ResponseType = "code id_token" }},
		{"implicit flow", "ResponseType", "allows only the code flow", func(c *Config) { c.ResponseType = "id_token" }},
		{"PKCE off", "DisablePKCE", "requires PKCE with S256", func(c *Config) { c.DisablePKCE = true }},
		{"client secret", "ClientAuth", `not "client_secret_basic"`, func(c *Config) { c.ClientAuth, c.ClientSecret = "client_secret_basic", "s" }},
		{"public client", "ClientAuth", `not "none"`, func(c *Config) { c.ClientAuth = "none" }},
		{"no client key", "ClientKey", "set ClientKey", func(c *Config) { c.ClientKey, c.ClientSecret = nil, "s" }},
		{"RSA 1024", "ClientKey", "at least 2048 bits; ClientKey has 1024", func(c *Config) { c.ClientKey = small }},
		{"P-384", "ClientKey", "ES256 only", func(c *Config) { c.ClientKey = ecKey(t, elliptic.P384()) }},
		{"bearer tokens", "FAPI2", "sender-constrained access tokens", func(c *Config) { c.DPoP = false }},
		{"RS256 ID tokens", "SigningAlgs", `not "RS256"`, func(c *Config) { c.SigningAlgs = []string{"PS256", "RS256"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.mod(&c)
			err := c.Validate()
			var ce *ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate = %v; want a *ConfigError", err)
			}
			found := false
			for _, p := range ce.Problems {
				if p.Field == tc.field && strings.Contains(p.Message, tc.msg) && strings.HasSuffix(p.Message, "(FAPI2 is set)") {
					found = true
				}
			}
			if !found {
				t.Fatalf("problems %+v; want %s: …%s… (FAPI2 is set)", ce.Problems, tc.field, tc.msg)
			}
			c.FAPI2, c.DPoP = false, false
			if err := c.Validate(); err != nil && tc.field != "ClientKey" {
				t.Fatalf("without FAPI2 the same configuration is refused: %v", err)
			}
		})
	}
}

func TestFAPI2ProviderProblems(t *testing.T) {
	c := Config{ClientKey: rsaKey(t), FAPI2: true, DPoP: true}
	base := ProviderMetadata{
		PushedAuthorizationRequestEndpoint:         "https://op.example.com/par",
		CodeChallengeMethodsSupported:              []string{"S256"},
		AuthorizationResponseIssParameterSupported: true,
	}
	if ps := providerProblems(&c, &base); len(ps) != 0 {
		t.Fatalf("a FAPI 2.0 provider gives problems %+v", ps)
	}
	for _, tc := range []struct {
		name, field, msg string
		mod              func(*ProviderMetadata)
	}{
		{"no PAR endpoint", "PushedAuthorization", "no pushed authorization request endpoint", func(m *ProviderMetadata) { m.PushedAuthorizationRequestEndpoint = "" }},
		{"plain PKCE only", "FAPI2", "does not offer PKCE with S256", func(m *ProviderMetadata) { m.CodeChallengeMethodsSupported = []string{"plain"} }},
		{"no iss parameter", "FAPI2", "authorization_response_iss_parameter_supported", func(m *ProviderMetadata) { m.AuthorizationResponseIssParameterSupported = false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := base
			tc.mod(&md)
			ps := providerProblems(&c, &md)
			if len(ps) != 1 || ps[0].Field != tc.field || !strings.Contains(ps[0].Message, tc.msg) {
				t.Fatalf("problems %+v; want one %s problem with %q", ps, tc.field, tc.msg)
			}
			c2 := c
			c2.FAPI2 = false
			if ps := providerProblems(&c2, &md); len(ps) != 0 {
				t.Fatalf("without FAPI2 the provider gives problems %+v", ps)
			}
		})
	}
}

// TestFAPI2NewRefusesProviderWithoutIss: New checks the provider's
// metadata, not only the Config.
func TestFAPI2NewRefusesProviderWithoutIss(t *testing.T) {
	key := rsaKey(t)
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k", Use: "sig"}}}
	op := rptest.NewServer(rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks, SigningAlg: "ES256"})
	t.Cleanup(op.Close)
	op.SetFaults(rptest.Faults{OmitResponseIss: true})
	_, err := New(context.Background(), Config{Authority: op.Issuer(), ClientID: op.ClientID(),
		RedirectURL: "http://127.0.0.1/callback", ClientKey: key, FAPI2: true, DPoP: true})
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "FAPI2" {
		t.Fatalf("New = %v; want one FAPI2 problem", err)
	}
}
