package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// TestRealProviderCreatesAccounts runs the -authority setup against a
// provider without a login page: any user it signs in gets an account.
func TestRealProviderCreatesAccounts(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	opts, err := configFromArgs([]string{"-addr", ts.Listener.Addr().String()}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	op := rptest.NewServer(rptest.Config{
		RedirectURIs: []string{opts.RedirectURL},
		Users: []rptest.User{{Subject: "zoe-1", Claims: map[string]any{
			"preferred_username": "zoe", "name": "Zoe Zimmer", "email": "zoe@corp.example", "email_verified": true}}},
	})
	t.Cleanup(op.Close)
	opts.Authority, opts.ClientID, opts.ClientSecret = op.Issuer(), op.ClientID(), rp.Secret(op.ClientSecret())
	a, err := newApp(t.Context(), realConfig(opts, "s3cret-admin"))
	if err != nil {
		ts.Listener.Close()
		t.Fatal(err)
	}
	ts.Config.Handler = a.handler()
	ts.Start()
	t.Cleanup(ts.Close)

	c := newClient(t)
	resp, body := get(t, c, ts.URL+"/login/oidc?return_to=%2Fme")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" {
		t.Fatalf("sign-in ended with %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	for _, want := range []string{"Zoe Zimmer", "<code>zoe</code>", "zoe@corp.example", strings.TrimPrefix(op.Issuer(), "http://")} {
		if !strings.Contains(body, want) {
			t.Errorf("/me lacks %q:\n%s", want, body)
		}
	}
	if n := a.store.Len(); n != 2 {
		t.Errorf("the store holds %d accounts, want admin and zoe", n)
	}

	form := "username=admin&password=s3cret-admin&return_to=%2Fme"
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/login/password", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := do(t, noRedirects(newClient(t)), req); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("admin password sign-in: %d, want 303", resp.StatusCode)
	}
}
