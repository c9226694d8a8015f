package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// DefaultDialTimeout bounds each connection attempt of the default
	// Dialer.
	DefaultDialTimeout = 10 * time.Second
	// MaxRedirects is how many same-host redirects a request follows.
	MaxRedirects = 5
)

// Client returns an *http.Client that enforces p on every request,
// redirect and connection.
//
// Its transport is a clone of base's *http.Transport (keeping its TLS
// configuration, timeouts and connection limits), or of
// http.DefaultTransport's when base is nil or its Transport is not an
// *http.Transport (a wrapping RoundTripper cannot be made to dial through
// the policy, so it is not used). In the clone:
//
//   - DialContext resolves the host with p.Resolver, refuses the
//     connection if any address of the answer is refused (rather than
//     trying only the permitted ones: an answer that mixes public and
//     private addresses is the mark of a rebinding attack), and connects
//     to the checked addresses themselves, never resolving again; a
//     literal address in the URL is checked the same way;
//   - the Dialer's Control hook checks the socket's address once more;
//   - Proxy is nil, so HTTP_PROXY, HTTPS_PROXY and a proxy of base are
//     not used (a proxy would connect where the policy cannot look), and
//     base's DialTLSContext is dropped (it would bypass the check);
//   - TLS still verifies the certificate against the URL's host name.
//
// The client refuses a URL scheme other than https (or http with
// AllowHTTP) before resolving anything, follows a redirect only to the
// same scheme, host and port as the request it started with, at most
// MaxRedirects times, and then asks base's CheckRedirect, if any. It keeps
// base's Jar and Timeout. The library's own provider calls wrap this
// client further (rp.Config.HTTPClient bounds response sizes and times).
func (p Policy) Client(base *http.Client) *http.Client {
	p.Allow = slices.Clone(p.Allow)
	d := p.netDialer()
	p.Dialer = nil
	var tr *http.Transport
	c := &http.Client{CheckRedirect: sameOrigin(nil)}
	if base != nil {
		if t, ok := base.Transport.(*http.Transport); ok {
			tr = t.Clone()
		}
		c.Jar = base.Jar
		c.Timeout = base.Timeout
		c.CheckRedirect = sameOrigin(base.CheckRedirect)
	}
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.Proxy = nil
	tr.OnProxyConnectResponse = nil
	tr.DialTLSContext = nil
	//lint:ignore SA1019 the deprecated DialTLS still dials when set, bypassing DialContext
	tr.DialTLS = nil
	dl := &dialer{policy: p, net: d}
	tr.DialContext = dl.DialContext
	c.Transport = &transport{policy: p, base: tr}
	return c
}

// netDialer returns a copy of p's Dialer, or the default, whose Control
// hook checks the socket's address after the Dialer's own.
func (p Policy) netDialer() *net.Dialer {
	d := &net.Dialer{Timeout: DefaultDialTimeout}
	if p.Dialer != nil {
		cp := *p.Dialer
		d = &cp
	}
	p.Dialer = nil
	if own := d.ControlContext; own != nil {
		d.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
			if err := own(ctx, network, address, c); err != nil {
				return err
			}
			return p.control(network, address, c)
		}
		return d
	}
	own := d.Control
	d.Control = func(network, address string, c syscall.RawConn) error {
		if own != nil {
			if err := own(network, address, c); err != nil {
				return err
			}
		}
		return p.control(network, address, c)
	}
	return d
}

// CheckURL checks rawURL against p without connecting: its scheme, and
// every address its host resolves to now. It lets a settings page report
// a refused URL before saving; the client checks again at every
// connection, since DNS answers change.
func (p Policy) CheckURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("outbound: the URL cannot be parsed: %w", err)
	}
	if err := p.checkScheme(u); err != nil {
		return err
	}
	if u.Hostname() == "" {
		return fmt.Errorf("outbound: the URL has no host")
	}
	_, err = p.resolve(ctx, u.Hostname())
	return err
}

// checkScheme refuses u unless its scheme is https, or http with
// AllowHTTP.
func (p Policy) checkScheme(u *url.URL) error {
	scheme := strings.ToLower(u.Scheme)
	if scheme == "https" || (scheme == "http" && p.AllowHTTP) {
		return nil
	}
	only := "only https is allowed"
	if p.AllowHTTP {
		only = "only https and http are allowed"
	}
	return fmt.Errorf("outbound: %s: %w (%s)", schemeHost(u), ErrForbiddenScheme, only)
}

// resolve returns the addresses of host, all of them checked: a literal
// address is checked as it is; a name is resolved and refused when any of
// its addresses is.
func (p Policy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if addr, err := netip.ParseAddr(host); err == nil {
		if err := p.check("", addr); err != nil {
			return nil, err
		}
		return []netip.Addr{addr}, nil
	}
	addrs, err := p.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for _, a := range addrs {
		if err := p.check(host, a); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// control checks the address of a socket about to connect.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("outbound: cannot read the socket address %q: %w", address, ErrForbiddenAddress)
	}
	return p.check("", ap.Addr())
}

// dialer connects to checked addresses only.
type dialer struct {
	policy Policy
	net    *net.Dialer
}

// DialContext resolves and checks address's host, then dials its
// addresses in turn until one answers.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("outbound: invalid port %q", portText)
	}
	addrs, err := d.policy.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		a = a.Unmap()
		if (network == "tcp4" && !a.Is4()) || (network == "tcp6" && !a.Is6()) {
			continue
		}
		conn, err := d.net.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if first == nil {
		first = &net.OpError{Op: "dial", Net: network, Err: errors.New("no address of " + host + " fits " + network)}
	}
	return nil, first
}

// transport refuses forbidden schemes before the request is sent.
type transport struct {
	policy Policy
	base   *http.Transport
}

// RoundTrip sends req through the policy's transport, or refuses its
// scheme.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.policy.checkScheme(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections closes the transport's idle connections.
func (t *transport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// sameOrigin is a CheckRedirect that follows redirects to the first
// request's scheme, host and port only, at most MaxRedirects times, then
// asks next, if any.
func sameOrigin(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("outbound: stopped after %d redirects: %w", MaxRedirects, ErrRedirect)
		}
		from := via[0].URL
		if origin(req.URL) != origin(from) {
			return fmt.Errorf("outbound: redirect from %s to %s: %w (only redirects to the same scheme, host and port are followed)", schemeHost(from), schemeHost(req.URL), ErrRedirect)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// origin is u's scheme, host and port, the port written out when it is
// the scheme's default, e.g. "https://idp.example.com:443".
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[scheme]
	}
	host := strings.ToLower(u.Hostname())
	if port == "" {
		return scheme + "://" + host
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// schemeHost is u without its path, query and fragment, for messages.
func schemeHost(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}
