package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/outbound"
	"github.com/oidcrp/rp/rptest"
)

// loopbackPolicy lets connections reach rptest providers on 127.0.0.1.
var loopbackPolicy = outbound.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

// connApp is an application serving the connections of a store (and
// maybe static providers), with a browser.
type connApp struct {
	*webApp
	conns connection.Store
}

// newConnApp starts an app on store's connections; mod changes the Site's
// Config (its Connections is set) before New.
func newConnApp(t *testing.T, clock *rptest.Clock, store connection.Store, mod func(*Config)) *connApp {
	t.Helper()
	a := &webApp{t: t, clock: clock, ops: map[string]*rptest.Server{}, store: rp.NewMemoryUserStore()}
	mux := http.NewServeMux()
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	cfg := Config{SessionSecrets: []rp.Secret{testSessionSecret}, Now: clock.Now,
		Connections: &Connections{Store: store, ExternalURL: a.srv.URL, Users: a.store,
			RP: rp.Config{HTTPClient: loopbackPolicy.Client(nil), Now: clock.Now}}}
	if mod != nil {
		mod(&cfg)
	}
	site, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.web = site
	mux.Handle("/", site.Handler())
	mux.Handle("/me", site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := SessionFrom(r.Context())
		fmt.Fprintf(w, "user=%s provider=%s", s.User.Username, s.Provider)
	})))
	a.jar, _ = cookiejar.New(nil)
	a.browser = &http.Client{Jar: a.jar}
	a.noRedir = &http.Client{Jar: a.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &connApp{webApp: a, conns: store}
}

// newConnOP starts a provider with alice on clock.
func newConnOP(t *testing.T, clock *rptest.Clock) *rptest.Server {
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{alice}, Now: clock.Now})
	t.Cleanup(op.Close)
	return op
}

// settingsFor are enabled settings of a connection name to op.
func settingsFor(name string, op *rptest.Server) connection.Settings {
	return connection.Settings{Name: name, Enabled: true, Title: "Acme " + name, Authority: op.Issuer(),
		ClientID: op.ClientID(), ClientSecret: connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(op.ClientSecret())},
		Scopes: []string{"openid", "profile", "email"}, UsernameClaim: "preferred_username", CreateUsers: true}
}

func put(t *testing.T, store connection.Store, s connection.Settings) connection.Settings {
	t.Helper()
	saved, err := store.Put(context.Background(), s, "admin")
	if err != nil {
		t.Fatalf("Put %s: %v", s.Name, err)
	}
	return saved
}

// startLogin follows a connection's login to the provider and returns the
// callback URL the provider sends the browser back to, not yet visited.
func (a *connApp) startLogin(name string) string {
	a.t.Helper()
	resp := a.raw("GET", "/sso/"+name+"/login", nil)
	if resp.StatusCode != http.StatusFound {
		a.t.Fatalf("login at %s: %d", name, resp.StatusCode)
	}
	resp = a.raw("GET", resp.Header.Get("Location"), nil)
	cb := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(cb, a.srv.URL+"/sso/"+name+"/callback?") {
		a.t.Fatalf("provider answered %d to %q", resp.StatusCode, cb)
	}
	return cb
}

// finish visits the callback URL and returns the status and body: 303
// to "/" for a sign-in.
func (a *connApp) finish(cb string) (int, string) {
	a.t.Helper()
	resp, err := a.noRedir.Get(cb)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestConnectionSignIn(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	put(t, store, settingsFor("acme", op))
	a := newConnApp(t, clock, store, nil)

	links := a.web.Providers()
	if len(links) != 1 || links[0].Name != "acme" || links[0].Title != "Acme acme" || links[0].RedirectURL != a.srv.URL+"/sso/acme/callback" ||
		links[0].LoginURL != "/sso/acme/login" || links[0].BackchannelLogoutURL != a.srv.URL+"/sso/acme/backchannel-logout" {
		t.Fatalf("Providers() = %+v", links)
	}
	if status, body := a.finish(a.startLogin("acme")); status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	if status, _, body := a.get("/me"); status != http.StatusOK || body != "user=alice provider=acme" {
		t.Fatalf("/me: %d %q", status, body)
	}
	if got := op.LastAuthorizeParams().Get("redirect_uri"); got != a.srv.URL+"/sso/acme/callback" {
		t.Fatalf("redirect_uri %q", got)
	}
	if got := a.web.LastSignIn("acme"); !got.Equal(clock.Now()) || !a.web.LastSignIn("other").IsZero() {
		t.Fatalf("LastSignIn(acme) = %v; want %v", got, clock.Now())
	}
}

// TestConnectionLoginPinnedToVersion: a login started under version 1
// completes under version 1 after version 2 (another client at another
// provider) is saved; new logins use version 2.
func TestConnectionLoginPinnedToVersion(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op1, op2 := newConnOP(t, clock), newConnOP(t, clock)
	v1 := put(t, store, settingsFor("acme", op1))
	a := newConnApp(t, clock, store, nil)

	cb := a.startLogin("acme")
	v2 := settingsFor("acme", op2)
	v2.Version = v1.Version
	put(t, store, v2)
	clock.Advance(11 * time.Second) // past PollInterval: the Site sees version 2

	if status, body := a.finish(cb); status != http.StatusSeeOther {
		t.Fatalf("login of version 1 after version 2 was saved: %d %s", status, body)
	}
	if op1.Requests(rptest.EndpointToken) != 1 || op2.Requests(rptest.EndpointToken) != 0 {
		t.Fatalf("token requests: version 1's provider %d, version 2's %d; want 1 and 0",
			op1.Requests(rptest.EndpointToken), op2.Requests(rptest.EndpointToken))
	}
	a.startLogin("acme")
	if op2.Requests(rptest.EndpointAuthorize) != 1 {
		t.Fatalf("a new login did not go to version 2's provider")
	}
}

// forgetful is a store that keeps no superseded version.
type forgetful struct{ connection.Store }

func (f forgetful) GetVersion(ctx context.Context, name string, version int64) (connection.Settings, error) {
	s, err := f.Store.Get(ctx, name)
	if err == nil && s.Version != version {
		return connection.Settings{}, connection.ErrNotFound
	}
	return s, err
}

func TestConnectionVersionGoneAsksToSignInAgain(t *testing.T) {
	clock := newFakeClock()
	mem := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	v1 := put(t, mem, settingsFor("acme", op))
	a := newConnApp(t, clock, forgetful{mem}, nil)

	cb := a.startLogin("acme")
	v1.Title, v1.ClientSecret = "Renamed", connection.ClientSecret{}
	put(t, mem, v1)
	clock.Advance(11 * time.Second)
	status, body := a.finish(cb)
	if status != http.StatusBadRequest || !strings.Contains(body, ErrorMessage(ErrSettingsChanged)) {
		t.Fatalf("login whose version is gone: %d %s; want 400 and the settings-changed page", status, body)
	}
	if n := op.Requests(rptest.EndpointToken); n != 0 {
		t.Fatalf("the code was redeemed (%d token requests) under another version", n)
	}
}

// TestConnectionDisabled: disabling a connection ends its logins in
// progress with a clear page and its sessions at their next request; its
// login is refused.
func TestConnectionDisabled(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	v1 := put(t, store, settingsFor("acme", op))
	a := newConnApp(t, clock, store, nil)

	if status, body := a.finish(a.startLogin("acme")); status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	cb := a.startLogin("acme")
	v1.Enabled, v1.ClientSecret = false, connection.ClientSecret{}
	put(t, store, v1)
	clock.Advance(11 * time.Second)

	status, body := a.finish(cb)
	if status != http.StatusNotFound || !strings.Contains(body, ErrorMessage(connection.ErrDisabled)) {
		t.Fatalf("login in progress of a disabled connection: %d %s", status, body)
	}
	if resp := a.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("login at a disabled connection: %d; want 404", resp.StatusCode)
	}
	if status, path, body := a.get("/me"); strings.HasPrefix(body, "user=") || path == "/me" {
		t.Fatalf("the session of a disabled connection is still signed in: %d %s %q", status, path, body)
	}
	if links := a.web.Providers(); len(links) != 0 {
		t.Fatalf("Providers() lists a disabled connection: %+v", links)
	}
}

// TestConnectionUnavailableLeavesOthers: a connection whose discovery
// fails is refused with 503 and shown unavailable; the other signs in.
func TestConnectionUnavailableLeavesOthers(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	down := newConnOP(t, clock)
	put(t, store, settingsFor("good", op))
	put(t, store, settingsFor("down", down))
	down.Close()
	a := newConnApp(t, clock, store, nil)

	resp := a.raw("GET", "/sso/down/login", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("login at a provider that is down: %d; want 503", resp.StatusCode)
	}
	_, _, page := a.get("/login")
	if !strings.Contains(page, "Acme down is unavailable right now") || !strings.Contains(page, `href="/sso/good/login"`) {
		t.Fatalf("chooser does not show down as unavailable and good as a link:\n%s", page)
	}
	if status, body := a.finish(a.startLogin("good")); status != http.StatusSeeOther {
		t.Fatalf("sign-in at the other connection: %d %s", status, body)
	}
}

// TestConnectionOutboundPolicyByDefault: without an HTTPClient, a
// connection may not make the server fetch a loopback address.
func TestConnectionOutboundPolicyByDefault(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	put(t, store, settingsFor("acme", op))
	a := newConnApp(t, clock, store, func(c *Config) { c.Connections.RP.HTTPClient = nil })
	if resp := a.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("login at a loopback provider under the default policy: %d; want 503", resp.StatusCode)
	}
	if n := op.Requests(rptest.EndpointDiscovery); n != 0 {
		t.Fatalf("the provider on loopback was fetched %d times", n)
	}
	e, _ := a.web.conns.latest(context.Background(), "acme")
	if _, err := a.web.conns.provider(context.Background(), e); !errors.Is(err, ErrConnectionUnavailable) ||
		!(errors.Is(err, outbound.ErrForbiddenScheme) || errors.Is(err, outbound.ErrForbiddenAddress)) {
		t.Fatalf("provider error %v; want ErrConnectionUnavailable and the policy's refusal", err)
	}
}

// TestConnectionChangesSeenWithinPollInterval: two Sites on one store;
// a connection saved through one becomes usable, changed and disabled on
// the other once PollInterval has passed, and not before.
func TestConnectionChangesSeenWithinPollInterval(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	a := newConnApp(t, clock, store, nil)
	b := newConnApp(t, clock, store, nil)
	if resp := b.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("login before the connection exists: %d", resp.StatusCode)
	}
	s := put(t, a.conns, settingsFor("acme", op))
	if resp := b.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("B saw the new connection before PollInterval passed: %d", resp.StatusCode)
	}
	clock.Advance(10 * time.Second)
	if status, body := b.finish(b.startLogin("acme")); status != http.StatusSeeOther {
		t.Fatalf("B's sign-in through the new connection: %d %s", status, body)
	}
	s.Title, s.ClientSecret = "Acme Corp", connection.ClientSecret{}
	s = put(t, store, s)
	clock.Advance(10 * time.Second)
	if links := b.web.Providers(); len(links) != 1 || links[0].Title != "Acme Corp" {
		t.Fatalf("B's providers after the change: %+v", links)
	}
	s.Enabled, s.ClientSecret = false, connection.ClientSecret{}
	put(t, store, s)
	clock.Advance(10 * time.Second)
	if resp := b.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("B's login after the connection was disabled: %d", resp.StatusCode)
	}
}

// pushing is a store that pushes a change when the test sends on push.
type pushing struct {
	connection.Store
	push chan struct{}
}

func (p pushing) Watch(ctx context.Context, changed func()) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.push:
			changed()
			p.push <- struct{}{} // handled
		}
	}
}

// TestWatchConnectionsPushes: with a Store that pushes changes, a Site
// running WatchConnections sees a change without waiting PollInterval.
func TestWatchConnectionsPushes(t *testing.T) {
	clock := newFakeClock()
	mem := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	store := pushing{mem, make(chan struct{})}
	op := newConnOP(t, clock)
	a := newConnApp(t, clock, store, nil)
	a.web.Providers() // first read of the store
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.web.WatchConnections(ctx) }()

	put(t, mem, settingsFor("acme", op))
	if len(a.web.Providers()) != 0 {
		t.Fatal("the change was seen before PollInterval without a push")
	}
	store.push <- struct{}{}
	<-store.push
	if links := a.web.Providers(); len(links) != 1 {
		t.Fatalf("after the push, providers %+v; want acme", links)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("WatchConnections returned %v; want context.Canceled", err)
	}
}

// TestConnectionsExternalURLLoopbackOnly: plain http is allowed for a
// loopback ExternalURL only, never for a name that merely starts with
// "127.".
func TestConnectionsExternalURLLoopbackOnly(t *testing.T) {
	store := connection.NewMemoryStore(connection.MemoryConfig{})
	for ext, ok := range map[string]bool{"http://127.0.0.1:8080": true, "http://localhost": true, "http://127.evil.example": false} {
		_, err := New(Config{SessionSecrets: []rp.Secret{testSessionSecret}, Connections: &Connections{Store: store, ExternalURL: ext}})
		if (err == nil) != ok {
			t.Errorf("ExternalURL %s: %v; want accepted %v", ext, err, ok)
		}
	}
}

func TestConnectionsConfigProblems(t *testing.T) {
	_, err := New(Config{SessionSecrets: []rp.Secret{testSessionSecret},
		Connections: &Connections{ExternalURL: "http://app.example.com", PathPrefix: "sso"}})
	var ce *rp.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("New: %v", err)
	}
	want := map[string]bool{"Connections.Store": true, "Connections.PathPrefix": true, "Connections.ExternalURL": true}
	for _, p := range ce.Problems {
		delete(want, p.Field)
	}
	if len(want) != 0 {
		t.Fatalf("problems %+v miss %v", ce.Problems, want)
	}
}

// TestConnectionLogoutsFromTheProvider: a connection's back-channel and
// front-channel logout paths end its sessions, and only its front-channel
// page may be framed.
func TestConnectionLogoutsFromTheProvider(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	put(t, store, settingsFor("acme", op))
	a := newConnApp(t, clock, store, nil)
	signedIn := func() bool {
		_, path, body := a.get("/me")
		return path == "/me" && strings.HasPrefix(body, "user=alice")
	}

	a.finish(a.startLogin("acme"))
	tok, err := op.LogoutToken(rptest.LogoutTokenOptions{Subject: alice.Subject})
	if err != nil {
		t.Fatal(err)
	}
	status, _, err := op.SendBackchannelLogout(context.Background(), a.srv.URL+"/sso/acme/backchannel-logout", tok)
	if err != nil || status != http.StatusOK || signedIn() {
		t.Fatalf("back-channel logout: %d, %v, still signed in: %v", status, err, signedIn())
	}
	status, body, _ := op.SendBackchannelLogout(context.Background(), a.srv.URL+"/sso/nobody/backchannel-logout", tok)
	if status != http.StatusBadRequest || !strings.Contains(string(body), `"error":"invalid_request"`) {
		t.Fatalf("back-channel logout at an unknown connection: %d %s; want 400 invalid_request", status, body)
	}

	a.finish(a.startLogin("acme"))
	sids := op.SessionIDs(alice.Subject)
	front := a.raw("GET", op.FrontchannelLogoutURL(a.srv.URL+"/sso/acme/frontchannel-logout", sids[len(sids)-1]), nil)
	if front.StatusCode != http.StatusOK || front.Header.Get("X-Frame-Options") != "" || signedIn() {
		t.Fatalf("front-channel logout: %d, X-Frame-Options %q, still signed in: %v", front.StatusCode, front.Header.Get("X-Frame-Options"), signedIn())
	}
	if login := a.raw("GET", "/sso/acme/login", nil); login.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("a connection's login page may be framed: X-Frame-Options %q", login.Header.Get("X-Frame-Options"))
	}
}

// TestConnectionBesideStaticProvider: static providers keep working next
// to connections, and a connection cannot take a static provider's name.
func TestConnectionBesideStaticProvider(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op, static := newConnOP(t, clock), newConnOP(t, clock)
	put(t, store, settingsFor("acme", op))
	put(t, store, settingsFor("corp", op)) // the static provider's name
	a := newConnApp(t, clock, store, func(c *Config) {
		r, err := rp.New(context.Background(), rp.Config{Authority: static.Issuer(), ClientID: static.ClientID(),
			ClientSecret: rp.Secret(static.ClientSecret()), RedirectURL: c.Connections.ExternalURL + "/callback/corp", Now: clock.Now,
			Matcher: newMatcherT(t, rp.MatcherConfig{Store: rp.NewMemoryUserStore(), CreateUsers: true}), UsernameClaim: "preferred_username"})
		if err != nil {
			t.Fatal(err)
		}
		c.Providers = []Provider{{Name: "corp", RP: r}}
	})
	var names []string
	for _, l := range a.web.Providers() {
		names = append(names, l.Name)
	}
	if strings.Join(names, ",") != "corp,acme" {
		t.Fatalf("providers %v; want the static corp, then the connection acme", names)
	}
	if status, _, body := a.login("corp", "", "/me"); status != http.StatusOK || !strings.Contains(body, "provider=corp") {
		t.Fatalf("static sign-in: %d %q", status, body)
	}
	if resp := a.raw("GET", "/sso/corp/login", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the connection named like the static provider answered %d; want 404", resp.StatusCode)
	}
}

// failing is a store whose reads fail while down is set.
type failing struct {
	connection.Store
	down *atomic.Bool
}

func (f failing) Revision(ctx context.Context) (int64, error) {
	if f.down.Load() {
		return 0, fmt.Errorf("%w: connection refused", connection.ErrStore)
	}
	return f.Store.Revision(ctx)
}

// TestConnectionStoreDownFailsClosed: the Site keeps the connections it
// knows while the store is briefly down, refuses their sign-ins with 503
// once it has been down for three PollIntervals, and recovers by itself.
func TestConnectionStoreDownFailsClosed(t *testing.T) {
	clock := newFakeClock()
	mem := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	put(t, mem, settingsFor("acme", op))
	down := &atomic.Bool{}
	a := newConnApp(t, clock, failing{mem, down}, nil)
	if resp := a.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	down.Store(true)
	clock.Advance(20 * time.Second)
	if resp := a.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("login while the store is down for two PollIntervals: %d; want 302", resp.StatusCode)
	}
	clock.Advance(11 * time.Second)
	if resp := a.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("login while the store is down for three PollIntervals: %d; want 503", resp.StatusCode)
	}
	down.Store(false)
	clock.Advance(10 * time.Second)
	if resp := a.raw("GET", "/sso/acme/login", nil); resp.StatusCode != http.StatusFound {
		t.Fatalf("login once the store is back: %d; want 302", resp.StatusCode)
	}
}

// TestConnectionLoginOfANewerVersionOnAStaleInstance: behind one origin,
// a login started on an instance that already sees version 2 completes
// on an instance that still knows only version 1 (within PollInterval).
func TestConnectionLoginOfANewerVersionOnAStaleInstance(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op1, op2 := newConnOP(t, clock), newConnOP(t, clock)
	v1 := put(t, store, settingsFor("acme", op1))
	var current atomic.Pointer[Site]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().Handler().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	newSite := func() *Site {
		s, err := New(Config{SessionSecrets: []rp.Secret{testSessionSecret}, Now: clock.Now,
			Connections: &Connections{Store: store, ExternalURL: srv.URL, Users: rp.NewMemoryUserStore(),
				RP: rp.Config{HTTPClient: loopbackPolicy.Client(nil), Now: clock.Now}}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	stale, fresh := newSite(), newSite()
	if links := stale.Providers(); len(links) != 1 { // stale reads version 1 now
		t.Fatalf("stale instance's providers: %+v", links)
	}
	v2 := settingsFor("acme", op2)
	v2.Version = v1.Version
	put(t, store, v2)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	current.Store(fresh)
	authz := get(srv.URL + "/sso/acme/login").Header.Get("Location")
	if !strings.HasPrefix(authz, op2.Issuer()) {
		t.Fatalf("the fresh instance's login went to %q; want version 2's provider", authz)
	}
	cb := get(authz).Header.Get("Location")
	current.Store(stale)
	if resp := get(cb); resp.StatusCode != http.StatusSeeOther || op2.Requests(rptest.EndpointToken) != 1 {
		t.Fatalf("version 2's login on the stale instance: %d (token requests at version 2's provider: %d); want 303 and 1",
			resp.StatusCode, op2.Requests(rptest.EndpointToken))
	}
}
