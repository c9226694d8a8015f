package rp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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

// newFakeClock returns a clock shared by the provider and the RP.
func newFakeClock() *rptest.Clock { return rptest.NewClock(time.Now().Truncate(time.Second)) }

var alice = rptest.User{Subject: "alice-sub", Claims: map[string]any{
	"email":              "alice@example.com",
	"email_verified":     true,
	"name":               "Alice Example",
	"preferred_username": "alice",
}}

// harness is a provider, an app using the RP, and a browser with a cookie
// jar that the test walks through a login one redirect at a time.
type harness struct {
	t      *testing.T
	op     *rptest.Server
	rp     *RP
	app    *httptest.Server
	jar    *cookiejar.Jar
	client *http.Client
	clock  *rptest.Clock
	logs   *bytes.Buffer
	opts   LoginOptions

	mu  sync.Mutex
	res *Result
	err error
}

// newHarness starts a provider with opCfg (alice added when it has no
// users) and an app whose RP config mod may adjust.
func newHarness(t *testing.T, opCfg rptest.Config, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), logs: &bytes.Buffer{}}
	if len(opCfg.Users) == 0 {
		opCfg.Users = []rptest.User{alice}
	}
	opCfg.Now = h.clock.Now
	h.op = rptest.NewServer(opCfg)
	t.Cleanup(h.op.Close)

	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if err := h.rp.Login(w, r, h.opts); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	callback := func(w http.ResponseWriter, r *http.Request) {
		res, err := h.rp.Callback(w, r)
		h.mu.Lock()
		h.res, h.err = res, err
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
	mux.HandleFunc("/callback", callback)
	mux.HandleFunc("/signin-oidc", callback)
	h.app = httptest.NewServer(mux)
	t.Cleanup(h.app.Close)

	cfg := Config{
		Authority:    h.op.Issuer(),
		ClientID:     h.op.ClientID(),
		ClientSecret: Secret(h.op.ClientSecret()),
		RedirectURL:  h.app.URL + "/callback",
		Now:          h.clock.Now,
		Logger:       slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	rp, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.rp = rp
	h.jar, _ = cookiejar.New(nil)
	h.client = &http.Client{
		Jar:           h.jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return h
}

// get fetches u with the browser and returns the redirect target.
func (h *harness) get(u string) (status int, location string) {
	h.t.Helper()
	resp, err := h.client.Get(u)
	if err != nil {
		h.t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// start begins a login at the app and returns the authorization URL.
func (h *harness) start() string {
	h.t.Helper()
	status, loc := h.get(h.app.URL + "/login")
	if status != http.StatusFound || !strings.HasPrefix(loc, h.op.URL+"/authorize?") {
		h.t.Fatalf("login answered %d to %q; want 302 to the provider", status, loc)
	}
	return loc
}

// authorize sends the browser to the provider and returns the callback URL
// it redirects back to.
func (h *harness) authorize(authURL string) string {
	h.t.Helper()
	status, loc := h.get(authURL)
	if status != http.StatusFound || !strings.HasPrefix(loc, h.rp.cfg.RedirectURL+"?") {
		h.t.Fatalf("provider answered %d to %q; want 302 to the callback", status, loc)
	}
	return loc
}

// callback delivers the authorization response and returns what the RP made
// of it.
func (h *harness) callback(cbURL string) (*Result, error) {
	h.t.Helper()
	if status, _ := h.get(cbURL); status != http.StatusNoContent {
		h.t.Fatalf("callback answered %d", status)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.res, h.err
}

func (h *harness) login() (*Result, error) {
	h.t.Helper()
	return h.callback(h.authorize(h.start()))
}

// withParam returns u with its query parameter k set to v, or removed when
// v is empty.
func withParam(t *testing.T, u, k, v string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	p.RawQuery = q.Encode()
	return p.String()
}

func param(t *testing.T, u, k string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get(k)
}

func TestLoginEndToEnd(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	h.opts = LoginOptions{ReturnTo: "/reports?id=7", Prompt: "login", LoginHint: "alice@example.com",
		Extra: url.Values{"domain_hint": {"example.com"}}}
	authURL := h.start()

	want := map[string]string{
		"client_id":             h.op.ClientID(),
		"redirect_uri":          h.app.URL + "/callback",
		"response_type":         "code",
		"scope":                 "openid profile email",
		"code_challenge_method": "S256",
		"prompt":                "login",
		"login_hint":            "alice@example.com",
		"domain_hint":           "example.com",
	}
	for k, v := range want {
		if got := param(t, authURL, k); got != v {
			t.Errorf("authorization request %s = %q; want %q", k, got, v)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(param(t, authURL, k)) < 43 {
			t.Errorf("authorization request %s = %q; want at least 256 random bits", k, param(t, authURL, k))
		}
	}

	cb := h.authorize(authURL)
	res, err := h.callback(cb)
	if err != nil {
		t.Fatalf("Callback: %v", err)
	}
	c := res.Claims
	if c.Subject != "alice-sub" || c.Issuer != h.op.Issuer() || c.Email != "alice@example.com" || !c.EmailVerified ||
		c.Name != "Alice Example" || c.PreferredUsername != "alice" {
		t.Errorf("claims = %+v", c)
	}
	if res.ReturnTo != "/reports?id=7" {
		t.Errorf("ReturnTo = %q", res.ReturnTo)
	}
	if res.Tokens.IDToken == "" || res.Tokens.AccessToken == "" || !strings.EqualFold(res.Tokens.TokenType, "bearer") {
		t.Errorf("tokens missing: %+v", res.Tokens)
	}
	// The transaction cookie is gone after use.
	u, _ := url.Parse(h.app.URL)
	if cookies := h.jar.Cookies(u); len(cookies) != 0 {
		t.Errorf("cookies left after the callback: %v", cookies)
	}
	// Nothing secret reached the log.
	logs := h.logs.String()
	for name, secret := range map[string]string{
		"id token": string(res.Tokens.IDToken), "access token": string(res.Tokens.AccessToken),
		"code": param(t, cb, "code"), "client secret": h.op.ClientSecret(), "nonce": param(t, authURL, "nonce"),
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the log", name)
		}
	}
	if !strings.Contains(logs, evSignIn) {
		t.Errorf("log lacks the completed login: %s", logs)
	}
}

func TestTwoTabsFinishInOppositeOrder(t *testing.T) {
	h := newHarness(t, rptest.Config{Users: []rptest.User{alice, {Subject: "bob-sub"}}}, nil)
	h.opts.ReturnTo = "/tab1"
	auth1 := h.start()
	h.opts.ReturnTo = "/tab2"
	auth2 := h.start()
	cb1 := h.authorize(auth1)
	cb2 := h.authorize(withParam(t, auth2, "login_hint", "bob-sub"))

	res2, err := h.callback(cb2)
	if err != nil || res2.Claims.Subject != "bob-sub" || res2.ReturnTo != "/tab2" {
		t.Fatalf("second tab: %+v, %v", res2, err)
	}
	res1, err := h.callback(cb1)
	if err != nil || res1.Claims.Subject != "alice-sub" || res1.ReturnTo != "/tab1" {
		t.Fatalf("first tab: %+v, %v", res1, err)
	}
}

func TestUserInfoFillsMissingMappedClaim(t *testing.T) {
	thin := rptest.User{Subject: "thin", Claims: map[string]any{"name": "From ID token"},
		UserInfo: map[string]any{"preferred_username": "thin.user", "name": "From userinfo"}}
	h := newHarness(t, rptest.Config{Users: []rptest.User{thin}}, func(c *Config) { c.UsernameClaim = "preferred_username" })
	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	if res.Claims.PreferredUsername != "thin.user" {
		t.Errorf("preferred_username = %q; want it from userinfo", res.Claims.PreferredUsername)
	}
	if res.Claims.Name != "From ID token" {
		t.Errorf("name = %q; the ID token's claim must win", res.Claims.Name)
	}
	if n := h.op.Requests(rptest.EndpointUserInfo); n != 1 {
		t.Errorf("userinfo requests = %d; want 1", n)
	}
}

func TestUserInfoNotFetchedWhenClaimsPresent(t *testing.T) {
	// Only openid: the profile and email scopes alone make UserInfoAuto
	// fetch userinfo.
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.Scopes = []string{"openid"}
		c.UsernameClaim, c.EmailClaim = "preferred_username", "email"
	})
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
	if n := h.op.Requests(rptest.EndpointUserInfo); n != 0 {
		t.Errorf("userinfo requests = %d; want 0", n)
	}
}

func TestManualEndpoints(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	base := h.op.URL
	rp, err := New(context.Background(), Config{
		ClientID:     h.op.ClientID(),
		ClientSecret: Secret(h.op.ClientSecret()),
		RedirectURL:  h.app.URL + "/callback",
		Now:          h.clock.Now,
		Endpoints: &Endpoints{
			Issuer: base, Authorization: base + "/authorize", Token: base + "/token",
			JWKS: base + "/jwks", UserInfo: base + "/userinfo",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	before := h.op.Requests(rptest.EndpointDiscovery)
	h.rp = rp
	res, err := h.login()
	if err != nil || res.Claims.Subject != "alice-sub" {
		t.Fatalf("login: %+v, %v", res, err)
	}
	if n := h.op.Requests(rptest.EndpointDiscovery); n != before {
		t.Errorf("discovery was fetched %d times with manual endpoints", n-before)
	}
}

func TestMetadataURLOverride(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.MetadataURL = c.Authority + "/.well-known/openid-configuration"
		c.Authority = ""
	})
	if got := h.rp.Metadata().Issuer; got != h.op.Issuer() {
		t.Fatalf("issuer = %q", got)
	}
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
}

func TestES256Provider(t *testing.T) {
	h := newHarness(t, rptest.Config{SigningAlg: "ES256"}, nil)
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
}

func TestKeyRotationBetweenLogins(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
	h.op.RotateKey(false)
	if _, err := h.login(); err != nil {
		t.Fatalf("login after key rotation: %v", err)
	}
}

func TestPublicClientWithPKCE(t *testing.T) {
	h := newHarness(t, rptest.Config{PublicClient: true, ClientSecret: ""}, func(c *Config) { c.ClientSecret = "" })
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
}

func TestLoginOptionErrors(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	for _, tc := range []struct {
		opts LoginOptions
		want error
	}{
		{LoginOptions{ReturnTo: "https://evil.example/"}, ErrUnsafeReturnTo},
		{LoginOptions{ReturnTo: "//evil.example/"}, ErrUnsafeReturnTo},
		{LoginOptions{Prompt: "always"}, ErrInvalidLoginOption},
		{LoginOptions{Extra: url.Values{"redirect_uri": {"https://evil.example/"}}}, ErrInvalidLoginOption},
		{LoginOptions{Extra: url.Values{"state": {"fixed"}}}, ErrInvalidLoginOption},
	} {
		rec := httptest.NewRecorder()
		err := h.rp.Login(rec, httptest.NewRequest("GET", "/login", nil), tc.opts)
		if !errors.Is(err, tc.want) {
			t.Errorf("Login(%+v) = %v; want %v", tc.opts, err, tc.want)
		}
		if len(rec.Result().Cookies()) != 0 || rec.Header().Get("Location") != "" {
			t.Errorf("Login(%+v) wrote a cookie or redirect despite the error", tc.opts)
		}
	}
}

func TestRedirectURIFromConfigNotHeaders(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	req := httptest.NewRequest("GET", "http://evil.example/login", nil)
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("X-Forwarded-Proto", "https")
	rec := httptest.NewRecorder()
	if err := h.rp.Login(rec, req, LoginOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := param(t, rec.Header().Get("Location"), "redirect_uri"); got != h.app.URL+"/callback" {
		t.Fatalf("redirect_uri = %q; want the configured one", got)
	}
}
