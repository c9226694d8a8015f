// Package outbound limits where the library's HTTP requests may go, so
// that URLs an administrator types at run time (a provider's authority or
// discovery URL, and the JWKS, token and userinfo endpoints its discovery
// document names) cannot be turned against the server or its network
// (server-side request forgery).
//
// A Policy is enforced by the *http.Client that Policy.Client returns, set
// as rp.Config.HTTPClient:
//
//   - only https URLs are fetched (AllowHTTP adds plain http);
//   - the client resolves host names itself, checks every address the
//     answer holds, and connects to a checked address directly, so a DNS
//     answer that changes between the check and the connection (DNS
//     rebinding) cannot reach an address the policy refuses; a second
//     check on the socket's address, in the dialer's Control hook, guards
//     against any other path to a connection;
//   - loopback, private, carrier-grade NAT, link-local (including the
//     cloud metadata address 169.254.169.254), unique-local, unspecified,
//     multicast, broadcast, documentation and other reserved addresses are
//     refused unless AllowPrivate or an Allow prefix admits them;
//   - redirects are followed only to the same scheme, host and port, at
//     most MaxRedirects times;
//   - no proxy is used, since a proxy resolves and connects on the
//     client's behalf, out of reach of the dial-time check.
//
// Refusals are errors that match ErrForbiddenAddress, ErrForbiddenScheme or
// ErrRedirect with errors.Is, also through the *url.Error of net/http and
// the errors of package rp (rp.DiscoveryError unwraps to them). Their text
// names the host, the address and the kind of address refused, never a
// path, query or token.
package outbound

import (
	"context"
	"net"
	"net/netip"
)

// Resolver resolves host names to addresses. *net.Resolver implements it.
type Resolver interface {
	// LookupNetIP looks up host, for network "ip", "ip4" or "ip6". An
	// error or an empty answer fails the request.
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Policy says where the library may send requests. Its zero value is the
// strictest: https only, public addresses only.
//
// Use it for configurations an administrator enters at run time, whose URLs
// the server then fetches; a static configuration written by the
// application's developer may use it too. A Policy is read when Client is
// called: changing it afterwards does not change clients already made.
type Policy struct {
	// AllowHTTP permits plain http URLs. Default: https only; any other
	// scheme is always refused.
	AllowHTTP bool

	// AllowPrivate permits every address: loopback, private (RFC 1918),
	// shared address space (100.64.0.0/10, carrier-grade NAT), link-local
	// (169.254.0.0/16 with the cloud metadata address 169.254.169.254,
	// fe80::/10), unique-local (fc00::/7), unspecified, multicast,
	// broadcast, 0.0.0.0/8, documentation, benchmarking and reserved
	// ranges, and the IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms of
	// those. Default: all of them are refused. Prefer Allow, which admits
	// only the addresses named.
	AllowPrivate bool

	// Allow lists address prefixes permitted even when they are not
	// public, e.g. 10.0.0.5/32 for the application's own provider on its
	// private network, or 127.0.0.1/32 for an embedded mock provider. An
	// IPv4 prefix also admits the IPv4-mapped IPv6 form of its addresses;
	// an IPv6 zone (fe80::1%eth0) is ignored when matching.
	Allow []netip.Prefix

	// Resolver resolves host names. Default net.DefaultResolver. Tests
	// give one that answers chosen addresses.
	Resolver Resolver

	// Dialer opens the connections, to checked addresses only (its own
	// Resolver is therefore never used). Default &net.Dialer{Timeout:
	// DefaultDialTimeout}. Client copies it and adds the policy's check to
	// its Control hook: a Control or ControlContext the Dialer already has
	// runs first, then the check.
	Dialer *net.Dialer
}

// Check reports whether p permits a connection to addr: nil when it does,
// otherwise an *AddressError (matching ErrForbiddenAddress) whose text says
// which kind of address addr is, e.g. "169.254.169.254 is link-local". The
// zero Addr is always refused.
func (p Policy) Check(addr netip.Addr) error {
	return p.check("", addr)
}

// check is Check for an address host resolved to ("" for a literal
// address or a socket's address).
func (p Policy) check(host string, addr netip.Addr) error {
	if !addr.IsValid() {
		return &AddressError{Host: host, Addr: addr, Class: "not a valid address"}
	}
	if p.AllowPrivate {
		return nil
	}
	bare := addr.WithZone("").Unmap()
	for _, pfx := range p.Allow {
		if pfx.Contains(bare) || pfx.Contains(addr.WithZone("")) {
			return nil
		}
	}
	if class := classify(bare); class != "" {
		return &AddressError{Host: host, Addr: addr, Class: class}
	}
	return nil
}

// resolver returns p's Resolver or the default.
func (p Policy) resolver() Resolver {
	if p.Resolver != nil {
		return p.Resolver
	}
	return net.DefaultResolver
}
