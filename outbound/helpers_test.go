package outbound

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
)

// fakeResolver answers chosen addresses per host: the i-th lookup of a
// host gets answers[host][i], the last answer once they run out.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	lookups map[string]int
}

func newResolver(answers map[string][][]netip.Addr) *fakeResolver {
	return &fakeResolver{answers: answers, lookups: map[string]int{}}
}

func (r *fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.answers[host]
	if !ok || network != "ip" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := min(r.lookups[host], len(seq)-1)
	r.lookups[host]++
	return seq[i], nil
}

func (r *fakeResolver) count(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups[host]
}

// addrs parses addresses for a fakeResolver answer.
func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// dialLog records the address of every socket the Dialer opens.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (l *dialLog) dialer() *net.Dialer {
	return &net.Dialer{Control: func(_, address string, _ syscall.RawConn) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.addrs = append(l.addrs, address)
		return nil
	}}
}

func (l *dialLog) dialled() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.addrs...)
}

// loopback is the Allow list that admits the test servers.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// port returns the port of a test server's "127.0.0.1:port" address.
func port(t *testing.T, hostport string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
