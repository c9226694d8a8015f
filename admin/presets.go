package admin

import (
	"net/url"
	"strings"

	"github.com/oidcrp/rp/connection"
)

// preset prefills the form for one kind of provider and says, in a few
// lines, what to do at that provider.
type preset struct {
	ID, Title string
	Help      []string
	Settings  connection.Settings
}

var stdScopes = []string{"openid", "profile", "email"}

// presets are offered by "Add a connection", in this order.
var presets = []preset{
	{ID: "entra", Title: "Microsoft Entra ID (single tenant)",
		Settings: connection.Settings{Name: "entra", Title: "Microsoft", Authority: "https://login.microsoftonline.com/<tenant-id>/v2.0",
			Scopes: stdScopes, UsernameClaim: "preferred_username", EmailClaim: "email"},
		Help: []string{
			"In the Microsoft Entra admin center, register an app (App registrations → New registration) and select 'Accounts in this organizational directory only'.",
			"Replace <tenant-id> in the authority with your Directory (tenant) ID; the Client ID is the Application (client) ID.",
			"Under Authentication, add a platform 'Web' with the redirect URI below, and the front-channel logout URL.",
			"Under Certificates & secrets, create a new client secret and copy its Value (not the Secret ID): it cannot be displayed again.",
			"Under API permissions, add the Microsoft Graph delegated permissions openid, email, profile and User.Read.",
			"Entra sends no email_verified: link accounts by the username claim (preferred_username, the UPN) or add the optional claim xms_edov to the token configuration before linking by email.",
			"Consider 'Assignment required' under Enterprise applications → Properties, so that only the users and groups you add may sign in.",
		}},
	{ID: "entra-multi", Title: "Microsoft Entra ID (multi-tenant)",
		Settings: connection.Settings{Name: "entra-multi", Title: "Microsoft", Authority: "https://login.microsoftonline.com/organizations/v2.0",
			Scopes: stdScopes, UsernameClaim: "preferred_username"},
		Help: []string{
			"Register the app with 'Accounts in any organizational directory (multitenant)'; redirect URI, client secret and permissions as for a single tenant.",
			"The authority organizations (or common) accepts the users of many tenants: every token must come from one of the tenants the application allows.",
			"Which tenants may sign in (AllowedTenants), or that any may (AllowAnyTenant), is not a connection setting yet: the application sets it in web.Connections.RP, for all its connections; without it, sign-ins are refused.",
			"Anyone can create a tenant: link accounts by sub only (leave autolink off), never by email or username.",
		}},
	{ID: "okta", Title: "Okta",
		Settings: connection.Settings{Name: "okta", Title: "Okta", Authority: "https://<your-org>.okta.com",
			Scopes: stdScopes, UsernameClaim: "preferred_username", EmailClaim: "email"},
		Help: []string{
			"In the Okta admin console, create an app integration of type OIDC – Web Application with the sign-in redirect URI and the sign-out redirect URI below.",
			"Use the org authorization server (https://<your-org>.okta.com) or a custom one (https://<your-org>.okta.com/oauth2/default): the authority must be exactly the issuer Okta shows.",
			"If the local usernames are email addresses, set the username claim to email; if they are other text and the accounts have an email, set the email claim to email.",
			"Add offline_access to the scopes, and allow the refresh token grant, for sessions that refresh.",
		}},
	{ID: "google", Title: "Google",
		Settings: connection.Settings{Name: "google", Title: "Google", Authority: "https://accounts.google.com",
			Scopes: stdScopes, EmailClaim: "email"},
		Help: []string{
			"In the Google Cloud console, create an OAuth client ID of type Web application with the redirect URI below.",
			"Google verifies the addresses of Google accounts (email_verified is true), so the email claim can link accounts by their email.",
			"Google has no end-session endpoint: signing out ends the session here only.",
		}},
	{ID: "keycloak", Title: "Keycloak",
		Settings: connection.Settings{Name: "keycloak", Title: "Keycloak", Authority: "https://<host>/realms/<realm>",
			Scopes: stdScopes, UsernameClaim: "preferred_username", EmailClaim: "email"},
		Help: []string{
			"The authority is the realm's URL, https://<host>/realms/<realm> (older versions: https://<host>/auth/realms/<realm>).",
			"Create a confidential OpenID Connect client (Client authentication on) with Standard flow, the redirect URI and the post-logout redirect URI below; copy the secret from its Credentials tab.",
			"Keycloak supports PKCE, refresh tokens, userinfo and RP-initiated logout.",
		}},
	{ID: "auth0", Title: "Auth0",
		Settings: connection.Settings{Name: "auth0", Title: "Auth0", Authority: "https://<tenant>.auth0.com/",
			Scopes: stdScopes, EmailClaim: "email"},
		Help: []string{
			"In the Auth0 dashboard, create an application of type Regular Web Application; add the redirect URI below to Allowed Callback URLs and the post-logout redirect URI to Allowed Logout URLs.",
			"The authority is your tenant's domain, e.g. https://example.eu.auth0.com/ (or a custom domain), with the trailing slash that Auth0's issuer has.",
			"Auth0 sends email_verified, so the email claim can link accounts by a verified email.",
		}},
	{ID: "generic", Title: "Other OpenID Connect provider",
		Settings: connection.Settings{Name: "sso", Scopes: stdScopes},
		Help: []string{
			"Enter the authority (the issuer) or the configuration URL that the provider documents; for a provider without discovery, leave both empty and enter the endpoints.",
			"Register the redirect URI below at the provider: a redirect_uri mismatch is the most common error.",
			"OpenID Connect requires https, except on localhost.",
		}},
}

// presetByID returns the preset id, or nil.
func presetByID(id string) *preset {
	for i := range presets {
		if presets[i].ID == id {
			return &presets[i]
		}
	}
	return nil
}

// kindOf says how settings locate their provider.
func kindOf(s *connection.Settings) string {
	switch {
	case s.Endpoints != nil:
		return "manual endpoints"
	case s.ConfigurationURL != "":
		return "configuration URL"
	default:
		return "authority"
	}
}

// looksLike names the preset the settings' provider looks like.
func looksLike(s *connection.Settings) string {
	raw := s.Authority
	if raw == "" {
		raw = s.ConfigurationURL
	}
	if raw == "" && s.Endpoints != nil {
		raw = s.Endpoints.Authorization
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "Other"
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "login.microsoftonline.com":
		if t, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/"); t == "organizations" || t == "common" {
			return "Microsoft Entra ID (multi-tenant)"
		}
		return "Microsoft Entra ID"
	case strings.HasSuffix(host, ".okta.com") || strings.HasSuffix(host, ".oktapreview.com"):
		return "Okta"
	case host == "accounts.google.com":
		return "Google"
	case strings.HasSuffix(host, ".auth0.com"):
		return "Auth0"
	case strings.Contains(u.Path, "/realms/"):
		return "Keycloak"
	}
	return "Other"
}
