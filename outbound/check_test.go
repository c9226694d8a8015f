package outbound

import (
	"errors"
	"net/netip"
	"testing"
)

// TestCheckClasses: every kind of non-public address is refused by the
// zero Policy with an error naming its kind; public addresses pass.
func TestCheckClasses(t *testing.T) {
	for _, tc := range []struct {
		addr  string
		class string // "" for allowed
	}{
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", `reserved (0.0.0.0/8, "this network")`},
		{"10.0.0.1", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "shared address space (100.64.0.0/10, carrier-grade NAT)"},
		{"100.127.255.255", "shared address space (100.64.0.0/10, carrier-grade NAT)"},
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"169.254.169.254", "link-local"},
		{"169.254.0.1", "link-local"},
		{"192.0.0.8", "reserved (192.0.0.0/24, IETF protocol assignments)"},
		{"192.0.2.1", "reserved for documentation"},
		{"198.51.100.1", "reserved for documentation"},
		{"203.0.113.1", "reserved for documentation"},
		{"192.88.99.1", "reserved (192.88.99.0/24, deprecated 6to4 relays)"},
		{"198.18.0.1", "reserved for benchmarking"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved (240.0.0.0/4)"},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "link-local"},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"::127.0.0.1", "IPv4-compatible (deprecated)"},
		{"::8.8.8.8", "IPv4-compatible (deprecated)"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fec0::1", "site-local (deprecated)"},
		{"fc00::1", "unique-local"},
		{"fd00::1", "unique-local"},
		{"fd00:ec2::254", "unique-local"},
		{"ff02::1", "multicast"},
		{"2001:db8::1", "reserved for documentation"},
		{"3fff::1", "reserved for documentation"},
		{"2001::1", "reserved (2001::/23, IETF protocol assignments, with Teredo)"},
		{"100::1", "reserved (100::/64, discard-only)"},
		{"64:ff9b::a9fe:a9fe", "link-local (through NAT64, 64:ff9b::/96)"},
		{"64:ff9b::7f00:1", "loopback (through NAT64, 64:ff9b::/96)"},
		{"64:ff9b:1::1", "reserved (64:ff9b:1::/48, local-use NAT64)"},
		{"2002:a00:1::1", "private (through 6to4, 2002::/16)"},
		{"2002:7f00:1::1", "loopback (through 6to4, 2002::/16)"},
		{"4000::1", "not a global unicast address"},
		{"5f00::1", "not a global unicast address"},
		// Public addresses.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"169.255.0.1", ""},
		{"::ffff:8.8.8.8", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""},
		{"2002:808:808::1", ""},
	} {
		addr := netip.MustParseAddr(tc.addr)
		err := Policy{}.Check(addr)
		if tc.class == "" {
			if err != nil {
				t.Errorf("Check(%s) = %v; want nil", tc.addr, err)
			}
			continue
		}
		want := "outbound: " + addr.String() + " is " + tc.class + ": address refused by the outbound policy"
		var ae *AddressError
		if !errors.Is(err, ErrForbiddenAddress) || !errors.As(err, &ae) || err.Error() != want {
			t.Errorf("Check(%s) = %v; want %q", tc.addr, err, want)
			continue
		}
		if ae.Addr != addr || ae.Class != tc.class || ae.Host != "" {
			t.Errorf("Check(%s): %+v", tc.addr, ae)
		}
		// AllowPrivate admits every one of them.
		if err := (Policy{AllowPrivate: true}).Check(addr); err != nil {
			t.Errorf("AllowPrivate: Check(%s) = %v; want nil", tc.addr, err)
		}
	}
}

// TestCheckAllow: an Allow prefix admits the addresses it contains (and
// their IPv4-mapped and zoned forms), and only those.
func TestCheckAllow(t *testing.T) {
	p := Policy{Allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("10.0.0.0/24"),
		netip.MustParsePrefix("fe80::/64"),
	}}
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"127.0.0.2", false},
		{"10.0.0.200", true},
		{"10.0.1.1", false},
		{"fe80::1%eth0", true},
		{"fe80:0:0:1::1", false},
		{"169.254.169.254", false},
		{"::1", false},
	} {
		err := p.Check(netip.MustParseAddr(tc.addr))
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrForbiddenAddress)) {
			t.Errorf("Check(%s) = %v; want allowed %v", tc.addr, err, tc.ok)
		}
	}
}

// TestCheckInvalid: the zero Addr is refused, even with AllowPrivate.
func TestCheckInvalid(t *testing.T) {
	for _, p := range []Policy{{}, {AllowPrivate: true}} {
		err := p.Check(netip.Addr{})
		if !errors.Is(err, ErrForbiddenAddress) || err.Error() != "outbound: invalid IP is not a valid address: address refused by the outbound policy" {
			t.Errorf("Check(zero) = %v", err)
		}
	}
}

// TestControlRefusesSocketAddress: the Control hook refuses a socket
// whose address the policy refuses, whatever led to it, and an address it
// cannot read.
func TestControlRefusesSocketAddress(t *testing.T) {
	p := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	if err := p.control("tcp4", "127.0.0.1:443", nil); err != nil {
		t.Errorf("allowed address: %v", err)
	}
	err := p.control("tcp4", "169.254.169.254:80", nil)
	if !errors.Is(err, ErrForbiddenAddress) || err.Error() != "outbound: 169.254.169.254 is link-local: address refused by the outbound policy" {
		t.Errorf("metadata address: %v", err)
	}
	err = p.control("tcp6", "[::1]:443", nil)
	if !errors.Is(err, ErrForbiddenAddress) || err.Error() != "outbound: ::1 is loopback: address refused by the outbound policy" {
		t.Errorf("IPv6 loopback: %v", err)
	}
	err = p.control("unix", "/run/x.sock", nil)
	if !errors.Is(err, ErrForbiddenAddress) || err.Error() != `outbound: cannot read the socket address "/run/x.sock": address refused by the outbound policy` {
		t.Errorf("unreadable address: %v", err)
	}
}
