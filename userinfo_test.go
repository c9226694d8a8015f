package rp

import (
	"errors"
	"slices"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// dana's ID token carries only sub and the protocol claims, as a
// spec-conformant provider issues it in the code flow; her profile, email,
// groups and upn come from userinfo only.
var dana = rptest.User{Subject: "dana-sub", UserInfo: map[string]any{
	"name": "Dana Example", "email": "dana@example.com", "email_verified": true,
	"groups": []string{"staff", "admins"}, "upn": "dana@corp.example", "department": "Finance",
}}

func wantUserInfoRequests(t *testing.T, h *harness, want int) {
	t.Helper()
	if n := h.op.Requests(rptest.EndpointUserInfo); n != want {
		t.Errorf("%d userinfo requests; want %d", n, want)
	}
}

func TestUserInfoDefaultFetchesProfile(t *testing.T) {
	for _, scope := range []string{"profile", "email", "address", "phone"} {
		t.Run(scope, func(t *testing.T) {
			h := newHarness(t, rptest.Config{Users: []rptest.User{dana}}, func(c *Config) {
				if scope != "profile" {
					c.Scopes = []string{"openid", scope}
				}
			})
			res, err := h.login()
			if err != nil {
				t.Fatal(err)
			}
			c := res.Claims
			if c.Name != "Dana Example" || c.Email != "dana@example.com" || !c.EmailVerified ||
				!slices.Equal(c.Groups, []string{"staff", "admins"}) || c.UPN != "dana@corp.example" {
				t.Errorf("claims %+v; want the profile from userinfo", c)
			}
			wantUserInfoRequests(t, h, 1)
		})
	}
}

func TestUserInfoNever(t *testing.T) {
	h := newHarness(t, rptest.Config{Users: []rptest.User{dana}}, func(c *Config) {
		c.UserInfo = UserInfoNever
		c.UsernameClaim, c.EmailClaim = "preferred_username", "email" // missing, still not fetched
	})
	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Claims; c.Name != "" || c.Email != "" || c.Groups != nil || c.UPN != "" {
		t.Errorf("claims %+v; want none from userinfo", c)
	}
	wantUserInfoRequests(t, h, 0)
}

func TestUserInfoOpenIDScopeOnly(t *testing.T) {
	t.Run("nothing mapped", func(t *testing.T) {
		h := newHarness(t, rptest.Config{Users: []rptest.User{dana}}, func(c *Config) { c.Scopes = []string{"openid"} })
		if _, err := h.login(); err != nil {
			t.Fatal(err)
		}
		wantUserInfoRequests(t, h, 0)
	})
	t.Run("mapped claim missing", func(t *testing.T) {
		h := newHarness(t, rptest.Config{Users: []rptest.User{dana}}, func(c *Config) {
			c.Scopes = []string{"openid"}
			c.EmailClaim = "email"
		})
		res, err := h.login()
		if err != nil {
			t.Fatal(err)
		}
		if res.Claims.Email != "dana@example.com" {
			t.Errorf("email %q; want it from userinfo", res.Claims.Email)
		}
		wantUserInfoRequests(t, h, 1)
	})
	t.Run("always", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, func(c *Config) { c.Scopes = []string{"openid"}; c.UserInfo = UserInfoAlways })
		if _, err := h.login(); err != nil {
			t.Fatal(err)
		}
		wantUserInfoRequests(t, h, 1)
	})
	t.Run("always, implicit without access token", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseType = "id_token"; c.UserInfo = UserInfoAlways })
		if _, err := h.deliver(h.respond(h.start())); err != nil {
			t.Fatal(err)
		}
		wantUserInfoRequests(t, h, 0)
	})
}

// TestUserInfoForMatcherClaims: with only the openid scope, the claims the
// default Matcher reads still make the RP fetch userinfo when the ID token
// lacks them, so groups, attributes and upn reach the account.
func TestUserInfoForMatcherClaims(t *testing.T) {
	for name, mc := range map[string]MatcherConfig{
		"GroupsClaim":     {CreateUsers: true, GroupsClaim: "groups"},
		"AttributeClaims": {CreateUsers: true, AttributeClaims: map[string]string{"dept": "department"}},
		"upn":             {AutoLink: true},
	} {
		t.Run(name, func(t *testing.T) {
			store := NewMemoryUserStore()
			if name == "upn" {
				store.Add(User{Username: "dana@corp.example"})
			}
			mc.Store = store
			h := newHarness(t, rptest.Config{Users: []rptest.User{dana}}, func(c *Config) {
				c.Scopes = []string{"openid"}
				c.Matcher = newMatcherT(t, mc)
				c.MicrosoftNameClaims = NameClaimsOn // the mock's issuer is not Microsoft's
			})
			res, err := h.login()
			if err != nil {
				t.Fatal(err)
			}
			u := res.User
			switch name {
			case "GroupsClaim":
				if !slices.Equal(u.Groups, []string{"admins", "staff"}) {
					t.Errorf("groups %q; want them from userinfo", u.Groups)
				}
			case "AttributeClaims":
				if u.Attributes["dept"] != "Finance" {
					t.Errorf("attributes %v; want dept from userinfo", u.Attributes)
				}
			case "upn":
				if u.Username != "dana@corp.example" {
					t.Errorf("linked %+v; want the account named by upn", u)
				}
			}
			wantUserInfoRequests(t, h, 1)
		})
	}
}

func TestMatcherClaimNames(t *testing.T) {
	m := newMatcherT(t, MatcherConfig{Store: NewMemoryUserStore(), GroupsClaim: "roles", AutoLink: true,
		AttributeClaims: map[string]string{"b": "employee_id", "a": "department"}})
	if got, want := m.ClaimNames(&Identity{MicrosoftNameClaims: true}), []string{"roles", "department", "employee_id", "upn", "unique_name"}; !slices.Equal(got, want) {
		t.Errorf("ClaimNames = %q; want %q", got, want)
	}
	// With a mapped username or email claim, or from an issuer whose upn
	// and unique_name mean nothing, AutoLink does not fall back to them.
	for _, id := range []*Identity{
		{UsernameClaim: "preferred_username", MicrosoftNameClaims: true},
		{EmailClaim: "email", MicrosoftNameClaims: true},
		{},
		nil,
	} {
		if got, want := m.ClaimNames(id), []string{"roles", "department", "employee_id"}; !slices.Equal(got, want) {
			t.Errorf("ClaimNames(%+v) = %q; want %q", id, got, want)
		}
	}
	if got := newMatcherT(t, MatcherConfig{Store: NewMemoryUserStore()}).ClaimNames(&Identity{MicrosoftNameClaims: true}); len(got) != 0 {
		t.Errorf("ClaimNames of a bare matcher = %q; want none", got)
	}
}

func TestUserInfoAlwaysNeedsEndpoint(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	base := h.op.URL
	cfg := Config{
		ClientID: h.op.ClientID(), ClientSecret: Secret(h.op.ClientSecret()), RedirectURL: h.app.URL + "/callback",
		Endpoints: &Endpoints{Issuer: base, Authorization: base + "/authorize", Token: base + "/token", JWKS: base + "/jwks"},
		UserInfo:  UserInfoAlways,
	}
	_, err := New(t.Context(), cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "UserInfo" {
		t.Fatalf("New = %v; want a ConfigError about UserInfo", err)
	}
	cfg.UserInfo = UserInfoAuto
	if _, err := New(t.Context(), cfg); err != nil {
		t.Fatalf("UserInfoAuto without an endpoint: %v", err)
	}
	cfg.UserInfo = UserInfoMode(7)
	if err := cfg.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Validate with UserInfo 7 = %v; want ErrInvalidConfig", err)
	}
}

func TestUserInfoModeText(t *testing.T) {
	for mode, text := range map[UserInfoMode]string{UserInfoAuto: "auto", UserInfoAlways: "always", UserInfoNever: "never"} {
		b, err := mode.MarshalText()
		if err != nil || string(b) != text || mode.String() != text {
			t.Errorf("%d: %q %v %q", mode, b, err, mode.String())
		}
		var back UserInfoMode
		if err := back.UnmarshalText([]byte(text)); err != nil || back != mode {
			t.Errorf("UnmarshalText(%q) = %d, %v", text, back, err)
		}
	}
	var m UserInfoMode
	if err := m.UnmarshalText([]byte("sometimes")); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("UnmarshalText(sometimes) = %v; want ErrInvalidConfig", err)
	}
	if _, err := UserInfoMode(9).MarshalText(); err == nil {
		t.Error("MarshalText of an unknown mode succeeded")
	}
}
