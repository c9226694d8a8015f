package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// TestList: the list shows every connection with its state, type, last
// test and last sign-in, and the presets to add one.
func TestList(t *testing.T) {
	e := newEnv(t)
	e.put(e.settings("acme"))
	off := e.settings("okta-beta")
	off.Enabled, off.Authority = false, "https://beta.okta.com"
	e.put(off)
	manual := e.settings("legacy")
	manual.Authority = ""
	manual.Endpoints = &connection.Endpoints{Issuer: "https://legacy.example", Authorization: "https://legacy.example/auth",
		Token: "https://legacy.example/token", JWKS: "https://legacy.example/keys"}
	e.put(manual)

	b := e.browser("root-admin")
	signIn(t, e, b, "acme")
	r := b.get("/admin/")
	wantStatus(t, "list", r, http.StatusOK)
	wantBody(t, "list", r,
		`<th scope="row"><a href="/admin/connections/acme">acme</a></th>`,
		`<td>Acme acme</td>`, `<td>authority (Other)</td>`, `<td>2026-01-02 03:04 UTC</td>`,
		`<a href="/admin/connections/okta-beta">okta-beta</a>`, `<span class="off">No</span>`, `<td>authority (Okta)</td>`,
		`<td>manual endpoints (Other)</td>`, `None on this server since it started`, `Not tested since the application started`)
	for _, p := range []string{"entra", "entra-multi", "okta", "google", "keycloak", "auth0", "generic"} {
		wantBody(t, "list", r, `<a href="/admin/new?preset=`+p+`">`)
	}

	test := formOf(e.settings("acme"), "test")
	test.Set("version", "1")
	test.Set("client_secret_action", "keep")
	test.Del("client_secret")
	wantStatus(t, "test", b.post("/admin/connections/acme", test), http.StatusOK)
	wantBody(t, "list after a test", b.get("/admin/"), `<span class="ok">Passed: 0 failures`)
}

// signIn signs a user in through the saved connection name, as the Site
// serves it, so that it has a last sign-in.
func signIn(t *testing.T, e *env, b *browser, name string) {
	t.Helper()
	r := b.get("/sso/" + name + "/login")
	wantStatus(t, "login", r, http.StatusFound)
	r = b.get(r.header.Get("Location"))
	wantStatus(t, "provider", r, http.StatusFound)
	r = b.get(r.header.Get("Location"))
	wantStatus(t, "callback", r, http.StatusSeeOther)
}

// TestPresets: each preset prefills the form, says what to do at the
// provider, and shows the URLs to register for its name.
func TestPresets(t *testing.T) {
	e := newEnv(t)
	b := e.browser("root-admin")
	for _, tc := range []struct{ id, name, authority, help string }{
		{"entra", "entra", "https://login.microsoftonline.com/&lt;tenant-id&gt;/v2.0", "copy its Value (not the Secret ID)"},
		{"entra-multi", "entra-multi", "https://login.microsoftonline.com/organizations/v2.0", "is not a connection setting yet"},
		{"okta", "okta", "https://&lt;your-org&gt;.okta.com", "OIDC – Web Application"},
		{"google", "google", "https://accounts.google.com", "email_verified is true"},
		{"keycloak", "keycloak", "https://&lt;host&gt;/realms/&lt;realm&gt;", "realm"},
		{"auth0", "auth0", "https://&lt;tenant&gt;.auth0.com/", "trailing slash"},
		{"generic", "sso", "", "redirect_uri mismatch"},
	} {
		r := b.get("/admin/new?preset=" + tc.id)
		wantStatus(t, tc.id, r, http.StatusOK)
		wantBody(t, tc.id, r,
			`name="name" value="`+tc.name+`"`, `name="authority" value="`+tc.authority+`"`,
			`name="scopes" value="openid profile email"`, tc.help,
			`value="`+e.srv.URL+`/sso/`+tc.name+`/callback"`, `value="`+e.srv.URL+`/signout-callback-oidc"`,
			`value="`+e.srv.URL+`/sso/`+tc.name+`/backchannel-logout"`,
			`<input type="password" id="field-client-secret" name="client_secret" value=""`)
	}
}

// TestEditFormHasEveryField: the form of a saved connection has a label
// and a help line for every field of the settings, the secret's state
// without the secret, and the version edited.
func TestEditFormHasEveryField(t *testing.T) {
	e := newEnv(t)
	s := e.settings("acme")
	s.GroupMapping = map[string]string{"g-1": "staff"}
	s.EmailDomains = []connection.EmailDomain{{Domain: "acme.example"}}
	e.put(s)
	r := e.browser("root-admin").get("/admin/connections/acme")
	wantStatus(t, "edit", r, http.StatusOK)
	for _, f := range []string{"name", "title", "enabled", "authority", "configuration-url", "endpoints-issuer",
		"endpoints-authorization", "endpoints-token", "endpoints-jwks", "endpoints-userinfo", "endpoints-end-session",
		"client-id", "client-secret", "scopes", "response-type", "disable-pkce", "prompt", "username-claim",
		"email-claim", "groups-claim", "group-mapping", "attribute-mappings", "create-users", "sync-profile",
		"sync-groups", "autolink", "allow-admins", "allow-password-fallback", "post-logout-url", "email-domains"} {
		wantBody(t, f, r, `<label for="field-`+f+`">`, `id="field-`+f+`-help"`)
	}
	wantBody(t, "edit", r, `<p class="state">A secret is set.</p>`, `value="keep" checked`, `name="version" value="1"`,
		`name="name" value="acme" readonly`, ">g-1 = staff\n</textarea>", ">acme.example\n</textarea>")
}

// TestSave: a valid form is stored by the administrator, logged without
// the secret, and the browser goes back to the list; editing again keeps
// the secret.
func TestSave(t *testing.T) {
	e := newEnv(t)
	b := e.browser("root-admin")
	s := e.settings("acme")
	s.EmailClaim, s.AutoLink = "email", true
	s.EmailDomains = []connection.EmailDomain{{Domain: "acme.example"}}
	f := formOf(s, "save")
	f.Set("group_mapping", "g-1 = staff\r\ng-2=ops\n")
	f.Set("endpoints.token", "")
	r := b.post("/admin/new", f)
	wantStatus(t, "save", r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/admin/?saved=acme" {
		t.Fatalf("after save: Location %q", loc)
	}
	got, err := e.store.Get(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.UpdatedBy != "root-admin" || got.ClientSecret.Value != opSecret || got.Authority != e.op.Issuer() ||
		!got.AutoLink || !got.CreateUsers || got.EmailClaim != "email" || got.GroupMapping["g-2"] != "ops" ||
		len(got.EmailDomains) != 1 || got.EmailDomains[0].Domain != "acme.example" || got.Endpoints != nil {
		t.Fatalf("stored %+v", got)
	}
	wantBody(t, "list", b.get(r.header.Get("Location")), `<p class="notice" role="status">Saved the connection acme.</p>`)
	log := e.log()
	if !strings.Contains(log, `msg="admin: connection saved" admin=root-admin connection=acme at=2026-01-02T03:04:05Z version=1 outcome=saved enabled=true secret=replaced`) {
		t.Errorf("audit log:\n%s", log)
	}
	if strings.Contains(log, opSecret) {
		t.Fatalf("the audit log holds the secret:\n%s", log)
	}

	f = formOf(got, "save")
	f.Set("client_secret_action", "keep")
	f.Del("client_secret")
	f.Set("title", "Acme staff")
	wantStatus(t, "save again", b.post("/admin/connections/acme", f), http.StatusSeeOther)
	got, _ = e.store.Get(context.Background(), "acme")
	if got.Version != 2 || got.Title != "Acme staff" || got.ClientSecret.Value != opSecret {
		t.Fatalf("after a save that keeps the secret: version %d title %q secret kept %v", got.Version, got.Title, got.ClientSecret.Value == opSecret)
	}
	f = formOf(got, "save")
	f.Set("client_secret_action", "remove")
	f.Del("client_secret")
	wantStatus(t, "remove the secret", b.post("/admin/connections/acme", f), http.StatusSeeOther)
	if got, _ = e.store.Get(context.Background(), "acme"); got.ClientSecret.IsSet {
		t.Fatal("the secret was not removed")
	}
}

// TestSaveInvalid: an invalid form is refused with 422, an error summary
// linking to each field, and the message at each field; nothing is
// stored.
func TestSaveInvalid(t *testing.T) {
	e := newEnv(t)
	b := e.browser("root-admin")
	s := e.settings("bad name!")
	s.ClientID, s.Scopes, s.PostLogoutURL = "", []string{"profile"}, "http://evil.example/out"
	s.EmailDomains = []connection.EmailDomain{{Domain: "gmail.com"}}
	r := b.post("/admin/new", formOf(s, "save"))
	wantStatus(t, "invalid", r, http.StatusUnprocessableEntity)
	wantBody(t, "invalid", r, `<div class="error-summary" role="alert" tabindex="-1" id="error-summary" autofocus>`)

	var ce *rp.ConfigError
	s.ClientSecret = connection.ClientSecret{Action: connection.SecretSet, Value: opSecret}
	if err := s.Validate(); !errors.As(err, &ce) {
		t.Fatalf("Validate: %v", err)
	}
	ids := map[string]string{"name": "name", "client_id": "client-id", "scopes": "scopes", "post_logout_url": "post-logout-url",
		"email_domains[0]": "email-domains"}
	labels := map[string]string{"name": "Name", "client_id": "Client ID", "scopes": "Scopes", "post_logout_url": "Logout page URL",
		"email_domains[0]": "Email domains"}
	if len(ce.Problems) != len(ids) {
		t.Fatalf("Validate found %v; the test expects one problem per field of %v", ce.Problems, ids)
	}
	for _, p := range ce.Problems {
		id := ids[p.Field]
		msg := esc(strings.ReplaceAll(p.Message, "ClientID", "Client ID"))
		wantBody(t, p.Field, r,
			fmt.Sprintf(`<li><a href="#field-%s">%s: %s</a></li>`, id, labels[p.Field], msg),
			fmt.Sprintf(`<p class="error-message" id="field-%s-error"><span>%s</span> </p>`, id, msg),
			fmt.Sprintf(`id="field-%s"`, id), fmt.Sprintf(`aria-describedby="field-%s-error field-%s-help" aria-invalid="true"`, id, id))
	}
	wantBody(t, "name message", r, `use 1 to 64 letters, digits, &#39;-&#39; or &#39;_&#39;, e.g. okta-acme`)
	wantBody(t, "kept values", r, `name="scopes" value="profile"`, `name="post_logout_url" value="http://evil.example/out"`,
		"The secret you typed is not shown again")
	if list, _ := e.store.List(context.Background()); len(list) != 0 {
		t.Fatalf("an invalid form was stored: %+v", list)
	}
	if !strings.Contains(e.log(), `msg="admin: connection save refused" admin=root-admin connection="bad name!"`) {
		t.Errorf("audit log:\n%s", e.log())
	}
}

// TestSaveConflict: a save of a version someone else replaced meanwhile
// is refused with 409 and the form kept; a new connection with a taken
// name is refused at the name; a domain of another connection at the
// domains.
func TestSaveConflict(t *testing.T) {
	e := newEnv(t)
	b := e.browser("root-admin")
	v1 := e.put(e.settings("acme"))
	other := v1
	other.Title = "Changed by someone else"
	other.ClientSecret.Action = connection.SecretKeep
	e.put(other)

	f := formOf(v1, "save")
	f.Set("title", "My edit")
	f.Set("client_secret_action", "keep")
	f.Del("client_secret")
	r := b.post("/admin/connections/acme", f)
	wantStatus(t, "stale save", r, http.StatusConflict)
	wantBody(t, "stale save", r, `<div class="alert" role="alert" tabindex="-1" id="alert" autofocus><p>Someone else saved this connection meanwhile; reload to see their version.`,
		`name="title" value="My edit"`, `name="version" value="1"`)
	if got, _ := e.store.Get(context.Background(), "acme"); got.Title != "Changed by someone else" || got.Version != 2 {
		t.Fatalf("after a stale save: %q v%d", got.Title, got.Version)
	}

	r = b.post("/admin/new", formOf(e.settings("acme"), "save"))
	wantStatus(t, "a taken name", r, http.StatusConflict)
	wantBody(t, "a taken name", r, `<p class="error-message" id="field-name-error"><span>a connection named acme exists already; choose another name, or edit that connection</span> </p>`)

	d := e.settings("beta")
	d.EmailDomains = []connection.EmailDomain{{Domain: "acme.example"}}
	e.put(d)
	n := e.settings("gamma")
	n.EmailDomains = []connection.EmailDomain{{Domain: "Acme.Example"}}
	r = b.post("/admin/new", formOf(n, "save"))
	wantStatus(t, "a taken domain", r, http.StatusUnprocessableEntity)
	wantBody(t, "a taken domain", r, `<p class="error-message" id="field-email-domains-error"><span>&#34;acme.example&#34; belongs to another connection; remove it from one of the two</span> </p>`)
}

// TestDelete: Delete asks first; confirmed, it deletes the version shown,
// and refuses a version someone else replaced.
func TestDelete(t *testing.T) {
	e := newEnv(t)
	b := e.browser("root-admin")
	saved := e.put(e.settings("acme"))
	f := formOf(saved, "delete")
	r := b.post("/admin/connections/acme", f)
	wantStatus(t, "delete", r, http.StatusOK)
	wantBody(t, "confirmation", r, "<h1>Delete the connection acme?</h1>", `<button type="submit" name="confirm" value="yes"`,
		`<input type="hidden" name="version" value="1">`)
	if _, err := e.store.Get(context.Background(), "acme"); err != nil {
		t.Fatalf("deleted before confirmation: %v", err)
	}

	newer := saved
	newer.ClientSecret.Action = connection.SecretKeep
	e.put(newer)
	f.Set("confirm", "yes")
	r = b.post("/admin/connections/acme", f)
	wantStatus(t, "a stale delete", r, http.StatusConflict)
	wantBody(t, "a stale delete", r, messageOf("Someone else saved this connection meanwhile; reload to see their version before you delete it. Nothing was deleted."))

	f.Set("version", "2")
	r = b.post("/admin/connections/acme", f)
	wantStatus(t, "confirmed delete", r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/admin/?deleted=acme" {
		t.Fatalf("Location %q", loc)
	}
	if _, err := e.store.Get(context.Background(), "acme"); !errors.Is(err, connection.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if !strings.Contains(e.log(), `msg="admin: connection deleted" admin=root-admin connection=acme at=2026-01-02T03:04:05Z version=2 outcome=deleted`) {
		t.Errorf("audit log:\n%s", e.log())
	}
	wantStatus(t, "the deleted connection's form", b.get("/admin/connections/acme"), http.StatusNotFound)
}
