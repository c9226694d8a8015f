package rp

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
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
	// MaxResponseSize bounds every response body read from the provider.
	MaxResponseSize = 1 << 20
)

// DefaultScopes are requested when Config.Scopes is empty.
var DefaultScopes = []string{"openid", "profile", "email"}

// Config describes one OpenID Provider and this application's registration
// with it. The zero value of every optional field has a documented default.
//
// The provider is located by exactly one of: Authority (discovery at
// Authority + "/.well-known/openid-configuration"), MetadataURL (discovery at
// that URL), or Endpoints (no discovery).
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

	// Matcher, when set, links every verified login to a local account;
	// Callback fails with its error, or returns the account in
	// Result.User. See NewMatcher for the default algorithm.
	Matcher UserMatcher `json:"-"`

	// FetchUserInfo makes every login call the userinfo endpoint. Without it
	// userinfo is called only when UsernameClaim or EmailClaim is set but
	// missing from the ID token and the provider has a userinfo endpoint.
	FetchUserInfo bool

	// DisablePKCE turns PKCE off, for the rare provider that rejects it.
	// PKCE (S256) is on by default and should stay on.
	DisablePKCE bool

	// SigningAlgs is the allow-list of ID token signature algorithms.
	// Default: those the provider advertises that are also in
	// SupportedSigningAlgs, or RS256 when it advertises none. "none" and
	// HMAC algorithms are never accepted.
	SigningAlgs []string

	// ClockSkew is the tolerance for clock differences when checking token
	// times. Default DefaultClockSkew; at most MaxClockSkew.
	ClockSkew time.Duration

	// LoginTimeout is how long a user may take at the provider before the
	// login's transaction cookie expires. Default DefaultLoginTimeout.
	LoginTimeout time.Duration

	// CookieSecrets seal the login transaction cookies: the first seals,
	// all open, so a new secret can be put first to rotate. Each must be at
	// least 32 random bytes; they are never marshalled. When empty, New generates a random secret,
	// which means logins in flight fail after a restart and across
	// instances behind a load balancer; set it in production.
	CookieSecrets []Secret `json:"-"`

	// HTTPClient is used for every request to the provider. Default
	// http.DefaultClient's transport. Its transport is wrapped so that
	// responses are limited to MaxResponseSize bytes and requests to
	// HTTPTimeout.
	HTTPClient *http.Client `json:"-"`

	// HTTPTimeout bounds each request to the provider. Default
	// DefaultHTTPTimeout.
	HTTPTimeout time.Duration

	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time `json:"-"`

	// Logger receives debug and warning events. Tokens, codes and secrets
	// are never logged. Default: discard.
	Logger *slog.Logger `json:"-"`
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
	if c.HTTPTimeout < 0 {
		v.add("HTTPTimeout", "use a positive duration (0 means the default 10s)")
	}
	for _, alg := range c.SigningAlgs {
		if !slices.Contains(SupportedSigningAlgs, alg) {
			v.add("SigningAlgs", fmt.Sprintf("%q is not allowed; use some of %s", alg, strings.Join(SupportedSigningAlgs, ", ")))
		}
	}
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
		if !isLoopback(u.Hostname()) {
			return fmt.Sprintf("%q uses plain http; use https (http is only allowed for localhost and loopback addresses)", raw)
		}
	default:
		return fmt.Sprintf("%q has scheme %q; use https", raw, u.Scheme)
	}
	return ""
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
