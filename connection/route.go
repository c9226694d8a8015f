package connection

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Outcomes of Route other than a connection. Each says what the sign-in
// page should do instead: fall back to the provider chooser or to the
// application's password sign-in, as the application decides.
var (
	// ErrInvalidEmail: the address is not local@domain with a valid
	// domain (see NormalizeDomain).
	ErrInvalidEmail = errors.New("connection: not a valid email address")
	// ErrConsumerDomain: the address is at a consumer mail service
	// (IsConsumerDomain), which never routes to a connection.
	ErrConsumerDomain = errors.New("connection: email domain is a consumer mail service; it belongs to no organisation's connection")
	// ErrNoConnectionForDomain: no enabled connection owns the domain.
	ErrNoConnectionForDomain = errors.New("connection: no connection for this email domain")
	// ErrAmbiguousDomain: several enabled connections own the domain
	// (by exact domains given twice, or by several wildcards); Route
	// never picks one of them.
	ErrAmbiguousDomain = errors.New("connection: several connections match this email domain")
)

// maxEmailLen is the longest address Route reads (RFC 5321's path limit,
// less the angle brackets).
const maxEmailLen = 254

// RouteOptions tune Route.
type RouteOptions struct {
	// RequireVerified ignores domains whose ownership was not proved
	// (EmailDomain.Verified false), as if they were not listed.
	RequireVerified bool
}

// Route returns the connection of conns that owns the domain of the email
// address (home-realm discovery), for a sign-in page that asks for the
// address first; pass the address to the provider as the login hint.
// Disabled connections are left out. A connection listing the domain
// exactly wins; only without one are wildcards tried ("*.example.com"
// matches a.example.com and b.a.example.com, not example.com). Exactly one
// match is the result; none fails with ErrNoConnectionForDomain, several
// with ErrAmbiguousDomain. An address that is not local@domain, longer
// than 254 bytes, or whose domain NormalizeDomain rejects (non-ASCII
// look-alikes among them) fails with ErrInvalidEmail; an address at a
// consumer mail domain with ErrConsumerDomain, whatever conns say. The
// returned Settings share maps and slices with conns' element.
func Route(conns []Settings, email string, opts RouteOptions) (Settings, error) {
	domain, err := emailDomain(email)
	if err != nil {
		return Settings{}, err
	}
	if IsConsumerDomain(domain) {
		return Settings{}, fmt.Errorf("%w: %s", ErrConsumerDomain, domain)
	}
	var exact, wild []int
	for i := range conns {
		c := &conns[i]
		if !c.Enabled {
			continue
		}
		isExact, isWild := false, false
		for _, d := range c.EmailDomains {
			if opts.RequireVerified && !d.Verified {
				continue
			}
			norm, err := NormalizeDomain(d.Domain)
			if err != nil || IsConsumerDomain(norm) {
				continue
			}
			if norm == domain {
				isExact = true
			} else if base, ok := strings.CutPrefix(norm, "*."); ok && strings.HasSuffix(domain, "."+base) {
				isWild = true
			}
		}
		if isExact {
			exact = append(exact, i)
		} else if isWild {
			wild = append(wild, i)
		}
	}
	matches := exact
	if len(matches) == 0 {
		matches = wild
	}
	switch len(matches) {
	case 0:
		return Settings{}, fmt.Errorf("%w: %s", ErrNoConnectionForDomain, domain)
	case 1:
		return conns[matches[0]], nil
	default:
		return Settings{}, fmt.Errorf("%w: %s", ErrAmbiguousDomain, domain)
	}
}

// emailDomain returns the normalized domain of an email address.
func emailDomain(email string) (string, error) {
	if len(email) > maxEmailLen {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidEmail, maxEmailLen)
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return "", fmt.Errorf("%w: write it as name@example.com", ErrInvalidEmail)
	}
	if len(local) > 64 {
		return "", fmt.Errorf("%w: the part before @ is longer than 64 characters", ErrInvalidEmail)
	}
	for _, r := range local {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return "", fmt.Errorf("%w: the part before @ contains %q", ErrInvalidEmail, r)
		}
	}
	norm, err := normalizeHost(domain)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	return norm, nil
}
