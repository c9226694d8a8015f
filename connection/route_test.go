package connection

import (
	"errors"
	"strings"
	"testing"
)

func conn(name string, enabled bool, domains ...EmailDomain) Settings {
	return Settings{Name: name, Enabled: enabled, EmailDomains: domains}
}

func TestRoute(t *testing.T) {
	conns := []Settings{
		conn("acme", true, EmailDomain{Domain: "acme.com", Verified: true}, EmailDomain{Domain: "*.acme.com", Verified: true}),
		conn("acme-eu", true, EmailDomain{Domain: "eu.acme.com"}),
		conn("wild-a", true, EmailDomain{Domain: "*.multi.example"}),
		conn("wild-b", true, EmailDomain{Domain: "*.b.multi.example"}),
		conn("off", false, EmailDomain{Domain: "off.example"}),
		conn("upper", true, EmailDomain{Domain: "Upper.EXAMPLE."}),
		conn("consumer", true, EmailDomain{Domain: "gmail.com"}),
		conn("dup1", true, EmailDomain{Domain: "dup.example"}),
		conn("dup2", true, EmailDomain{Domain: "dup.example"}),
	}
	cases := []struct {
		email string
		opts  RouteOptions
		want  string
		err   error
	}{
		{"jo@acme.com", RouteOptions{}, "acme", nil},
		{"Jo@ACME.COM", RouteOptions{}, "acme", nil},
		{"jo@acme.com.", RouteOptions{}, "acme", nil},
		{"jo@sales.acme.com", RouteOptions{}, "acme", nil},
		{"jo@x.y.acme.com", RouteOptions{}, "acme", nil},
		{"jo@eu.acme.com", RouteOptions{}, "acme-eu", nil},                   // exact beats wildcard
		{"jo@eu.acme.com", RouteOptions{RequireVerified: true}, "acme", nil}, // unverified exact ignored
		{"jo@a.multi.example", RouteOptions{}, "wild-a", nil},                // one wildcard
		{"jo@c.b.multi.example", RouteOptions{}, "", ErrAmbiguousDomain},     // two wildcards
		{"jo@multi.example", RouteOptions{}, "", ErrNoConnectionForDomain},   // wildcard is not the parent
		{"jo@b.multi.example", RouteOptions{}, "wild-a", nil},                // *.b.multi.example does not match b.multi.example
		{"jo@dup.example", RouteOptions{}, "", ErrAmbiguousDomain},           // never a pick
		{"jo@off.example", RouteOptions{}, "", ErrNoConnectionForDomain},     // disabled
		{"jo@upper.example", RouteOptions{}, "upper", nil},                   // stored unnormalized
		{"jo@upper.example", RouteOptions{RequireVerified: true}, "", ErrNoConnectionForDomain},
		{"jo@gmail.com", RouteOptions{}, "", ErrConsumerDomain},
		{"jo@GMAIL.com.", RouteOptions{}, "", ErrConsumerDomain},
		{"jo@other.example", RouteOptions{}, "", ErrNoConnectionForDomain},
		{"jo@xacme.com", RouteOptions{}, "", ErrNoConnectionForDomain},
		{"jo@acme.com.evil.example", RouteOptions{}, "", ErrNoConnectionForDomain},
		{"a@b@acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"@acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@", RouteOptions{}, "", ErrInvalidEmail},
		{"", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@acme", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@acme..com", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@acme.com..", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@.acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@*.acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@аcme.com", RouteOptions{}, "", ErrInvalidEmail},      // Cyrillic а
		{"jo@\u212Acme.com", RouteOptions{}, "", ErrInvalidEmail}, // Kelvin sign lower-cases to k
		{"jo@acme.com\x00", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@acme.com ", RouteOptions{}, "", ErrInvalidEmail},
		{" jo@acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"j o@acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"\"jo\"@acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@127.0.0.1", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@[127.0.0.1]", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@-acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", RouteOptions{}, "", ErrInvalidEmail}, // 255 bytes
		{strings.Repeat("a", 65) + "@acme.com", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@" + strings.Repeat("x", 64) + ".com", RouteOptions{}, "", ErrInvalidEmail},
		{"jo@" + strings.Repeat("a.", 5000) + "acme.com", RouteOptions{}, "", ErrInvalidEmail},
	}
	for _, c := range cases {
		got, err := Route(conns, c.email, c.opts)
		if c.err != nil {
			if !errors.Is(err, c.err) || got.Name != "" {
				t.Errorf("Route(%q, %+v) = %q, %v; want %v", c.email, c.opts, got.Name, err, c.err)
			}
			continue
		}
		if err != nil || got.Name != c.want {
			t.Errorf("Route(%q, %+v) = %q, %v; want %q", c.email, c.opts, got.Name, err, c.want)
		}
	}
	if _, err := Route(nil, "jo@acme.com", RouteOptions{}); !errors.Is(err, ErrNoConnectionForDomain) {
		t.Errorf("Route(nil) = %v; want ErrNoConnectionForDomain", err)
	}
	// The longest acceptable address routes.
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 59) + "." + strings.Repeat("d", 59) + ".acme.com"
	if len(long) > 254 {
		t.Fatalf("test address is %d bytes", len(long))
	}
	if got, err := Route(conns, long, RouteOptions{}); err != nil || got.Name != "acme" {
		t.Errorf("Route(long address) = %q, %v; want acme", got.Name, err)
	}
}

func TestNormalizeDomain(t *testing.T) {
	ok := map[string]string{
		"example.com": "example.com", "EXAMPLE.Com.": "example.com", "*.Example.com": "*.example.com",
		"xn--bcher-kva.example": "xn--bcher-kva.example", "a-b.c0.io": "a-b.c0.io", "a.b.c.d.co.uk": "a.b.c.d.co.uk",
	}
	for in, want := range ok {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", ".", "com", "*.com", "*", "*.", "**.example.com", "a.*.example.com", "*example.com",
		"exa mple.com", "bücher.example", "\u212Aelvin.example", "аcme.com", "a..b", ".example.com", "example.com..",
		"-a.example.com", "a-.example.com", "a_b.example.com", "1.2.3.4", "example.123",
		strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 130) + "com", "example.com/path", "user@example.com", "example.com:443"}
	for _, in := range bad {
		if got, err := NormalizeDomain(in); !errors.Is(err, ErrInvalidDomain) || got != "" {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want ErrInvalidDomain", in, got, err)
		}
	}
	_, err := NormalizeDomain("bücher.example")
	if want := `connection: invalid email domain: "bücher.example" contains non-ASCII characters; write an internationalized domain in its xn-- (punycode) form`; err == nil || err.Error() != want {
		t.Errorf("NormalizeDomain(bücher.example) = %v; want %q", err, want)
	}
}

func TestIsConsumerDomain(t *testing.T) {
	for _, d := range []string{"gmail.com", "GMail.COM", "gmail.com.", "*.gmail.com", "outlook.com", "hotmail.com", "live.com",
		"msn.com", "yahoo.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net",
		"web.de", "mail.ru", "yandex.ru", "qq.com", "163.com", "googlemail.com"} {
		if !IsConsumerDomain(d) {
			t.Errorf("IsConsumerDomain(%q) = false", d)
		}
	}
	if n := len(consumerDomains); n < 40 {
		t.Errorf("%d consumer domains; want about 40 or more", n)
	}
	for _, d := range []string{"acme.com", "gmail.co", "mygmail.com", "corp.gmail.com.evil", "microsoft.com", ""} {
		if IsConsumerDomain(d) {
			t.Errorf("IsConsumerDomain(%q) = true", d)
		}
	}
}
