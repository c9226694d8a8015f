package rp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// The five seed products' admin guides, configured as each guide says, each
// driven through a real login against rptest.

func newMatcherT(t testing.TB, cfg MatcherConfig) *Matcher {
	t.Helper()
	m, err := NewMatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// loginAs runs a login in which the provider signs in the user with the
// given login hint.
func (h *harness) loginAs(hint string) (*Result, error) {
	h.t.Helper()
	h.opts.LoginHint = hint
	return h.login()
}

// FastClose: Entra ID authority typed with a trailing slash, scopes
// "openid email", the email claim matched to the local username, only
// existing users. Entra sends no email_verified, so the deployment trusts
// its single-tenant issuer's emails explicitly.
func TestSeedFastClose(t *testing.T) {
	store := NewMemoryUserStore()
	store.Add(User{ID: "fc-1", Username: "pat@contoso.example"})
	users := []rptest.User{
		{Subject: "entra-oid-pat", Claims: map[string]any{"email": "Pat@Contoso.example"}},
		{Subject: "entra-oid-stranger", Claims: map[string]any{"email": "stranger@contoso.example"}},
	}
	var matcher *Matcher
	h := newHarness(t, rptest.Config{Users: users}, func(c *Config) {
		c.Authority += "/" // as the guide's example authority is written
		c.Scopes = []string{"openid", "email"}
		c.UsernameClaim = "email"
		matcher = newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, OnlyKnownUsers: true, CreateUsers: true,
			TrustUnverifiedEmailsFrom: []string{c.Authority[:len(c.Authority)-1]}})
		c.Matcher = matcher
	})
	if got := param(t, h.start(), "scope"); got != "openid email" {
		t.Errorf("scope = %q", got)
	}
	res, err := h.loginAs("entra-oid-pat")
	if err != nil || res.User.ID != "fc-1" {
		t.Fatalf("pat: %+v, %v; want fc-1", res, err)
	}
	if _, err := h.loginAs("entra-oid-stranger"); !errors.Is(err, ErrNoLocalAccount) {
		t.Fatalf("stranger: %v; want ErrNoLocalAccount", err)
	}
	if store.Len() != 1 {
		t.Fatalf("an account was created: %d", store.Len())
	}
	// Without the explicit trust, an unverified email never links.
	h.rp.cfg.Matcher = newMatcherT(t, MatcherConfig{Store: NewMemoryUserStoreWith(User{Username: "pat@contoso.example"}), AutoLink: true, OnlyKnownUsers: true})
	if _, err := h.loginAs("entra-oid-pat"); !errors.Is(err, ErrUnverifiedEmail) {
		t.Fatalf("without trust: %v; want ErrUnverifiedEmail", err)
	}
}

// EspoCRM: endpoints entered by hand (no discovery), username claim
// defaulting to sub, create user, sync each login, group claim to teams,
// admins refused unless allowed, the authorization prompt.
func TestSeedEspoCRM(t *testing.T) {
	store := NewMemoryUserStore()
	store.Add(User{ID: "espo-admin", Username: "sub-admin", Admin: true})
	users := []rptest.User{
		{Subject: "sub-kim", Claims: map[string]any{"name": "Kim Lee", "email": "kim@example.com", "email_verified": true,
			"groups": []any{"0f1e-sales", "77aa-unmapped"}}},
		{Subject: "sub-admin", Claims: map[string]any{"name": "Admin"}},
	}
	cfg := MatcherConfig{Store: store, AutoLink: true, CreateUsers: true, SyncProfile: true,
		GroupsClaim: "groups", GroupMapping: map[string]string{"0f1e-sales": "Sales", "9c2d-support": "Support"}, SyncGroups: true}
	h := newHarness(t, rptest.Config{Users: users}, func(c *Config) {
		base := c.Authority
		c.Authority = ""
		c.Endpoints = &Endpoints{Issuer: base, Authorization: base + "/authorize", Token: base + "/token", JWKS: base + "/jwks"}
		c.UsernameClaim = "sub"
		c.Matcher = newMatcherT(t, cfg)
	})
	h.opts.Prompt = "login"
	if got := param(t, h.start(), "prompt"); got != "login" {
		t.Errorf("prompt = %q", got)
	}
	res, err := h.loginAs("sub-kim")
	if err != nil {
		t.Fatal(err)
	}
	u := store.User(res.User.ID)
	if u.Username != "sub-kim" || u.Name != "Kim Lee" || fmt.Sprint(u.Groups) != "[Sales]" {
		t.Fatalf("created %+v", u)
	}
	if n := h.op.Requests(rptest.EndpointDiscovery); n != 0 {
		t.Errorf("discovery fetched %d times with manual endpoints", n)
	}
	// Sync on the next login.
	h.op.AddUser(rptest.User{Subject: "sub-kim", Claims: map[string]any{"name": "Kim Lee-Park", "groups": []any{"9c2d-support"}}})
	if _, err := h.loginAs("sub-kim"); err != nil {
		t.Fatal(err)
	}
	if u := store.User(res.User.ID); u.Name != "Kim Lee-Park" || fmt.Sprint(u.Groups) != "[Support]" || store.Len() != 2 {
		t.Fatalf("after sync %+v (%d accounts)", u, store.Len())
	}
	// Admins must use the password sign-in unless OIDC is allowed for them.
	if _, err := h.loginAs("sub-admin"); !errors.Is(err, ErrAdminRefused) {
		t.Fatalf("admin: %v; want ErrAdminRefused", err)
	}
	cfg.AllowAdmins = true
	h.rp.cfg.Matcher = newMatcherT(t, cfg)
	if res, err := h.loginAs("sub-admin"); err != nil || res.User.ID != "espo-admin" {
		t.Fatalf("admin allowed: %+v, %v", res, err)
	}
}

// Fudo: named providers (Azure, Okta) by configuration URL, username and
// email mappings, and the exact linking algorithm.
func TestSeedFudo(t *testing.T) {
	store := NewMemoryUserStore()
	store.Add(User{ID: "fudo-1", Username: "user1@fudo.example"})                  // username holds the email
	store.Add(User{ID: "fudo-2", Username: "Fudo_2", Email: "user2@fudo.example"}) // email field set
	store.Add(User{ID: "fudo-3", Username: "user3@corp.example"})                  // found by upn
	store.Add(User{ID: "fudo-4", Username: "user4", Email: "user4@fudo.example"})  // email unverified at the IdP
	store.Add(User{ID: "fudo-5", Username: "user5", Email: "user5@fudo.example"})  // already linked elsewhere
	oktaUsers := []rptest.User{
		{Subject: "okta-1", Claims: map[string]any{"email": "user1@fudo.example", "email_verified": true}},
		{Subject: "okta-2", Claims: map[string]any{"email": "user2@fudo.example", "email_verified": true}},
		{Subject: "okta-4", Claims: map[string]any{"email": "user4@fudo.example", "email_verified": false}},
		{Subject: "okta-5", Claims: map[string]any{"email": "user5@fudo.example", "email_verified": true}},
		{Subject: "okta-5b", Claims: map[string]any{"email": "user5@fudo.example", "email_verified": true}},
	}
	azureUsers := []rptest.User{{Subject: "azure-3", Claims: map[string]any{"upn": "User3@corp.example"}}}
	matcher := func(autolink bool) *Matcher {
		return newMatcherT(t, MatcherConfig{Store: store, AutoLink: autolink})
	}
	viaConfigURL := func(c *Config) {
		c.MetadataURL = c.Authority + "/.well-known/openid-configuration"
		c.Authority = ""
	}
	// Okta: username mapping "email" for users whose name is their email,
	// email mapping "email" for users with an email field.
	okta := newHarness(t, rptest.Config{Users: oktaUsers}, func(c *Config) {
		viaConfigURL(c)
		c.UsernameClaim, c.EmailClaim = "email", "email"
		c.Matcher = matcher(false)
	})
	// Azure: no mappings, so upn then unique_name. The mock provider is
	// not on a Microsoft host, so the switch says it is Entra.
	azure := newHarness(t, rptest.Config{Users: azureUsers}, func(c *Config) {
		viaConfigURL(c)
		c.MicrosoftNameClaims = NameClaimsOn
		c.Matcher = matcher(true)
	})

	// Autolink off: an unlinked sub finds nobody.
	if _, err := okta.loginAs("okta-1"); !errors.Is(err, ErrNoLocalAccount) {
		t.Fatalf("autolink off: %v; want ErrNoLocalAccount", err)
	}
	okta.rp.cfg.Matcher = matcher(true)
	for _, tc := range []struct {
		h      *harness
		hint   string
		want   string
		reject error
	}{
		{okta, "okta-1", "fudo-1", nil},           // username mapping
		{okta, "okta-2", "fudo-2", nil},           // username not found -> email mapping
		{okta, "okta-4", "", ErrUnverifiedEmail},  // email_verified false never links
		{okta, "okta-5", "fudo-5", nil},           // links and stores sub okta-5
		{okta, "okta-5b", "", ErrSubjectConflict}, // stored sub differs
		{azure, "azure-3", "fudo-3", nil},         // upn fallback
		{okta, "okta-1", "fudo-1", nil},           // now found by stored sub
	} {
		res, err := tc.h.loginAs(tc.hint)
		if tc.reject != nil {
			if !errors.Is(err, tc.reject) {
				t.Errorf("%s: %v; want %v", tc.hint, err, tc.reject)
			}
			continue
		}
		if err != nil || res.User.ID != tc.want {
			t.Errorf("%s: %+v, %v; want %s", tc.hint, res, err, tc.want)
		}
	}
	// The sub is stored per provider.
	if sub, _ := store.SubjectOf(context.Background(), "fudo-3", azure.op.Issuer()); sub != "azure-3" {
		t.Errorf("stored sub for fudo-3 = %q", sub)
	}
	if sub, _ := store.SubjectOf(context.Background(), "fudo-3", okta.op.Issuer()); sub != "" {
		t.Errorf("fudo-3 linked at okta too: %q", sub)
	}
}

// Federated Directory: configuration URL, preferred_username from the ID
// token or else userinfo, only known users, state and nonce, login_hint.
func TestSeedFederatedDirectory(t *testing.T) {
	store := NewMemoryUserStore()
	store.Add(User{ID: "fd-1", Username: "jane.doe"})
	store.Add(User{ID: "fd-2", Username: "thin.user"})
	users := []rptest.User{
		{Subject: "s-jane", Claims: map[string]any{"preferred_username": "jane.doe"}},
		{Subject: "s-thin", UserInfo: map[string]any{"preferred_username": "thin.user"}},
		{Subject: "s-unknown", Claims: map[string]any{"preferred_username": "nobody"}},
	}
	h := newHarness(t, rptest.Config{Users: users}, func(c *Config) {
		c.MetadataURL = c.Authority + "/.well-known/openid-configuration"
		c.Scopes = []string{"openid"} // with profile, UserInfoAuto would fetch userinfo for every login
		c.UsernameClaim = "preferred_username"
		c.Matcher = newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, CreateUsers: true, OnlyKnownUsers: true})
	})
	authURL := h.start()
	if param(t, authURL, "state") == "" || param(t, authURL, "nonce") == "" {
		t.Fatal("state or nonce not sent")
	}
	h.opts.LoginHint = "jane.doe"
	if got := param(t, h.start(), "login_hint"); got != "jane.doe" {
		t.Errorf("login_hint = %q", got)
	}
	res, err := h.loginAs("s-jane")
	if err != nil || res.User.ID != "fd-1" || h.op.Requests(rptest.EndpointUserInfo) != 0 {
		t.Fatalf("jane: %+v, %v (userinfo calls %d)", res, err, h.op.Requests(rptest.EndpointUserInfo))
	}
	res, err = h.loginAs("s-thin")
	if err != nil || res.User.ID != "fd-2" || h.op.Requests(rptest.EndpointUserInfo) != 1 {
		t.Fatalf("thin token: %+v, %v; want fd-2 via userinfo", res, err)
	}
	if _, err := h.loginAs("s-unknown"); !errors.Is(err, ErrNoLocalAccount) || store.Len() != 2 {
		t.Fatalf("unknown: %v, %d accounts; want ErrNoLocalAccount and none created", err, store.Len())
	}
}

// SmartIQ: MetadataAddress defaulting to Authority + well-known, scope
// starting with openid, /signin-oidc, users created on first login with the
// default claims and a custom mapping.
func TestSeedSmartIQ(t *testing.T) {
	store := NewMemoryUserStore()
	users := []rptest.User{{Subject: "siq-77", Claims: map[string]any{
		"name": "Sam Quinn", "email": "sam@example.com", "email_verified": true, "given_name": "Sam",
		"family_name": "Quinn", "phone_number": "+44 20 7946 0000", "cost_center": "CC-42"}}}
	h := newHarness(t, rptest.Config{Users: users}, func(c *Config) {
		c.RedirectURL = c.RedirectURL[:len(c.RedirectURL)-len("/callback")] + "/signin-oidc"
		c.Scopes = []string{"openid", "profile", "email", "phone"}
		c.Matcher = newMatcherT(t, MatcherConfig{Store: store, CreateUsers: true,
			AttributeClaims: map[string]string{"CostCentre": "cost_center"}})
	})
	if got := h.rp.Metadata().AuthorizationEndpoint; got != h.op.URL+"/authorize" {
		t.Fatalf("metadata not from Authority + well-known: %q", got)
	}
	authURL := h.start()
	if u, _ := url.Parse(param(t, authURL, "redirect_uri")); u.Path != "/signin-oidc" {
		t.Fatalf("redirect_uri = %q", u)
	}
	res, err := h.loginAs("siq-77")
	if err != nil {
		t.Fatal(err)
	}
	u := store.User(res.User.ID)
	want := User{ID: u.ID, Username: "siq-77", Email: "sam@example.com", Name: "Sam Quinn", GivenName: "Sam",
		FamilyName: "Quinn", PhoneNumber: "+44 20 7946 0000", Attributes: map[string]string{"CostCentre": "CC-42"}}
	if fmt.Sprintf("%+v", *u) != fmt.Sprintf("%+v", want) {
		t.Fatalf("created\n got %+v\nwant %+v", *u, want)
	}
	if linked, err := store.UserBySubject(context.Background(), h.op.Issuer(), "siq-77"); err != nil || linked.ID != u.ID {
		t.Fatalf("sub not stored: %v", err)
	}
}
