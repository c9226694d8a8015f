package admin_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/admin"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/outbound"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/web"
)

// opSecret is the provider's client secret; wrongSecret is a wrong one.
// Neither may appear in any page.
const (
	opSecret    = "s3cr3t-Value-of-the-client-7Qp"
	wrongSecret = "wrong-secret-typed-by-an-admin-9Zx"
)

var loopback = outbound.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

var alice = rptest.User{Subject: "alice-sub", Claims: map[string]any{
	"email": "alice@example.com", "email_verified": true, "name": "Alice Example", "preferred_username": "alice",
}}

// env is an application with the admin page at /admin/, a provider, a
// connection store and a user store.
type env struct {
	t     *testing.T
	clock *rptest.Clock
	op    *rptest.Server
	store *connection.MemoryStore
	users *rp.MemoryUserStore
	site  *web.Site
	h     *admin.Handler
	srv   *httptest.Server

	logMu sync.Mutex
	logs  bytes.Buffer
}

// adminCookie names the administrator in these tests' Authorize.
const adminCookie = "test_admin"

func newEnv(t *testing.T, users ...rp.User) *env {
	t.Helper()
	e := &env{t: t, clock: rptest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	e.op = rptest.NewServer(rptest.Config{ClientSecret: opSecret, Users: []rptest.User{alice}, Now: e.clock.Now})
	t.Cleanup(e.op.Close)
	e.store = connection.NewMemoryStore(connection.MemoryConfig{Now: e.clock.Now})
	e.users = rp.NewMemoryUserStoreWith(users...)
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	site, err := web.New(web.Config{
		SessionSecrets: []rp.Secret{"0123456789abcdef0123456789abcdef-session"},
		Now:            e.clock.Now,
		Connections: &web.Connections{Store: e.store, ExternalURL: e.srv.URL, Users: e.users,
			RP: rp.Config{HTTPClient: loopback.Client(nil), Now: e.clock.Now}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.site = site
	e.h, err = admin.New(admin.Config{
		Store: e.store, Site: site, Path: "/admin/", Users: e.users, Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{e}, nil)),
		Authorize: func(r *http.Request) (string, bool) {
			c, err := r.Cookie(adminCookie)
			if err != nil || !strings.HasSuffix(c.Value, "-admin") {
				return "", false
			}
			return c.Value, true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/admin/", e.h)
	mux.Handle("/", site.Handler())
	return e
}

type lockedWriter struct{ e *env }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.e.logMu.Lock()
	defer w.e.logMu.Unlock()
	return w.e.logs.Write(p)
}

// log returns the audit log so far.
func (e *env) log() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

// settings are valid settings of a connection name to the provider.
func (e *env) settings(name string) connection.Settings {
	return connection.Settings{Name: name, Enabled: true, Title: "Acme " + name, Authority: e.op.Issuer(),
		ClientID: e.op.ClientID(), ClientSecret: connection.ClientSecret{Action: connection.SecretSet, Value: opSecret},
		Scopes: []string{"openid", "profile", "email"}, UsernameClaim: "preferred_username", CreateUsers: true}
}

// put saves s in the store.
func (e *env) put(s connection.Settings) connection.Settings {
	e.t.Helper()
	saved, err := e.store.Put(context.Background(), s, "setup")
	if err != nil {
		e.t.Fatalf("Put %s: %v", s.Name, err)
	}
	return saved
}

// browser is one browser of one administrator (or of nobody: admin "").
type browser struct {
	e   *env
	jar *cookiejar.Jar
	c   *http.Client
}

func (e *env) browser(admin string) *browser {
	jar, _ := cookiejar.New(nil)
	if admin != "" {
		u, _ := url.Parse(e.srv.URL)
		jar.SetCookies(u, []*http.Cookie{{Name: adminCookie, Value: admin, Path: "/"}})
	}
	return &browser{e: e, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// response is a page read by a browser.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request, and checks that no page ever holds a secret.
func (b *browser) do(req *http.Request) response {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, s := range []string{opSecret, wrongSecret} {
		if strings.Contains(string(body), s) {
			b.e.t.Fatalf("%s %s: the page holds a client secret:\n%s", req.Method, req.URL, body)
		}
	}
	return response{resp.StatusCode, resp.Header, string(body)}
}

// get reads a path of the application, or an absolute URL.
func (b *browser) get(path string) response {
	b.e.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = b.e.srv.URL + path
	}
	req, _ := http.NewRequest("GET", path, nil)
	return b.do(req)
}

// post submits form to path with this browser's form token, as the page's
// form would.
func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf())
	}
	return b.postRaw(path, form, nil)
}

// postRaw submits form as it is, with extra headers.
func (b *browser) postRaw(path string, form url.Values, header http.Header) response {
	b.e.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

// csrf returns this browser's form token, reading a page for it first
// when the browser has none.
func (b *browser) csrf() string {
	b.e.t.Helper()
	if v := b.cookie("rp_admin_csrf"); v != "" {
		return v
	}
	b.get("/admin/")
	v := b.cookie("rp_admin_csrf")
	if v == "" {
		b.e.t.Fatal("the list page set no form token cookie")
	}
	return v
}

// cookie returns the value of this browser's cookie name for the
// application, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.srv.URL + "/admin/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// formOf is the edit form's fields for settings s, as a browser posts
// them (the secret typed when s sets one).
func formOf(s connection.Settings, action string) url.Values {
	f := url.Values{"action": {action}, "name": {s.Name}, "title": {s.Title}, "authority": {s.Authority},
		"configuration_url": {s.ConfigurationURL}, "client_id": {s.ClientID}, "scopes": {strings.Join(s.Scopes, " ")},
		"username_claim": {s.UsernameClaim}, "email_claim": {s.EmailClaim}, "post_logout_url": {s.PostLogoutURL},
		"version": {itoa(s.Version)}}
	if s.ClientSecret.Action == connection.SecretSet {
		f.Set("client_secret_action", "set")
		f.Set("client_secret", string(s.ClientSecret.Value))
	} else {
		f.Set("client_secret_action", string(s.ClientSecret.Action))
	}
	for name, on := range map[string]bool{"enabled": s.Enabled, "create_users": s.CreateUsers, "autolink": s.AutoLink,
		"sync_profile": s.SyncProfile, "allow_admins": s.AllowAdmins} {
		if on {
			f.Set(name, "on")
		}
	}
	var domains []string
	for _, d := range s.EmailDomains {
		domains = append(domains, d.Domain)
	}
	f.Set("email_domains", strings.Join(domains, "\n"))
	return f
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// esc escapes s as html/template does in text.
func esc(s string) string { return strings.ReplaceAll(html.EscapeString(s), "+", "&#43;") }

// messageOf is the paragraph of a message page.
func messageOf(msg string) string {
	return `<p class="message">` + esc(msg) + `</p>`
}

// hrefOf returns the first link with the given id in body, unescaped.
func hrefOf(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + id + `"[^>]*href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link %s in:\n%s", id, body)
	}
	return html.UnescapeString(m[1])
}

// wantStatus fails unless r has status.
func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", what, r.status, status, r.body)
	}
}

// wantBody fails unless r's body holds each of parts.
func wantBody(t *testing.T, what string, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Errorf("%s: the page lacks %q; body:\n%s", what, p, r.body)
		}
	}
}

// jarURL is the application's URL, for the cookie jar.
func (b *browser) jarURL() *url.URL {
	u, _ := url.Parse(b.e.srv.URL + "/")
	return u
}

// setAdmin makes the browser sign in as admin.
func (b *browser) setAdmin(admin string) {
	b.jar.SetCookies(b.jarURL(), []*http.Cookie{{Name: adminCookie, Value: admin, Path: "/"}})
}
