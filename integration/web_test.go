//go:build integration

package integration

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

// signInToPrivate opens /private in b, which Require sends to the
// provider's login page, signs in as u and checks that the browser lands
// back on /private.
func (e *env) signInToPrivate(t *testing.T, b *browser, u opUser) *page {
	t.Helper()
	login := b.get(e.app.URL + "/private")
	if login.URL.Host != e.opHost(t) || login.URL.Path != loginPagePath {
		t.Fatalf("/private did not lead to the provider's login page:\n%s", login)
	}
	if h := login.hopTo(t, e.appHost(), "/login/op"); h.URL.Query().Get("return_to") != "/private" {
		t.Errorf("Require sent the browser to %s, want return_to=/private", h.URL.RequestURI())
	}
	landed := b.signIn(login, u)
	if landed.Status != http.StatusOK || landed.URL.Host != e.appHost() || landed.URL.Path != "/private" ||
		landed.Body != "hello "+u.ID {
		t.Fatalf("the sign-in did not land on /private:\n%s", landed)
	}
	return landed
}

// TestRefresh: with offline_access the provider issues a refresh token;
// when the RP's clock says the access token is about to expire, Require
// refreshes it once, the page still works, and the session carries the
// provider's new access token.
//
// The provider keeps real time; only the RP (rp.Config.Now and
// web.Config.Now share one fake clock) is told that four and a half minutes
// passed, as the RP decides by its own clock when to refresh. The RP's clock
// skew is set to its maximum (5m) so that the refreshed ID token, issued by
// the provider's real clock, is not taken for one issued before the refresh
// began (ErrIDTokenIssuedBeforeLogin).
func TestRefresh(t *testing.T) {
	e := setup(t)
	clock := &fakeClock{}
	bc := newBackChannel()
	cfg := e.rpConfig(bc)
	cfg.Scopes = []string{"openid", "profile", "email", "offline_access"}
	cfg.Now = clock.Now
	cfg.ClockSkew = rp.MaxClockSkew
	app := e.serveWeb(t, newRP(t, cfg), clock.Now)
	b := newBrowser(t)

	e.signInToPrivate(t, b, alice)
	tokens := bc.to(tokenPath)
	if len(tokens) != 1 || tokens[0].Status != http.StatusOK || tokens[0].Form.Get("grant_type") != "authorization_code" {
		t.Fatalf("token requests at sign-in: %+v", tokens)
	}
	issued := tokens[0]
	refresh1 := issued.str("refresh_token")
	if refresh1 == "" {
		t.Fatalf("the provider issued no refresh token for offline_access: %v", issued.JSON)
	}
	seen := app.sessions()
	first := seen[len(seen)-1]
	if first.Subject != alice.ID || first.AccessToken == "" || first.AccessToken != issued.str("access_token") {
		t.Fatalf("session after sign-in: sub %q, access token as issued %v", first.Subject, first.AccessToken == issued.str("access_token"))
	}
	if d := time.Until(first.Expiry); d < 4*time.Minute || d > 5*time.Minute+time.Second {
		t.Errorf("access token expires in %v, want about 5 minutes", d)
	}

	// A request well before expiry does not refresh.
	if p := b.get(e.app.URL + "/private"); p.Status != http.StatusOK || len(p.Hops) != 1 {
		t.Fatalf("/private before expiry:\n%s", p)
	}
	if n := len(bc.to(tokenPath)); n != 1 {
		t.Fatalf("%d token requests before the access token was due, want 1", n)
	}

	// Four and a half minutes later by the RP's clock, the access token
	// expires within RefreshBefore (1m).
	clock.Advance(4*time.Minute + 30*time.Second)
	p := b.get(e.app.URL + "/private")
	if p.Status != http.StatusOK || len(p.Hops) != 1 || p.Body != "hello "+alice.ID {
		t.Fatalf("/private when the access token was about to expire:\n%s", p)
	}
	tokens = bc.to(tokenPath)
	if len(tokens) != 2 {
		t.Fatalf("%d token requests, want the sign-in's and one refresh", len(tokens))
	}
	rt := tokens[1]
	if rt.Status != http.StatusOK || rt.Form.Get("grant_type") != "refresh_token" || rt.Form.Get("refresh_token") != refresh1 ||
		!strings.HasPrefix(rt.Authorization, "Basic ") {
		t.Fatalf("refresh request: status %d, grant_type %q, the issued refresh token %v, Basic auth %v; answer %v",
			rt.Status, rt.Form.Get("grant_type"), rt.Form.Get("refresh_token") == refresh1, strings.HasPrefix(rt.Authorization, "Basic "), rt.JSON)
	}
	// The provider sends a new ID token with the refresh, which the RP
	// verified (by its clock, five minutes ahead of the provider's) and
	// accepted: it names the same user.
	if idt := rt.str("id_token"); idt == "" {
		t.Errorf("the refresh answer has no id_token: the RP's check of refreshed ID tokens went untested")
	} else if sub := jwtClaims(t, idt)["sub"]; sub != alice.ID {
		t.Errorf("refreshed ID token sub %v", sub)
	}
	// This provider rotates refresh tokens.
	if r2 := rt.str("refresh_token"); r2 == "" || r2 == refresh1 {
		t.Errorf("the refresh did not rotate the refresh token")
	}
	seen = app.sessions()
	second := seen[len(seen)-1]
	if second.AccessToken == first.AccessToken || second.AccessToken != rt.str("access_token") {
		t.Fatalf("the session's access token did not change to the refreshed one")
	}
	if d := second.Expiry.Sub(clock.Now()); d < 4*time.Minute || d > 5*time.Minute+time.Second {
		t.Errorf("refreshed access token expires in %v by the RP's clock, want about 5 minutes", d)
	}
	if second.Subject != alice.ID {
		t.Errorf("session subject after refresh %q", second.Subject)
	}
	// The new access token is real: the provider's userinfo accepts it.
	if status, body := e.userinfo(t, second.AccessToken); status != http.StatusOK || body["sub"] != alice.ID {
		t.Errorf("userinfo with the refreshed access token: %d %v", status, body)
	}

	// The refreshed session was saved: the next request neither refreshes
	// again nor goes back to the old token.
	if p := b.get(e.app.URL + "/private"); p.Status != http.StatusOK || len(p.Hops) != 1 {
		t.Fatalf("/private after the refresh:\n%s", p)
	}
	if n := len(bc.to(tokenPath)); n != 2 {
		t.Errorf("%d token requests, want no further refresh", n)
	}
	seen = app.sessions()
	if last := seen[len(seen)-1]; last.AccessToken != second.AccessToken {
		t.Errorf("the session went back to another access token after the refresh")
	}
}

// TestLogout: POST /logout ends the session and sends the browser to the
// provider's end_session endpoint with id_token_hint, client_id,
// post_logout_redirect_uri and state.
//
// The example provider cannot send the browser back: none of its clients
// registers a post-logout redirect URI (Client.PostLogoutRedirectURIs
// returns an empty list and the web client has no post-logout globs), so
// it answers 400 invalid_request "post_logout_redirect_uri invalid". The
// test asserts that, and that the local session is gone regardless. It
// then shows that the provider accepts the rest of the RP's request (the
// same URL without post_logout_redirect_uri ends the provider's session and
// redirects to its own /logged-out page with the state) and completes the
// return leg by taking that state to the app's /signout-callback-oidc, as
// the provider would have with a registered URI.
func TestLogout(t *testing.T) {
	e := setup(t)
	app := e.serveWeb(t, newRP(t, e.rpConfig(newBackChannel())), nil)
	b := newBrowser(t)
	e.signInToPrivate(t, b, alice)
	seen := app.sessions()
	accessToken := seen[len(seen)-1].AccessToken

	// A logout posted from another origin is refused and changes nothing.
	foreign := b.navigate(http.MethodPost, e.app.URL+"/logout", url.Values{}, http.Header{"Origin": {"http://evil.example"}})
	if foreign.Status != http.StatusForbidden || len(foreign.Hops) != 1 {
		t.Fatalf("a cross-origin logout was not refused:\n%s", foreign)
	}
	if p := b.get(e.app.URL + "/private"); p.Status != http.StatusOK || len(p.Hops) != 1 {
		t.Fatalf("the session did not survive a refused logout:\n%s", p)
	}

	out := b.navigate(http.MethodPost, e.app.URL+"/logout", url.Values{}, http.Header{"Origin": {e.app.URL}})
	if len(out.Hops) < 2 || out.Hops[0].Status != http.StatusSeeOther {
		t.Fatalf("logout did not redirect:\n%s", out)
	}
	end := out.Hops[1].URL
	if end.Host != e.opHost(t) || end.Path != endSessionPath {
		t.Fatalf("logout went to %s, want the provider's end_session endpoint", end.Redacted())
	}
	q := end.Query()
	if q.Get("client_id") != webClientID || q.Get("post_logout_redirect_uri") != e.app.URL+"/signout-callback-oidc" || q.Get("state") == "" {
		t.Errorf("end_session query: client_id %q post_logout_redirect_uri %q state set %v",
			q.Get("client_id"), q.Get("post_logout_redirect_uri"), q.Get("state") != "")
	}
	hint := jwtClaims(t, q.Get("id_token_hint"))
	if hint["sub"] != alice.ID || hint["iss"] != e.issuer || hint["azp"] != webClientID {
		t.Errorf("id_token_hint claims sub %v iss %v azp %v, want the sign-in's ID token", hint["sub"], hint["iss"], hint["azp"])
	}

	// What the example provider does with it: refuse the unregistered
	// post-logout URI, without redirecting anywhere.
	if out.Status != http.StatusBadRequest || out.URL.Path != endSessionPath || len(out.Hops) != 2 ||
		!strings.Contains(out.Body, `"invalid_request"`) || !strings.Contains(out.Body, "post_logout_redirect_uri invalid") {
		t.Fatalf("the provider's answer to the RP's end_session request:\n%s", out)
	}
	if out.visited(e.appHost(), "/signout-callback-oidc") {
		t.Fatalf("the browser came back to the app from a refused logout")
	}
	// The session at the app ended before the browser left for the
	// provider: an API call (not a page load) is now answered 401.
	api := b.navigate(http.MethodGet, e.app.URL+"/private", nil, http.Header{"Accept": {"application/json"}})
	if api.Status != http.StatusUnauthorized || len(api.Hops) != 1 {
		t.Fatalf("the session survived logout:\n%s", api)
	}

	// The same request without post_logout_redirect_uri: the provider
	// checks id_token_hint and client_id, ends its session for alice and
	// this client, and returns the state on its own page.
	bare := *end
	bq := end.Query()
	bq.Del("post_logout_redirect_uri")
	bare.RawQuery = bq.Encode()
	done := b.get(bare.String())
	if done.Status != http.StatusOK || done.URL.Host != e.opHost(t) || done.URL.Path != loggedOutPath ||
		done.URL.Query().Get("state") != q.Get("state") || !strings.Contains(done.Body, "signed out successfully") {
		t.Fatalf("end_session without post_logout_redirect_uri:\n%s", done)
	}
	// Ending the provider's session revoked the tokens it issued to the
	// app for alice.
	if status, _ := e.userinfo(t, accessToken); status == http.StatusOK {
		t.Errorf("userinfo still accepts the access token after end_session")
	}

	// The return leg with the state the provider passed on: the app checks
	// it against its logout cookie and goes on to LoggedOutURL.
	back := b.get(e.app.URL + "/signout-callback-oidc?state=" + url.QueryEscape(done.URL.Query().Get("state")))
	if back.Status != http.StatusOK || back.URL.Host != e.appHost() || back.URL.Path != "/bye" ||
		back.Body != "signed out of the test app" || len(back.Hops) != 2 {
		t.Fatalf("the post-logout return did not land on LoggedOutURL:\n%s", back)
	}
	// The logout cookie was single-use.
	again := b.get(e.app.URL + "/signout-callback-oidc?state=" + url.QueryEscape(done.URL.Query().Get("state")))
	if again.Status != http.StatusBadRequest {
		t.Errorf("a second post-logout return with the same state answered %d, want 400", again.Status)
	}

	// The protected page sends the browser to sign in again, and the
	// provider, having no session, shows its login page.
	p := b.get(e.app.URL + "/private")
	if p.URL.Host != e.opHost(t) || p.URL.Path != loginPagePath || !p.visited(e.appHost(), "/login/op") {
		t.Fatalf("/private after logout did not lead to the login page:\n%s", p)
	}
	if got := app.sessions(); !slices.ContainsFunc(got, func(s seenSession) bool { return s.Subject == alice.ID }) || len(got) != 2 {
		t.Errorf("/private served %d signed-in requests, want 2 (before the refused and the real logout)", len(got))
	}
}
