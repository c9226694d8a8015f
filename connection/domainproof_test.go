package connection

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeTXT answers TXT lookups from a map; a name mapped to an error fails.
type fakeTXT struct {
	records map[string][]string
	err     error
	asked   []string
	check   func(ctx context.Context)
}

func (f *fakeTXT) LookupTXT(ctx context.Context, name string) ([]string, error) {
	f.asked = append(f.asked, name)
	if f.check != nil {
		f.check(ctx)
	}
	if f.err != nil {
		return nil, f.err
	}
	if r, ok := f.records[name]; ok {
		return r, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

var proofKey = key('k')

func TestDomainChallenge(t *testing.T) {
	v := &DomainVerifier{Key: proofKey}
	record, value, err := v.Challenge("acme", "Acme.COM.")
	if err != nil {
		t.Fatal(err)
	}
	if record != "_rp-challenge.acme.com" || !strings.HasPrefix(value, "rp-domain-verification=") || len(value) != len("rp-domain-verification=")+43 {
		t.Fatalf("Challenge = %q, %q", record, value)
	}
	// A wildcard is proved at its base domain, with the same record.
	wr, wv, err := v.Challenge("acme", "*.acme.com")
	if err != nil || wr != record || wv != value {
		t.Fatalf("Challenge(*.acme.com) = %q, %q, %v; want %q, %q", wr, wv, err, record, value)
	}
	// The value depends on the connection, the domain and the key.
	_, other, _ := v.Challenge("acme2", "acme.com")
	_, otherDomain, _ := v.Challenge("acme", "acme.org")
	_, otherKey, _ := (&DomainVerifier{Key: key('j')}).Challenge("acme", "acme.com")
	if other == value || otherDomain == value || otherKey == value {
		t.Fatal("challenge values collide across connections, domains or keys")
	}
	// "ab"+"\x00"+"c.com" must not equal "a"+"\x00"+"bc.com" and the like.
	_, a, _ := v.Challenge("a", "bc.com")
	_, b, _ := v.Challenge("ab", "c.com")
	if a == b {
		t.Fatal("challenge values collide when name and domain shift")
	}
	if _, _, err := (&DomainVerifier{Key: "short"}).Challenge("acme", "acme.com"); err == nil || err.Error() != "connection: DomainVerifier.Key must be at least 32 random bytes" {
		t.Fatalf("Challenge with a short key = %v", err)
	}
	if _, _, err := v.Challenge("a/b", "acme.com"); err == nil || err.Error() != `connection: "a/b" is not a connection name` {
		t.Fatalf("Challenge with a bad name = %v", err)
	}
	if _, _, err := v.Challenge("acme", "bad_domain"); !errors.Is(err, ErrInvalidDomain) {
		t.Fatalf("Challenge with a bad domain = %v; want ErrInvalidDomain", err)
	}
}

func TestDomainVerify(t *testing.T) {
	issuer := &DomainVerifier{Key: proofKey}
	record, value, _ := issuer.Challenge("acme", "acme.com")
	_, otherValue, _ := issuer.Challenge("rival", "acme.com")
	cases := []struct {
		name    string
		records map[string][]string
		lookErr error
		domain  string
		want    error
	}{
		{"present", map[string][]string{record: {"v=spf1 -all", value}}, nil, "acme.com", nil},
		{"wildcard at its base", map[string][]string{record: {value}}, nil, "*.acme.com", nil},
		{"absent", nil, nil, "acme.com", ErrDomainNotVerified},
		{"empty", map[string][]string{record: {}}, nil, "acme.com", ErrDomainNotVerified},
		{"another connection's value", map[string][]string{record: {otherValue}}, nil, "acme.com", ErrDomainNotVerified},
		{"value with a suffix", map[string][]string{record: {value + "x"}}, nil, "acme.com", ErrDomainNotVerified},
		{"value with spaces", map[string][]string{record: {" " + value}}, nil, "acme.com", ErrDomainNotVerified},
		{"value at the domain itself", map[string][]string{"acme.com": {value}}, nil, "acme.com", ErrDomainNotVerified},
		{"server failure", nil, &net.DNSError{Err: "server misbehaving", Name: record, IsTemporary: true}, "acme.com", ErrDomainLookup},
		{"other error", nil, errors.New("boom"), "acme.com", ErrDomainLookup},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeTXT{records: c.records, err: c.lookErr}
			v := &DomainVerifier{Key: proofKey, Lookup: f}
			err := v.Verify(t.Context(), "acme", c.domain)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v; want nil", err)
				}
			} else if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v; want %v", err, c.want)
			}
			if c.want == ErrDomainLookup && errors.Is(err, ErrDomainNotVerified) {
				t.Fatalf("Verify = %v: a lookup failure must not read as a definite answer", err)
			}
			if len(f.asked) != 1 || f.asked[0] != record {
				t.Fatalf("looked up %q; want [%q]", f.asked, record)
			}
		})
	}
}

func TestDomainVerifyBounded(t *testing.T) {
	start := time.Now()
	f := &fakeTXT{check: func(ctx context.Context) {
		d, ok := ctx.Deadline()
		if !ok || d.Sub(start) > DefaultVerifyTimeout+time.Second {
			t.Errorf("lookup deadline = %v, %v; want within %v", d, ok, DefaultVerifyTimeout)
		}
	}, err: context.DeadlineExceeded}
	v := &DomainVerifier{Key: proofKey, Lookup: f}
	if err := v.Verify(t.Context(), "acme", "acme.com"); !errors.Is(err, ErrDomainLookup) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify with a lookup timing out = %v; want ErrDomainLookup wrapping the deadline", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f = &fakeTXT{check: func(ctx context.Context) {
		if ctx.Err() == nil {
			t.Error("the lookup's context is not the caller's")
		}
	}, err: context.Canceled}
	v.Lookup = f
	if err := v.Verify(ctx, "acme", "acme.com"); !errors.Is(err, ErrDomainLookup) {
		t.Fatalf("Verify with a canceled context = %v; want ErrDomainLookup", err)
	}
}
