//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

// TestCodeFlowWithPKCE signs in with the default configuration: the
// authorization code flow with state, nonce and PKCE S256, the code
// exchanged with HTTP Basic client authentication, the ID token verified.
func TestCodeFlowWithPKCE(t *testing.T) {
	e := setup(t)
	bc := newBackChannel()
	r := newRP(t, e.rpConfig(bc))
	fa := e.serveFlow(r)
	b := newBrowser(t)

	start := time.Now()
	login := b.get(e.app.URL + "/login?return_to=" + "%2Freports%3Fid%3D7")
	if login.URL.Host != e.opHost(t) || login.URL.Path != loginPagePath || login.Status != http.StatusOK {
		t.Fatalf("the sign-in did not reach the provider's login page:\n%s", login)
	}
	landed := b.signIn(login, alice)
	if landed.Status != http.StatusOK || landed.URL.Host != e.appHost() || landed.URL.RequestURI() != "/reports?id=7" {
		t.Fatalf("the sign-in did not land on /reports?id=7:\n%s", landed)
	}

	// The authorization request as the browser carried it to the provider.
	auth := login.hopTo(t, e.opHost(t), authorizePath).URL.Query()
	for name, want := range map[string]string{
		"response_type":         "code",
		"client_id":             webClientID,
		"redirect_uri":          e.callbackURL,
		"scope":                 "openid profile email",
		"code_challenge_method": "S256",
	} {
		if got := auth.Get(name); got != want {
			t.Errorf("authorization request %s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"state", "nonce", "code_challenge"} {
		if auth.Get(name) == "" {
			t.Errorf("authorization request has no %s", name)
		}
	}

	// The provider's answer: code and the same state, no iss (it does not
	// advertise RFC 9207).
	cb := landed.hopTo(t, e.appHost(), "/callback").URL.Query()
	if cb.Get("code") == "" || cb.Get("state") != auth.Get("state") {
		t.Errorf("callback query %v: want a code and state %q", cb, auth.Get("state"))
	}
	if cb.Has("iss") {
		t.Errorf("callback query has iss=%q, which this provider does not send", cb.Get("iss"))
	}

	// The code exchange: Basic authentication, the code, and the PKCE
	// verifier whose S256 hash is the challenge.
	tokens := bc.to(tokenPath)
	if len(tokens) != 1 {
		t.Fatalf("%d token requests, want 1", len(tokens))
	}
	tr := tokens[0]
	if tr.Status != http.StatusOK {
		t.Fatalf("token endpoint answered %d: %v", tr.Status, tr.JSON)
	}
	if tr.Form.Get("grant_type") != "authorization_code" || tr.Form.Get("code") != cb.Get("code") ||
		tr.Form.Get("redirect_uri") != e.callbackURL {
		t.Errorf("token request form %v", tr.Form)
	}
	if !strings.HasPrefix(tr.Authorization, "Basic ") || tr.Form.Has("client_secret") {
		t.Errorf("token request authenticates with Authorization scheme %q, client_secret in the form %v; want client_secret_basic",
			authScheme(tr.Authorization), tr.Form.Has("client_secret"))
	}
	sum := sha256.Sum256([]byte(tr.Form.Get("code_verifier")))
	if tr.Form.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != auth.Get("code_challenge") {
		t.Errorf("the code_verifier does not hash to the code_challenge")
	}
	// The profile and email scopes make the default UserInfoAuto call
	// userinfo, where this provider serves those claims.
	if n := len(bc.to(userinfoPath)); n != 1 {
		t.Errorf("userinfo was called %d times; want once for the profile and email scopes", n)
	}

	out := fa.only(t)
	if out.err != nil {
		t.Fatalf("Callback: %v", out.err)
	}
	res := out.res
	c := res.Claims
	if c.Issuer != e.issuer || c.Subject != alice.ID || !slices.Equal(c.Audience, []string{webClientID}) {
		t.Errorf("claims iss %q sub %q aud %q, want %q %q [%s]", c.Issuer, c.Subject, c.Audience, e.issuer, alice.ID, webClientID)
	}
	if nonce, _ := c.Raw["nonce"].(string); nonce != auth.Get("nonce") {
		t.Errorf("ID token nonce %q, want the request's %q", nonce, auth.Get("nonce"))
	}
	if azp, _ := c.Raw["azp"].(string); azp != webClientID {
		t.Errorf("ID token azp %q, want %q", azp, webClientID)
	}
	// The example provider's clients do not assert userinfo claims into
	// ID tokens that come with an access token (IDTokenUserinfoClaimsAssertion
	// is false): the name and email come from userinfo.
	if c.Email != alice.Email || c.Name != alice.fullName() || c.PreferredUsername != alice.Username {
		t.Errorf("claims email %q name %q preferred_username %q; want alice's from userinfo", c.Email, c.Name, c.PreferredUsername)
	}
	if res.ReturnTo != "/reports?id=7" {
		t.Errorf("ReturnTo %q, want /reports?id=7", res.ReturnTo)
	}
	if res.Tokens.IDToken == "" || string(res.Tokens.AccessToken) != tr.str("access_token") || !strings.EqualFold(res.Tokens.TokenType, "Bearer") {
		t.Errorf("tokens: ID token set %v, access token as issued %v, type %q",
			res.Tokens.IDToken != "", string(res.Tokens.AccessToken) == tr.str("access_token"), res.Tokens.TokenType)
	}
	// No offline_access, no refresh token.
	if res.Tokens.RefreshToken != "" || tr.str("refresh_token") != "" {
		t.Errorf("a refresh token was issued without offline_access")
	}
	// The provider's access tokens live 5 minutes.
	if lo, hi := start.Add(4*time.Minute), time.Now().Add(5*time.Minute+time.Second); res.Tokens.Expiry.Before(lo) || res.Tokens.Expiry.After(hi) {
		t.Errorf("access token expiry %v, want about 5 minutes from now", res.Tokens.Expiry)
	}
	if n := len(fa.callbacks()); n != 1 {
		t.Errorf("the callback ran %d times", n)
	}
}

// TestUserInfo fetches the profile from userinfo, whose sub must be the ID
// token's: always with UserInfoAlways, and under the default UserInfoAuto
// when a mapped claim (EmailClaim) is missing from the ID token.
func TestUserInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		user opUser
		set  func(*rp.Config)
	}{
		{"UserInfoAlways", alice, func(c *rp.Config) { c.UserInfo = rp.UserInfoAlways }},
		{"EmailClaimMissingFromIDToken", bob, func(c *rp.Config) { c.EmailClaim = "email" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			bc := newBackChannel()
			cfg := e.rpConfig(bc)
			tc.set(&cfg)
			fa := e.serveFlow(newRP(t, cfg))
			b := newBrowser(t)

			landed := b.signIn(b.get(e.app.URL+"/login"), tc.user)
			if landed.Status != http.StatusOK || landed.URL.Host != e.appHost() || landed.URL.Path != "/" {
				t.Fatalf("the sign-in did not land on /:\n%s", landed)
			}
			out := fa.only(t)
			if out.err != nil {
				t.Fatalf("Callback: %v", out.err)
			}
			calls := bc.to(userinfoPath)
			if len(calls) != 1 {
				t.Fatalf("%d userinfo requests, want 1", len(calls))
			}
			ui := calls[0]
			if ui.Method != http.MethodGet || ui.Status != http.StatusOK ||
				ui.Authorization != "Bearer "+string(out.res.Tokens.AccessToken) {
				t.Errorf("userinfo request %s with the access token %v answered %d",
					ui.Method, ui.Authorization == "Bearer "+string(out.res.Tokens.AccessToken), ui.Status)
			}
			if ui.str("sub") != tc.user.ID {
				t.Errorf("userinfo sub %q, want %q", ui.str("sub"), tc.user.ID)
			}

			c := out.res.Claims
			want := rp.Claims{
				Issuer: e.issuer, Subject: tc.user.ID, Email: tc.user.Email, EmailVerified: tc.user.EmailVerified,
				Name: tc.user.fullName(), GivenName: tc.user.FirstName, FamilyName: tc.user.LastName,
				PreferredUsername: tc.user.Username,
			}
			got := rp.Claims{
				Issuer: c.Issuer, Subject: c.Subject, Email: c.Email, EmailVerified: c.EmailVerified,
				Name: c.Name, GivenName: c.GivenName, FamilyName: c.FamilyName,
				PreferredUsername: c.PreferredUsername,
			}
			if !claimsEqual(got, want) {
				t.Errorf("claims\n got %+v\nwant %+v", got, want)
			}
			if locale, _ := c.Raw["locale"].(string); locale != "en" {
				t.Errorf("locale claim %q, want the users file's en", locale)
			}
		})
	}
}

// authScheme is the scheme of an Authorization header ("Basic"), or "".
func authScheme(authorization string) string {
	scheme, _, _ := strings.Cut(authorization, " ")
	return scheme
}

func claimsEqual(a, b rp.Claims) bool {
	return a.Issuer == b.Issuer && a.Subject == b.Subject && a.Email == b.Email && a.EmailVerified == b.EmailVerified &&
		a.Name == b.Name && a.GivenName == b.GivenName && a.FamilyName == b.FamilyName && a.PreferredUsername == b.PreferredUsername
}

// TestWrongPassword: the provider shows its login page again, issues no
// code and never sends the browser to the callback; the same page then
// still completes the sign-in with the right password.
func TestWrongPassword(t *testing.T) {
	e := setup(t)
	fa := e.serveFlow(newRP(t, e.rpConfig(newBackChannel())))
	b := newBrowser(t)

	login := b.get(e.app.URL + "/login")
	f := loginForm(t, login)
	requestID := f.Fields.Get("id")
	if requestID == "" {
		t.Fatalf("the login form carries no auth request id: %v", f.Fields)
	}
	again := b.submit(f, f.fillLogin(t, alice.Username, "not-"+alice.Password))
	if again.Status != http.StatusOK || again.URL.Host != e.opHost(t) || again.URL.Path != loginPagePath || len(again.Hops) != 1 {
		t.Fatalf("a wrong password did not show the login page again:\n%s", again)
	}
	if !strings.Contains(again.Body, "username or password wrong") {
		t.Errorf("the login page does not say what went wrong:\n%s", again)
	}
	f2 := loginForm(t, again)
	if f2.Fields.Get("id") != requestID {
		t.Errorf("the login page lost the auth request id: %q, want %q", f2.Fields.Get("id"), requestID)
	}
	if n := len(fa.callbacks()); n != 0 {
		t.Fatalf("the callback ran %d times after a wrong password", n)
	}

	landed := b.submit(f2, f2.fillLogin(t, alice.Username, alice.Password))
	if landed.Status != http.StatusOK || landed.URL.Host != e.appHost() || landed.URL.Path != "/" {
		t.Fatalf("the right password after a wrong one did not sign in:\n%s", landed)
	}
	if out := fa.only(t); out.err != nil || out.res.Claims.Subject != alice.ID {
		t.Fatalf("Callback after the retry: %v", out.err)
	}
}

// TestWrongClientSecret: the provider refuses the code exchange, and
// Callback fails with a *TokenError carrying the provider's error code.
func TestWrongClientSecret(t *testing.T) {
	e := setup(t)
	bc := newBackChannel()
	cfg := e.rpConfig(bc)
	cfg.ClientSecret = "not-the-secret"
	fa := e.serveFlow(newRP(t, cfg))
	b := newBrowser(t)

	failed := b.signIn(b.get(e.app.URL+"/login"), alice)
	if failed.Status != http.StatusBadGateway || failed.URL.Host != e.appHost() || failed.URL.Path != "/callback" {
		t.Fatalf("the sign-in with a wrong client secret did not fail at the callback:\n%s", failed)
	}
	out := fa.only(t)
	if out.err == nil {
		t.Fatalf("Callback succeeded with a wrong client secret")
	}
	if out.res != nil {
		t.Errorf("a failed Callback returned a result")
	}
	if !errors.Is(out.err, rp.ErrTokenExchange) {
		t.Errorf("error %v does not match ErrTokenExchange", out.err)
	}
	var te *rp.TokenError
	if !errors.As(out.err, &te) {
		t.Fatalf("error %T %v is not a *TokenError", out.err, out.err)
	}
	t.Logf("Callback: %v", out.err)
	// The provider answers an unknown secret like RFC 6749 5.2 says:
	// 401 with invalid_client.
	if te.Code != "invalid_client" || te.StatusCode != http.StatusUnauthorized || te.Description != "invalid client_id / client_secret" {
		t.Errorf("TokenError code %q status %d description %q, want invalid_client 401 %q",
			te.Code, te.StatusCode, te.Description, "invalid client_id / client_secret")
	}
	tokens := bc.to(tokenPath)
	if len(tokens) != 1 || tokens[0].Status != http.StatusUnauthorized || tokens[0].str("error") != "invalid_client" {
		t.Errorf("token requests %+v, want one answered 401 invalid_client", tokens)
	}
	if strings.Contains(out.err.Error(), "not-the-secret") {
		t.Errorf("the error reveals the client secret: %v", out.err)
	}
}
