package admin

import (
	"strings"

	"github.com/oidcrp/rp"
)

// fieldKind is how a field is entered.
type fieldKind string

const (
	kindText     fieldKind = "text"
	kindURL      fieldKind = "url"
	kindCheckbox fieldKind = "checkbox"
	kindSelect   fieldKind = "select"
	kindTextarea fieldKind = "textarea"
)

// field is one input of the edit form. Name is the form field's name and
// the JSON name of connection.Settings that rp.ConfigProblem.Field uses.
type field struct {
	Name, Label, Help string
	Kind              fieldKind
	Options           []option
}

// option is one choice of a select.
type option struct{ Value, Label string }

// section is a fieldset of the edit form.
type section struct {
	Legend string
	Intro  string
	Fields []field
}

// maxLine and maxText bound one-line and multi-line fields, in bytes;
// maxLines bounds the lines of a multi-line field.
const (
	maxLine  = 2048
	maxText  = 16 << 10
	maxLines = 200
)

// The help of each field says, in the words of the products' own guides,
// what to enter.
var sections = []section{
	{Legend: "Connection", Fields: []field{
		{Name: "name", Label: "Name", Kind: kindText,
			Help: "Identifies the connection in its URLs, e.g. okta-acme: letters, digits, '-' and '_'. It cannot be changed once saved."},
		{Name: "title", Label: "Title", Kind: kindText,
			Help: "The label of the sign-in button users see, e.g. Acme staff (Okta). Default: the name."},
		{Name: "enabled", Label: "Enabled", Kind: kindCheckbox,
			Help: "Lets users sign in through this connection. Turn it on once Test settings and Test sign-in succeed."},
	}},
	{Legend: "Identity provider", Intro: "Enter the authority, or the configuration URL, or, for a provider without discovery, its endpoints.", Fields: []field{
		{Name: "authority", Label: "Authority", Kind: kindURL,
			Help: "The authority URL of your identity provider, also known as the issuer, e.g. https://login.microsoftonline.com/{tenant-id}/v2.0."},
		{Name: "configuration_url", Label: "Configuration URL (MetadataAddress)", Kind: kindURL,
			Help: "A link to the JSON document with the provider's endpoints and signing keys. If empty: the authority + /.well-known/openid-configuration."},
		{Name: "endpoints.issuer", Label: "Issuer (manual endpoints)", Kind: kindURL,
			Help: "Without discovery only: the issuer the provider puts in its ID tokens."},
		{Name: "endpoints.authorization", Label: "Authorization endpoint", Kind: kindURL,
			Help: "Without discovery only: the URL the browser is sent to for signing in."},
		{Name: "endpoints.token", Label: "Token endpoint", Kind: kindURL,
			Help: "Without discovery only: the URL the application exchanges the authorization code at."},
		{Name: "endpoints.jwks", Label: "JSON Web Key Set (JWKS) endpoint", Kind: kindURL,
			Help: "Without discovery only: the URL of the provider's public signing keys."},
		{Name: "endpoints.userinfo", Label: "Userinfo endpoint", Kind: kindURL,
			Help: "Without discovery, optional: where claims missing from the ID token are read."},
		{Name: "endpoints.end_session", Label: "End-session endpoint", Kind: kindURL,
			Help: "Without discovery, optional: where sign-out is sent, so the user is signed out at the provider too."},
	}},
	{Legend: "Application at the provider", Fields: []field{
		{Name: "client_id", Label: "Client ID", Kind: kindText,
			Help: "The application or client ID of your application at the provider (Entra: Application (client) ID)."},
		// client_secret is rendered on its own: see the edit template.
		{Name: "scopes", Label: "Scopes", Kind: kindText,
			Help: "The OIDC scopes to request, separated by spaces; openid is mandatory, e.g. openid profile email."},
		{Name: "response_type", Label: "Response type", Kind: kindSelect, Options: responseTypeOptions(),
			Help: "code is the Authorization Code Flow (recommended); the implicit and hybrid types must also be supported by the provider."},
		{Name: "disable_pkce", Label: "Turn PKCE off", Kind: kindCheckbox,
			Help: "PKCE (code_challenge and code_challenge_method) is sent with every sign-in for additional security; turn it off only for a provider that refuses it."},
		{Name: "prompt", Label: "Authorization prompt", Kind: kindSelect, Options: []option{
			{"", "(none sent: the provider decides)"}, {"none", "none"}, {"login", "login"}, {"consent", "consent"}, {"select_account", "select_account"}},
			Help: "login asks users to sign in every time, consent asks for their consent every time, select_account lets them pick an account, none never shows a page."},
	}},
	{Legend: "Users", Fields: []field{
		{Name: "username_claim", Label: "Username claim", Kind: kindText,
			Help: "The claim matched to the username of the local account (username mapping), e.g. preferred_username or email. Empty: accounts are found by sub only."},
		{Name: "email_claim", Label: "Email claim", Kind: kindText,
			Help: "The name of the claim that holds the user's email address, usually email. It links accounts only when the provider sets email_verified to true."},
		{Name: "groups_claim", Label: "Groups claim", Kind: kindText,
			Help: "The claim listing the user's groups, e.g. groups or roles."},
		{Name: "group_mapping", Label: "Group mapping", Kind: kindTextarea,
			Help: "One per line: provider group = application group (or team). When set, groups not listed are dropped."},
		{Name: "attribute_mappings", Label: "Attribute mappings", Kind: kindTextarea,
			Help: "One per line: account attribute = claim name, e.g. department = department."},
		{Name: "create_users", Label: "Create users", Kind: kindCheckbox,
			Help: "Create a user on the first login when no account matches."},
		{Name: "sync_profile", Label: "Sync profile", Kind: kindCheckbox,
			Help: "Update the user's name, email and attributes from the provider each time a login succeeds."},
		{Name: "sync_groups", Label: "Sync groups", Kind: kindCheckbox,
			Help: "Replace the user's groups with the mapped groups of the groups claim at each login."},
		{Name: "autolink", Label: "Link existing accounts (autolink)", Kind: kindCheckbox,
			Help: "Link a first login to an existing account by the username claim, a verified email, or upn / unique_name; then the sub is stored for next time."},
		{Name: "allow_admins", Label: "Allow OIDC login for admin users", Kind: kindCheckbox,
			Help: "Off: administrators must use the password sign-in; on: they may sign in through this connection too."},
		{Name: "allow_password_fallback", Label: "Password sign-in as fallback", Kind: kindCheckbox,
			Help: "Keep the password sign-in available to these users if OIDC fails, so that nobody is locked out during configuration."},
	}},
	{Legend: "Sign-out and routing", Fields: []field{
		{Name: "post_logout_url", Label: "Logout page URL", Kind: kindURL,
			Help: "Where users are redirected after they sign out, e.g. https://intranet.example.com or /signed-out. Empty: the application's page."},
		{Name: "email_domains", Label: "Email domains", Kind: kindTextarea,
			Help: "One per line: the email domains whose users are sent to this connection, e.g. example.com or *.example.com; not consumer mail such as gmail.com."},
	}},
}

// secretHelp is the client secret's help line.
const secretHelp = "The client secret from your application at the provider (Entra: the Value, not the Secret ID). It is stored sealed and never shown again."

func responseTypeOptions() []option {
	out := []option{{"", "code (default)"}}
	for _, t := range rp.ResponseTypes {
		if t != "code" {
			out = append(out, option{t, t})
		}
	}
	return out
}

// fieldID is the HTML id of the form field name.
func fieldID(name string) string {
	return "field-" + strings.NewReplacer(".", "-", "_", "-").Replace(name)
}

// labels maps form field names to their labels, for the error summary.
var labels = func() map[string]string {
	m := map[string]string{"client_secret": "Client secret", "redirect_url": "Redirect URI", "version": "Version"}
	for _, s := range sections {
		for _, f := range s.Fields {
			m[f.Name] = f.Label
		}
	}
	m["endpoints"] = "Endpoints"
	return m
}()

// formField maps a problem's Field (a JSON name such as
// "email_domains[1]" or "endpoints.token") to the form field it belongs
// to, or "" when the form has none.
func formField(problem string) string {
	base, _, _ := strings.Cut(problem, "[")
	if base == "endpoints" {
		return "endpoints.authorization"
	}
	if _, ok := labels[base]; ok && base != "redirect_url" && base != "version" {
		return base
	}
	return ""
}
