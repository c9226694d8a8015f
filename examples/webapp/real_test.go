package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// TestRealProviderCreatesAccounts runs the -authority setup against a
// provider without a login page: any user it signs in gets an account.
func TestRealProviderCreatesAccounts(t *testing.T) {
	op := rptest.NewServer(rptest.Config{
		Users: []rptest.User{{Subject: "zoe-1", Claims: map[string]any{
			"preferred_username": "zoe", "name": "Zoe Zimmer", "email": "zoe@corp.example", "email_verified": true}}},
	})
	t.Cleanup(op.Close)
	opts, err := configFromArgs([]string{"-db", memoryDB, "-authority", op.Issuer(), "-client-id", op.ClientID()},
		env(map[string]string{"OIDC_CLIENT_SECRET": op.ClientSecret()}))
	if err != nil {
		t.Fatal(err)
	}
	app := startAppWith(t, opts, env(nil))
	if len(app.in.mocks) != 0 {
		t.Errorf("%d mock providers started with -authority, want none", len(app.in.mocks))
	}

	c := newClient(t)
	resp, body := get(t, c, app.URL+"/login/oidc?return_to=%2Fme")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" {
		t.Fatalf("sign-in ended with %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	if got, want := op.LastAuthorizeParams().Get("redirect_uri"), app.URL+"/callback/oidc"; got != want {
		t.Errorf("redirect_uri %q, want %q", got, want)
	}
	for _, want := range []string{"Zoe Zimmer", "<code>zoe</code>", "zoe@corp.example", strings.TrimPrefix(op.Issuer(), "http://")} {
		if !strings.Contains(body, want) {
			t.Errorf("/me lacks %q:\n%s", want, body)
		}
	}
	if u, err := app.in.app.users.UserByUsername(t.Context(), "zoe"); err != nil || u.Email != "zoe@corp.example" {
		t.Errorf("zoe's account: %+v, %v; want one created with her email", u, err)
	}

	form := "username=admin&password=" + app.in.adminPassword + "&return_to=%2Fme"
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/login/password", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := do(t, noRedirects(newClient(t)), req); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("admin password sign-in: %d, want 303", resp.StatusCode)
	}
}
