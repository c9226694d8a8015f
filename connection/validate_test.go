package connection

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
)

// valid returns minimal valid settings.
func valid() Settings {
	return Settings{Name: "c", Enabled: true, Authority: "https://login.example.com", ClientID: "id"}
}

// endpoints returns valid manual endpoints.
func endpoints() *Endpoints {
	return &Endpoints{Authorization: "https://a.example/authorize", Token: "https://a.example/token", JWKS: "https://a.example/keys"}
}

// problems returns the problems of err, which must be an *rp.ConfigError
// matching rp.ErrInvalidConfig.
func problems(t *testing.T, err error) []rp.ConfigProblem {
	t.Helper()
	var ce *rp.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, rp.ErrInvalidConfig) {
		t.Fatalf("error = %v (%T); want an *rp.ConfigError matching rp.ErrInvalidConfig", err, err)
	}
	return ce.Problems
}

func TestValidateAcceptsValid(t *testing.T) {
	for name, s := range map[string]Settings{
		"minimal":   valid(),
		"endpoints": {Name: "m_1", ClientID: "id", Endpoints: &Endpoints{Issuer: "https://a.example", Authorization: "https://a.example/authorize", Token: "https://a.example/token", JWKS: "https://a.example/keys"}},
		"full": {Name: "Okta-acme_2", Title: "Acme staff (Okta)", ConfigurationURL: "https://acme.okta.com/.well-known/openid-configuration",
			ClientID: "0oa1", ClientSecret: ClientSecret{Action: SecretSet, Value: "s3cret"}, Scopes: []string{"openid", "groups"},
			ResponseType: "code id_token", Prompt: "login consent", UsernameClaim: "preferred_username", EmailClaim: "email", GroupsClaim: "groups",
			GroupMapping: map[string]string{"Admins": "admin"}, AttributeMappings: map[string]string{"department": "dept"},
			PostLogoutURL: "/signed-out", EmailDomains: []EmailDomain{{Domain: "Acme.com."}, {Domain: "*.acme.com"}}},
		"loopback post-logout": {Name: "c", Authority: "https://a.example", ClientID: "id", PostLogoutURL: "http://127.0.0.1:8080/out"},
		"https post-logout":    {Name: "c", Authority: "https://a.example", ClientID: "id", PostLogoutURL: "https://app.example.com/out?x=1"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate() = %v; want nil", err)
			}
		})
	}
}

// TestValidateNamesFields checks, for each kind of mistake, the exact
// problem Validate reports: the JSON field name and, for what
// rp.Config.Validate checks, its message word for word.
func TestValidateNamesFields(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(s *Settings)
		field string
		msg   string
	}{
		{"authority http", func(s *Settings) { s.Authority = "http://login.example.com" }, "authority",
			`"http://login.example.com" uses plain http; use https (http is only allowed for localhost and loopback addresses)`},
		{"no provider", func(s *Settings) { s.Authority = "" }, "authority",
			"set the provider's issuer URL (Authority), its discovery document URL (MetadataURL), or its endpoints by hand (Endpoints)"},
		{"configuration url relative", func(s *Settings) { s.ConfigurationURL = "login.example.com/x" }, "configuration_url",
			`"login.example.com/x" is not an absolute URL; write it in full with https:// and the host name: the provider's discovery document URL`},
		{"configuration url and endpoints", func(s *Settings) {
			s.ConfigurationURL = "https://a.example/.well-known/openid-configuration"
			s.Endpoints = endpoints()
		}, "configuration_url", "set either MetadataURL or Endpoints, not both: Endpoints turns discovery off"},
		{"endpoints without issuer", func(s *Settings) { s.Authority = ""; s.Endpoints = endpoints() }, "endpoints.issuer",
			`set the provider's issuer (the "iss" of its ID tokens), or set Authority`},
		{"no authorization endpoint", func(s *Settings) { s.Endpoints = endpoints(); s.Endpoints.Authorization = "" }, "endpoints.authorization",
			"set the provider's authorization endpoint"},
		{"token endpoint ftp", func(s *Settings) { s.Endpoints = endpoints(); s.Endpoints.Token = "ftp://a.example/token" }, "endpoints.token",
			`"ftp://a.example/token" has scheme "ftp"; use https`},
		{"jwks with password", func(s *Settings) { s.Endpoints = endpoints(); s.Endpoints.JWKS = "https://u:p@a.example/keys" }, "endpoints.jwks",
			"remove the user name or password from the URL"},
		{"userinfo http", func(s *Settings) { s.Endpoints = endpoints(); s.Endpoints.UserInfo = "http://a.example/ui" }, "endpoints.userinfo",
			`"http://a.example/ui" uses plain http; use https (http is only allowed for localhost and loopback addresses)`},
		{"end session relative", func(s *Settings) { s.Endpoints = endpoints(); s.Endpoints.EndSession = "/logout" }, "endpoints.end_session",
			`"/logout" is not an absolute URL; write it in full with https:// and the host name: the provider's end-session endpoint`},
		{"client id blank", func(s *Settings) { s.ClientID = " " }, "client_id",
			"set the client ID (application ID) the provider assigned to this application"},
		{"scopes without openid", func(s *Settings) { s.Scopes = []string{"profile", "email"} }, "scopes",
			`add "openid": without it the provider does not run OpenID Connect and returns no ID token`},
		{"response type", func(s *Settings) { s.ResponseType = "token" }, "response_type",
			`"token" is not supported; use one of ["code" "id_token" "id_token token" "code id_token" "code token" "code id_token token"]`},
		{"prompt", func(s *Settings) { s.Prompt = "none login" }, "prompt",
			`"none login" combines none with other values; none must stand alone (use none for a silent sign-in, or drop it)`},
		{"name", func(s *Settings) { s.Name = "a/b" }, "name", "use 1 to 64 letters, digits, '-' or '_', e.g. okta-acme"},
		{"name empty", func(s *Settings) { s.Name = "" }, "name", "use 1 to 64 letters, digits, '-' or '_', e.g. okta-acme"},
		{"name long", func(s *Settings) { s.Name = strings.Repeat("a", 65) }, "name", "use 1 to 64 letters, digits, '-' or '_', e.g. okta-acme"},
		{"name unicode", func(s *Settings) { s.Name = "аcme" }, "name", "use 1 to 64 letters, digits, '-' or '_', e.g. okta-acme"},
		{"title newline", func(s *Settings) { s.Title = "a\nb" }, "title", "remove the control characters (line breaks, tabs) from the title"},
		{"title long", func(s *Settings) { s.Title = strings.Repeat("x", 201) }, "title", "use at most 200 characters"},
		{"secret set empty", func(s *Settings) { s.ClientSecret = ClientSecret{Action: SecretSet} }, "client_secret",
			"enter the new client secret, or choose to keep or remove the stored one"},
		{"secret with newline", func(s *Settings) { s.ClientSecret = ClientSecret{Action: SecretSet, Value: "abc\n"} }, "client_secret",
			"the client secret contains spaces, line breaks or control characters; paste it again without them"},
		{"secret action", func(s *Settings) { s.ClientSecret = ClientSecret{Action: "rotate"} }, "client_secret",
			`"rotate" is not an action; use keep, set or remove`},
		{"username claim", func(s *Settings) { s.UsernameClaim = "preferred username" }, "username_claim",
			`"preferred username" is not a claim name; use the claim's name as the provider spells it, e.g. preferred_username`},
		{"email claim", func(s *Settings) { s.EmailClaim = "e\x00" }, "email_claim",
			`"e\x00" is not a claim name; use the claim's name as the provider spells it, e.g. preferred_username`},
		{"groups claim", func(s *Settings) { s.GroupsClaim = " " }, "groups_claim",
			`" " is not a claim name; use the claim's name as the provider spells it, e.g. preferred_username`},
		{"attribute mapping", func(s *Settings) { s.AttributeMappings = map[string]string{"dept": ""} }, "attribute_mappings",
			`"dept": "" is not an attribute and claim name pair; map each attribute to the name of a claim`},
		{"group mapping", func(s *Settings) { s.GroupMapping = map[string]string{"": "admins"} }, "group_mapping",
			`"": "admins": map each non-empty group of the provider to a non-empty group of the application`},
		{"post-logout protocol-relative", func(s *Settings) { s.PostLogoutURL = "//evil.example" }, "post_logout_url",
			`"//evil.example" starts with //, which browsers read as another host; use an absolute https URL, e.g. https://app.example.com/signed-out, or a path of this application such as /signed-out`},
		{"post-logout backslash", func(s *Settings) { s.PostLogoutURL = `/\evil.example` }, "post_logout_url",
			`"/\\evil.example" contains spaces, backslashes or control characters; use an absolute https URL, e.g. https://app.example.com/signed-out, or a path of this application such as /signed-out`},
		{"post-logout http", func(s *Settings) { s.PostLogoutURL = "http://app.example.com/out" }, "post_logout_url",
			`"http://app.example.com/out" uses plain http; use https (http is only allowed for localhost and loopback addresses)`},
		{"post-logout javascript", func(s *Settings) { s.PostLogoutURL = "javascript:alert(1)" }, "post_logout_url",
			`"javascript:alert(1)" is neither an absolute URL nor a path; use an absolute https URL, e.g. https://app.example.com/signed-out, or a path of this application such as /signed-out`},
		{"post-logout relative", func(s *Settings) { s.PostLogoutURL = "signed-out" }, "post_logout_url",
			`"signed-out" is neither an absolute URL nor a path; use an absolute https URL, e.g. https://app.example.com/signed-out, or a path of this application such as /signed-out`},
		{"post-logout credentials", func(s *Settings) { s.PostLogoutURL = "https://u:p@app.example.com/" }, "post_logout_url",
			"remove the user name or password from the URL"},
		{"consumer domain", func(s *Settings) { s.EmailDomains = []EmailDomain{{Domain: "GMail.com"}} }, "email_domains[0]",
			`"gmail.com" is a consumer mail service where anyone can open an address; it cannot route users to this connection, use your organisation's own domain`},
		{"consumer wildcard", func(s *Settings) { s.EmailDomains = []EmailDomain{{Domain: "a.com"}, {Domain: "*.outlook.com"}} }, "email_domains[1]",
			`"*.outlook.com" is a consumer mail service where anyone can open an address; it cannot route users to this connection, use your organisation's own domain`},
		{"duplicate domain", func(s *Settings) { s.EmailDomains = []EmailDomain{{Domain: "a.com"}, {Domain: "A.com."}} }, "email_domains[1]",
			`"a.com" is listed twice (also email_domains[0]); remove one`},
		{"bad domain", func(s *Settings) { s.EmailDomains = []EmailDomain{{Domain: "bad_domain.com"}} }, "email_domains[0]",
			`"bad_domain.com": label "bad_domain" contains '_'; use only letters, digits and hyphens`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := valid()
			c.edit(&s)
			ps := problems(t, s.Validate())
			want := []rp.ConfigProblem{{Field: c.field, Message: c.msg}}
			if !reflect.DeepEqual(ps, want) {
				t.Fatalf("Validate() problems = %q; want %q", ps, want)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	s := Settings{Name: "", Scopes: []string{"openid profile"}, PostLogoutURL: "//x", EmailDomains: []EmailDomain{{Domain: "x"}}}
	ps := problems(t, s.Validate())
	var fields []string
	for _, p := range ps {
		fields = append(fields, p.Field)
	}
	want := []string{"name", "post_logout_url", "email_domains[0]", "authority", "client_id", "scopes", "scopes"}
	if !reflect.DeepEqual(fields, want) {
		t.Fatalf("fields = %q; want %q", fields, want)
	}
}

func TestValidateDropsRedirectURL(t *testing.T) {
	// Validate never reports the redirect URL, which is not a setting.
	s := valid()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range problems(t, (&Settings{}).Validate()) {
		if p.Field == "redirect_url" || p.Field == "RedirectURL" {
			t.Fatalf("Validate reported %q", p)
		}
	}
}
