package connection

import (
	"time"

	"github.com/oidcrp/rp"
)

// Settings is one connection to an identity provider, as an administrator
// edits it. It marshals to JSON with the field names given, which are also
// the names rp.ConfigProblem.Field uses in the errors of Validate and
// Config; the client secret is never
// marshalled (see ClientSecret).
//
// The provider is located by Authority, ConfigurationURL, or Endpoints, as
// in rp.Config. Zero values mean the documented defaults of rp.Config and
// rp.MatcherConfig.
type Settings struct {
	// Name identifies the connection in paths, sessions and the store:
	// 1 to 64 letters, digits, '-' and '_', e.g. "okta-acme". It cannot be
	// changed once saved (save under a new name and delete the old one).
	Name string `json:"name"`

	// Version is the stored version these settings are, set by the Store:
	// 0 for a connection never saved. Put takes it as the version the
	// edit started from.
	Version int64 `json:"version"`

	// Enabled lets users sign in through the connection. A disabled
	// connection's logins in progress fail with ErrDisabled.
	Enabled bool `json:"enabled"`

	// Title is the label of the connection's sign-in button, e.g. "Acme
	// staff (Okta)". Default Name.
	Title string `json:"title,omitempty"`

	// Authority is the provider's issuer URL (rp.Config.Authority), e.g.
	// "https://login.microsoftonline.com/{tenant}/v2.0".
	Authority string `json:"authority,omitempty"`

	// ConfigurationURL is the provider's discovery document URL, also
	// called the MetadataAddress (rp.Config.MetadataURL). Default:
	// Authority + "/.well-known/openid-configuration".
	ConfigurationURL string `json:"configuration_url,omitempty"`

	// Endpoints configures the provider by hand, for providers without
	// discovery (rp.Config.Endpoints).
	Endpoints *Endpoints `json:"endpoints,omitempty"`

	// ClientID is the application's client ID at the provider. Required.
	ClientID string `json:"client_id"`

	// ClientSecret is the client secret: write-only. Stores return it
	// opened, in memory; JSON carries only whether one is set.
	ClientSecret ClientSecret `json:"client_secret"`

	// Scopes requested at sign-in; must include "openid". Default
	// rp.DefaultScopes.
	Scopes []string `json:"scopes,omitempty"`

	// ResponseType selects the flow: "code" (the default), "id_token",
	// "id_token token", "code id_token", "code token" or "code id_token
	// token" (rp.Config.ResponseType).
	ResponseType string `json:"response_type,omitempty"`

	// DisablePKCE turns PKCE off, for the rare provider that refuses it.
	DisablePKCE bool `json:"disable_pkce,omitempty"`

	// Prompt is sent with every sign-in: "", "none", "login", "consent"
	// or "select_account" (rp.Config.Prompt).
	Prompt string `json:"prompt,omitempty"`

	// UsernameClaim names the claim holding the username, e.g.
	// "preferred_username". EmailClaim names the email claim, usually
	// "email". GroupsClaim names the claim listing groups, e.g. "groups".
	UsernameClaim string `json:"username_claim,omitempty"`
	EmailClaim    string `json:"email_claim,omitempty"`
	GroupsClaim   string `json:"groups_claim,omitempty"`

	// GroupMapping maps the provider's groups to the application's roles
	// or teams; when set, unmapped groups are dropped.
	GroupMapping map[string]string `json:"group_mapping,omitempty"`

	// AttributeMappings maps account attributes to claim names, e.g.
	// {"department": "department"}.
	AttributeMappings map[string]string `json:"attribute_mappings,omitempty"`

	// PostLogoutURL is where users land after signing out, e.g. a "You
	// are signed out" page. Default: the application's.
	PostLogoutURL string `json:"post_logout_url,omitempty"`

	// CreateUsers creates an account at a user's first sign-in;
	// SyncProfile updates name, email and attributes at every sign-in;
	// SyncGroups replaces the account's groups at every sign-in; AutoLink
	// links a first sign-in to an existing account by username or
	// verified email; AllowAdmins lets administrators sign in through the
	// connection (see rp.MatcherConfig).
	CreateUsers bool `json:"create_users,omitempty"`
	SyncProfile bool `json:"sync_profile,omitempty"`
	SyncGroups  bool `json:"sync_groups,omitempty"`
	AutoLink    bool `json:"autolink,omitempty"`
	AllowAdmins bool `json:"allow_admins,omitempty"`

	// AllowPasswordFallback keeps the application's own password sign-in
	// available to the users of this connection, so nobody is locked out
	// when the provider is down or misconfigured. The library does not
	// enforce it; the application's sign-in page reads it.
	AllowPasswordFallback bool `json:"allow_password_fallback,omitempty"`

	// EmailDomains are the email domains whose users sign in through this
	// connection (home-realm discovery, see Route): "example.com", or
	// "*.example.com" for its subdomains. Unique across connections;
	// consumer mail domains (gmail.com, outlook.com, ...) are refused.
	EmailDomains []EmailDomain `json:"email_domains,omitempty"`

	// Updated is when this version was saved, and UpdatedBy who saved
	// it (as Put was told), set by the Store.
	Updated   time.Time `json:"updated,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Endpoints are a provider's endpoints entered by hand (rp.Endpoints).
type Endpoints struct {
	Issuer        string `json:"issuer,omitempty"`
	Authorization string `json:"authorization"`
	Token         string `json:"token"`
	JWKS          string `json:"jwks"`
	UserInfo      string `json:"userinfo,omitempty"`
	EndSession    string `json:"end_session,omitempty"`
}

// EmailDomain is one email domain of a connection.
type EmailDomain struct {
	// Domain is "example.com", or "*.example.com" for every subdomain
	// of example.com (but not example.com itself). Lower case, without a
	// trailing dot.
	Domain string `json:"domain"`
	// Verified says the application checked the domain's ownership
	// (DomainVerifier.Verify). Set it only after such a check: Route with
	// RouteOptions.RequireVerified ignores unverified domains.
	Verified bool `json:"verified,omitempty"`
}

// SecretAction says what saving Settings does with the stored client
// secret.
type SecretAction string

const (
	// SecretKeep keeps the secret of the version the edit started from
	// (none for a new connection). An empty action means SecretKeep.
	SecretKeep SecretAction = "keep"
	// SecretSet sets the secret to ClientSecret.Value, replacing any.
	// JSON also accepts "replace" for it.
	SecretSet SecretAction = "set"
	// SecretRemove removes the secret (a public client).
	SecretRemove SecretAction = "remove"
)

// ClientSecret is a connection's client secret, write-only: its JSON form
// is {"set": true|false} on output, and {"action": "keep"|"set"|"replace"|
// "remove", "value": "..."} on input. The value never leaves the process
// in clear (it is an rp.Secret, which also hides itself from fmt and slog).
type ClientSecret struct {
	// Action says what Put does with the secret. Input only.
	Action SecretAction `json:"-"`
	// Value is the secret: the new one for SecretSet on Put, the stored
	// one (opened) in what a Store returns.
	Value rp.Secret `json:"-"`
	// IsSet reports whether the stored version has a secret. Set by the
	// Store; ignored by Put.
	IsSet bool `json:"-"`
}
