package connection

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/oidcrp/rp"
)

// Errors of DomainVerifier.Verify.
var (
	// ErrDomainNotVerified: the domain has no TXT record at the challenge
	// name holding the expected value.
	ErrDomainNotVerified = errors.New("connection: domain ownership not proved: the TXT record is missing or holds another value")
	// ErrDomainLookup: the DNS lookup failed (timeout, server failure).
	// The domain counts as not verified; try again later.
	ErrDomainLookup = errors.New("connection: DNS lookup of the domain's TXT record failed; the domain is not verified")
)

const (
	// challengeLabel prefixes the domain in the name of the TXT record.
	challengeLabel = "_rp-challenge."
	// challengePrefix starts the TXT record's value.
	challengePrefix = "rp-domain-verification="
	// DefaultVerifyTimeout bounds Verify's DNS lookup when its context
	// has no earlier deadline.
	DefaultVerifyTimeout = 5 * time.Second
)

// TXTLookup looks up the TXT records of a DNS name. *net.Resolver
// implements it.
type TXTLookup interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

var _ TXTLookup = (*net.Resolver)(nil)

// DomainVerifier issues and checks proofs that a connection's
// administrator controls an email domain: a DNS TXT record holding a
// value derived from Key, the connection's name and the domain. Nobody
// without Key can compute the value for another connection, so the
// verifier keeps no state. A wildcard domain "*.example.com" is proved
// at example.com.
type DomainVerifier struct {
	// Key derives the challenge values (HMAC-SHA256): at least 32 random
	// bytes, the same on every instance, kept secret. Changing it
	// invalidates the challenges issued before (not the domains already
	// verified).
	Key rp.Secret

	// Lookup resolves TXT records. Default net.DefaultResolver.
	Lookup TXTLookup
}

// Challenge returns the TXT record that proves the connection name owns
// domain: its DNS name, "_rp-challenge." + domain (without "*." for a
// wildcard), and its value, "rp-domain-verification=" and a token. It
// fails when Key is shorter than 32 bytes, name is not a valid
// connection name, or domain is not valid (ErrInvalidDomain).
func (v *DomainVerifier) Challenge(name, domain string) (record, value string, err error) {
	if len(v.Key) < 32 {
		return "", "", errors.New("connection: DomainVerifier.Key must be at least 32 random bytes")
	}
	if !namePattern.MatchString(name) {
		return "", "", fmt.Errorf("connection: %q is not a connection name", truncate(name, 64))
	}
	norm, err := NormalizeDomain(domain)
	if err != nil {
		return "", "", err
	}
	base := strings.TrimPrefix(norm, "*.")
	mac := hmac.New(sha256.New, []byte(v.Key))
	mac.Write([]byte(name + "\x00" + base))
	return challengeLabel + base, challengePrefix + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Verify checks that the TXT record Challenge names holds the value it
// returns: nil when one of the records at that name equals it exactly.
// No record, or none with the value, is ErrDomainNotVerified; a failed
// lookup is an error matching ErrDomainLookup, and the domain is not
// verified either way (fail closed). The lookup is bounded by ctx and by
// DefaultVerifyTimeout. Errors of Challenge are returned as they are.
func (v *DomainVerifier) Verify(ctx context.Context, name, domain string) error {
	record, value, err := v.Challenge(name, domain)
	if err != nil {
		return err
	}
	lookup := v.Lookup
	if lookup == nil {
		lookup = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultVerifyTimeout)
	defer cancel()
	txts, err := lookup.LookupTXT(ctx, record)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return fmt.Errorf("%w: no TXT record at %s", ErrDomainNotVerified, record)
		}
		return fmt.Errorf("%w: %s: %w", ErrDomainLookup, record, err)
	}
	for _, txt := range txts {
		if hmac.Equal([]byte(txt), []byte(value)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no TXT record at %s holds the expected value", ErrDomainNotVerified, record)
}
