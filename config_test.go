package rp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{
		Authority:   "https://login.example.com",
		ClientID:    "client",
		RedirectURL: "https://app.example.com/callback",
	}
}

func TestValidateAcceptsGoodConfigs(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"minimal": func(*Config) {},
		"loopback http": func(c *Config) {
			c.Authority = "http://127.0.0.1:9000"
			c.RedirectURL = "http://localhost:8080/callback"
		},
		"ipv6 loopback": func(c *Config) { c.RedirectURL = "http://[::1]:8080/cb" },
		"metadata url":  func(c *Config) { c.Authority = ""; c.MetadataURL = "https://idp.example.com/conf.json" },
		"manual endpoints": func(c *Config) {
			c.Endpoints = &Endpoints{Authorization: "https://i/a", Token: "https://i/t", JWKS: "https://i/k"}
		},
		"scopes": func(c *Config) { c.Scopes = []string{"openid", "offline_access"} },
		"skew":   func(c *Config) { c.ClockSkew = 2 * time.Minute },
	} {
		c := validConfig()
		mod(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v; want nil", name, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		field string
		fix   string // a phrase the message must contain: what to change
	}{
		{"no provider", func(c *Config) { c.Authority = "" }, "Authority", "set the provider's issuer URL"},
		{"relative authority", func(c *Config) { c.Authority = "login.example.com" }, "Authority", "write it in full with https://"},
		{"http authority", func(c *Config) { c.Authority = "http://login.example.com" }, "Authority", "use https"},
		{"ftp authority", func(c *Config) { c.Authority = "ftp://login.example.com" }, "Authority", "use https"},
		{"authority credentials", func(c *Config) { c.Authority = "https://u:p@login.example.com" }, "Authority", "remove the user name or password"},
		{"malformed metadata url", func(c *Config) { c.MetadataURL = "https://exa mple.com/%zz" }, "MetadataURL", "not a valid URL"},
		{"http metadata url", func(c *Config) { c.MetadataURL = "http://idp.example.com/conf" }, "MetadataURL", "use https"},
		{"missing client id", func(c *Config) { c.ClientID = "" }, "ClientID", "set the client ID"},
		{"blank client id", func(c *Config) { c.ClientID = "  " }, "ClientID", "set the client ID"},
		{"missing openid scope", func(c *Config) { c.Scopes = []string{"profile", "email"} }, "Scopes", `add "openid"`},
		{"scope with space", func(c *Config) { c.Scopes = []string{"openid profile"} }, "Scopes", "each scope as its own element"},
		{"missing redirect", func(c *Config) { c.RedirectURL = "" }, "RedirectURL", "set the absolute callback URL"},
		{"relative redirect", func(c *Config) { c.RedirectURL = "/callback" }, "RedirectURL", "not an absolute URL"},
		{"malformed redirect", func(c *Config) { c.RedirectURL = "https://app.example.com:port/cb" }, "RedirectURL", "not a valid URL"},
		{"http redirect", func(c *Config) { c.RedirectURL = "http://app.example.com/callback" }, "RedirectURL", "use https"},
		{"redirect fragment", func(c *Config) { c.RedirectURL = "https://app.example.com/cb#x" }, "RedirectURL", "remove the #fragment"},
		{"endpoints incomplete", func(c *Config) { c.Endpoints = &Endpoints{Authorization: "https://i/a"} }, "Endpoints.Token", "set the provider's token endpoint"},
		{"endpoints without jwks", func(c *Config) { c.Endpoints = &Endpoints{Authorization: "https://i/a", Token: "https://i/t"} }, "Endpoints.JWKS", "set the provider's JSON Web Key Set"},
		{"endpoints without issuer", func(c *Config) {
			c.Authority = ""
			c.Endpoints = &Endpoints{Authorization: "https://i/a", Token: "https://i/t", JWKS: "https://i/k"}
		}, "Endpoints.Issuer", "set the provider's issuer"},
		{"endpoints and metadata url", func(c *Config) {
			c.MetadataURL = "https://i/conf"
			c.Endpoints = &Endpoints{Authorization: "https://i/a", Token: "https://i/t", JWKS: "https://i/k"}
		}, "MetadataURL", "set either MetadataURL or Endpoints"},
		{"http endpoint", func(c *Config) {
			c.Endpoints = &Endpoints{Authorization: "https://i/a", Token: "http://i.example/t", JWKS: "https://i/k"}
		}, "Endpoints.Token", "use https"},
		{"skew too large", func(c *Config) { c.ClockSkew = time.Hour }, "ClockSkew", "between 0 and 5m0s"},
		{"negative skew", func(c *Config) { c.ClockSkew = -time.Second }, "ClockSkew", "between 0 and"},
		{"login timeout", func(c *Config) { c.LoginTimeout = 2 * time.Hour }, "LoginTimeout", "between 0 and 1h"},
		{"alg none", func(c *Config) { c.SigningAlgs = []string{"none"} }, "SigningAlgs", `"none" is not allowed`},
		{"alg hs256", func(c *Config) { c.SigningAlgs = []string{"HS256"} }, "SigningAlgs", `"HS256" is not allowed`},
		{"short cookie secret", func(c *Config) { c.CookieSecrets = []Secret{"short"} }, "CookieSecrets", "at least 32 random bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.mod(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v; want ErrInvalidConfig", err)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate() = %T; want *ConfigError", err)
			}
			for _, p := range ce.Problems {
				if p.Field == tc.field && strings.Contains(p.Message, tc.fix) {
					return
				}
			}
			t.Fatalf("problems %+v; want one for %s containing %q", ce.Problems, tc.field, tc.fix)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Config{Authority: "http://idp.example.com", Scopes: []string{"profile"}, RedirectURL: "/cb"}
	err := c.Validate()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Validate() = %v", err)
	}
	fields := map[string]bool{}
	for _, p := range ce.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"Authority", "ClientID", "Scopes", "RedirectURL"} {
		if !fields[f] {
			t.Errorf("no problem reported for %s; got %+v", f, ce.Problems)
		}
	}
	if !strings.Contains(err.Error(), "ClientID: set the client ID") {
		t.Errorf("Error() = %q; want every problem listed", err)
	}
}
