package rp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oidcrp/rp/internal/netlimit"
)

// CheckStatus is the outcome of one Finding.
type CheckStatus int

// The statuses of a Finding, from good to bad.
const (
	CheckOK   CheckStatus = iota // nothing to change
	CheckWarn                    // sign-in may work, but something deserves a look
	CheckFail                    // sign-in fails or is unsafe until something is changed
)

// String returns "OK", "WARN" or "FAIL".
func (s CheckStatus) String() string {
	if s >= CheckOK && s <= CheckFail {
		return [...]string{"OK", "WARN", "FAIL"}[s]
	}
	return fmt.Sprintf("CheckStatus(%d)", int(s))
}

// Finding is one result of Check.
type Finding struct {
	// Check is a short, stable identifier of what was checked, one of, in
	// the order of the checks: "config" (what Config.Validate and New
	// refuse), "discovery", "issuer", "jwks", "signing_algs",
	// "response_type", "response_mode", "scopes", "pkce", "client_auth",
	// "backchannel_logout" and "frontchannel_logout" (whether a sign-out
	// at the provider can end sessions here, and how), "redirect_url"
	// (whether the provider accepts RedirectURL),
	// "credentials" (whether it accepts the client ID and secret or key)
	// and "post_logout_redirect_url" (only with
	// CheckOptions.PostLogoutRedirectURL). A check may give several
	// findings, or none when an earlier finding makes it meaningless.
	Check string
	// Status is the outcome.
	Status CheckStatus
	// Message says, in plain words for an administrator, what was found
	// and, unless Status is CheckOK, what to change. It never contains the
	// client secret or a token.
	Message string
}

// CheckReport is the result of Check: its findings, in the order checked.
type CheckReport struct {
	// Findings are the results, in the order of the checks.
	Findings []Finding

	secret string // removed from String's output, whatever the findings say
}

// OK reports whether no finding has status CheckFail.
func (r *CheckReport) OK() bool {
	return !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Status == CheckFail })
}

// String formats the report one finding per line, with aligned columns:
// status, check, message, as in "FAIL  issuer  the document's issuer is …".
// The client secret given to Check never appears in it.
func (r *CheckReport) String() string {
	width := 0
	for _, f := range r.Findings {
		width = max(width, len(f.Check))
	}
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%-4s  %-*s  %s\n", f.Status, width, f.Check, f.Message)
	}
	return redact(b.String(), r.secret)
}

// CheckOptions adjust Check. The zero value runs every check.
type CheckOptions struct {
	// SkipCredentialProbe turns off the "credentials" check. By default
	// Check sends the token endpoint an authorization code request with a
	// made-up code, authenticated as the client would authenticate: a
	// provider answers invalid_client (or 401) to a wrong client ID,
	// secret or key, and invalid_grant to right ones, and issues no token.
	// As some providers look at the code before the client, invalid_grant
	// counts only when a control request with a made-up secret (or key)
	// is refused as invalid_client; otherwise the pair is repeated with a
	// made-up refresh token, and when that does not tell either the
	// finding is a warning. Up to four token requests are sent.
	// The secret is never sent to a provider whose address or issuer
	// failed a check. Set it for a provider that alerts on failed token
	// requests.
	SkipCredentialProbe bool

	// PostLogoutRedirectURL, when set, is the URL the provider should send
	// the browser back to after RP-initiated logout (for package web, the origin
	// of RedirectURL plus web.Config.PostLogoutPath). Check asks the
	// provider's end_session_endpoint whether it accepts it, as for the
	// redirect URL; empty (the default) skips the check.
	PostLogoutRedirectURL string
}

// Check tests cfg against the provider without signing anyone in, like the
// "Test settings" button of a settings page: it validates cfg, fetches the
// discovery document and the signing keys as New would, compares what the
// provider supports with what cfg asks for, and asks the provider whether
// it accepts the redirect URL (an authorization request with prompt=none
// whose redirect is not followed) and the client credentials (see
// CheckOptions.SkipCredentialProbe). It never fails as a whole: every
// problem, including an unreachable provider, is a Finding. A provider
// location that cfg.Validate refuses (for instance a plain http Authority)
// ends the check at the config findings, with no request sent. ctx bounds
// all requests; each is also limited to cfg.HTTPTimeout and
// ResponseSizeLimit bytes (default MaxResponseSize), as in New.
func Check(ctx context.Context, cfg Config, opts CheckOptions) *CheckReport {
	timeout := cfg.HTTPTimeout
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	limit := cfg.ResponseSizeLimit
	if limit <= 0 {
		limit = MaxResponseSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &checker{
		cfg:    &cfg,
		client: netlimit.Client(cfg.HTTPClient, limit, timeout),
		manual: cfg.Endpoints != nil,
		bad:    map[string]bool{},
		report: &CheckReport{secret: string(cfg.ClientSecret)},
	}
	var ce *ConfigError
	if errors.As(cfg.Validate(), &ce) {
		fatal := false
		for _, p := range ce.Problems {
			c.add("config", CheckFail, p.Field+": "+p.Message)
			c.bad[p.Field] = true
			fatal = fatal || p.Field == "Authority" || p.Field == "MetadataURL" || strings.HasPrefix(p.Field, "Endpoints")
		}
		if fatal {
			// Without a usable provider location there is nothing to ask,
			// and nothing may be fetched from where cfg must not point.
			return c.report
		}
	}
	md := c.discovery(ctx)
	if md != nil {
		for _, p := range providerProblems(c.cfg, md) {
			// AllowedTenants is reported as the "issuer" finding,
			// ResponseMode as the "response_mode" one.
			if p.Field != "AllowedTenants" && p.Field != "ResponseMode" {
				c.add("config", CheckFail, p.Field+": "+p.Message)
				c.bad[p.Field] = true
			}
		}
		c.jwks(ctx, md)
		c.signingAlgs(md)
		c.responseType(md)
		c.responseMode(md)
	}
	c.scopes(md)
	if md != nil {
		c.pkce(md)
		c.clientAuth(md)
		c.logout(md)
	}
	c.redirectURL(ctx, md)
	if md != nil && !opts.SkipCredentialProbe {
		c.credentials(ctx, md)
	}
	if opts.PostLogoutRedirectURL != "" {
		c.postLogoutURL(ctx, md, opts.PostLogoutRedirectURL)
	}
	return c.report
}

// checker holds the state of one Check.
type checker struct {
	cfg    *Config
	client *http.Client
	manual bool // Endpoints by hand: no capability lists to compare with
	// bad holds the Config fields with a "config" finding; the checks
	// that depend on one of them are left out rather than repeat it.
	bad map[string]bool
	// untrusted: the provider's location or issuer failed, so the secret
	// must not be sent to its token endpoint.
	untrusted bool
	report    *CheckReport
}

// add records a finding, on one line and without the secret.
func (c *checker) add(check string, s CheckStatus, msg string) {
	msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	c.report.Findings = append(c.report.Findings, Finding{Check: check, Status: s, Message: redact(msg, c.report.secret)})
}

// unknown records a capability the provider does not list: a warning for a
// discovery document (which should list it), fine for hand-made Endpoints.
func (c *checker) unknown(check, field, assumption string) {
	if c.manual {
		c.add(check, CheckOK, "not checked: Endpoints are configured by hand, so "+field+" is unknown; "+assumption)
		return
	}
	c.add(check, CheckWarn, "the provider does not advertise "+field+"; "+assumption)
}

// redact replaces every occurrence of secret in s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

// discovery loads the provider's metadata as New does and records the
// "discovery" and "issuer" findings. It returns nil when the provider
// cannot be used at all.
func (c *checker) discovery(ctx context.Context) *ProviderMetadata {
	if e := c.cfg.Endpoints; e != nil {
		if e.Authorization == "" || e.Token == "" || e.JWKS == "" {
			c.add("discovery", CheckFail, "Endpoints is incomplete: set Authorization, Token and JWKS (see the config findings)")
			return nil
		}
		md, _ := loadMetadata(ctx, c.client, c.cfg) // cannot fail with Endpoints
		c.add("discovery", CheckOK, "configured by hand (Endpoints); no discovery document is fetched")
		c.issuer(md)
		return md
	}
	u := c.cfg.metadataURL()
	if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		c.add("discovery", CheckFail, "nothing to fetch: set Authority to the provider's issuer URL, or MetadataURL to its discovery document")
		return nil
	}
	md, err := loadMetadata(ctx, c.client, c.cfg)
	var de *DiscoveryError
	if errors.As(err, &de) && de.Kind == ErrMetadataIssuerMismatch {
		// The document was read: report the mismatch as the issuer's and
		// go on with the document as published, so the other checks run.
		md, err = discover(ctx, c.client, de.URL, "") // the OpenID or the RFC 8414 document
		if err == nil {
			c.add("discovery", CheckOK, "read the discovery document at "+de.URL)
		} else {
			c.add("discovery", CheckFail, c.discoveryProblem(err))
		}
		c.add("issuer", CheckFail, de.Detail)
		c.untrusted = true
		return md
	}
	if err != nil {
		c.add("discovery", CheckFail, c.discoveryProblem(err))
		return nil
	}
	c.add("discovery", CheckOK, "read the discovery document at "+u)
	c.issuer(md)
	return md
}

// discoveryProblem words a discovery failure for an administrator; a
// provider that does not answer is told apart from a bad answer.
func (c *checker) discoveryProblem(err error) string {
	var de *DiscoveryError
	if !errors.As(err, &de) {
		return err.Error()
	}
	if np := netProblem(de.URL, de.Err); np != "" {
		field := "Authority"
		if c.cfg.MetadataURL != "" {
			field = "MetadataURL"
		}
		return fmt.Sprintf("cannot fetch the discovery document at %s: %s: is the host and port of %s right? Is the provider running?", de.URL, np, field)
	}
	return fmt.Sprintf("cannot use the discovery document at %s: %s", de.URL, de.Detail)
}

// issuer records the "issuer" finding for metadata that New accepts.
func (c *checker) issuer(md *ProviderMetadata) {
	cfg := c.cfg
	switch {
	case isTenantTemplate(md.Issuer):
		if p := tenantConfigProblem(md.Issuer, cfg); p != nil {
			c.add("issuer", CheckFail, "AllowedTenants: "+p.Problems[0].Message)
			return
		}
		who := "sign-in is limited to the tenants " + strings.Join(cfg.AllowedTenants, ", ")
		if cfg.AllowAnyTenant {
			who = "users of every tenant may sign in (AllowAnyTenant); link accounts by issuer and sub only"
		}
		c.add("issuer", CheckOK, fmt.Sprintf("multi-tenant issuer %q: %s", md.Issuer, who))
		for _, t := range cfg.AllowedTenants {
			if !isGUID(t) {
				c.add("issuer", CheckWarn, fmt.Sprintf("AllowedTenants entry %q is not a tenant ID: tokens name their tenant by its ID (a GUID, as shown in the Entra admin center), so it never matches", t))
			}
		}
	case c.manual:
		c.add("issuer", CheckOK, fmt.Sprintf("configured by hand: ID tokens must carry exactly %q", md.Issuer))
	case cfg.Authority == "":
		c.add("issuer", CheckOK, fmt.Sprintf("taken from the discovery document (Authority is not set): ID tokens must carry exactly %q", md.Issuer))
	default:
		c.add("issuer", CheckOK, fmt.Sprintf("issuer matches: ID tokens must carry exactly %q", md.Issuer))
	}
}

// isGUID reports whether s looks like 00000000-0000-0000-0000-000000000000.
func isGUID(s string) bool {
	h := strings.ReplaceAll(s, "-", "")
	return len(s) == 36 && len(h) == 32 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
		strings.Trim(h, "0123456789abcdefABCDEF") == ""
}

// responseType checks the response type against response_types_supported,
// ignoring the order of its parts.
func (c *checker) responseType(md *ProviderMetadata) {
	rt := c.cfg.responseType()
	norm := func(s string) string { f := strings.Fields(s); slices.Sort(f); return strings.Join(f, " ") }
	switch {
	case len(md.ResponseTypesSupported) == 0:
		c.unknown("response_type", "response_types_supported", fmt.Sprintf("assuming it supports %q", rt))
	case slices.ContainsFunc(md.ResponseTypesSupported, func(s string) bool { return norm(s) == norm(rt) }):
		c.add("response_type", CheckOK, fmt.Sprintf("the provider supports response type %q", rt))
	default:
		c.add("response_type", CheckFail, fmt.Sprintf("the provider supports the response types %q, not %q: set ResponseType to one of them (code is recommended)", md.ResponseTypesSupported, rt))
	}
}

// responseMode checks the response mode against response_modes_supported,
// whose default is query and fragment (OpenID Connect Discovery 1.0).
func (c *checker) responseMode(md *ProviderMetadata) {
	rm, modes := c.cfg.responseMode(), md.ResponseModesSupported
	switch {
	case slices.Contains(modes, rm):
		c.add("response_mode", CheckOK, fmt.Sprintf("the provider supports response mode %q", rm))
	case len(modes) > 0:
		c.add("response_mode", CheckFail, fmt.Sprintf("the provider supports the response modes %q, not %q: set ResponseMode to one of them", modes, rm))
	case rm == "query" || rm == "fragment":
		c.add("response_mode", CheckOK, fmt.Sprintf("response mode %q, which every provider supports", rm))
	default:
		c.unknown("response_mode", "response_modes_supported", fmt.Sprintf("only query and fragment are certain, so %q may not work: try a sign-in", rm))
	}
}

// scopes checks that "openid" is requested and that the provider lists
// every scope; md may be nil.
func (c *checker) scopes(md *ProviderMetadata) {
	scopes := c.cfg.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	n := len(c.report.Findings)
	if !slices.Contains(scopes, "openid") {
		c.add("scopes", CheckFail, `"openid" is not requested: add it to Scopes, or the provider returns no ID token`)
	}
	if md != nil && len(md.ScopesSupported) > 0 {
		for _, s := range scopes {
			if !slices.Contains(md.ScopesSupported, s) {
				c.add("scopes", CheckWarn, fmt.Sprintf("scope %q is not in the provider's scopes_supported: it may be ignored or refused; check that the provider knows it", s))
			}
		}
	}
	if slices.Contains(scopes, "offline_access") && !slices.Contains(strings.Fields(c.cfg.Prompt), "consent") {
		c.add("scopes", CheckWarn, `scope "offline_access" asks for a refresh token, but many providers issue none for it unless the authorization request also has prompt=consent (OpenID Connect Core section 11): set Prompt to "consent", or make sure this provider issues refresh tokens without it`)
	}
	if len(c.report.Findings) == n {
		c.add("scopes", CheckOK, "requesting "+strings.Join(scopes, " "))
	}
}

// pkce checks PKCE (S256) support, for response types with a code.
func (c *checker) pkce(md *ProviderMetadata) {
	if !responseTypeHas(c.cfg.responseType(), "code") {
		return
	}
	methods := md.CodeChallengeMethodsSupported
	s256 := slices.Contains(methods, "S256")
	switch {
	case c.cfg.DisablePKCE && s256:
		c.add("pkce", CheckWarn, "PKCE is turned off (DisablePKCE) although the provider supports S256: turn DisablePKCE off")
	case c.cfg.DisablePKCE:
		c.add("pkce", CheckOK, "PKCE is turned off (DisablePKCE)")
	case s256:
		c.add("pkce", CheckOK, "the provider supports PKCE with S256")
	case len(methods) == 0:
		c.unknown("pkce", "PKCE (code_challenge_methods_supported)", "PKCE is sent anyway, and the provider may ignore it")
	default:
		c.add("pkce", CheckFail, fmt.Sprintf("the provider supports PKCE only with %q, not S256: turn DisablePKCE on or enable PKCE with S256 at the provider", methods))
	}
}

// clientAuth checks the token endpoint authentication method against
// token_endpoint_auth_methods_supported (default client_secret_basic).
func (c *checker) clientAuth(md *ProviderMetadata) {
	method, methods := c.cfg.clientAuth(md), md.TokenEndpointAuthMethodsSupported
	switch {
	case c.manual:
		c.add("client_auth", CheckOK, fmt.Sprintf("the client authenticates with %s (not checked: Endpoints are configured by hand)", method))
	case len(methods) == 0 && method != "client_secret_basic":
		c.add("client_auth", CheckFail, fmt.Sprintf("the provider does not advertise token_endpoint_auth_methods_supported, which means client_secret_basic only, but the client would use %s: set ClientAuth to client_secret_basic (with ClientSecret)", method))
	case len(methods) > 0 && !slices.Contains(methods, method):
		c.add("client_auth", CheckFail, fmt.Sprintf("the client would authenticate with %s, but the provider supports %q: set ClientAuth (and ClientSecret or ClientKey) to match", method, methods))
	default:
		c.add("client_auth", CheckOK, "the client authenticates at the token endpoint with "+method)
	}
}

// redirectURL checks the redirect URL, unless the config findings already
// refused it, and asks the provider whether it is registered; md may be
// nil, and then only the offline part runs.
func (c *checker) redirectURL(ctx context.Context, md *ProviderMetadata) {
	if c.bad["RedirectURL"] {
		return
	}
	if u, err := url.Parse(c.cfg.RedirectURL); err == nil && u.Scheme == "http" {
		c.add("redirect_url", CheckWarn, "plain http on a loopback address is fine for development only; use https in production")
	}
	if md != nil && !c.bad["ClientID"] {
		c.probeRedirect(ctx, md)
	}
}
