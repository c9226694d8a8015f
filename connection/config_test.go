package connection

import (
	"log/slog"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

func TestConfig(t *testing.T) {
	s := fullSettings()
	s.ConfigurationURL = "" // not with Endpoints
	now := func() time.Time { return time.Unix(1, 0) }
	client := &http.Client{}
	logger := slog.New(slog.DiscardHandler)
	base := rp.Config{
		RedirectURL: "https://app.example.com/callback", CookieSecrets: []rp.Secret{"0123456789abcdef0123456789abcdef"},
		HTTPClient: client, Logger: logger, Now: now, LoginTimeout: time.Minute,
		// Provider fields of base are overwritten.
		Authority: "https://base.example", ClientID: "base", Scopes: []string{"openid", "base"},
		MetadataURL: "https://base.example/md", Prompt: "consent", UsernameClaim: "base", EmailClaim: "base",
	}
	cfg, err := s.Config(base)
	if err != nil {
		t.Fatalf("Config() = %v", err)
	}
	if cfg.RedirectURL != base.RedirectURL || cfg.HTTPClient != client || cfg.Logger != logger || cfg.LoginTimeout != time.Minute ||
		len(cfg.CookieSecrets) != 1 || cfg.Now == nil || !cfg.Now().Equal(time.Unix(1, 0)) {
		t.Errorf("Config() lost base's fields: %+v", cfg)
	}
	want := rp.Endpoints{Issuer: "https://acme.okta.com", Authorization: "https://acme.okta.com/a", Token: "https://acme.okta.com/t",
		JWKS: "https://acme.okta.com/k", UserInfo: "https://acme.okta.com/u", EndSession: "https://acme.okta.com/e"}
	if cfg.Endpoints == nil || *cfg.Endpoints != want {
		t.Errorf("Endpoints = %+v; want %+v", cfg.Endpoints, want)
	}
	if cfg.Authority != s.Authority || cfg.MetadataURL != "" || cfg.ClientID != "0oa1" || cfg.ClientSecret != testSecret ||
		!reflect.DeepEqual(cfg.Scopes, []string{"openid", "profile"}) || cfg.ResponseType != "code" || !cfg.DisablePKCE ||
		cfg.Prompt != "login" || cfg.UsernameClaim != "preferred_username" || cfg.EmailClaim != "email" {
		t.Errorf("Config() provider fields = %+v", cfg)
	}
	cfg.Scopes[0] = "changed"
	cfg.Endpoints.Token = "changed"
	if s.Scopes[0] != "openid" || s.Endpoints.Token != "https://acme.okta.com/t" {
		t.Error("Config() shares Scopes or Endpoints with the settings")
	}
	// With manual endpoints, rp.New contacts nobody: the result is a
	// working RP.
	cfg.Scopes[0], cfg.Endpoints.Token = "openid", "https://acme.okta.com/t"
	if _, err := rp.New(t.Context(), cfg); err != nil {
		t.Fatalf("rp.New(Config()) = %v", err)
	}
}

func TestConfigProblems(t *testing.T) {
	s := valid()
	s.ClientID = ""
	s.Name = "bad name"
	_, err := s.Config(rp.Config{RedirectURL: "http://app.example.com/cb", ClockSkew: time.Hour})
	ps := problems(t, err)
	want := []rp.ConfigProblem{
		{Field: "name", Message: "use 1 to 64 letters, digits, '-' or '_', e.g. okta-acme"},
		{Field: "client_id", Message: "set the client ID (application ID) the provider assigned to this application"},
		{Field: "redirect_url", Message: `"http://app.example.com/cb" uses plain http; use https (http is only allowed for localhost and loopback addresses)`},
		{Field: "ClockSkew", Message: "use a value between 0 and 5m0s (0 means the default 1m0s)"},
	}
	if !reflect.DeepEqual(ps, want) {
		t.Fatalf("Config() problems = %q; want %q", ps, want)
	}
	v := valid()
	_, err = v.Config(rp.Config{})
	ps = problems(t, err)
	if len(ps) != 1 || ps[0].Field != "redirect_url" {
		t.Fatalf("Config() without a redirect URL: problems %q; want one on redirect_url", ps)
	}
}

func TestMatcherConfig(t *testing.T) {
	s := fullSettings()
	store := rp.NewMemoryUserStore()
	mc := s.MatcherConfig(store)
	want := rp.MatcherConfig{Store: store, AutoLink: true, CreateUsers: true, SyncProfile: true, GroupsClaim: "groups",
		GroupMapping: map[string]string{"a": "b"}, SyncGroups: true, AllowAdmins: true, AttributeClaims: map[string]string{"dept": "department"}}
	if !reflect.DeepEqual(mc, want) {
		t.Fatalf("MatcherConfig = %+v; want %+v", mc, want)
	}
	mc.GroupMapping["a"] = "x"
	mc.AttributeClaims["dept"] = "x"
	if s.GroupMapping["a"] != "b" || s.AttributeMappings["dept"] != "department" {
		t.Fatal("MatcherConfig shares its maps with the settings")
	}
	if _, err := rp.NewMatcher(mc); err != nil {
		t.Fatalf("NewMatcher(MatcherConfig()) = %v", err)
	}
	zero := (&Settings{}).MatcherConfig(store)
	if !reflect.DeepEqual(zero, rp.MatcherConfig{Store: store}) {
		t.Fatalf("MatcherConfig of zero settings = %+v", zero)
	}
}

func TestClone(t *testing.T) {
	s := fullSettings()
	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatal("Clone differs from the original")
	}
	c.Scopes[0] = "x"
	c.GroupMapping["a"] = "x"
	c.AttributeMappings["dept"] = "x"
	c.EmailDomains[0].Domain = "x"
	c.Endpoints.Token = "x"
	if !reflect.DeepEqual(s, fullSettings()) {
		t.Fatal("changing the clone changed the original")
	}
	var zero Settings
	if z := zero.Clone(); !reflect.DeepEqual(z, zero) {
		t.Fatalf("Clone of zero settings = %+v", z)
	}
}
