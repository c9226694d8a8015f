package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestPrivateAnswerRefused: a host name that resolves to an address the
// policy refuses fails the request before anything is dialled, with an
// error naming the host, the address and its kind.
func TestPrivateAnswerRefused(t *testing.T) {
	for _, tc := range []struct {
		answer []netip.Addr
		addr   string
		class  string
	}{
		{addrs("10.0.0.1"), "10.0.0.1", "private"},
		{addrs("169.254.169.254"), "169.254.169.254", "link-local"},
		{addrs("::1"), "::1", "loopback"},
		{addrs("fd00::1"), "fd00::1", "unique-local"},
		{addrs("::ffff:127.0.0.1"), "::ffff:127.0.0.1", "loopback"},
		{addrs("0.0.0.0"), "0.0.0.0", "unspecified"},
		{addrs("100.64.0.1"), "100.64.0.1", "shared address space (100.64.0.0/10, carrier-grade NAT)"},
		// One refused address refuses the whole answer.
		{addrs("93.184.215.14", "10.0.0.1"), "10.0.0.1", "private"},
		{addrs("2606:4700::1", "fe80::1"), "fe80::1", "link-local"},
	} {
		var log dialLog
		res := newResolver(map[string][][]netip.Addr{"idp.example.com": {tc.answer}})
		c := Policy{Resolver: res, Dialer: log.dialer()}.Client(nil)
		_, err := c.Get("https://idp.example.com/.well-known/openid-configuration")
		want := `Get "https://idp.example.com/.well-known/openid-configuration": outbound: idp.example.com resolves to ` +
			tc.addr + ", which is " + tc.class + ": address refused by the outbound policy"
		var ue *url.Error
		var ae *AddressError
		if !errors.Is(err, ErrForbiddenAddress) || !errors.As(err, &ue) || !errors.As(err, &ae) || err.Error() != want {
			t.Errorf("%v: err = %v; want %q", tc.answer, err, want)
			continue
		}
		if ae.Host != "idp.example.com" || ae.Addr != netip.MustParseAddr(tc.addr) || ae.Class != tc.class {
			t.Errorf("%v: %+v", tc.answer, ae)
		}
		if d := log.dialled(); len(d) != 0 {
			t.Errorf("%v: dialled %v; want nothing", tc.answer, d)
		}
		if n := res.count("idp.example.com"); n != 1 {
			t.Errorf("%v: %d lookups; want 1", tc.answer, n)
		}
	}
}

// TestDialsTheCheckedAddress: the connection goes to the address that was
// checked, without resolving again, so an answer that changes after the
// check (DNS rebinding) cannot redirect it; the next connection resolves
// and checks anew.
func TestDialsTheCheckedAddress(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	p := port(t, srv.Listener.Addr().String())
	res := newResolver(map[string][][]netip.Addr{
		// Permitted first, then an address the policy refuses.
		"idp.example.com":   {addrs("127.0.0.1"), addrs("127.0.0.2")},
		"other.example.com": {addrs("127.0.0.2")},
	})
	var log dialLog
	c := Policy{Resolver: res, Dialer: log.dialer(), Allow: loopback}.Client(srv.Client())

	resp, err := c.Get("https://idp.example.com:" + p + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}
	if d := log.dialled(); !slices.Equal(d, []string{"127.0.0.1:" + p}) {
		t.Fatalf("dialled %v; want only the checked 127.0.0.1:%s", d, p)
	}
	if n := res.count("idp.example.com"); n != 1 {
		t.Fatalf("%d lookups; want 1 (the dial must not resolve again)", n)
	}

	// A new connection sees the new answer, and refuses it.
	c.CloseIdleConnections()
	_, err = c.Get("https://idp.example.com:" + p + "/")
	want := `Get "https://idp.example.com:` + p + `/": outbound: idp.example.com resolves to 127.0.0.2, which is loopback: address refused by the outbound policy`
	if !errors.Is(err, ErrForbiddenAddress) || err.Error() != want {
		t.Fatalf("after rebinding: err = %v; want %q", err, want)
	}
	_, err = c.Get("https://other.example.com:" + p + "/")
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("other host: err = %v; want ErrForbiddenAddress", err)
	}
	if d := log.dialled(); len(d) != 1 {
		t.Fatalf("dialled %v; want the first connection only", d)
	}
}

// TestSchemes: plain http is refused before anything is resolved or
// dialled unless AllowHTTP is set; other schemes are always refused.
func TestSchemes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var log dialLog
	res := newResolver(map[string][][]netip.Addr{"idp.example.com": {addrs("127.0.0.1")}})
	strict := Policy{Resolver: res, Dialer: log.dialer(), Allow: loopback}
	u := "http://idp.example.com:" + port(t, srv.Listener.Addr().String()) + "/token"

	_, err := strict.Client(nil).Get(u)
	want := `Get "` + u + `": outbound: http://idp.example.com:` + port(t, srv.Listener.Addr().String()) + `: scheme refused by the outbound policy (only https is allowed)`
	if !errors.Is(err, ErrForbiddenScheme) || err.Error() != want {
		t.Fatalf("err = %v; want %q", err, want)
	}
	if len(log.dialled()) != 0 || res.count("idp.example.com") != 0 {
		t.Fatalf("dialled %v after %d lookups; want neither", log.dialled(), res.count("idp.example.com"))
	}

	withHTTP := strict
	withHTTP.AllowHTTP = true
	resp, err := withHTTP.Client(nil).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(log.dialled()) != 1 {
		t.Fatalf("AllowHTTP: status %d, dialled %v", resp.StatusCode, log.dialled())
	}

	_, err = withHTTP.Client(nil).Get("ftp://idp.example.com/file")
	want = `Get "ftp://idp.example.com/file": outbound: ftp://idp.example.com: scheme refused by the outbound policy (only https and http are allowed)`
	if !errors.Is(err, ErrForbiddenScheme) || err.Error() != want {
		t.Fatalf("ftp: err = %v; want %q", err, want)
	}
}

// TestLiteralAddresses: an address written in the URL is checked like a
// resolved one, without asking the resolver.
func TestLiteralAddresses(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	for _, tc := range []struct {
		url, want string
	}{
		{"https://169.254.169.254/latest/meta-data/", `Get "https://169.254.169.254/latest/meta-data/": outbound: 169.254.169.254 is link-local: address refused by the outbound policy`},
		{"https://[::ffff:169.254.169.254]/", `Get "https://[::ffff:169.254.169.254]/": outbound: ::ffff:169.254.169.254 is link-local: address refused by the outbound policy`},
		{"https://[fd00:ec2::254]/", `Get "https://[fd00:ec2::254]/": outbound: fd00:ec2::254 is unique-local: address refused by the outbound policy`},
		{"https://" + srv.Listener.Addr().String() + "/", `Get "https://` + srv.Listener.Addr().String() + `/": outbound: 127.0.0.1 is loopback: address refused by the outbound policy`},
	} {
		var log dialLog
		res := newResolver(nil)
		_, err := Policy{Resolver: res, Dialer: log.dialer()}.Client(srv.Client()).Get(tc.url)
		if !errors.Is(err, ErrForbiddenAddress) || err.Error() != tc.want {
			t.Errorf("err = %v; want %q", err, tc.want)
		}
		if len(log.dialled()) != 0 || len(res.lookups) != 0 {
			t.Errorf("%s: dialled %v, looked up %v", tc.url, log.dialled(), res.lookups)
		}
	}
}

// TestAllowPrivateAndAllow: AllowPrivate, or an Allow prefix holding the
// address, lets a loopback server be reached; a prefix that does not
// hold it does not.
func TestAllowPrivateAndAllow(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "reached")
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"AllowPrivate", Policy{AllowPrivate: true}, true},
		{"Allow 127.0.0.1/32", Policy{Allow: loopback}, true},
		{"Allow 127.0.0.0/8", Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, true},
		{"Allow 127.0.0.2/32", Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}, false},
		{"zero", Policy{}, false},
	} {
		resp, err := tc.p.Client(srv.Client()).Get(srv.URL)
		if !tc.ok {
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Errorf("%s: err = %v; want ErrForbiddenAddress", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "reached" {
			t.Errorf("%s: body %q", tc.name, body)
		}
	}
}

// TestControlHookOnSockets: the Dialer that Client uses refuses a socket
// to a refused address even when nothing was resolved or checked before
// (a dial straight to the address), after running the Dialer's own
// Control or ControlContext.
func TestControlHookOnSockets(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var log dialLog
	var ctxCalls atomic.Int32
	withContext := &net.Dialer{ControlContext: func(context.Context, string, string, syscall.RawConn) error {
		ctxCalls.Add(1)
		return nil
	}}
	for _, d := range []*net.Dialer{log.dialer(), withContext} {
		nd := Policy{Allow: loopback, Dialer: d}.netDialer()
		_, err := nd.DialContext(context.Background(), "tcp4", "169.254.169.254:80")
		var op *net.OpError
		if !errors.Is(err, ErrForbiddenAddress) || !errors.As(err, &op) || op.Op != "dial" {
			t.Errorf("metadata address: err = %v; want a dial error matching ErrForbiddenAddress", err)
		}
		_, err = nd.DialContext(context.Background(), "tcp4", "127.0.0.2:80")
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("127.0.0.2: err = %v; want ErrForbiddenAddress", err)
		}
		conn, err := nd.DialContext(context.Background(), "tcp4", ln.Addr().String())
		if err != nil {
			t.Errorf("allowed listener: %v", err)
		} else {
			conn.Close()
		}
	}
	if d := log.dialled(); !slices.Equal(d, []string{"169.254.169.254:80", "127.0.0.2:80", ln.Addr().String()}) {
		t.Errorf("own Control saw %v", d)
	}
	if n := ctxCalls.Load(); n != 3 {
		t.Errorf("own ControlContext ran %d times; want 3", n)
	}
}

// TestNoProxy: a proxy of the base transport (or from the environment)
// is not used, nor is its DialTLSContext: both would connect where the
// policy cannot check.
func TestNoProxy(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "direct")
	}))
	defer srv.Close()
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	base := srv.Client()
	tr := base.Transport.(*http.Transport)
	tr.Proxy = http.ProxyURL(proxyURL)
	var tlsDials atomic.Int32
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		tlsDials.Add(1)
		return nil, errors.New("DialTLSContext used")
	}
	t.Setenv("HTTPS_PROXY", proxy.URL)

	resp, err := Policy{Allow: loopback}.Client(base).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "direct" || proxied.Load() != 0 || tlsDials.Load() != 0 {
		t.Fatalf("body %q, proxied %d, DialTLSContext %d", body, proxied.Load(), tlsDials.Load())
	}
}

// TestResolverFailures: a failed or empty lookup fails the request with
// a *net.DNSError, and nothing is dialled.
func TestResolverFailures(t *testing.T) {
	var log dialLog
	res := newResolver(map[string][][]netip.Addr{"empty.example.com": {nil}})
	c := Policy{Resolver: res, Dialer: log.dialer()}.Client(nil)
	for _, tc := range []struct{ host, want string }{
		{"unknown.example.com", `Get "https://unknown.example.com/": lookup unknown.example.com: no such host`},
		{"empty.example.com", `Get "https://empty.example.com/": lookup empty.example.com: no addresses`},
	} {
		_, err := c.Get("https://" + tc.host + "/")
		var dns *net.DNSError
		if !errors.As(err, &dns) || !dns.IsNotFound || err.Error() != tc.want {
			t.Errorf("err = %v; want %q", err, tc.want)
		}
	}
	if len(log.dialled()) != 0 {
		t.Errorf("dialled %v", log.dialled())
	}
}
