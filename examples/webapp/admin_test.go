package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

func TestAdminOnlyForAdministrators(t *testing.T) {
	app := startApp(t, nil)
	resp, _ := get(t, noRedirects(newClient(t)), app.URL+"/admin/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?return_to=%2Fadmin%2F" {
		t.Errorf("/admin/ signed out: %d to %q; want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}

	alice := newClient(t)
	postPassword(t, app, alice, "alice", "alice-demo", "/me")
	if resp, body := get(t, alice, app.URL+"/admin/"); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only administrators") {
		t.Errorf("/admin/ as alice: %d; want 403:\n%s", resp.StatusCode, body)
	}

	if _, body := get(t, alice, app.URL+"/me"); strings.Contains(body, `href="/admin/"`) {
		t.Error("alice's /me links to the settings")
	}

	root := newClient(t)
	postPassword(t, app, root, "admin", "admin-demo", "/me")
	if _, body := get(t, root, app.URL+"/me"); !strings.Contains(body, `<a class="button" id="admin-link" href="/admin/">`) {
		t.Errorf("admin's /me does not link to the settings:\n%s", body)
	}
	resp, body := get(t, root, app.URL+"/admin/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/admin/ as admin: %d:\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{`href="/admin/connections/azure"`, `href="/admin/connections/okta"`, "Entra ID (mock)", `href="/admin/new?preset=keycloak"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the admin list lacks %s:\n%s", want, body)
		}
	}
	// Losing the administrator flag loses the pages at once, in the
	// same session.
	u, err := app.in.app.users.UserByUsername(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.in.stores.db.ExecContext(t.Context(), `UPDATE rp_users SET admin = 0 WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, root, app.URL+"/admin/"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("/admin/ after the account lost the administrator flag: %d; want 403", resp.StatusCode)
	}
}

// TestSavedConnectionServesAtOnce: a connection saved (as the admin page
// does, through the app's store) is on the sign-in page at the next
// request, and signs users in, without a restart.
func TestSavedConnectionServesAtOnce(t *testing.T) {
	app := startApp(t, nil)
	c := newClient(t)
	get(t, c, app.URL+"/login") // the Site has read the store once
	kc := app.mock(t, "keycloak")
	_, err := app.in.stores.conns.Put(t.Context(), connection.Settings{Name: "kc", Title: "Keycloak (mock)", Enabled: true,
		Authority: kc.Issuer(), ClientID: kc.ClientID, EmailClaim: "email", AutoLink: true,
		ClientSecret: connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(kc.ClientSecret)}}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, c, app.URL+"/login"); !strings.Contains(body, `href="/sso/kc/login?return_to=%2Fme"`) {
		t.Errorf("the sign-in page lacks the connection saved a moment ago:\n%s", body)
	}
	resp, body := signIn(t, app, c, "kc", "erin")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" || !strings.Contains(body, "u-erin") || !strings.Contains(body, "Keycloak (mock)") {
		t.Errorf("erin through kc: %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
}
