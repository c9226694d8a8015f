package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/rptest"
)

// The five seed products' settings pages, each saved as the JSON an
// administrator's form would send, stored as a connection and signed in
// through against rptest.

// seedConnection starts a provider with users, saves the settings JSON
// (with {{op}} standing for the provider's URL and the provider's client
// credentials filled in) and returns an app serving it.
func seedConnection(t *testing.T, users []rptest.User, settingsJSON string, accounts ...rp.User) (*connApp, *rptest.Server) {
	t.Helper()
	clock := newFakeClock()
	op := rptest.NewServer(rptest.Config{Users: users, Now: clock.Now})
	t.Cleanup(op.Close)
	var s connection.Settings
	raw := strings.NewReplacer("{{op}}", op.Issuer(), "{{client_id}}", op.ClientID(), "{{client_secret}}", op.ClientSecret()).Replace(settingsJSON)
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatalf("settings JSON: %v", err)
	}
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	put(t, store, s)
	a := newConnApp(t, clock, store, nil)
	for _, u := range accounts {
		a.store.Add(u)
	}
	return a, op
}

// signInAs signs in through the connection name as the provider's user
// hint and returns the final status and body of /me.
func (a *connApp) signInAs(name, hint string) (int, string) {
	a.t.Helper()
	a.jar, _ = cookiejar.New(nil) // a fresh browser
	a.browser.Jar, a.noRedir.Jar = a.jar, a.jar
	status, _, body := a.get("/sso/" + name + "/login?login_hint=" + url.QueryEscape(hint) + "&return_to=%2Fme")
	return status, body
}

func TestSeedConnectionFastClose(t *testing.T) {
	a, op := seedConnection(t, []rptest.User{
		{Subject: "entra-oid-pat", Claims: map[string]any{"email": "Pat@Contoso.example", "email_verified": true}},
		{Subject: "entra-oid-stranger", Claims: map[string]any{"email": "stranger@contoso.example", "email_verified": true}},
	}, `{"name":"fastclose","enabled":true,"authority":"{{op}}/","client_id":"{{client_id}}",
		"client_secret":{"action":"set","value":"{{client_secret}}"},"scopes":["openid","email"],
		"username_claim":"email","autolink":true,"allow_password_fallback":true}`,
		rp.User{ID: "fc-1", Username: "pat@contoso.example"})
	if status, body := a.signInAs("fastclose", "entra-oid-pat"); status != http.StatusOK || body != "user=pat@contoso.example provider=fastclose" {
		t.Fatalf("pat: %d %q", status, body)
	}
	if scope := op.LastAuthorizeParams().Get("scope"); scope != "openid email" {
		t.Fatalf("scope %q", scope)
	}
	if status, body := a.signInAs("fastclose", "entra-oid-stranger"); status != http.StatusForbidden || a.store.Len() != 1 {
		t.Fatalf("stranger: %d %q (%d accounts); want 403 and no account created", status, body, a.store.Len())
	}
}

func TestSeedConnectionEspoCRM(t *testing.T) {
	a, op := seedConnection(t, []rptest.User{
		{Subject: "sub-kim", Claims: map[string]any{"name": "Kim Lee", "groups": []any{"0f1e-sales", "77aa-unmapped"}}},
		{Subject: "sub-admin", Claims: map[string]any{"name": "Admin"}},
	}, `{"name":"espo","enabled":true,"endpoints":{"issuer":"{{op}}","authorization":"{{op}}/authorize",
		"token":"{{op}}/token","jwks":"{{op}}/jwks"},"client_id":"{{client_id}}",
		"client_secret":{"action":"set","value":"{{client_secret}}"},"username_claim":"sub","prompt":"login",
		"create_users":true,"sync_profile":true,"groups_claim":"groups","sync_groups":true,
		"group_mapping":{"0f1e-sales":"Sales"}}`,
		rp.User{ID: "espo-admin", Username: "sub-admin", Admin: true})
	if status, body := a.signInAs("espo", "sub-kim"); status != http.StatusOK || body != "user=sub-kim provider=espo" {
		t.Fatalf("kim: %d %q", status, body)
	}
	u, _ := a.store.UserBySubject(t.Context(), op.Issuer(), "sub-kim")
	if u == nil || u.Name != "Kim Lee" || fmt.Sprint(u.Groups) != "[Sales]" {
		t.Fatalf("created %+v", u)
	}
	if op.Requests(rptest.EndpointDiscovery) != 0 || op.LastAuthorizeParams().Get("prompt") != "login" {
		t.Fatalf("discovery %d times, prompt %q", op.Requests(rptest.EndpointDiscovery), op.LastAuthorizeParams().Get("prompt"))
	}
	if status, _ := a.signInAs("espo", "sub-admin"); status != http.StatusForbidden {
		t.Fatalf("admin with allow_admins off: %d; want 403", status)
	}
}

func TestSeedConnectionFudo(t *testing.T) {
	a, _ := seedConnection(t, []rptest.User{
		{Subject: "okta-1", Claims: map[string]any{"email": "user1@fudo.example", "email_verified": true}},
		{Subject: "okta-2", Claims: map[string]any{"email": "user2@fudo.example", "email_verified": true}},
		{Subject: "okta-4", Claims: map[string]any{"email": "user4@fudo.example", "email_verified": false}},
	}, `{"name":"okta","title":"Okta","enabled":true,"configuration_url":"{{op}}/.well-known/openid-configuration",
		"client_id":"{{client_id}}","client_secret":{"action":"set","value":"{{client_secret}}"},
		"username_claim":"email","email_claim":"email","autolink":true}`,
		rp.User{ID: "fudo-1", Username: "user1@fudo.example"}, rp.User{ID: "fudo-2", Username: "Fudo_2", Email: "user2@fudo.example"},
		rp.User{ID: "fudo-4", Username: "user4", Email: "user4@fudo.example"})
	for hint, want := range map[string]string{"okta-1": "user=user1@fudo.example provider=okta", "okta-2": "user=Fudo_2 provider=okta"} {
		if status, body := a.signInAs("okta", hint); status != http.StatusOK || body != want {
			t.Errorf("%s: %d %q; want %q", hint, status, body, want)
		}
	}
	if status, _ := a.signInAs("okta", "okta-4"); status != http.StatusForbidden {
		t.Fatalf("unverified email: %d; want 403", status)
	}
}

func TestSeedConnectionFederatedDirectory(t *testing.T) {
	a, op := seedConnection(t, []rptest.User{
		{Subject: "s-jane", Claims: map[string]any{"preferred_username": "jane.doe"}},
		{Subject: "s-thin", UserInfo: map[string]any{"preferred_username": "thin.user"}},
		{Subject: "s-unknown", Claims: map[string]any{"preferred_username": "nobody"}},
	}, `{"name":"fd","enabled":true,"configuration_url":"{{op}}/.well-known/openid-configuration",
		"client_id":"{{client_id}}","client_secret":{"action":"set","value":"{{client_secret}}"},"scopes":["openid"],
		"username_claim":"preferred_username","autolink":true,"post_logout_url":"/signed-out","email_domains":[{"domain":"fd.example"}]}`,
		rp.User{ID: "fd-1", Username: "jane.doe"}, rp.User{ID: "fd-2", Username: "thin.user"})
	if status, body := a.signInAs("fd", "s-jane"); status != http.StatusOK || body != "user=jane.doe provider=fd" {
		t.Fatalf("jane: %d %q", status, body)
	}
	if status, body := a.signInAs("fd", "s-thin"); status != http.StatusOK || body != "user=thin.user provider=fd" || op.Requests(rptest.EndpointUserInfo) != 1 {
		t.Fatalf("thin token: %d %q", status, body)
	}
	if status, _ := a.signInAs("fd", "s-unknown"); status != http.StatusForbidden || a.store.Len() != 2 {
		t.Fatalf("unknown user: %d, %d accounts; want 403 and none created", status, a.store.Len())
	}
	a.signInAs("fd", "s-jane")
	if resp := a.logout(); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	} else if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, op.Issuer()) {
		t.Fatalf("logout went to %q; want the provider's end-session endpoint", loc)
	} else {
		back := a.raw("GET", loc, nil) // the provider sends the browser back
		done := a.raw("GET", back.Header.Get("Location"), nil)
		if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/signed-out" {
			t.Fatalf("after the provider's logout: %d to %q; want the connection's post-logout URL", done.StatusCode, done.Header.Get("Location"))
		}
	}
}

func TestSeedConnectionSmartIQ(t *testing.T) {
	a, op := seedConnection(t, []rptest.User{{Subject: "siq-77", Claims: map[string]any{
		"name": "Sam Quinn", "email": "sam@example.com", "email_verified": true, "given_name": "Sam",
		"family_name": "Quinn", "phone_number": "+44 20 7946 0000", "cost_center": "CC-42"}}},
		`{"name":"smartiq","enabled":true,"authority":"{{op}}","client_id":"{{client_id}}",
		"client_secret":{"action":"set","value":"{{client_secret}}"},"response_type":"code",
		"scopes":["openid","profile","email","phone"],"create_users":true,"attribute_mappings":{"CostCentre":"cost_center"}}`)
	if status, body := a.signInAs("smartiq", "siq-77"); status != http.StatusOK || body != "user=siq-77 provider=smartiq" {
		t.Fatalf("sam: %d %q", status, body)
	}
	u, _ := a.store.UserBySubject(t.Context(), op.Issuer(), "siq-77")
	if u == nil || u.Email != "sam@example.com" || u.GivenName != "Sam" || u.PhoneNumber != "+44 20 7946 0000" || u.Attributes["CostCentre"] != "CC-42" {
		t.Fatalf("created %+v", u)
	}
	if p := op.LastAuthorizeParams(); p.Get("code_challenge_method") != "S256" || p.Get("response_type") != "code" {
		t.Fatalf("authorize params %v; want the code flow with PKCE", p)
	}
}
