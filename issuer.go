package rp

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// tenantPlaceholder is how Microsoft Entra's multi-tenant discovery
// documents ("common", "organizations", "consumers") write the tenant in
// their issuer, e.g. "https://login.microsoftonline.com/{tenantid}/v2.0".
const tenantPlaceholder = "{tenantid}"

// Google's issuer, which Google's ID tokens sometimes spell without the
// scheme (OpenID Connect Core 15.6.2 allows exactly this variant).
const (
	googleIssuer         = "https://accounts.google.com"
	googleIssuerNoScheme = "accounts.google.com"
)

// issuerPolicy decides which "iss" values an ID token may carry: exactly
// the provider's issuer; for Google also its scheme-less spelling; for an
// Entra multi-tenant template, the template with the token's own tid, for
// an allowed tenant.
type issuerPolicy struct {
	issuer         string // exact issuer, or a template with tenantPlaceholder
	allowedTenants []string
	anyTenant      bool
}

func (p *issuerPolicy) isTemplate() bool { return isTenantTemplate(p.issuer) }

// isTenantTemplate reports whether issuer is an Entra-style template: an
// absolute URL whose host is fixed and one of whose path segments is
// exactly tenantPlaceholder. A placeholder anywhere else (in the host, or
// inside a segment) would let a token's tid choose another server.
func isTenantTemplate(issuer string) bool {
	u, err := url.Parse(strings.Replace(issuer, tenantPlaceholder, "tenant", 1))
	if err != nil || !u.IsAbs() || u.Host == "" || strings.Count(issuer, tenantPlaceholder) != 1 {
		return false
	}
	prefix, _, _ := strings.Cut(issuer, tenantPlaceholder)
	after := issuer[len(prefix)+len(tenantPlaceholder):]
	return strings.HasSuffix(prefix, "/") && len(prefix) > len(u.Scheme+"://"+u.Host) &&
		(after == "" || strings.HasPrefix(after, "/"))
}

// check returns nil when iss is acceptable for a token with claims.
func (p *issuerPolicy) check(iss string, claims map[string]any) error {
	if !p.isTemplate() {
		if iss == p.issuer || (p.issuer == googleIssuer && iss == googleIssuerNoScheme) {
			return nil
		}
		return idTokenError(ErrIDTokenIssuer, nil, "iss is %q, expected %q", iss, p.issuer)
	}
	tid, _ := claims["tid"].(string)
	if tid == "" || strings.ContainsAny(tid, "/?#{}") {
		return idTokenError(ErrIDTokenIssuer, nil, "the token has no usable tid, so its issuer cannot be checked against %q", p.issuer)
	}
	if want := strings.Replace(p.issuer, tenantPlaceholder, tid, 1); iss != want {
		return idTokenError(ErrIDTokenIssuer, nil, "iss is %q, but the token's tenant %q means %q", iss, tid, want)
	}
	return p.checkTenant(tid)
}

// checkTenant refuses tenants outside AllowedTenants.
func (p *issuerPolicy) checkTenant(tid string) error {
	if p.anyTenant || slices.ContainsFunc(p.allowedTenants, func(t string) bool { return strings.EqualFold(t, tid) }) {
		return nil
	}
	return idTokenError(ErrTenantNotAllowed, nil, "tenant %q is not in AllowedTenants", tid)
}

// checkResponseIss checks the RFC 9207 iss parameter of an authorization
// response: the exact issuer, or for a template one with an allowed tenant.
func (p *issuerPolicy) checkResponseIss(iss string) bool {
	if iss == p.issuer {
		// Also a template's literal text, which is its issuer identifier.
		return true
	}
	if !p.isTemplate() {
		return false
	}
	prefix, suffix, _ := strings.Cut(p.issuer, tenantPlaceholder)
	tid, ok := strings.CutPrefix(iss, prefix)
	if !ok {
		return false
	}
	tid, ok = strings.CutSuffix(tid, suffix)
	return ok && tid != "" && !strings.ContainsAny(tid, "/?#") && p.checkTenant(tid) == nil
}

// sameIssuer reports whether a discovery document's issuer matches the
// configured authority: equal, or equal but for one trailing slash; for an
// Entra template issuer, the authority must be the same template with
// "common", "organizations" or "consumers" (or a tenant) in its place.
func sameIssuer(doc, authority string) bool {
	if doc == authority || doc+"/" == authority || doc == authority+"/" {
		return true
	}
	if !isTenantTemplate(doc) {
		return false
	}
	prefix, suffix, _ := strings.Cut(doc, tenantPlaceholder)
	authority = strings.TrimSuffix(authority, "/")
	suffix = strings.TrimSuffix(suffix, "/")
	tenant, ok := strings.CutPrefix(authority, prefix)
	if !ok {
		return false
	}
	tenant, ok = strings.CutSuffix(tenant, suffix)
	return ok && tenant != "" && !strings.ContainsAny(tenant, "/?#")
}

// tenantConfigProblem reports a template issuer configured without a
// tenant decision.
func tenantConfigProblem(issuer string, c *Config) *ConfigError {
	if !isTenantTemplate(issuer) || len(c.AllowedTenants) > 0 || c.AllowAnyTenant {
		return nil
	}
	return &ConfigError{Problems: []ConfigProblem{{Field: "AllowedTenants", Message: fmt.Sprintf(
		"the provider's issuer %q is multi-tenant: list the tenant IDs whose users may sign in, or set AllowAnyTenant deliberately", issuer)}}}
}
