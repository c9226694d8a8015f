package outbound

import "net/netip"

// A rangeClass names a range of addresses that are not public.
type rangeClass struct {
	prefix netip.Prefix
	class  string
}

// ipv4Classes are the IPv4 ranges refused by default, from the IANA IPv4
// Special-Purpose Address Registry, most specific first where they nest.
var ipv4Classes = []rangeClass{
	{netip.MustParsePrefix("0.0.0.0/32"), "unspecified"},
	{netip.MustParsePrefix("0.0.0.0/8"), `reserved (0.0.0.0/8, "this network")`},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (100.64.0.0/10, carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved (192.0.0.0/24, IETF protocol assignments)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "reserved (192.88.99.0/24, deprecated 6to4 relays)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved for benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},
}

// ipv6Classes are the IPv6 ranges refused by default, checked in order;
// anything outside 2000::/3 (global unicast) is refused too.
var ipv6Classes = []rangeClass{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "reserved (64:ff9b:1::/48, local-use NAT64)"},
	{netip.MustParsePrefix("100::/64"), "reserved (100::/64, discard-only)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	{netip.MustParsePrefix("2001:db8::/32"), "reserved for documentation"},
	{netip.MustParsePrefix("3fff::/20"), "reserved for documentation"},
	{netip.MustParsePrefix("2001::/23"), "reserved (2001::/23, IETF protocol assignments, with Teredo)"},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	global6   = netip.MustParsePrefix("2000::/3")
)

// classify returns the kind of a non-public address, or "" for a public
// one. addr has no zone and is not IPv4-mapped.
func classify(addr netip.Addr) string {
	if addr.Is4() {
		for _, c := range ipv4Classes {
			if c.prefix.Contains(addr) {
				return c.class
			}
		}
		return ""
	}
	// The IPv6 forms that carry an IPv4 address reach that address: they
	// are as public as it is.
	b := addr.As16()
	switch {
	case nat64.Contains(addr):
		if class := classify(netip.AddrFrom4([4]byte(b[12:16]))); class != "" {
			return class + " (through NAT64, 64:ff9b::/96)"
		}
		return ""
	case sixToFour.Contains(addr):
		if class := classify(netip.AddrFrom4([4]byte(b[2:6]))); class != "" {
			return class + " (through 6to4, 2002::/16)"
		}
		return ""
	}
	for _, c := range ipv6Classes {
		if c.prefix.Contains(addr) {
			return c.class
		}
	}
	if !global6.Contains(addr) {
		return "not a global unicast address"
	}
	return ""
}
