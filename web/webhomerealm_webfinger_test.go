package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/rptest"
)

// globexIssuer is the issuer of the connection globex, which owns no
// email domain.
const globexIssuer = "https://idp.example.com/globex"

// webFingerApp serves connections acme (owning acme.example) and globex
// (issuer globexIssuer, owning no domain), with EmailFirst, and a
// WebFinger service at example.com naming issuer; on says whether
// WebFingerDiscovery is on. It returns the app and the number of
// WebFinger requests so far.
func webFingerApp(t *testing.T, on bool, issuer string) (*connApp, func() int) {
	t.Helper()
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	acme := settingsFor("acme", newConnOP(t, clock))
	acme.EmailDomains = []connection.EmailDomain{{Domain: "acme.example"}}
	put(t, store, acme)
	globex := settingsFor("globex", newConnOP(t, clock))
	globex.Authority = globexIssuer
	put(t, store, globex)
	var mu sync.Mutex
	asked := 0
	h := rptest.WebFingerHandler(issuer)
	wf := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked++
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(wf.Close)
	// The test server's certificate names example.com: the client dials
	// example.com:443 at it, everything else as usual.
	tr := wf.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "example.com:443" {
			addr = wf.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	a := newConnApp(t, clock, store, func(c *Config) {
		c.Connections.EmailFirst, c.Connections.WebFingerDiscovery = true, on
		c.Connections.RP.HTTPClient = &http.Client{Transport: tr}
	})
	return a, func() int { mu.Lock(); defer mu.Unlock(); return asked }
}

// TestHomeRealmWebFinger: an address whose domain no connection owns is
// routed to the connection whose issuer its domain's WebFinger names,
// with the address as login_hint; a domain a connection owns, or a
// consumer domain, is not asked.
func TestHomeRealmWebFinger(t *testing.T) {
	a, asked := webFingerApp(t, true, globexIssuer)
	l, err := a.web.RouteEmail(context.Background(), "bob@example.com")
	if err != nil || l.Name != "globex" || l.LoginURL != "/sso/globex/login?login_hint=bob%40example.com" {
		t.Fatalf("RouteEmail = %+v, %v; want globex", l, err)
	}
	resp := a.raw("GET", "/login?email=bob%40example.com&return_to=%2Fme", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/sso/globex/login?login_hint=bob%40example.com&return_to=%2Fme" {
		t.Fatalf("chooser: %d to %q; want globex's login", resp.StatusCode, loc)
	}
	if n := asked(); n != 2 {
		t.Fatalf("%d WebFinger requests, want 2", n)
	}
	if l, err := a.web.RouteEmail(context.Background(), "ann@acme.example"); err != nil || l.Name != "acme" {
		t.Fatalf("owned domain: %+v, %v", l, err)
	}
	if _, err := a.web.RouteEmail(context.Background(), "ann@gmail.com"); !errors.Is(err, connection.ErrConsumerDomain) {
		t.Fatalf("consumer domain: %v; want ErrConsumerDomain", err)
	}
	if n := asked(); n != 2 {
		t.Fatalf("%d WebFinger requests after owned and consumer domains, want still 2", n)
	}
}

// TestHomeRealmWebFingerUnconfiguredIssuer: an issuer that no provider
// or connection is configured for is never used: the address is owned by
// no connection, and the chooser says so.
func TestHomeRealmWebFingerUnconfiguredIssuer(t *testing.T) {
	a, asked := webFingerApp(t, true, "https://evil.example")
	email := "bob@example.com"
	if _, err := a.web.RouteEmail(context.Background(), email); !errors.Is(err, connection.ErrNoConnectionForDomain) {
		t.Fatalf("RouteEmail: %v; want ErrNoConnectionForDomain", err)
	}
	resp := a.raw("GET", "/login?email="+strings.ReplaceAll(email, "@", "%40"), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; want the chooser again", resp.StatusCode)
	}
	if _, _, body := a.get("/login?email=" + strings.ReplaceAll(email, "@", "%40")); !strings.Contains(body, "There is no single sign-on for this address.") {
		t.Fatalf("chooser without the no-match message:\n%s", body)
	}
	if n := asked(); n != 3 {
		t.Fatalf("%d WebFinger requests, want 3", n)
	}
}

// TestHomeRealmWebFingerOffByDefault: without WebFingerDiscovery the
// domain is not asked and the address is owned by no connection.
func TestHomeRealmWebFingerOffByDefault(t *testing.T) {
	a, asked := webFingerApp(t, false, globexIssuer)
	if _, err := a.web.RouteEmail(context.Background(), "bob@example.com"); !errors.Is(err, connection.ErrNoConnectionForDomain) || asked() != 0 {
		t.Fatalf("RouteEmail: %v after %d WebFinger requests; want ErrNoConnectionForDomain and none", err, asked())
	}
}
