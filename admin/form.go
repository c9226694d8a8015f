package admin

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// parsed is the edit form of a POST: the settings it describes and what
// could not even be read into them.
type parsed struct {
	s        connection.Settings
	problems []rp.ConfigProblem
	typed    bool // a new secret was typed (and is not shown again)
}

// parseForm reads the edit form into settings. name is the connection of
// the URL ("" for a new one, whose name is a field). stored is the
// version being edited, or nil: the email domains it verified stay
// verified. Each field is bounded; the settings are not validated here.
func parseForm(form url.Values, name string, stored *connection.Settings) *parsed {
	p := &parsed{}
	add := func(f, msg string) { p.problems = append(p.problems, rp.ConfigProblem{Field: f, Message: msg}) }
	line := func(f string) string {
		v := form.Get(f)
		if len(v) > maxLine {
			add(f, fmt.Sprintf("this is longer than %d characters; shorten it", maxLine))
			return ""
		}
		return strings.TrimSpace(v)
	}
	text := func(f string) []string {
		v := form.Get(f)
		if len(v) > maxText {
			add(f, fmt.Sprintf("this is longer than %d characters; shorten it", maxText))
			return nil
		}
		lines := strings.Split(v, "\n")
		if len(lines) > maxLines {
			add(f, fmt.Sprintf("use at most %d lines", maxLines))
			return nil
		}
		return lines
	}
	check := func(f string) bool { return form.Get(f) != "" }

	s := &p.s
	s.Name = name
	if name == "" {
		s.Name = line("name")
	}
	if v := form.Get("version"); v != "" || name != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || (name != "" && n == 0) {
			add("version", "the form is damaged (its version is missing); reload the page and edit again")
		}
		s.Version = n
	}
	s.Enabled = check("enabled")
	s.Title = line("title")
	s.Authority = line("authority")
	s.ConfigurationURL = line("configuration_url")
	e := connection.Endpoints{Issuer: line("endpoints.issuer"), Authorization: line("endpoints.authorization"),
		Token: line("endpoints.token"), JWKS: line("endpoints.jwks"), UserInfo: line("endpoints.userinfo"),
		EndSession: line("endpoints.end_session")}
	if e != (connection.Endpoints{}) {
		s.Endpoints = &e
	}
	s.ClientID = line("client_id")
	secret := form.Get("client_secret")
	if len(secret) > maxLine {
		add("client_secret", fmt.Sprintf("the client secret is longer than %d characters; paste it again", maxLine))
		secret = ""
	}
	switch action := connection.SecretAction(form.Get("client_secret_action")); {
	case action == connection.SecretRemove:
		s.ClientSecret.Action = connection.SecretRemove
	case action == connection.SecretSet || secret != "":
		// A secret typed in is meant to be used, whichever choice is
		// ticked.
		s.ClientSecret = connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(secret)}
		p.typed = secret != ""
	case action == "" || action == connection.SecretKeep:
		s.ClientSecret.Action = connection.SecretKeep
	default:
		add("client_secret", "choose to keep, replace or remove the client secret")
	}
	s.Scopes = strings.Fields(line("scopes"))
	s.ResponseType = line("response_type")
	s.DisablePKCE = check("disable_pkce")
	s.Prompt = line("prompt")
	s.UsernameClaim = line("username_claim")
	s.EmailClaim = line("email_claim")
	s.GroupsClaim = line("groups_claim")
	s.GroupMapping = pairs("group_mapping", text("group_mapping"), "provider group = application group", add)
	s.AttributeMappings = pairs("attribute_mappings", text("attribute_mappings"), "attribute = claim", add)
	s.PostLogoutURL = line("post_logout_url")
	s.CreateUsers = check("create_users")
	s.SyncProfile = check("sync_profile")
	s.SyncGroups = check("sync_groups")
	s.AutoLink = check("autolink")
	s.AllowAdmins = check("allow_admins")
	s.AllowPasswordFallback = check("allow_password_fallback")
	verified := map[string]bool{}
	if stored != nil {
		for _, d := range stored.EmailDomains {
			verified[d.Domain] = d.Verified
		}
	}
	for _, l := range text("email_domains") {
		for _, d := range strings.FieldsFunc(l, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			norm, err := connection.NormalizeDomain(d)
			if err != nil {
				norm = d // Validate words the problem
			}
			s.EmailDomains = append(s.EmailDomains, connection.EmailDomain{Domain: norm, Verified: verified[norm]})
		}
	}
	return p
}

// pairs reads "key = value" lines into a map, or nil when there are none.
func pairs(f string, lines []string, shape string, add func(f, msg string)) map[string]string {
	var m map[string]string
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			add(f, fmt.Sprintf("line %d: write it as %s", i+1, shape))
			continue
		}
		if _, dup := m[k]; dup {
			add(f, fmt.Sprintf("line %d: %q is listed twice; keep one line for it", i+1, truncate(k, 64)))
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = v
	}
	return m
}

// truncate shortens s to at most n bytes for a message, on a character
// boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// formValue is the text of the field name for settings s.
func formValue(s *connection.Settings, name string) string {
	e := s.Endpoints
	if e == nil {
		e = &connection.Endpoints{}
	}
	switch name {
	case "name":
		return s.Name
	case "title":
		return s.Title
	case "authority":
		return s.Authority
	case "configuration_url":
		return s.ConfigurationURL
	case "endpoints.issuer":
		return e.Issuer
	case "endpoints.authorization":
		return e.Authorization
	case "endpoints.token":
		return e.Token
	case "endpoints.jwks":
		return e.JWKS
	case "endpoints.userinfo":
		return e.UserInfo
	case "endpoints.end_session":
		return e.EndSession
	case "client_id":
		return s.ClientID
	case "scopes":
		return strings.Join(s.Scopes, " ")
	case "response_type":
		return s.ResponseType
	case "prompt":
		return s.Prompt
	case "username_claim":
		return s.UsernameClaim
	case "email_claim":
		return s.EmailClaim
	case "groups_claim":
		return s.GroupsClaim
	case "group_mapping":
		return pairsText(s.GroupMapping)
	case "attribute_mappings":
		return pairsText(s.AttributeMappings)
	case "post_logout_url":
		return s.PostLogoutURL
	case "email_domains":
		var b strings.Builder
		for _, d := range s.EmailDomains {
			b.WriteString(d.Domain)
			b.WriteString("\n")
		}
		return b.String()
	}
	return ""
}

// formChecked reports whether the checkbox name is ticked for s.
func formChecked(s *connection.Settings, name string) bool {
	switch name {
	case "enabled":
		return s.Enabled
	case "disable_pkce":
		return s.DisablePKCE
	case "create_users":
		return s.CreateUsers
	case "sync_profile":
		return s.SyncProfile
	case "sync_groups":
		return s.SyncGroups
	case "autolink":
		return s.AutoLink
	case "allow_admins":
		return s.AllowAdmins
	case "allow_password_fallback":
		return s.AllowPasswordFallback
	}
	return false
}

func pairsText(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	return b.String()
}
