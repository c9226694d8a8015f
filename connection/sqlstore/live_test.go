package sqlstore_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/connection/sqlstore/pgnotify"
	"github.com/oidcrp/rp/outbound"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/web"
)

// instance is one process of an application serving the connections of
// a shared database: its own *sql.DB, Store, Site and origin.
type instance struct {
	t     *testing.T
	store *sqlstore.Store
	site  *web.Site
	srv   *httptest.Server
}

var liveSecret = rp.Secret(strings.Repeat("l", 32))

func newInstance(t *testing.T, src *source, sealer *connection.SecretSealer, clock *rptest.Clock, users rp.UserStore, watcher connection.Watcher) *instance {
	t.Helper()
	in := &instance{t: t, store: src.open(t, sealer, clock.Now)}
	mux := http.NewServeMux()
	in.srv = httptest.NewServer(mux)
	t.Cleanup(in.srv.Close)
	policy := outbound.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	site, err := web.New(web.Config{SessionSecrets: []rp.Secret{liveSecret}, Now: clock.Now,
		Connections: &web.Connections{Store: in.store, ExternalURL: in.srv.URL, Users: users, Watcher: watcher,
			RP: rp.Config{HTTPClient: policy.Client(nil), Now: clock.Now}}})
	if err != nil {
		t.Fatal(err)
	}
	in.site = site
	mux.Handle("/", site.Handler())
	mux.Handle("GET /me", site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "user="+web.UserFrom(r.Context()).Username+" provider="+web.SessionFrom(r.Context()).Provider)
	})))
	return in
}

// loginStatus is the status of a new browser's GET of name's login.
func (in *instance) loginStatus(name string) int {
	in.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(in.srv.URL + "/sso/" + name + "/login")
	if err != nil {
		in.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// signIn signs a new browser in through name and returns /me's body.
func (in *instance) signIn(name string) string {
	in.t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(in.srv.URL + "/sso/" + name + "/login?return_to=%2Fme")
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func liveSettings(op *rptest.Server) connection.Settings {
	return connection.Settings{Name: "acme", Enabled: true, Title: "Acme", Authority: op.Issuer(), ClientID: op.ClientID(),
		ClientSecret:  connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(op.ClientSecret())},
		UsernameClaim: "preferred_username", CreateUsers: true}
}

// TestLiveChangeAcrossInstances: two instances on one database, without
// a push: a connection saved through one becomes usable, changed and
// disabled on the other within PollInterval (10s), and not before.
func TestLiveChangeAcrossInstances(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		clock := rptest.NewClock(time.Now().Truncate(time.Second))
		op := rptest.NewServer(rptest.Config{Users: []rptest.User{{Subject: "alice", Claims: map[string]any{"preferred_username": "alice"}}}, Now: clock.Now})
		t.Cleanup(op.Close)
		sealer := sealer(t, key('k'))
		users := rp.NewMemoryUserStore()
		a := newInstance(t, src, sealer, clock, users, nil)
		b := newInstance(t, src, sealer, clock, users, nil)
		if got := b.loginStatus("acme"); got != http.StatusNotFound {
			t.Fatalf("B's login before any save: %d; want 404", got)
		}

		saved, err := a.store.Put(t.Context(), liveSettings(op), "admin")
		if err != nil {
			t.Fatal(err)
		}
		if got := b.loginStatus("acme"); got != http.StatusNotFound {
			t.Fatalf("B saw the save before PollInterval: %d", got)
		}
		clock.Advance(10 * time.Second)
		if got := b.signIn("acme"); got != "user=alice provider=acme" {
			t.Fatalf("B's sign-in through the connection A saved: %q", got)
		}

		saved.Title, saved.ClientSecret = "Acme Corporation", connection.ClientSecret{}
		if saved, err = a.store.Put(t.Context(), saved, "admin"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
		if links := b.site.Providers(); len(links) != 1 || links[0].Title != "Acme Corporation" {
			t.Fatalf("B's providers after the change: %+v", links)
		}
		if got := b.signIn("acme"); got != "user=alice provider=acme" {
			t.Fatalf("B's sign-in under version 2 (the secret kept): %q", got)
		}

		saved.Enabled, saved.ClientSecret = false, connection.ClientSecret{}
		if _, err = a.store.Put(t.Context(), saved, "admin"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
		if got := b.loginStatus("acme"); got != http.StatusNotFound {
			t.Fatalf("B's login after the connection was disabled: %d; want 404", got)
		}
	})
}

// told is a Watcher that reports on seen every call of the callback it
// passes on.
type told struct {
	connection.Watcher
	seen chan struct{}
}

func (w told) Watch(ctx context.Context, changed func()) error {
	return w.Watcher.Watch(ctx, func() {
		changed()
		w.seen <- struct{}{}
	})
}

// TestLiveChangePushed: on PostgreSQL, an instance running
// WatchConnections with the LISTEN/NOTIFY watcher sees another
// instance's save at once, without PollInterval passing.
func TestLiveChangePushed(t *testing.T) {
	src := postgresSource(t)
	clock := rptest.NewClock(time.Now().Truncate(time.Second))
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{{Subject: "alice", Claims: map[string]any{"preferred_username": "alice"}}}, Now: clock.Now})
	t.Cleanup(op.Close)
	sealer := sealer(t, key('k'))
	users := rp.NewMemoryUserStore()
	a := newInstance(t, src, sealer, clock, users, nil)
	w := told{pgnotify.New(src.db(t), src.prefix), make(chan struct{}, 4)}
	b := newInstance(t, src, sealer, clock, users, w)
	if got := b.loginStatus("acme"); got != http.StatusNotFound {
		t.Fatalf("B's login before any save: %d; want 404", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.site.WatchConnections(ctx) }()
	wait := func(what string) {
		select {
		case <-w.seen:
		case err := <-done:
			t.Fatalf("WatchConnections returned %v while waiting for %s", err, what)
		case <-t.Context().Done():
			t.Fatalf("no push for %s", what)
		}
	}
	wait("the start of listening")
	if _, err := a.store.Put(t.Context(), liveSettings(op), "admin"); err != nil {
		t.Fatal(err)
	}
	wait("A's save")
	if got := b.signIn("acme"); got != "user=alice provider=acme" {
		t.Fatalf("B's sign-in right after A's save, pushed: %q", got)
	}
	cancel()
	<-done
}
