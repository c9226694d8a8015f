package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// newEntraWebApp is newWebApp with one provider "mock" that imitates an
// Entra ID multi-tenant authority: its issuer is the template
// "<URL>/{tenantid}/v2.0", and ID tokens carry the issuer of the user's
// tenant. Tenant "tenant-a" is allowed.
func newEntraWebApp(t *testing.T, users []rptest.User) *webApp {
	t.Helper()
	a := &webApp{t: t, clock: newFakeClock(), ops: map[string]*rptest.Server{}}
	a.store = rp.NewMemoryUserStore()
	mux := http.NewServeMux()
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	op := rptest.NewServer(rptest.Config{Users: users, EntraMultiTenant: true, Now: a.clock.Now})
	t.Cleanup(op.Close)
	a.ops["mock"] = op
	r, err := rp.New(context.Background(), rp.Config{
		Authority: op.URL + "/common/v2.0", MetadataURL: op.URL + "/.well-known/openid-configuration",
		AllowedTenants: []string{"tenant-a"}, ClientID: op.ClientID(), ClientSecret: rp.Secret(op.ClientSecret()),
		RedirectURL: a.srv.URL + "/callback/mock", Now: a.clock.Now, UsernameClaim: "preferred_username",
		Matcher: newMatcherT(t, rp.MatcherConfig{Store: a.store, CreateUsers: true}),
	})
	if err != nil {
		t.Fatal(err)
	}
	a.web, err = New(Config{SessionSecrets: []rp.Secret{testSessionSecret}, Now: a.clock.Now, Providers: []Provider{{Name: "mock", RP: r}}})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", a.web.Handler())
	mux.Handle("/me", a.web.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	a.jar, _ = cookiejar.New(nil)
	a.browser = &http.Client{Jar: a.jar}
	a.noRedir = &http.Client{Jar: a.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return a
}

// TestFrontchannelLogoutEntraTemplateInert: at a provider whose issuer is
// an Entra tenant template, the front-channel logout ends nothing, with
// the template itself as iss (which no provider sends, and which must not
// pass for the provider's issuer) or with a tenant's issuer (the request
// is not signed, so nothing ties that tenant to the provider's sessions);
// it answers the same page. Back-channel logout, whose tokens are signed,
// serves such providers.
func TestFrontchannelLogoutEntraTemplateInert(t *testing.T) {
	a := newEntraWebApp(t, []rptest.User{{Subject: "a-1", Claims: map[string]any{"tid": "tenant-a", "preferred_username": "ann@a.example"}}})
	if status, _, body := a.login("mock", "a-1", "/me"); status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	cookies := a.requestWithCookies().Cookies()
	op := a.ops["mock"]
	sids := op.SessionIDs("a-1")
	if len(sids) != 1 || a.web.order[0].RP.Metadata().Issuer != op.URL+"/{tenantid}/v2.0" {
		t.Fatalf("sids %q, issuer %q; want one sid and the template", sids, a.web.order[0].RP.Metadata().Issuer)
	}
	for _, iss := range []string{op.URL + "/{tenantid}/v2.0", op.URL + "/tenant-a/v2.0", op.URL + "/common/v2.0"} {
		q := "iss=" + url.QueryEscape(iss) + "&sid=" + url.QueryEscape(sids[0])
		for _, withCookies := range [][]*http.Cookie{nil, cookies} {
			resp, body := frontchannel(a.web, q, withCookies)
			checkFrontchannelPage(t, a, q, resp, body)
			if len(resp.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("%q: Set-Cookie %q; want none", q, resp.Header.Values("Set-Cookie"))
			}
			if status, _ := statusOn(a.web, cookies); status != http.StatusOK {
				t.Fatalf("%q: the session afterwards: %d; want 200 (nothing ended)", q, status)
			}
		}
	}
	tok, err := op.LogoutToken(rptest.LogoutTokenOptions{SessionID: sids[0]})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := deliverLogoutToken(t, a.srv.URL, tok)
	wantTokenAccepted(t, "back-channel logout at the template provider", resp, body)
	if status, _ := statusOn(a.web, cookies); status != http.StatusUnauthorized {
		t.Fatalf("the session after the back-channel logout: %d; want 401", status)
	}
}
