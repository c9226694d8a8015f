package rp

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// sharedSecrets are the CookieSecrets of RPs that, like the instances of one
// deployment, seal with the same keys.
var sharedSecrets = []Secret{"0123456789abcdef0123456789abcdef-shared"}

// site is one RP of a multiApp: its provider and config changes.
type site struct {
	op  *rptest.Server
	mod func(*Config)
}

// multiApp is one app origin hosting several RPs, the RP called name under
// /name/login and /name/signin-oidc, and one browser visiting them.
type multiApp struct {
	t      *testing.T
	app    *httptest.Server
	rps    map[string]*RP
	jar    *cookiejar.Jar
	client *http.Client

	mu  sync.Mutex
	res map[string]*Result
	err map[string]error
}

// newProvider starts a provider with alice on clock.
func newProvider(t *testing.T, clock *rptest.Clock) *rptest.Server {
	t.Helper()
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{alice}, Now: clock.Now})
	t.Cleanup(op.Close)
	return op
}

func newMultiApp(t *testing.T, clock *rptest.Clock, sites map[string]site) *multiApp {
	t.Helper()
	a := &multiApp{t: t, rps: map[string]*RP{}, res: map[string]*Result{}, err: map[string]error{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/{rp}/login", func(w http.ResponseWriter, r *http.Request) {
		if err := a.rps[r.PathValue("rp")].Login(w, r, LoginOptions{}); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/{rp}/signin-oidc", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("rp")
		res, err := a.rps[name].Callback(w, r)
		a.mu.Lock()
		a.res[name], a.err[name] = res, err
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	a.app = httptest.NewServer(mux)
	t.Cleanup(a.app.Close)
	for name, s := range sites {
		cfg := Config{
			Authority:    s.op.Issuer(),
			ClientID:     s.op.ClientID(),
			ClientSecret: Secret(s.op.ClientSecret()),
			RedirectURL:  a.app.URL + "/" + name + "/signin-oidc",
			Now:          clock.Now,
		}
		if s.mod != nil {
			s.mod(&cfg)
		}
		r, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatalf("New(%s): %v", name, err)
		}
		a.rps[name] = r
	}
	a.jar, _ = cookiejar.New(nil)
	a.client = &http.Client{Jar: a.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return a
}

func (a *multiApp) get(u string) (int, string) {
	a.t.Helper()
	resp, err := a.client.Get(u)
	if err != nil {
		a.t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// start begins a login at the RP name and returns the query of the
// authorization response its provider sends back.
func (a *multiApp) start(name string) url.Values {
	a.t.Helper()
	status, authURL := a.get(a.app.URL + "/" + name + "/login")
	if status != http.StatusFound {
		a.t.Fatalf("login at %s answered %d", name, status)
	}
	status, cb := a.get(authURL)
	if status != http.StatusFound || !strings.HasPrefix(cb, a.rps[name].cfg.RedirectURL+"?") {
		a.t.Fatalf("provider of %s answered %d to %q; want 302 to its callback", name, status, cb)
	}
	u, _ := url.Parse(cb)
	return u.Query()
}

// deliver sends the authorization response q to the callback of the RP
// name and returns what it made of it.
func (a *multiApp) deliver(name string, q url.Values) (*Result, error) {
	a.t.Helper()
	if status, _ := a.get(a.app.URL + "/" + name + "/signin-oidc?" + q.Encode()); status != http.StatusNoContent {
		a.t.Fatalf("callback of %s answered %d", name, status)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.res[name], a.err[name]
}

// txCookies returns the names of the browser's login transaction cookies.
func (a *multiApp) txCookies() []string {
	u, _ := url.Parse(a.app.URL)
	var names []string
	for _, c := range a.jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "rp_tx_") {
			names = append(names, c.Name)
		}
	}
	return names
}

// TestTransactionOfAnotherProviderIsUnknown: with the same CookieSecrets, a
// login started at provider A and answered to provider B's callback (a
// mix-up) is not a login of B, and stays A's.
func TestTransactionOfAnotherProviderIsUnknown(t *testing.T) {
	clock := newFakeClock()
	opA, opB := newProvider(t, clock), newProvider(t, clock)
	shared := func(c *Config) { c.CookieSecrets = sharedSecrets }
	a := newMultiApp(t, clock, map[string]site{"a": {opA, shared}, "b": {opB, shared}})

	resp := a.start("a")
	if res, err := a.deliver("b", resp); !errors.Is(err, ErrStateUnknown) || res != nil {
		t.Fatalf("A's response at B's callback: %v; want ErrStateUnknown", err)
	}
	if n := opB.Requests(rptest.EndpointToken); n != 0 {
		t.Fatalf("B redeemed A's code at its provider (%d token requests)", n)
	}
	if res, err := a.deliver("a", resp); err != nil || res.Claims.Issuer != opA.Issuer() {
		t.Fatalf("A's own callback after the mix-up attempt: %+v, %v", res, err)
	}
}

// TestTransactionSealedForAnotherRP: the binding does not rest on the
// cookie name alone. A's sealed transaction copied under the name B looks
// up does not open at B (the associated data names A), so B answers
// ErrStateInvalid, as for any cookie that is not genuine.
func TestTransactionSealedForAnotherRP(t *testing.T) {
	clock := newFakeClock()
	shared := func(c *Config) { c.CookieSecrets = sharedSecrets }
	a := newMultiApp(t, clock, map[string]site{"a": {newProvider(t, clock), shared}, "b": {newProvider(t, clock), shared}})

	resp := a.start("a")
	state := resp.Get("state")
	u, _ := url.Parse(a.app.URL)
	var value string
	for _, c := range a.jar.Cookies(u) {
		if c.Name == a.rps["a"].txCookieName(state) {
			value = c.Value
		}
	}
	if value == "" {
		t.Fatal("A set no transaction cookie")
	}
	a.jar.SetCookies(u, []*http.Cookie{{Name: a.rps["b"].txCookieName(state), Value: value, Path: "/"}})
	if _, err := a.deliver("b", resp); !errors.Is(err, ErrStateInvalid) {
		t.Fatalf("A's transaction under B's cookie name: %v; want ErrStateInvalid", err)
	}
}

// TestLoginAtAnotherProviderKeepsLoginInProgress: clicking provider A's
// button, going back and clicking B's leaves A's login usable, whether or
// not the two RPs share their keys.
func TestLoginAtAnotherProviderKeepsLoginInProgress(t *testing.T) {
	for name, secrets := range map[string]func(*Config){
		"own secrets":    nil,
		"shared secrets": func(c *Config) { c.CookieSecrets = sharedSecrets },
	} {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			a := newMultiApp(t, clock, map[string]site{"a": {newProvider(t, clock), secrets}, "b": {newProvider(t, clock), secrets}})
			respA := a.start("a")
			respB := a.start("b")
			if n := len(a.txCookies()); n != 2 {
				t.Fatalf("%d login cookies after starting at A and at B; want 2", n)
			}
			if _, err := a.deliver("a", respA); err != nil {
				t.Fatalf("A's login after starting one at B: %v", err)
			}
			if _, err := a.deliver("b", respB); err != nil {
				t.Fatalf("B's login: %v", err)
			}
		})
	}
}

// TestLoginsInProgressCountedPerRP: MaxLoginsInProgress caps an RP's own
// logins; filling B to its cap evicts B's oldest, never A's.
func TestLoginsInProgressCountedPerRP(t *testing.T) {
	clock := newFakeClock()
	capB := func(c *Config) { c.CookieSecrets = sharedSecrets; c.MaxLoginsInProgress = 2 }
	a := newMultiApp(t, clock, map[string]site{
		"a": {newProvider(t, clock), func(c *Config) { c.CookieSecrets = sharedSecrets }},
		"b": {newProvider(t, clock), capB},
	})
	respA := a.start("a")
	var respB []url.Values
	for range 4 {
		clock.Advance(time.Second) // so the expiries order B's logins
		respB = append(respB, a.start("b"))
	}
	if n := len(a.txCookies()); n != 3 {
		t.Fatalf("%d login cookies; want A's and B's cap of 2", n)
	}
	if _, err := a.deliver("a", respA); err != nil {
		t.Fatalf("A's login after B reached its cap: %v", err)
	}
	for i, q := range respB {
		_, err := a.deliver("b", q)
		if i < 2 && !errors.Is(err, ErrStateUnknown) {
			t.Errorf("B's evicted login %d: %v; want ErrStateUnknown", i, err)
		}
		if i >= 2 && err != nil {
			t.Errorf("B's login %d: %v", i, err)
		}
	}
}

// TestTwoRedirectURLsOneProvider: two Webs of one origin using the same
// provider and client at /manage/signin-oidc and /produce/signin-oidc keep
// their logins apart: different cookie names, no eviction of each other,
// and neither accepts the other's response.
func TestTwoRedirectURLsOneProvider(t *testing.T) {
	clock := newFakeClock()
	op := newProvider(t, clock)
	one := func(c *Config) { c.CookieSecrets = sharedSecrets; c.MaxLoginsInProgress = 1 }
	a := newMultiApp(t, clock, map[string]site{"manage": {op, one}, "produce": {op, one}})

	manage := a.start("manage")
	produce := a.start("produce")
	state := manage.Get("state")
	m, p := a.rps["manage"].txCookieName(state), a.rps["produce"].txCookieName(state)
	if m == p || !strings.HasPrefix(m, "rp_tx_") || len(m) != len("rp_tx_")+8+1+16 {
		t.Fatalf("cookie names %q and %q; want rp_tx_<8 chars of the RP>_<16 chars of the state>, distinct", m, p)
	}
	if n := len(a.txCookies()); n != 2 {
		t.Fatalf("%d login cookies; want one per RP", n)
	}
	if _, err := a.deliver("produce", manage); !errors.Is(err, ErrStateUnknown) {
		t.Fatalf("manage's response at produce: %v; want ErrStateUnknown", err)
	}
	if _, err := a.deliver("manage", manage); err != nil {
		t.Fatalf("manage's login: %v", err)
	}
	if _, err := a.deliver("produce", produce); err != nil {
		t.Fatalf("produce's login: %v", err)
	}
}
