package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-chi/chi/v5"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/admin"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/web"
)

// The messages of the refused requests, as the pages say them.
const (
	msgForbidden   = "Only administrators of this application may change its sign-in settings. Sign in with an administrator account and try again."
	msgCrossOrigin = "This form was sent from another site, so it was refused and nothing was changed. Open the settings page of this application and submit the form from there."
	msgTokenAbsent = "The form's security token is missing, so it was refused and nothing was changed. Reload the page (your browser must accept cookies from this site) and submit the form again."
	msgTokenWrong  = "The form's security token does not match this browser's, so it was refused and nothing was changed. Reload the page and submit the form again."
)

// TestUnauthorized: anyone but an administrator gets the 403 page, for
// every page, and a POST's body is not even read (a body over the limit
// is still 403, not 413).
func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	e.put(e.settings("acme"))
	for _, who := range []string{"", "mallory-user"} {
		b := e.browser(who)
		for _, path := range []string{"/admin/", "/admin/new?preset=okta", "/admin/connections/acme", "/admin/admin.css", "/admin/trials/x"} {
			r := b.get(path)
			wantStatus(t, who+" GET "+path, r, http.StatusForbidden)
			wantBody(t, path, r, messageOf(msgForbidden))
			if strings.Contains(r.body, "acme") {
				t.Errorf("%s: the 403 page names a connection", path)
			}
		}
		huge := url.Values{"action": {"delete"}, "confirm": {"yes"}, "version": {"1"}, "pad": {strings.Repeat("x", 100<<10)}}
		r := b.postRaw("/admin/connections/acme", huge, nil)
		wantStatus(t, who+" POST", r, http.StatusForbidden)
		wantBody(t, "POST", r, messageOf(msgForbidden))
	}
	if _, err := e.store.Get(context.Background(), "acme"); err != nil {
		t.Fatalf("the connection after refused requests: %v", err)
	}
}

// TestHeaders: every answer is uncacheable, unframeable and loads
// nothing from elsewhere.
func TestHeaders(t *testing.T) {
	e := newEnv(t)
	for _, who := range []string{"", "root-admin"} {
		r := e.browser(who).get("/admin/")
		for k, want := range map[string]string{
			"Cache-Control":           "no-store",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("admin %q: %s = %q, want %q", who, k, got, want)
			}
		}
	}
}

// TestCSRF: a POST from another site, without the form token, or with
// another browser's token, is refused with 403 and changes nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	saved := e.put(e.settings("acme"))
	b := e.browser("root-admin")
	token := b.csrf()
	del := func() url.Values {
		return url.Values{"action": {"delete"}, "confirm": {"yes"}, "version": {itoa(saved.Version)}}
	}

	f := del()
	f.Set("csrf", token)
	r := b.postRaw("/admin/connections/acme", f, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	wantStatus(t, "cross-site", r, http.StatusForbidden)
	wantBody(t, "cross-site", r, messageOf(msgCrossOrigin))

	f = del()
	f.Set("csrf", token)
	r = b.postRaw("/admin/connections/acme", f, http.Header{"Origin": {"https://evil.example"}})
	wantStatus(t, "another Origin", r, http.StatusForbidden)
	wantBody(t, "another Origin", r, messageOf(msgCrossOrigin))

	r = b.postRaw("/admin/connections/acme", del(), nil)
	wantStatus(t, "no token in the form", r, http.StatusForbidden)
	wantBody(t, "no token in the form", r, messageOf(msgTokenAbsent))

	other := e.browser("root-admin")
	f = del()
	f.Set("csrf", token)
	r = other.postRaw("/admin/connections/acme", f, nil)
	wantStatus(t, "no token cookie", r, http.StatusForbidden)
	wantBody(t, "no token cookie", r, messageOf(msgTokenAbsent))

	f = del()
	f.Set("csrf", other.csrf())
	r = b.postRaw("/admin/connections/acme", f, nil)
	wantStatus(t, "another browser's token", r, http.StatusForbidden)
	wantBody(t, "another browser's token", r, messageOf(msgTokenWrong))

	if _, err := e.store.Get(context.Background(), "acme"); err != nil {
		t.Fatalf("after the refused deletes: %v", err)
	}
	f = del()
	f.Set("csrf", token)
	r = b.postRaw("/admin/connections/acme", f, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.srv.URL}})
	wantStatus(t, "the same delete, same-origin with the token", r, http.StatusSeeOther)
}

// TestNewConfig: New lists every problem of a Config.
func TestNewConfig(t *testing.T) {
	_, err := admin.New(admin.Config{Path: "admin"})
	var ce *rp.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, rp.ErrInvalidConfig) {
		t.Fatalf("New(bad config) = %v; want an *rp.ConfigError", err)
	}
	var fields []string
	for _, p := range ce.Problems {
		fields = append(fields, p.Field)
	}
	if want := []string{"Store", "Authorize", "Path", "Site"}; !slices.Equal(fields, want) {
		t.Fatalf("problems of %v; want %v", fields, want)
	}
	e := newEnv(t)
	_, err = admin.New(admin.Config{Store: e.store, Site: e.site, Path: "/a/",
		Authorize: func(*http.Request) (string, bool) { return "", false },
		Templates: fstest.MapFS{"list.html": {Data: []byte("{{if}}")}}})
	if !errors.As(err, &ce) || ce.Problems[0].Field != "Templates" {
		t.Fatalf("New with a template that does not parse = %v", err)
	}
}

// TestTemplatesAndCSS: Config.Templates replaces a template by name, and
// Config.CSS the stylesheet.
func TestTemplatesAndCSS(t *testing.T) {
	e := newEnv(t)
	h, err := admin.New(admin.Config{Store: e.store, Site: e.site, Path: "/custom/", CSS: "body{color:red}",
		Authorize: func(*http.Request) (string, bool) { return "root-admin", true },
		Templates: fstest.MapFS{"list.html": {Data: []byte(`{{template "head" .}}<p>{{len .Rows}} connections</p>{{template "foot" .}}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	e.put(e.settings("acme"))
	for path, want := range map[string]string{"/custom/": "<p>1 connections</p>", "/custom/admin.css": "body{color:red}"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s: %d %q; want %q", path, rec.Code, rec.Body.String(), want)
		}
	}
}

// TestChiMount: under chi's Mount the request path is unchanged, and the
// Handler serves its pages there as under ServeMux.
func TestChiMount(t *testing.T) {
	e := newEnv(t)
	e.put(e.settings("acme"))
	h, err := admin.New(admin.Config{Store: e.store, Site: e.site, Path: "/settings/sso/",
		Authorize: func(*http.Request) (string, bool) { return "root-admin", true }})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Mount("/settings/sso", h)
	for path, want := range map[string]int{"/settings/sso/": 200, "/settings/sso/connections/acme": 200,
		"/settings/sso/connections/nope": 404, "/settings/sso": 303} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("chi GET %s: %d, want %d", path, rec.Code, want)
		}
	}
}

// TestHostileInput: oversized bodies and fields, bad names and versions
// and junk values get clear refusals, never a panic or a save.
func TestHostileInput(t *testing.T) {
	e := newEnv(t)
	saved := e.put(e.settings("acme"))
	b := e.browser("root-admin")

	big := formOf(e.settings("big"), "save")
	big.Set("title", strings.Repeat("t", 70<<10))
	r := b.post("/admin/new", big)
	wantStatus(t, "a 70 KiB body", r, http.StatusRequestEntityTooLarge)

	long := formOf(e.settings("long"), "save")
	long.Set("authority", "https://"+strings.Repeat("a", 3000))
	r = b.post("/admin/new", long)
	wantStatus(t, "a 3000-byte authority", r, http.StatusUnprocessableEntity)
	wantBody(t, "a 3000-byte authority", r, `<p class="error-message" id="field-authority-error"><span>this is longer than 2048 characters; shorten it</span> </p>`)

	for _, path := range []string{"/admin/connections/bad%20name", "/admin/connections/a.b", "/admin/connections/", "/admin/nope", "/admin/new?preset=nope"} {
		wantStatus(t, path, b.get(path), http.StatusNotFound)
	}
	f := formOf(saved, "save")
	f.Set("version", "x")
	r = b.post("/admin/connections/acme", f)
	wantStatus(t, "a version that is no number", r, http.StatusUnprocessableEntity)
	wantBody(t, "bad version", r, "Version: the form is damaged (its version is missing); reload the page and edit again")

	f = formOf(saved, "launch")
	wantStatus(t, "an unknown action", b.post("/admin/connections/acme", f), http.StatusBadRequest)

	junk := []string{"", "\x00", "\xff\xfe", "<script>alert(1)</script>", "a = b = c", "=", "\n\n\n", strings.Repeat("é", 500)}
	for _, v := range junk {
		f := formOf(e.settings("junk"), "save")
		for _, k := range []string{"name", "title", "scopes", "response_type", "prompt", "group_mapping", "attribute_mappings",
			"email_domains", "client_secret_action", "endpoints.token", "username_claim", "post_logout_url"} {
			f.Set(k, v)
		}
		r := b.post("/admin/new", f)
		if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, "<script>alert") {
			t.Errorf("junk %q: status %d (want 422), or unescaped", v, r.status)
		}
	}
	list, _ := e.store.List(context.Background())
	if len(list) != 1 || list[0].Version != saved.Version {
		t.Fatalf("the store after hostile forms: %+v", list)
	}
	if _, err := e.store.Get(context.Background(), "junk"); !errors.Is(err, connection.ErrNotFound) {
		t.Fatalf("a junk connection was saved: %v", err)
	}
}

// TestHTTPSCookies: on https the form token's cookie has the __Host-
// prefix, and is Secure, HttpOnly and SameSite=Strict.
func TestHTTPSCookies(t *testing.T) {
	store := connection.NewMemoryStore(connection.MemoryConfig{})
	site, err := web.New(web.Config{SessionSecrets: []rp.Secret{"0123456789abcdef0123456789abcdef-session"},
		Connections: &web.Connections{Store: store, ExternalURL: "https://app.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(admin.Config{Store: store, Site: site, Path: "/admin/",
		Authorize: func(*http.Request) (string, bool) { return "root-admin", true }})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example.com/admin/", nil))
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != "__Host-rp_admin_csrf" || !c[0].Secure || !c[0].HttpOnly ||
		c[0].SameSite != http.SameSiteStrictMode || c[0].Path != "/" || c[0].Domain != "" {
		t.Fatalf("cookies %+v", c)
	}
}
