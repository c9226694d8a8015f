package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// TestTestSettings: Test settings runs the checks on the unsaved form:
// a wrong client secret is the failing credentials finding, a kept
// secret is the stored one, and nothing is saved.
func TestTestSettings(t *testing.T) {
	e := newEnv(t)
	b := e.browser("root-admin")
	s := e.settings("acme")
	s.ClientSecret.Value = wrongSecret
	r := b.post("/admin/new", formOf(s, "test"))
	wantStatus(t, "test with a wrong secret", r, http.StatusOK)
	wantBody(t, "wrong secret", r, `<h2 id="check-h">Test settings: failed (1 failure, 1 warning)</h2>`,
		`<li class="fail"><strong>Failure</strong> · Client ID and secret: the provider rejected the client ID or secret`,
		`<li class="ok"><strong>OK</strong> · Discovery document: read the discovery document at `+e.op.Issuer())
	if list, _ := e.store.List(context.Background()); len(list) != 0 {
		t.Fatal("Test settings saved the connection")
	}
	if !strings.Contains(e.log(), `msg="admin: connection tested" admin=root-admin connection=acme at=2026-01-02T03:04:05Z version=0 outcome=failed failures=1 warnings=1`) {
		t.Errorf("audit log:\n%s", e.log())
	}

	saved := e.put(e.settings("acme"))
	f := formOf(saved, "test")
	f.Set("client_secret_action", "keep")
	f.Del("client_secret")
	r = b.post("/admin/connections/acme", f)
	wantStatus(t, "test with the kept secret", r, http.StatusOK)
	wantBody(t, "kept secret", r, `Test settings: passed (0 failures`, `<li class="ok"><strong>OK</strong> · Client ID and secret:`)

	f.Set("client_id", "")
	r = b.post("/admin/connections/acme", f)
	wantStatus(t, "test of an invalid form", r, http.StatusUnprocessableEntity)
	wantBody(t, "invalid", r, `<a href="#field-client-id">Client ID: `)
}

// trialEnv starts a test sign-in of the settings s in a browser of
// root-admin, follows it through the provider back to the connection's
// redirect URL, and returns the browser and the result page's path.
func trialOf(t *testing.T, e *env, s connection.Settings, path string) (*browser, string) {
	t.Helper()
	b := e.browser("root-admin")
	r := b.post(path, formOf(s, "trial"))
	wantStatus(t, "trial", r, http.StatusOK)
	authURL := hrefOf(t, r.body, "trial-continue")
	if !strings.HasPrefix(authURL, e.op.Issuer()) {
		t.Fatalf("the trial continues to %q, not the provider", authURL)
	}
	r = b.get(authURL)
	wantStatus(t, "provider", r, http.StatusFound)
	cb := r.header.Get("Location")
	if !strings.HasPrefix(cb, e.srv.URL+"/sso/"+s.Name+"/callback?") {
		t.Fatalf("the provider sent the browser to %q", cb)
	}
	r = b.get(cb)
	wantStatus(t, "callback", r, http.StatusSeeOther)
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.Contains(c, "rp_session") {
			t.Fatalf("the trial's callback set a session cookie: %s", c)
		}
	}
	result := r.header.Get("Location")
	if !strings.HasPrefix(result, "/admin/trials/") {
		t.Fatalf("the callback sent the browser to %q", result)
	}
	return b, result
}

// TestTrialSignIn: Test sign-in signs in at the provider with the unsaved
// settings and shows the claims and what the matcher would do, without
// changing the user store or starting a session.
func TestTrialSignIn(t *testing.T) {
	t.Run("would create", func(t *testing.T) {
		e := newEnv(t)
		b, result := trialOf(t, e, e.settings("newco"), "/admin/new")
		r := b.get(result)
		wantStatus(t, "result", r, http.StatusOK)
		wantBody(t, "result", r, `data-outcome="create">Would create an account alice, linked to sub alice-sub.</p>`,
			`<tr><th scope="row"><code>preferred_username</code></th><td><code>alice</code></td></tr>`,
			`<tr><th scope="row"><code>email_verified</code></th><td><code>true</code></td></tr>`,
			`<tr><th scope="row">Username claim (preferred_username)</th><td><code>alice</code></td></tr>`,
			"Nothing was changed")
		if e.users.Len() != 0 {
			t.Fatalf("the trial created %d users", e.users.Len())
		}
		if c := b.cookie("rp_session"); c != "" {
			t.Fatal("the trial started a session")
		}
		if !strings.Contains(e.log(), `msg="admin: test sign-in completed" admin=root-admin connection=newco`) ||
			!strings.Contains(e.log(), "outcome=create") {
			t.Errorf("audit log:\n%s", e.log())
		}

		other := e.browser("other-admin")
		other.jar.SetCookies(b.jarURL(), b.jar.Cookies(b.jarURL())) // even with the first admin's cookies
		other.setAdmin("other-admin")
		r = other.get(result)
		wantStatus(t, "another admin", r, http.StatusForbidden)
		wantBody(t, "another admin", r, messageOf("This test sign-in was started by another administrator or in another browser; its result is shown only there."))
		r = e.browser("root-admin").get(result)
		wantStatus(t, "the same admin in another browser", r, http.StatusForbidden)

		r = b.get(result)
		wantStatus(t, "the result again", r, http.StatusOK)
	})
	t.Run("would link", func(t *testing.T) {
		e := newEnv(t, rp.User{ID: "u1", Username: "alice", Email: "alice@example.com"})
		s := e.settings("acme")
		s.AutoLink, s.CreateUsers = true, false
		saved := e.put(s)
		f := saved
		f.ClientSecret = connection.ClientSecret{Action: connection.SecretKeep}
		b, result := trialOf(t, e, f, "/admin/connections/acme")
		r := b.get(result)
		wantBody(t, "result", r, `data-outcome="link">Would link sub alice-sub to the account alice.</p>`)
		if sub, err := e.users.SubjectOf(context.Background(), "u1", e.op.Issuer()); err != nil || sub != "" {
			t.Fatalf("the trial linked the account: %q %v", sub, err)
		}
	})
	t.Run("would refuse", func(t *testing.T) {
		e := newEnv(t, rp.User{ID: "u1", Username: "alice", Admin: true})
		s := e.settings("acme")
		s.AutoLink, s.CreateUsers = true, false
		b, result := trialOf(t, e, s, "/admin/new")
		wantBody(t, "admin refused", b.get(result), `data-outcome="refuse">Would refuse the sign-in: the matching account is an administrator, and Allow OIDC login for admin users is off.</p>`)

		s.Name, s.AutoLink = "acme2", false
		b, result = trialOf(t, e, s, "/admin/new")
		wantBody(t, "no account", b.get(result), `data-outcome="refuse">Would refuse the sign-in: no local account matches these claims, and none may be created.`,
			`<code>alice@example.com</code>`)
	})
	t.Run("callback refused", func(t *testing.T) {
		e := newEnv(t)
		s := e.settings("acme")
		s.ClientSecret.Value = wrongSecret
		b, result := trialOf(t, e, s, "/admin/new")
		r := b.get(result)
		wantStatus(t, "result", r, http.StatusOK)
		wantBody(t, "token exchange refused", r, `data-outcome="failed">The sign-in did not complete: `)
	})
}

// TestTrialUnknown: a callback of a trial that does not exist, or was
// already completed, is refused with 404.
func TestTrialUnknown(t *testing.T) {
	e := newEnv(t)
	b := e.browser("root-admin")
	s := e.settings("newco")
	r := b.post("/admin/new", formOf(s, "trial"))
	r = b.get(hrefOf(t, r.body, "trial-continue"))
	cb := r.header.Get("Location")
	forged := strings.Replace(cb, "trial-", "trial-X", 1)
	wantStatus(t, "forged trial", b.get(forged), http.StatusNotFound)
	wantStatus(t, "the trial", b.get(cb), http.StatusSeeOther)
	r = b.get(cb)
	wantStatus(t, "the trial's callback again", r, http.StatusNotFound)
	wantBody(t, "again", r, "This test sign-in is unknown, finished or expired.")
	wantStatus(t, "an unknown result", b.get("/admin/trials/nope"), http.StatusNotFound)
}
