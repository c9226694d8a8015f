package connection

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/loopback"
)

// placeholderRedirectURL stands in for the application's redirect URL
// when Validate checks settings with rp.Config.Validate: the redirect URL
// is not an administrator's field.
const placeholderRedirectURL = "https://connection.invalid/callback"

// namePattern is what a connection's Name may be.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxTitleLen bounds Title, in bytes.
const maxTitleLen = 200

// fieldNames maps rp.Config field names, as rp.ConfigProblem.Field gives
// them, to the JSON names of Settings.
var fieldNames = map[string]string{
	"Authority":               "authority",
	"MetadataURL":             "configuration_url",
	"Endpoints":               "endpoints",
	"Endpoints.Issuer":        "endpoints.issuer",
	"Endpoints.Authorization": "endpoints.authorization",
	"Endpoints.Token":         "endpoints.token",
	"Endpoints.JWKS":          "endpoints.jwks",
	"Endpoints.UserInfo":      "endpoints.userinfo",
	"Endpoints.EndSession":    "endpoints.end_session",
	"ClientID":                "client_id",
	"ClientSecret":            "client_secret",
	"Scopes":                  "scopes",
	"ResponseType":            "response_type",
	"DisablePKCE":             "disable_pkce",
	"Prompt":                  "prompt",
	"UsernameClaim":           "username_claim",
	"EmailClaim":              "email_claim",
	"RedirectURL":             "redirect_url",
}

// Validate checks the settings without contacting the provider. It
// returns nil, or an *rp.ConfigError (matching rp.ErrInvalidConfig)
// listing every problem, each with Field set to the JSON name of the
// setting at fault ("name", "client_id", "endpoints.token",
// "email_domains[1]", ...). The provider settings are checked by
// rp.Config.Validate, whose messages are kept word for word; on top,
// Validate checks Name, Title, the client secret action, PostLogoutURL
// and EmailDomains (valid, not a consumer mail domain, no duplicates).
// Problems of the redirect URL are not reported: the application, not the
// administrator, supplies it (see Config).
func (s *Settings) Validate() error {
	cfg := s.providerConfig(rp.Config{RedirectURL: placeholderRedirectURL})
	problems := s.ownProblems()
	problems = append(problems, mapProblems(cfg.Validate(), false)...)
	return configError(problems)
}

// configError returns problems as an *rp.ConfigError, or nil when there
// are none.
func configError(problems []rp.ConfigProblem) error {
	if len(problems) == 0 {
		return nil
	}
	return &rp.ConfigError{Problems: problems}
}

// mapProblems renames the fields of err's problems (an *rp.ConfigError,
// or nil) to JSON names. Problems of RedirectURL are dropped unless
// keepRedirect; fields without a JSON name keep their rp.Config name.
func mapProblems(err error, keepRedirect bool) []rp.ConfigProblem {
	ce, ok := err.(*rp.ConfigError)
	if !ok || ce == nil {
		if err != nil {
			return []rp.ConfigProblem{{Field: "", Message: err.Error()}}
		}
		return nil
	}
	out := make([]rp.ConfigProblem, 0, len(ce.Problems))
	for _, p := range ce.Problems {
		if p.Field == "RedirectURL" && !keepRedirect {
			continue
		}
		if name, ok := fieldNames[p.Field]; ok {
			p.Field = name
		}
		out = append(out, p)
	}
	return out
}

// ownProblems checks what rp.Config.Validate does not know about.
func (s *Settings) ownProblems() []rp.ConfigProblem {
	var ps []rp.ConfigProblem
	add := func(field, msg string) { ps = append(ps, rp.ConfigProblem{Field: field, Message: msg}) }
	if !namePattern.MatchString(s.Name) {
		add("name", "use 1 to 64 letters, digits, '-' or '_', e.g. okta-acme")
	}
	if len(s.Title) > maxTitleLen {
		add("title", fmt.Sprintf("use at most %d characters", maxTitleLen))
	} else if hasControl(s.Title) {
		add("title", "remove the control characters (line breaks, tabs) from the title")
	}
	switch s.ClientSecret.Action {
	case "", SecretKeep, SecretRemove:
	case SecretSet:
		if s.ClientSecret.Value == "" {
			add("client_secret", "enter the new client secret, or choose to keep or remove the stored one")
		} else if hasControl(string(s.ClientSecret.Value)) || strings.TrimSpace(string(s.ClientSecret.Value)) != string(s.ClientSecret.Value) {
			add("client_secret", "the client secret contains spaces, line breaks or control characters; paste it again without them")
		}
	default:
		add("client_secret", fmt.Sprintf("%q is not an action; use keep, set or remove", truncate(string(s.ClientSecret.Action), 32)))
	}
	for _, c := range []struct{ field, value string }{
		{"username_claim", s.UsernameClaim}, {"email_claim", s.EmailClaim}, {"groups_claim", s.GroupsClaim},
	} {
		if c.value != "" && !claimNameOK(c.value) {
			add(c.field, fmt.Sprintf("%q is not a claim name; use the claim's name as the provider spells it, e.g. preferred_username", truncate(c.value, 64)))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.AttributeMappings)) {
		v := s.AttributeMappings[k]
		if k == "" || hasControl(k) || !claimNameOK(v) {
			add("attribute_mappings", fmt.Sprintf("%q: %q is not an attribute and claim name pair; map each attribute to the name of a claim", truncate(k, 64), truncate(v, 64)))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.GroupMapping)) {
		v := s.GroupMapping[k]
		if k == "" || hasControl(k) || v == "" || hasControl(v) {
			add("group_mapping", fmt.Sprintf("%q: %q: map each non-empty group of the provider to a non-empty group of the application", truncate(k, 64), truncate(v, 64)))
		}
	}
	if s.PostLogoutURL != "" {
		if msg := postLogoutProblem(s.PostLogoutURL); msg != "" {
			add("post_logout_url", msg)
		}
	}
	seen := map[string]int{}
	for i, d := range s.EmailDomains {
		field := fmt.Sprintf("email_domains[%d]", i)
		norm, err := NormalizeDomain(d.Domain)
		if err != nil {
			add(field, strings.TrimPrefix(err.Error(), ErrInvalidDomain.Error()+": "))
			continue
		}
		if IsConsumerDomain(norm) {
			add(field, fmt.Sprintf("%q is a consumer mail service where anyone can open an address; it cannot route users to this connection, use your organisation's own domain", norm))
			continue
		}
		if j, dup := seen[norm]; dup {
			add(field, fmt.Sprintf("%q is listed twice (also email_domains[%d]); remove one", norm, j))
			continue
		}
		seen[norm] = i
	}
	return ps
}

// claimNameOK reports whether name can be a claim name: non-empty, at
// most 256 bytes, without spaces or control characters.
func claimNameOK(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// hasControl reports whether s holds control characters or invalid UTF-8.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return true
		}
	}
	return false
}

// postLogoutProblem checks a post-logout URL: an absolute https URL (http
// only on loopback hosts) or a path of the application starting with a
// single "/". It returns what to change, or "".
func postLogoutProblem(raw string) string {
	const what = "use an absolute https URL, e.g. https://app.example.com/signed-out, or a path of this application such as /signed-out"
	if hasControl(raw) || strings.ContainsAny(raw, " \\") {
		return fmt.Sprintf("%q contains spaces, backslashes or control characters; %s", truncate(raw, 100), what)
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") {
			return fmt.Sprintf("%q starts with //, which browsers read as another host; %s", truncate(raw, 100), what)
		}
		if _, err := url.Parse(raw); err != nil {
			return fmt.Sprintf("%q is not a valid path; %s", truncate(raw, 100), what)
		}
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Sprintf("%q is neither an absolute URL nor a path; %s", truncate(raw, 100), what)
	}
	if u.User != nil {
		return "remove the user name or password from the URL"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback.Host(u.Hostname()) {
			return fmt.Sprintf("%q uses plain http; use https (http is only allowed for localhost and loopback addresses)", truncate(raw, 100))
		}
	default:
		return fmt.Sprintf("%q has scheme %q; %s", truncate(raw, 100), u.Scheme, what)
	}
	return ""
}
