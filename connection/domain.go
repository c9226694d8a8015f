package connection

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidDomain is matched by the errors of NormalizeDomain.
var ErrInvalidDomain = errors.New("connection: invalid email domain")

// maxDomainLen is the longest domain name DNS carries (RFC 1035, without
// the trailing dot).
const maxDomainLen = 253

// NormalizeDomain returns the email domain d in the form Settings and
// Route compare: lower case, without a trailing dot. d is a domain name of
// at least two labels, such as "example.com", or a wildcard "*.example.com"
// standing for every subdomain of example.com. Each label is 1 to 63
// letters, digits and hyphens, not starting or ending with a hyphen;
// internationalized names must be written in their ASCII ("xn--") form,
// so that look-alike letters from other scripts never pass for ASCII ones.
// Anything else fails with an error matching ErrInvalidDomain that says
// what to change.
func NormalizeDomain(d string) (string, error) {
	wildcard := strings.HasPrefix(d, "*.")
	host := d
	if wildcard {
		host = d[2:]
	}
	norm, err := normalizeHost(host)
	if err != nil {
		return "", err
	}
	if wildcard {
		return "*." + norm, nil
	}
	return norm, nil
}

// normalizeHost is NormalizeDomain for a plain domain name (no wildcard).
func normalizeHost(d string) (string, error) {
	if d == "" {
		return "", fmt.Errorf("%w: the domain is empty; write it as example.com or *.example.com", ErrInvalidDomain)
	}
	if len(d) > maxDomainLen+1 {
		return "", fmt.Errorf("%w: the domain is longer than %d characters", ErrInvalidDomain, maxDomainLen)
	}
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			return "", fmt.Errorf("%w: %q contains non-ASCII characters; write an internationalized domain in its xn-- (punycode) form", ErrInvalidDomain, d)
		}
	}
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if len(d) > maxDomainLen {
		return "", fmt.Errorf("%w: the domain is longer than %d characters", ErrInvalidDomain, maxDomainLen)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("%w: %q is not a domain with a dot, such as example.com", ErrInvalidDomain, d)
	}
	for _, l := range labels {
		if msg := labelProblem(l); msg != "" {
			return "", fmt.Errorf("%w: %q: %s", ErrInvalidDomain, d, msg)
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("%w: %q looks like an IP address; use the domain name of the email addresses", ErrInvalidDomain, d)
	}
	return d, nil
}

// labelProblem says what is wrong with one lower-case label, or "".
func labelProblem(l string) string {
	switch {
	case l == "":
		return "it has an empty label (two dots in a row, or a leading dot)"
	case len(l) > 63:
		return "a label is longer than 63 characters"
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Sprintf("label %q starts or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Sprintf("label %q contains %q; use only letters, digits and hyphens", l, c)
		}
	}
	return ""
}

// consumerDomains are mail services where anyone can get an address:
// their domains identify no organisation and never route to a connection.
var consumerDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true,
	"outlook.com": true, "hotmail.com": true, "hotmail.co.uk": true, "hotmail.fr": true,
	"live.com": true, "live.co.uk": true, "msn.com": true, "passport.com": true,
	"yahoo.com": true, "yahoo.co.uk": true, "yahoo.co.jp": true, "yahoo.fr": true, "yahoo.de": true,
	"ymail.com": true, "rocketmail.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true,
	"aol.com": true, "aim.com": true,
	"proton.me": true, "protonmail.com": true, "protonmail.ch": true, "pm.me": true,
	"gmx.de": true, "gmx.net": true, "gmx.com": true, "gmx.at": true, "gmx.ch": true,
	"web.de": true, "t-online.de": true, "freenet.de": true,
	"mail.com": true, "email.com": true,
	"mail.ru": true, "yandex.ru": true, "yandex.com": true, "rambler.ru": true,
	"qq.com": true, "163.com": true, "126.com": true, "sina.com": true, "yeah.net": true,
	"naver.com": true, "daum.net": true,
	"zoho.com": true, "tutanota.com": true, "tuta.io": true, "fastmail.com": true,
	"hey.com": true, "orange.fr": true, "free.fr": true, "laposte.net": true,
	"libero.it": true, "seznam.cz": true, "wp.pl": true, "o2.pl": true, "interia.pl": true,
}

// IsConsumerDomain reports whether domain (in any case, with or without a
// trailing dot) is one of a built-in list of consumer mail services, such
// as gmail.com, outlook.com, hotmail.com, yahoo.com, icloud.com,
// proton.me, gmx.de, mail.ru or qq.com, where anyone can open an address.
// Such domains are refused in Settings.EmailDomains and never route.
func IsConsumerDomain(domain string) bool {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(domain, "*."), "."))
	return consumerDomains[d]
}
