package rp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/oidcrp/rp/internal/loopback"
	"github.com/oidcrp/rp/internal/netlimit"
)

// IssuerRel is the WebFinger link relation of an OpenID Connect issuer
// (OpenID Connect Discovery 1.0 section 2).
const IssuerRel = "http://openid.net/specs/connect/1.0/issuer"

// WebFinger issuer discovery failures. Every error of DiscoverIssuer
// matches ErrWebFinger and exactly one of the others with errors.Is.
var (
	ErrWebFinger = errors.New("rp: WebFinger issuer discovery failed")
	// ErrWebFingerAddress: the input is not an email address whose
	// domain can be asked.
	ErrWebFingerAddress = errors.New("rp: not an email address to look up")
	// ErrWebFingerUnavailable: the domain's WebFinger service could not
	// be reached, took too long, redirected off https, or did not answer
	// 200 OK.
	ErrWebFingerUnavailable = errors.New("rp: WebFinger service unavailable")
	// ErrWebFingerTooLarge: the answer exceeds MaxWebFingerSize.
	ErrWebFingerTooLarge = errors.New("rp: WebFinger answer too large")
	// ErrWebFingerMalformed: the answer is not one JSON Resource
	// Descriptor (RFC 7033 section 4.4), or names several issuers.
	ErrWebFingerMalformed = errors.New("rp: WebFinger answer is not a valid JRD")
	// ErrWebFingerNoIssuer: the answer has no link of relation IssuerRel.
	ErrWebFingerNoIssuer = errors.New("rp: WebFinger answer names no issuer")
	// ErrWebFingerInsecureIssuer: the issuer link's href is not an https
	// URL without query or fragment.
	ErrWebFingerInsecureIssuer = errors.New("rp: WebFinger issuer is not an https URL")
)

// MaxWebFingerSize bounds the WebFinger answer DiscoverIssuer reads.
const MaxWebFingerSize = 32 << 10

// maxEmail bounds the address DiscoverIssuer looks up.
const maxEmail = 320

// WebFinger asks a domain which OpenID Connect issuer its users sign in
// with (OpenID Connect Discovery 1.0 section 2, RFC 7033), for an
// email-first sign-in page. The zero value is ready to use.
type WebFinger struct {
	// HTTPClient sends the request. Default http.DefaultClient's
	// transport. Its transport is wrapped so that the answer is cut off
	// past MaxWebFingerSize and the request past Timeout, as the RP's
	// provider calls are. The domain comes from the address a browser
	// typed: give the client of a github.com/oidcrp/rp/outbound Policy,
	// which refuses private and cloud metadata addresses and redirects to
	// other hosts (its CheckRedirect is asked after DiscoverIssuer's own
	// https-only rule).
	HTTPClient *http.Client

	// Timeout bounds the request, redirects included, on top of the
	// deadline of its context (and of HTTPClient.Timeout when shorter).
	// Default DefaultHTTPTimeout.
	Timeout time.Duration

	// Observer, when set, is told of the request as a ProviderCall of
	// EndpointWebFinger. Its Issuer and ServerAddress are empty: the
	// domain is the browser's, not the configuration's, and must not
	// become a metric label.
	Observer Observer
}

// DiscoverIssuer finds the issuer of email with WebFinger{HTTPClient:
// client}; see WebFinger.DiscoverIssuer.
func DiscoverIssuer(ctx context.Context, client *http.Client, email string) (string, error) {
	return WebFinger{HTTPClient: client}.DiscoverIssuer(ctx, email)
}

// DiscoverIssuer finds the OpenID Connect issuer of an email address by
// WebFinger: it asks
// https://<domain>/.well-known/webfinger?resource=acct:<email>&rel=IssuerRel
// and returns the href of the answer's issuer link. Use the issuer as an
// Authority only for a provider the application trusts: WebFinger says
// which provider the domain uses, not that the application should accept
// it.
//
// The request is made over https only, within ctx and f.Timeout;
// redirects are followed only to https URLs, at most three. The answer
// must be 200 OK, at most MaxWebFingerSize bytes, one JSON object
// (content type application/jrd+json or application/json) whose links
// are objects with string rel and href. The issuer must be an absolute
// https URL without user, query or fragment; http is accepted only for a
// loopback issuer named by a loopback domain, which is how tests run.
// Several different issuer links are refused. Errors match ErrWebFinger
// and one of the ErrWebFinger* kinds (a request that ran out of time is
// ErrWebFingerUnavailable and matches context.DeadlineExceeded too, one
// the outbound policy refused matches its error); they never hold the
// answer's body.
func (f WebFinger) DiscoverIssuer(ctx context.Context, email string) (string, error) {
	fail := func(kind error, format string, args ...any) error {
		return fmt.Errorf("%w: %w: %s", ErrWebFinger, kind, fmt.Sprintf(format, args...))
	}
	failed := func(kind error, cause error, format string, args ...any) error {
		return fmt.Errorf("%w: %w: %s: %w", ErrWebFinger, kind, fmt.Sprintf(format, args...), cause)
	}
	domain, ok := emailDomain(email)
	if !ok {
		return "", fail(ErrWebFingerAddress, "expected an address such as user@example.com")
	}
	u := url.URL{Scheme: "https", Host: domain, Path: "/.well-known/webfinger",
		RawQuery: url.Values{"resource": {"acct:" + email}, "rel": {IssuerRel}}.Encode()}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	req, err := http.NewRequestWithContext(observedNoHost(ctx, f.Observer, EndpointWebFinger, ""), http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fail(ErrWebFingerAddress, "cannot build a request for domain %q", domain)
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	c := netlimit.Client(f.HTTPClient, MaxWebFingerSize, timeout)
	next := c.CheckRedirect
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if r.URL.Scheme != "https" {
			return errors.New("redirected off https")
		}
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		if next != nil {
			return next(r, via)
		}
		return nil
	}
	resp, err := c.Do(req)
	if errors.Is(err, netlimit.ErrTooLarge) {
		return "", fail(ErrWebFingerTooLarge, "the answer of %s exceeds %d bytes", domain, MaxWebFingerSize)
	}
	if err != nil {
		return "", failed(ErrWebFingerUnavailable, err, "request to %s failed", domain)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fail(ErrWebFingerUnavailable, "%s answered %s, not 200 OK", domain, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if errors.Is(err, netlimit.ErrTooLarge) {
		return "", fail(ErrWebFingerTooLarge, "the answer of %s exceeds %d bytes", domain, MaxWebFingerSize)
	}
	if err != nil {
		return "", failed(ErrWebFingerUnavailable, err, "reading the answer of %s failed", domain)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/jrd+json" && mt != "application/json" {
		return "", fail(ErrWebFingerMalformed, "the answer of %s has content type %q, not application/jrd+json", domain, mt)
	}
	issuer, msg, kind := jrdIssuer(body)
	if kind != nil {
		return "", fail(kind, "the answer of %s: %s", domain, msg)
	}
	if msg := issuerProblem(issuer, domain); msg != "" {
		return "", fail(ErrWebFingerInsecureIssuer, "the answer of %s: %s", domain, msg)
	}
	return issuer, nil
}

// jrdLink is one link of a JRD; only rel and href matter here.
type jrdLink struct {
	Rel  *string `json:"rel"`
	Href *string `json:"href"`
}

// jrdIssuer returns the href of the issuer link of the JRD body, or the
// kind of its problem (ErrWebFingerMalformed or ErrWebFingerNoIssuer) and
// what it is.
func jrdIssuer(body []byte) (string, string, error) {
	bad := func(kind error, msg string) (string, string, error) { return "", msg, kind }
	dec := json.NewDecoder(bytes.NewReader(body))
	var doc struct {
		Links *[]json.RawMessage `json:"links"`
	}
	if err := dec.Decode(&doc); err != nil || !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
		return bad(ErrWebFingerMalformed, "not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad(ErrWebFingerMalformed, "data after the JSON object")
	}
	if doc.Links == nil {
		return bad(ErrWebFingerNoIssuer, "no links")
	}
	issuer := ""
	for _, raw := range *doc.Links {
		var l jrdLink
		if err := json.Unmarshal(raw, &l); err != nil || !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
			return bad(ErrWebFingerMalformed, "a link is not an object with string rel and href")
		}
		if l.Rel == nil {
			return bad(ErrWebFingerMalformed, "a link has no rel")
		}
		if *l.Rel != IssuerRel {
			continue
		}
		if l.Href == nil || *l.Href == "" {
			return bad(ErrWebFingerMalformed, "the issuer link has no href")
		}
		if issuer != "" && issuer != *l.Href {
			return bad(ErrWebFingerMalformed, "several different issuer links")
		}
		issuer = *l.Href
	}
	if issuer == "" {
		return bad(ErrWebFingerNoIssuer, "no link of relation "+IssuerRel)
	}
	return issuer, "", nil
}

// issuerProblem says what is wrong with issuer as an issuer found at
// domain, or "".
func issuerProblem(issuer, domain string) string {
	u, err := url.Parse(issuer)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return "the issuer is not an absolute URL"
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#"):
		return "the issuer URL has a user, query or fragment"
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && loopback.Host(u.Hostname()) && loopback.Host(hostOnly(domain)):
		return ""
	}
	return fmt.Sprintf("the issuer has scheme %q, not https", u.Scheme)
}

// hostOnly is the host of a host[:port].
func hostOnly(hostport string) string {
	u := url.URL{Host: hostport}
	return u.Hostname()
}

// emailDomain returns the domain (host, with a port if given) of an email
// address of at most maxEmail bytes: a non-empty local part without
// spaces or control characters, '@', and a host name or IP address.
func emailDomain(email string) (string, bool) {
	at := strings.LastIndexByte(email, '@')
	if len(email) > maxEmail || at <= 0 || at == len(email)-1 {
		return "", false
	}
	for _, r := range email {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "", false
		}
	}
	domain := strings.ToLower(email[at+1:])
	u, err := url.Parse("https://" + domain + "/")
	if err != nil || u.Host != domain || u.User != nil || u.Hostname() == "" {
		return "", false
	}
	for _, r := range u.Hostname() {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':') {
			return "", false
		}
	}
	return domain, true
}
