//go:build integration

package integration

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
)

// TestNodeProviderWrongPassword: the provider shows its login page again
// with what went wrong, never sends the browser to the callback, and the
// page then still completes the sign-in with the right password.
func TestNodeProviderWrongPassword(t *testing.T) {
	op := setupNode(t)
	fa := op.serveFlow(newRP(t, op.rpConfig(t, newBackChannel(), "basic")))
	b := newBrowser(t)
	login := b.get(op.app.URL + "/login")
	f := loginForm(t, login)
	again := b.submit(f, f.fillLogin(t, alice.Username, "not-"+alice.Password))
	if again.Status != http.StatusOK || again.URL.Host != op.opHost(t) || !strings.HasPrefix(again.URL.Path, nodeLoginPrefix) ||
		len(again.Hops) != 1 || !strings.Contains(again.Body, "wrong username or password") {
		t.Fatalf("a wrong password did not show the login page again with the reason:\n%s", again)
	}
	if n := len(fa.callbacks()); n != 0 {
		t.Fatalf("the callback ran %d times after a wrong password", n)
	}
	landed := b.signIn(again, alice)
	if landed.Status != http.StatusOK || landed.URL.Host != op.appHost() || landed.URL.Path != "/" {
		t.Fatalf("the right password after a wrong one did not sign in:\n%s", landed)
	}
	if out := fa.only(t); out.err != nil || out.res.Claims.Subject != alice.ID {
		t.Fatalf("Callback after the retry: %v", out.err)
	}
}

// TestNodeProviderRefusesWhatTheClientRequires: a client registered with
// require_pushed_authorization_requests or require_signed_request_object
// is refused without PAR or JAR, so the sign-ins of TestNodeProviderSignIn
// that pass for those clients did use them. The provider sends the error
// to the callback, where Callback returns it as an *AuthorizationError.
func TestNodeProviderRefusesWhatTheClientRequires(t *testing.T) {
	for _, tc := range []struct {
		client, description string
	}{
		{"par", "Pushed Authorization Request must be used"},
		{"jar", "Request Object must be used by this client"},
	} {
		t.Run(tc.client, func(t *testing.T) {
			op := setupNode(t)
			fa := op.serveFlow(newRP(t, op.rpConfig(t, newBackChannel(), tc.client)))
			failed := newBrowser(t).get(op.app.URL + "/login")
			if failed.Status != http.StatusBadGateway || failed.URL.Host != op.appHost() || failed.URL.Path != "/callback" {
				t.Fatalf("the refused request did not fail at the callback:\n%s", failed)
			}
			out := fa.only(t)
			var ae *rp.AuthorizationError
			if !errors.Is(out.err, rp.ErrAuthorization) || !errors.As(out.err, &ae) {
				t.Fatalf("Callback: %v, want an *AuthorizationError", out.err)
			}
			if ae.Code != "invalid_request" || ae.Description != tc.description {
				t.Errorf("error %q %q, want invalid_request %q", ae.Code, ae.Description, tc.description)
			}
		})
	}
}

// TestNodeProviderLogout: the site's POST /logout sends the browser to the
// provider's end_session endpoint; the provider asks to confirm, ends its
// session and sends the browser back to the registered post-logout URI,
// where the site checks the state and goes on to LoggedOutURL. The access
// token no longer works at userinfo.
func TestNodeProviderLogout(t *testing.T) {
	op := setupNode(t)
	app := op.serveWeb(t, newRP(t, op.rpConfig(t, newBackChannel(), "basic")), nil)
	b := newBrowser(t)
	login := b.get(op.app.URL + "/private")
	if !strings.HasPrefix(login.URL.Path, nodeLoginPrefix) {
		t.Fatalf("/private did not lead to the provider's login page:\n%s", login)
	}
	if p := b.signIn(login, alice); p.Status != http.StatusOK || p.URL.Path != "/private" || p.Body != "hello "+alice.ID {
		t.Fatalf("the sign-in did not land on /private:\n%s", p)
	}
	seen := app.sessions()
	accessToken := seen[len(seen)-1].AccessToken

	confirm := b.navigate(http.MethodPost, op.app.URL+"/logout", url.Values{}, http.Header{"Origin": {op.app.URL}})
	end := confirm.hopTo(t, op.opHost(t), nodeEndSessionPath).URL.Query()
	if end.Get("client_id") != "basic" || end.Get("id_token_hint") == "" || end.Get("state") == "" ||
		end.Get("post_logout_redirect_uri") != op.app.URL+"/signout-callback-oidc" {
		t.Errorf("end_session query: %v", end)
	}
	var form *htmlForm
	if fs, err := forms(confirm.URL, confirm.Body); err == nil && len(fs) == 1 {
		form = fs[0]
	}
	if confirm.Status != http.StatusOK || form == nil || form.Fields.Get("logout") != "yes" {
		t.Fatalf("the provider did not ask to confirm the logout:\n%s", confirm)
	}
	done := b.submit(form, form.Fields)
	back := done.hopTo(t, op.appHost(), "/signout-callback-oidc").URL.Query()
	if back.Get("state") != end.Get("state") {
		t.Errorf("the provider came back with state %q, want %q", back.Get("state"), end.Get("state"))
	}
	if done.Status != http.StatusOK || done.URL.Path != "/bye" || done.Body != "signed out of the test app" {
		t.Fatalf("the logout did not end on LoggedOutURL:\n%s", done)
	}
	if p := b.get(op.app.URL + "/private"); !strings.HasPrefix(p.URL.Path, nodeLoginPrefix) {
		t.Errorf("/private after logout did not ask to sign in again:\n%s", p)
	}
	if status, _ := op.nodeUserinfo(t, accessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo answered %d to the access token after logout, want 401", status)
	}
}
