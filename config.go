package rp

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oidcrp/rp/internal/loopback"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultClockSkew is the tolerance for clock differences between the
	// provider and this server when checking exp, iat and nbf.
	DefaultClockSkew = time.Minute
	// MaxClockSkew is the largest ClockSkew Validate accepts.
	MaxClockSkew = 5 * time.Minute
	// DefaultLoginTimeout is how long a started login may take before its
	// transaction cookie expires.
	DefaultLoginTimeout = 10 * time.Minute
	// DefaultHTTPTimeout bounds every request to the provider.
	DefaultHTTPTimeout = 10 * time.Second
	// MaxResponseSize is the default bound on every response body read
	// from the provider (Config.ResponseSizeLimit).
	MaxResponseSize = 1 << 20
	// DefaultMaxLoginsInProgress is how many started logins one browser
	// may hold at once by default (Config.MaxLoginsInProgress).
	DefaultMaxLoginsInProgress = 5
)

// DefaultScopes are requested when Config.Scopes is empty.
var DefaultScopes = []string{"openid", "profile", "email"}

// Config describes one OpenID Provider and this application's registration
// with it. The zero value of every optional field has a documented default.
//
// The provider is located by exactly one of: Authority (discovery at
// Authority + "/.well-known/openid-configuration", or, when that answers 404,
// the RFC 8414 metadata at the authority's host +
// "/.well-known/oauth-authorization-server" + its path), MetadataURL
// (discovery at that URL), or Endpoints (no discovery).
type Config struct {
	// Authority is the provider's issuer URL, for example
	// "https://login.microsoftonline.com/{tenant}/v2.0" or
	// "https://accounts.google.com". The issuer in the discovery document and
	// in every ID token must match it.
	Authority string

	// MetadataURL, when set, is fetched instead of
	// Authority + "/.well-known/openid-configuration". When Authority is
	// also set, the document's issuer must still match Authority; when it is
	// not, the document's issuer is trusted as the provider's issuer.
	MetadataURL string

	// Endpoints, when non-nil, configures the provider by hand and disables
	// discovery, for providers that publish no discovery document.
	Endpoints *Endpoints

	// ClientID is the application's client identifier at the provider.
	// Required.
	ClientID string

	// ClientSecret is the client secret. Empty means a public client, which
	// then relies on PKCE alone. It never appears in logs or errors.
	ClientSecret Secret

	// Scopes requested at login. Default DefaultScopes. Must contain "openid".
	Scopes []string

	// RedirectURL is the absolute callback URL registered at the provider,
	// e.g. "https://app.example.com/callback". It is always taken from here,
	// never from the request's Host or X-Forwarded-* headers. It must be
	// https, except on a loopback host (localhost, 127.0.0.0/8, ::1).
	RedirectURL string

	// UsernameClaim names the claim that holds the user's username, e.g.
	// "preferred_username" or "upn". Optional.
	UsernameClaim string

	// EmailClaim names the claim that holds the user's email address,
	// usually "email". Optional.
	EmailClaim string

	// MicrosoftNameClaims says whether this provider's upn and unique_name
	// claims may link a login to an account by username or verified email
	// (Identity.MicrosoftNameClaims). The zero value, NameClaimsAuto, allows
	// it only for Entra ID and AD FS issuers, whose upn and unique_name are
	// set by the directory; NameClaimsOn and NameClaimsOff force it. An
	// unknown value counts as NameClaimsOff.
	MicrosoftNameClaims NameClaimsSetting

	// Matcher, when set, links every verified login to a local account;
	// Callback fails with its error, or returns the account in
	// Result.User. See NewMatcher for the default algorithm.
	Matcher UserMatcher `json:"-"`

	// Hooks are the application's functions at the steps of a sign-in:
	// parameters per request, extra checks, added claims. Default: none.
	// See Hooks.
	Hooks Hooks `json:"-"`

	// UserInfo says when a login calls the provider's userinfo endpoint
	// and merges its claims under the ID token's. Default UserInfoAuto:
	// when the scopes ask for profile, email, address or phone, or a claim
	// that UsernameClaim, EmailClaim or the Matcher reads is missing from
	// the ID token. UserInfoAlways and UserInfoNever force it on or off.
	// Userinfo needs an access token and the provider's userinfo endpoint;
	// New refuses UserInfoAlways without the endpoint. A failed userinfo
	// request fails the login (ErrUserInfo); use UserInfoNever when the
	// access token is for another resource than the userinfo endpoint's.
	UserInfo UserInfoMode

	// DisablePKCE turns PKCE off, for the rare provider that rejects it.
	// PKCE (S256) is on by default and should stay on.
	DisablePKCE bool

	// ResponseType selects the flow: "code" (the default, recommended),
	// implicit "id_token" or "id_token token", or hybrid "code id_token",
	// "code token" or "code id_token token".
	ResponseType string

	// ResponseMode is how the provider returns the response: "query",
	// "form_post" or "fragment". Default: "query" for "code", "form_post"
	// whenever the response carries tokens (tokens never travel in a
	// query string).
	//
	// The JARM modes "query.jwt", "form_post.jwt" and "fragment.jwt"
	// (OpenID FAPI JARM) have the provider sign the response: it comes
	// as one parameter, "response", a JWT that Callback verifies (the
	// provider's keys, an algorithm of SigningAlgs, iss the provider's,
	// aud this client, exp required, within ClockSkew) before using the
	// parameters it holds as those of a plain response; a plain response
	// is then refused (ErrResponseJWT). "jwt" leaves the choice to the
	// provider: query.jwt for "code", fragment.jwt otherwise. query.jwt
	// is refused for response types that return tokens, and New refuses a
	// JARM mode the provider's response_modes_supported leaves out. An
	// encrypted response JWT is decrypted with DecryptionKeys (as an
	// encrypted ID token is; a failure is an ErrDecryption kind) and its
	// inner JWT verified as above, never accepted unsigned; without
	// DecryptionKeys it is refused (ErrResponseJWTEncrypted).
	ResponseMode string

	// ClientAuth is how the client authenticates at the token endpoint:
	// "client_secret_basic", "client_secret_post", "private_key_jwt",
	// "none" (a public client relying on PKCE), or with its TLS client
	// certificate (RFC 8705) "tls_client_auth" or
	// "self_signed_tls_client_auth" (ClientAuthTLS,
	// ClientAuthSelfSignedTLS), which need ClientCertificate and ClientKey
	// and send only client_id in the body. Default: private_key_jwt when
	// ClientKey is set, none without a secret, otherwise Basic unless the
	// provider advertises only client_secret_post; the mTLS methods are
	// never chosen by default. New refuses an mTLS method the provider's
	// token_endpoint_auth_methods_supported, when present, does not list.
	ClientAuth string

	// ClientKey signs the client assertions of private_key_jwt (an
	// *rsa.PrivateKey or *ecdsa.PrivateKey). ClientKeyID is the key's id
	// at the provider (the JWT "kid"); ClientCertificate, when set, adds
	// its SHA-256 thumbprint ("x5t#S256"), which Entra ID's certificate
	// credentials need.
	//
	// Under mutual TLS (ClientAuth tls_client_auth or
	// self_signed_tls_client_auth, or CertificateBoundTokens), the same
	// ClientCertificate and ClientKey (which must be its private key, RSA,
	// ECDSA or Ed25519) are the TLS client certificate presented to the
	// token, userinfo and pushed authorization endpoints, followed by
	// ClientCertificateChain, the intermediate certificates, if any, leaf
	// first. The certificate is presented through a clone of HTTPClient's
	// transport, which must then be nil or an *http.Transport (New refuses
	// another http.RoundTripper, which cannot be given a certificate; the
	// HTTPClient itself is never changed).
	ClientKey              crypto.Signer       `json:"-"`
	ClientKeyID            string              `json:"-"`
	ClientCertificate      *x509.Certificate   `json:"-"`
	ClientCertificateChain []*x509.Certificate `json:"-"`

	// CertificateBoundTokens asks for access tokens bound to the client
	// certificate (RFC 8705 section 3): the RP presents ClientCertificate
	// at the token and userinfo endpoints (their mtls_endpoint_aliases
	// when the provider has them) whatever ClientAuth is, e.g. with
	// private_key_jwt. New refuses it when the provider's metadata does not
	// set tls_client_certificate_bound_access_tokens (with Endpoints, the
	// configuration is trusted). An access token that is a JWT with a cnf
	// x5t#S256 claim naming another certificate fails the exchange or
	// refresh with ErrAccessTokenCertificateMismatch; its signature is not
	// checked (it is the resource server's to check) and an opaque token is
	// taken as it is. Applications calling APIs with such a token must
	// present the same certificate. Default off.
	CertificateBoundTokens bool

	// PushedAuthorization pushes every authorization request to the
	// provider's pushed authorization request endpoint (RFC 9126),
	// authenticated as at the token endpoint, and sends the browser with
	// only client_id and the request_uri the provider returns. It is on
	// whatever this says when the provider's metadata sets
	// require_pushed_authorization_requests. New refuses it when the
	// provider has no such endpoint (discovery's
	// pushed_authorization_request_endpoint, or Endpoints.PAR). A failed
	// push fails the login with a *PushedAuthorizationError.
	PushedAuthorization bool

	// RequestObject sends the authorization parameters in a request
	// object signed with ClientKey (RFC 9101: typ oauth-authz-req+jwt,
	// iss the client, aud the issuer, valid for five minutes), as the
	// request parameter, or inside the pushed request with
	// PushedAuthorization. Validate refuses it without ClientKey.
	RequestObject bool

	// FAPI2 follows the FAPI 2.0 Security Profile's rules for clients,
	// and refuses configurations that break them: every login is pushed
	// (PAR) with PKCE S256 and the code flow; the client authenticates
	// with private_key_jwt (ClientKey: RSA of 2048 bits or more, signing
	// PS256, or P-256, signing ES256) or mutual TLS; ID tokens are accepted signed with
	// PS256, ES256 or EdDSA only (FAPI2SigningAlgs); access tokens must
	// be sender-constrained (DPoP or CertificateBoundTokens); and the provider
	// must promise the iss authorization response parameter (RFC 9207)
	// and S256. Validate and New report each rule broken as a *ConfigError
	// problem.
	FAPI2 bool

	// DPoP binds the tokens of each sign-in to a key pair of its own
	// (RFC 9449): an ECDSA P-256 key (DPoPAlg) drawn at the sign-in,
	// returned in Tokens.DPoPKey, which must be kept with the session
	// (package web seals it in the session) and given back to
	// RefreshDPoP. The code exchange, refreshes and userinfo then carry
	// DPoP proofs (userinfo with "Authorization: DPoP"), a server's
	// use_dpop_nonce answer is retried once with its nonce, and with
	// pushed authorization requests the key's thumbprint is sent as
	// dpop_jkt. A token response that is not token_type DPoP is refused
	// with ErrDPoPDowngrade. Off by default, and never turned on by the
	// provider's metadata; off, a DPoP token is refused with
	// ErrDPoPUnrequested. New refuses it when the provider's
	// dpop_signing_alg_values_supported leaves out ES256, and Validate
	// with a response type without code.
	DPoP bool

	// MaxAge, when positive, asks the provider to re-authenticate users who
	// signed in longer ago (max_age); the ID token's auth_time is then
	// required and checked.
	MaxAge time.Duration

	// Prompt is the prompt parameter of every login, a setting of the
	// provider rather than of one login: "none" (sign in silently or fail
	// with ErrInteractionRequired), "login", "consent" or
	// "select_account", or several of the last three separated by spaces.
	// LoginOptions.Prompt overrides it for one login. Empty (the default)
	// sends none. Many providers issue a refresh token for
	// offline_access only with "consent".
	Prompt string

	// ACRValues requests authentication context classes (acr_values), in
	// order of preference. With RequireACR, the ID token's acr must be
	// one of them.
	ACRValues  []string
	RequireACR bool

	// UILocales are the user's preferred languages for the provider's
	// pages (ui_locales), e.g. []string{"de-CH", "en"}.
	UILocales []string

	// ClaimsParameter is the OpenID Connect "claims" request parameter, a
	// JSON object asking for specific claims. Optional.
	ClaimsParameter json.RawMessage

	// ExtraAuthParams are sent with every authorization request (e.g.
	// "domain_hint"). The protocol's own parameters cannot be set here.
	ExtraAuthParams url.Values

	// AllowedTenants lists the Microsoft Entra tenant IDs whose users may
	// sign in through a multi-tenant authority ("common", "organizations"
	// or "consumers"), whose issuer is a template with "{tenantid}". It is
	// required for such authorities unless AllowAnyTenant is set.
	AllowedTenants []string

	// AllowAnyTenant deliberately admits users of every Entra tenant
	// through a multi-tenant authority. Anyone can create a tenant: use it
	// only when the application onboards arbitrary organisations and
	// links accounts by issuer and sub (never by email or username).
	AllowAnyTenant bool

	// HostedDomain, when set, requires Google's "hd" claim (the user's
	// Google Workspace domain) to equal it, and suggests it at sign-in.
	HostedDomain string

	// SigningAlgs is the allow-list of ID token signature algorithms.
	// Default: those the provider advertises that are also in
	// SupportedSigningAlgs, or RS256 when it advertises none. "none" and
	// HMAC algorithms are never accepted.
	SigningAlgs []string

	// DecryptionKeys are the private keys the provider may encrypt ID
	// tokens and userinfo responses to (JWE, see DecryptionKey): put a new
	// key first and keep the old one until the provider has the new
	// one, to rotate. An encrypted ID token (from the token endpoint, the
	// authorization response or a refresh) is decrypted and must then be
	// a signed JWT, verified as any ID token; an unsigned one is refused.
	// Tokens.IDToken is then that signed JWT, as id_token_hint needs it.
	// Encrypted userinfo and encrypted JARM response JWTs are decrypted
	// with the same keys. Register the
	// public halves at the provider (PublicJWKS). Default none: an
	// encrypted token fails with ErrNoDecryptionKey.
	DecryptionKeys []DecryptionKey `json:"-"`

	// RequireEncryptedIDToken refuses ID tokens that are not encrypted
	// (ErrEncryptionRequired) in Callback, Refresh and VerifyIDToken
	// alike, for a client registered with
	// id_token_encrypted_response_alg. Validate requires DecryptionKeys
	// with it. Default false: with DecryptionKeys, encrypted and plain
	// signed ID tokens are both accepted.
	RequireEncryptedIDToken bool

	// ClockSkew is the tolerance for clock differences when checking token
	// times. Default DefaultClockSkew; at most MaxClockSkew.
	ClockSkew time.Duration

	// LoginTimeout is how long a user may take at the provider before the
	// login's transaction cookie expires. Default DefaultLoginTimeout.
	LoginTimeout time.Duration

	// CookieSecrets seal the login transaction cookies: the first seals,
	// all open, so a new secret can be put first to rotate. Each must be at
	// least 32 random bytes; they are never marshalled. Every instance of
	// the application needs the same ones.
	//
	// When empty, an RP given to a web.Site uses the Site's secrets, and
	// the instances that share those accept each other's logins. An RP
	// used without a Site draws a random key at its first login instead
	// and logs a warning to Logger: logins in flight then fail after a
	// restart and across instances behind a load balancer. Set
	// CookieSecrets (or use a web.Site) in production.
	CookieSecrets []Secret `json:"-"`

	// TransactionTag, when set, names this configuration in its login
	// transactions: every state parameter the RP sends is the tag, a '.'
	// and random characters (read it back with StateTag), and the tag is
	// part of what binds a transaction to its RP, so a login started under
	// one tag never completes under another. Package web tags the RP of
	// each version of a connection configured at run time with the
	// connection's name and version, to complete a login under the
	// version it started with. 1 to 80 letters, digits, '-', '_' and '.'.
	// Default: none (the state is random characters only).
	TransactionTag string

	// ReplayStore remembers the login states and logout token IDs (jti)
	// already used, so that each is accepted once on all the instances
	// sharing it: set it when the application runs on several instances,
	// e.g. to the Redis store of github.com/oidcrp/rp/session/redisstore.
	// When nil, the RP uses the one a web.Site shares with it, if any,
	// else its own bounded memory, which is right for one process only.
	// Calls are bounded by HTTPTimeout; when the store fails, the callback
	// fails with ErrReplayStore and VerifyLogoutToken refuses the token.
	ReplayStore ReplayStore `json:"-"`

	// HTTPClient is used for every request to the provider. Default
	// http.DefaultClient's transport. Its transport is wrapped so that
	// responses are limited to ResponseSizeLimit bytes and requests to
	// HTTPTimeout. For a configuration an administrator enters at run
	// time, use the client of a github.com/oidcrp/rp/outbound Policy, which
	// refuses plain http, private and cloud metadata addresses (checked
	// after DNS resolution) and redirects to other hosts.
	HTTPClient *http.Client `json:"-"`

	// HTTPTimeout bounds each request to the provider, on top of the
	// deadline of the request's context. Default DefaultHTTPTimeout; at
	// most one minute.
	HTTPTimeout time.Duration

	// ResponseSizeLimit bounds each response body read from the provider
	// (discovery, keys, token, userinfo). Default MaxResponseSize (1 MiB);
	// between 64 KiB and 16 MiB.
	ResponseSizeLimit int64

	// MaxLoginsInProgress caps the logins one browser may have started and
	// not finished (one transaction cookie each, as in several tabs):
	// starting another evicts the oldest, so cookies cannot pile up.
	// Default DefaultMaxLoginsInProgress; between 1 and 20.
	MaxLoginsInProgress int

	// ResolveClaimSources resolves aggregated and distributed claims
	// (OpenID Connect Core 5.6.2) of the ID token and userinfo before the
	// claims are mapped: an aggregated source's JWT is accepted when its
	// iss is the provider's (verified with the provider's keys) or a
	// ClaimSources issuer (with that issuer's keys), and ignored with a
	// warning otherwise; a distributed endpoint (https, or http on
	// loopback) is fetched with the source's access token through
	// HTTPClient, within HTTPTimeout and 256 KiB, and may answer a JWT
	// (verified likewise) or JSON. Resolved claims never replace one the
	// token has. A source may not set a claim that decides who signs in:
	// the protocol claims (iss, sub, aud, amr, ...), ProtectedClaims
	// (email, email_verified, preferred_username, upn, ...),
	// UsernameClaim or EmailClaim; such a claim from a source is dropped,
	// with a Warn log line naming the claim (not its value), and the login
	// goes on without it, so a distributed endpoint can never choose the
	// local account a user is linked to. What is synced to that account,
	// such as the Matcher's GroupsClaim and AttributeClaims, may come from
	// a source: distributed groups are what group sync sees. A
	// distributed source's access token is the source's own, not the
	// login's, so it is sent as a Bearer token with no DPoP proof and no
	// client certificate, even under DPoP or mTLS (neither the login's key
	// nor its certificate is shown to a third party); only a source whose
	// access token is the login's own access token gets it as the login's
	// requests send it: under DPoP with the DPoP scheme and a proof made
	// with the login's key, under mTLS with the client certificate. A
	// failure fails the login with an ErrClaimSource error. Default off.
	ResolveClaimSources bool

	// ClaimSources maps the issuers, other than the provider, whose
	// aggregated or distributed claims JWTs ResolveClaimSources accepts to
	// the URLs of their JWKS. Default none: only the provider's.
	ClaimSources map[string]string `json:"-"`

	// EntraGroupOverage resolves Microsoft Entra's group overage: when a
	// login has no groups claim and Entra signals overage (hasgroups true,
	// or _claim_names.groups naming a Microsoft Graph source), the user's
	// groups are read with POST {GraphBaseURL}/v1.0/me/getMemberGroups and
	// the login's access token (which must be for Graph, with the
	// GroupMember.Read.All or Directory.Read.All permission), bounded by
	// HTTPTimeout and 1 MiB, and put in the groups claim. The token is sent
	// as to userinfo: under DPoP (a DPoP-bound token) with the DPoP scheme
	// and a proof made with the login's key, with ath and the nonce retry;
	// under mTLS through the client presenting the certificate. A failure
	// (Graph refusing the token or the proof included) fails the login
	// with an ErrClaimSource error. Default off.
	EntraGroupOverage bool

	// GraphBaseURL is Microsoft Graph's base URL for EntraGroupOverage.
	// Default DefaultGraphBaseURL; tests point it at rptest.
	GraphBaseURL string

	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time `json:"-"`

	// Logger receives debug and warning events. Tokens, codes and secrets
	// are never logged. Default: discard.
	Logger *slog.Logger `json:"-"`

	// Observer, when set, is told of every request to the provider (the
	// discovery in New included), every sign-in by Callback, every
	// Refresh, and every refetch of the keys refused by the budget, for
	// metrics and traces (see Observer and package otelrp). Called by
	// package web, Callback and Refresh leave the sign-in and refresh
	// events to web.Config.Observer. Default nil: nothing is observed.
	Observer Observer `json:"-"`
}

// Endpoints configures a provider by hand, without discovery.
type Endpoints struct {
	// Issuer is the exact "iss" value of the provider's ID tokens. Default:
	// Config.Authority. Required when Authority is empty.
	Issuer string
	// Authorization is the authorization endpoint URL. Required.
	Authorization string
	// Token is the token endpoint URL. Required.
	Token string
	// JWKS is the URL of the provider's JSON Web Key Set. Required.
	JWKS string
	// UserInfo is the userinfo endpoint URL. Optional.
	UserInfo string
	// EndSession is the end-session (logout) endpoint URL. Optional.
	EndSession string
	// PAR is the pushed authorization request endpoint URL (RFC 9126).
	// Optional; Config.PushedAuthorization needs it.
	PAR string
	// MTLSEndpointAliases are the endpoints for mutual TLS (RFC 8705
	// section 5), used instead of Token, UserInfo and PAR when the RP
	// presents a client certificate. Optional.
	MTLSEndpointAliases *MTLSEndpointAliases
}

// ErrInvalidConfig is matched (with errors.Is) by every *ConfigError.
var ErrInvalidConfig = errors.New("rp: invalid configuration")

// ConfigProblem is one mistake in a Config.
type ConfigProblem struct {
	// Field is the Config field at fault, e.g. "RedirectURL" or
	// "Endpoints.Token".
	Field string
	// Message says what is wrong and what to change.
	Message string
}

// ConfigError lists every problem Validate found.
type ConfigError struct {
	Problems []ConfigProblem
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("rp: invalid configuration: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Validate checks the configuration without contacting the provider and
// returns a *ConfigError listing every problem found, or nil.
func (c *Config) Validate() error {
	var v validator
	if c.Authority != "" {
		v.url("Authority", c.Authority, "the provider's issuer URL, e.g. https://login.example.com")
	}
	if c.MetadataURL != "" {
		v.url("MetadataURL", c.MetadataURL, "the provider's discovery document URL")
	}
	if c.Endpoints != nil {
		if c.MetadataURL != "" {
			v.add("MetadataURL", "set either MetadataURL or Endpoints, not both: Endpoints turns discovery off")
		}
		e := c.Endpoints
		if e.Issuer == "" && c.Authority == "" {
			v.add("Endpoints.Issuer", "set the provider's issuer (the \"iss\" of its ID tokens), or set Authority")
		}
		if e.Issuer != "" {
			v.url("Endpoints.Issuer", e.Issuer, "the provider's issuer URL")
		}
		v.requiredURL("Endpoints.Authorization", e.Authorization, "the provider's authorization endpoint")
		v.requiredURL("Endpoints.Token", e.Token, "the provider's token endpoint")
		v.requiredURL("Endpoints.JWKS", e.JWKS, "the provider's JSON Web Key Set (jwks_uri)")
		if e.UserInfo != "" {
			v.url("Endpoints.UserInfo", e.UserInfo, "the provider's userinfo endpoint")
		}
		if e.EndSession != "" {
			v.url("Endpoints.EndSession", e.EndSession, "the provider's end-session endpoint")
		}
		if e.PAR != "" {
			v.url("Endpoints.PAR", e.PAR, "the provider's pushed authorization request endpoint")
		}
		for _, a := range e.MTLSEndpointAliases.urls() {
			if a.value != "" {
				v.url("Endpoints.MTLSEndpointAliases", a.value, "the provider's mTLS alias of its "+a.name)
			}
		}
	} else if c.Authority == "" && c.MetadataURL == "" {
		v.add("Authority", "set the provider's issuer URL (Authority), its discovery document URL (MetadataURL), or its endpoints by hand (Endpoints)")
	}
	if strings.TrimSpace(c.ClientID) == "" {
		v.add("ClientID", "set the client ID (application ID) the provider assigned to this application")
	}
	if len(c.Scopes) > 0 && !slices.Contains(c.Scopes, "openid") {
		v.add("Scopes", `add "openid": without it the provider does not run OpenID Connect and returns no ID token`)
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			v.add("Scopes", fmt.Sprintf("scope %q is not a valid scope token; list each scope as its own element, without spaces or quotes", s))
		}
	}
	if c.RedirectURL == "" {
		v.add("RedirectURL", "set the absolute callback URL registered at the provider, e.g. https://app.example.com/callback")
	} else {
		v.url("RedirectURL", c.RedirectURL, "the absolute callback URL registered at the provider, e.g. https://app.example.com/callback")
		if u, err := url.Parse(c.RedirectURL); err == nil && u.Fragment != "" {
			v.add("RedirectURL", "remove the #fragment: redirect URLs must not contain one")
		}
	}
	if c.ClockSkew < 0 || c.ClockSkew > MaxClockSkew {
		v.add("ClockSkew", fmt.Sprintf("use a value between 0 and %v (0 means the default %v)", MaxClockSkew, DefaultClockSkew))
	}
	if c.LoginTimeout < 0 || c.LoginTimeout > time.Hour {
		v.add("LoginTimeout", "use a value between 0 and 1h (0 means the default 10m)")
	}
	if c.ResponseType != "" && !slices.Contains(ResponseTypes, c.ResponseType) {
		v.add("ResponseType", fmt.Sprintf("%q is not supported; use one of %q", c.ResponseType, ResponseTypes))
	}
	switch c.ResponseMode {
	case "", "form_post", "fragment", "jwt", "form_post.jwt", "fragment.jwt":
	case "query", "query.jwt":
		if c.ResponseType != "" && c.ResponseType != "code" {
			v.add("ResponseMode", "tokens must not travel in a query string; use form_post (or leave ResponseMode empty)")
		}
	default:
		v.add("ResponseMode", fmt.Sprintf("%q is not supported; use query, form_post or fragment, or the JARM modes jwt, query.jwt, form_post.jwt or fragment.jwt", c.ResponseMode))
	}
	switch c.ClientAuth {
	case "", "client_secret_basic", "client_secret_post", "none", ClientAuthTLS, ClientAuthSelfSignedTLS:
	case "private_key_jwt":
		if c.ClientKey == nil {
			v.add("ClientKey", "set the private key that signs client assertions for private_key_jwt")
		}
	default:
		v.add("ClientAuth", fmt.Sprintf("%q is not supported; use client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth, self_signed_tls_client_auth or none", c.ClientAuth))
	}
	v.problems = append(v.problems, c.mtlsProblems()...)
	if (c.ClientAuth == "client_secret_basic" || c.ClientAuth == "client_secret_post") && c.ClientSecret == "" {
		v.add("ClientSecret", "set the client secret, or choose another ClientAuth")
	}
	if c.RequestObject && c.ClientKey == nil {
		v.add("ClientKey", "set the private key that signs request objects for RequestObject")
	}
	v.problems = append(v.problems, dpopConfigProblems(c)...)
	if c.UserInfo < UserInfoAuto || c.UserInfo > UserInfoNever {
		v.add("UserInfo", fmt.Sprintf("%v is not a mode; use UserInfoAuto (the default), UserInfoAlways or UserInfoNever", c.UserInfo))
	}
	if c.MaxAge < 0 {
		v.add("MaxAge", "use a positive duration, or 0 to not send max_age")
	}
	if c.Prompt != "" {
		if msg := promptProblem(c.Prompt); msg != "" {
			v.add("Prompt", msg)
		}
	}
	if c.RequireACR && len(c.ACRValues) == 0 {
		v.add("ACRValues", "list the acceptable acr values when RequireACR is set")
	}
	if len(c.ClaimsParameter) > 0 {
		var obj map[string]json.RawMessage
		if json.Unmarshal(c.ClaimsParameter, &obj) != nil {
			v.add("ClaimsParameter", "must be a JSON object such as {\"id_token\":{\"acr\":{\"essential\":true}}}")
		}
	}
	for k := range c.ExtraAuthParams {
		switch {
		case k == "prompt":
			v.add("ExtraAuthParams", `"prompt" is set by the library; remove it and set Prompt instead`)
		case slices.Contains(reservedParams, k):
			v.add("ExtraAuthParams", fmt.Sprintf("%q is set by the library; remove it", k))
		}
	}
	if c.HTTPTimeout < 0 || c.HTTPTimeout > time.Minute {
		v.add("HTTPTimeout", "use a duration up to 1m (0 means the default 10s)")
	}
	if c.ResponseSizeLimit != 0 && (c.ResponseSizeLimit < 64<<10 || c.ResponseSizeLimit > 16<<20) {
		v.add("ResponseSizeLimit", "use a size between 64 KiB and 16 MiB (0 means the default 1 MiB)")
	}
	if c.MaxLoginsInProgress < 0 || c.MaxLoginsInProgress > 20 {
		v.add("MaxLoginsInProgress", "use a number between 1 and 20 (0 means the default 5)")
	}
	for _, alg := range c.SigningAlgs {
		if !slices.Contains(SupportedSigningAlgs, alg) {
			v.add("SigningAlgs", fmt.Sprintf("%q is not allowed; use some of %s", alg, strings.Join(SupportedSigningAlgs, ", ")))
		}
	}
	if c.TransactionTag != "" && !validTag(c.TransactionTag) {
		v.add("TransactionTag", fmt.Sprintf("%q is not a valid tag; use 1 to 80 letters, digits, '-', '_' and '.'", c.TransactionTag))
	}
	if c.GraphBaseURL != "" {
		v.url("GraphBaseURL", c.GraphBaseURL, "Microsoft Graph's base URL, e.g. https://graph.microsoft.com")
	}
	for iss, jwks := range c.ClaimSources {
		if iss == "" {
			v.add("ClaimSources", "an issuer is empty")
		}
		v.url("ClaimSources", jwks, "the JWKS URL of claim source "+iss)
	}
	if c.FAPI2 {
		fapiProblems(c, &v)
	}
	c.validateDecryption(&v)
	for i, s := range c.CookieSecrets {
		if len(s) < 32 {
			v.add("CookieSecrets", fmt.Sprintf("secret %d is %d bytes; use at least 32 random bytes", i, len(s)))
		}
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &ConfigError{Problems: v.problems}
}

type validator struct{ problems []ConfigProblem }

func (v *validator) add(field, msg string) {
	v.problems = append(v.problems, ConfigProblem{Field: field, Message: msg})
}

func (v *validator) requiredURL(field, raw, what string) {
	if raw == "" {
		v.add(field, "set "+what)
		return
	}
	v.url(field, raw, what)
}

// url records the problem urlProblem finds with raw, if any.
func (v *validator) url(field, raw, what string) {
	if msg := urlProblem(raw, what); msg != "" {
		v.add(field, msg)
	}
}

// urlProblem checks that raw is an absolute http(s) URL, https unless the
// host is loopback, without credentials; it returns what to change, or "".
func urlProblem(raw, what string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%q is not a valid URL; set %s", raw, what)
	}
	if !u.IsAbs() || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute URL; write it in full with https:// and the host name: %s", raw, what)
	}
	if u.User != nil {
		return "remove the user name or password from the URL"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback.Host(u.Hostname()) {
			return fmt.Sprintf("%q uses plain http; use https (http is only allowed for localhost and loopback addresses)", raw)
		}
	default:
		return fmt.Sprintf("%q has scheme %q; use https", raw, u.Scheme)
	}
	return ""
}
