package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

// postBackchannel sends what a provider's server would to the back-channel
// logout path of a's provider "mock": no cookies, a cross-site origin.
func (a *webApp) postBackchannel(method, contentType, body string) (*http.Response, string) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+"/backchannel-logout/mock", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Origin", "https://op.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const formType = "application/x-www-form-urlencoded"

// TestBackchannelLogoutRefusals: every request that is not a POST of a
// form with one logout_token the provider's RP verifies is refused, with
// exactly the status and JSON body for its kind, and ends nothing.
func TestBackchannelLogoutRefusals(t *testing.T) {
	var logs testlog.Buffer
	a := newWebApp(t, oneProvider, func(c *Config) { c.Logger = logs.Logger() })
	a.login("mock", "", "/me")
	cookies := a.requestWithCookies().Cookies()
	// A token the RP refuses (its signature is not one), shaped like a
	// real one; tokens the provider signs are in
	// webbackchannel_kinds_test.go.
	tok := "eyJhbGciOiJSUzI1NiIsInR5cCI6ImxvZ291dCtqd3QifQ.eyJzaWQiOiJzZWNyZXQtc2lkIn0.c2ln"
	for _, tc := range []struct {
		name, method, contentType, body string
		status                          int
		description                     string
	}{
		{"GET", "GET", "", "", http.StatusMethodNotAllowed, "the method must be POST"},
		{"PUT", "PUT", formType, "logout_token=" + tok, http.StatusMethodNotAllowed, "the method must be POST"},
		{"no content type", "POST", "", "logout_token=" + tok, http.StatusBadRequest, "the content type must be application/x-www-form-urlencoded"},
		{"JSON", "POST", "application/json", `{"logout_token":"` + tok + `"}`, http.StatusBadRequest, "the content type must be application/x-www-form-urlencoded"},
		{"multipart", "POST", "multipart/form-data; boundary=x", "--x--", http.StatusBadRequest, "the content type must be application/x-www-form-urlencoded"},
		{"too large", "POST", formType, "logout_token=" + tok + "&pad=" + strings.Repeat("a", 64<<10), http.StatusBadRequest, "the request body is too large"},
		{"not a form", "POST", formType, "logout_token=%zz", http.StatusBadRequest, "the request body is not a valid form"},
		{"missing", "POST", formType, "token=" + tok, http.StatusBadRequest, "missing logout_token"},
		{"empty", "POST", formType, "logout_token=", http.StatusBadRequest, "missing logout_token"},
		{"repeated", "POST", formType, "logout_token=" + tok + "&logout_token=" + tok, http.StatusBadRequest, "more than one logout_token"},
		{"refused token", "POST", formType, "logout_token=" + tok, http.StatusBadRequest, "invalid logout token"},
		{"refused token, charset", "POST", formType + "; charset=UTF-8", url.Values{"logout_token": {tok}}.Encode(), http.StatusBadRequest, "invalid logout token"},
		{"not a JWT", "POST", formType, "logout_token=abc", http.StatusBadRequest, "invalid logout token"},
	} {
		resp, body := a.postBackchannel(tc.method, tc.contentType, tc.body)
		var got struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if resp.StatusCode != tc.status || json.Unmarshal([]byte(body), &got) != nil ||
			got.Error != "invalid_request" || got.Description != tc.description {
			t.Errorf("%s: %d %s; want %d with error_description %q", tc.name, resp.StatusCode, body, tc.status, tc.description)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: Cache-Control %q, Content-Type %q", tc.name, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
		}
		if tc.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s: Allow %q; want POST", tc.name, resp.Header.Get("Allow"))
		}
		if strings.Contains(body, "secret-sid") || strings.Contains(body, tok) {
			t.Errorf("%s: the answer shows the token: %s", tc.name, body)
		}
	}
	if status := a.statusWith(cookies); status != http.StatusOK {
		t.Fatalf("the session after refused logouts: %d; want 200 (nothing ended)", status)
	}
	lines := 0
	for _, l := range logs.Lines(t) {
		if l["msg"] != evBackchannelFailed {
			continue
		}
		lines++
		if l["provider"] != "mock" || l["iss"] != a.ops["mock"].Issuer() {
			t.Errorf("log line %v; want provider and iss", l)
		}
		level := "WARN"
		if l["error_kind"] == "backchannel_request" {
			level = "INFO"
		}
		if l["level"] != level || l["status"] == nil {
			t.Errorf("log line %v; want the status, at INFO for a malformed request, at WARN for a refused token", l)
		}
	}
	if lines != 13 {
		t.Errorf("%d log lines for 13 refused requests; want one each", lines)
	}
	if strings.Contains(logs.String(), "secret-sid") || strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), "c2ln") {
		t.Errorf("the token is in the log:\n%s", logs.String())
	}
}

// TestBackchannelLogoutPaths: the path is per provider, configurable,
// registered with the Site's other paths, and listed for registration.
func TestBackchannelLogoutPaths(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	if l := a.web.Providers()[0]; l.BackchannelLogoutURL != a.srv.URL+"/backchannel-logout/mock" || l.FrontchannelLogoutURL != a.srv.URL+"/frontchannel-logout/mock" {
		t.Fatalf("logout URLs %q, %q", l.BackchannelLogoutURL, l.FrontchannelLogoutURL)
	}
	r := a.web.order[0].RP
	_, err := New(Config{SessionSecrets: []rp.Secret{testSessionSecret}, Providers: []Provider{{Name: "a", RP: r, BackchannelLogoutPath: "/login/a"}}})
	var ce *rp.ConfigError
	if !errors.As(err, &ce) || ce.Problems[0].Field != "Providers[0]" {
		t.Fatalf("a back-channel path that is the login path: %v; want a problem with Providers[0]", err)
	}
	_, err = New(Config{SessionSecrets: []rp.Secret{testSessionSecret}, Providers: []Provider{{Name: "a", RP: r, FrontchannelLogoutPath: "no-slash"}}})
	if !errors.As(err, &ce) || ce.Problems[0].Field != "Providers[0].FrontchannelLogoutPath" {
		t.Fatalf("a relative front-channel path: %v; want a problem with Providers[0].FrontchannelLogoutPath", err)
	}
	b := a.otherInstance(func(c *Config) { c.Providers[0].BackchannelLogoutPath = "/oidc/bcl" })
	if l := b.Providers()[0]; l.BackchannelLogoutURL != a.srv.URL+"/oidc/bcl" {
		t.Fatalf("BackchannelLogoutURL %q", l.BackchannelLogoutURL)
	}
}

// TestEndProviderSessions: what a provider's logout ends, on every
// instance: by sid the sessions of that provider session only, by sub
// alone every session of the subject at that provider; a store failure is
// an error.
func TestEndProviderSessions(t *testing.T) {
	for _, mode := range sharedModes {
		t.Run(mode.name, func(t *testing.T) {
			store := newIndexStore()
			var shared *faultyShared
			a := newWebApp(t, map[string][]rptest.User{"mock": {alice, bob}}, func(c *Config) {
				shared = newFaultyShared(c.Now)
				mode.set(c, store, shared)
			})
			b := a.otherInstance(nil)
			a.withSID("mock", "op-sid-1")
			a.login("mock", "alice", "/me")
			first := a.newBrowser()
			a.withSID("mock", "op-sid-2")
			a.login("mock", "alice", "/me")
			second := a.newBrowser()
			a.login("mock", "bob", "/me")
			bobs := a.newBrowser()
			ctx := context.Background()

			if _, err := b.endProviderSessions(ctx, "mock", "op-sid-1", "alice-sub"); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"first": 401, "second": 200, "bob": 200}
			check := func(step string) {
				t.Helper()
				for name, c := range map[string][]*http.Cookie{"first": first, "second": second, "bob": bobs} {
					if status, _ := statusOn(a.web, c); status != want[name] {
						t.Errorf("%s: %s session: %d; want %d", step, name, status, want[name])
					}
				}
			}
			check("after the sid's logout")
			if _, err := b.endProviderSessions(ctx, "other", "", "alice-sub"); err != nil {
				t.Fatal(err)
			}
			check("after another provider's logout of the same sub")
			if _, err := b.endProviderSessions(ctx, "mock", "", "alice-sub"); err != nil {
				t.Fatal(err)
			}
			want["second"] = 401
			check("after the sub's logout")
			if _, err := b.endProviderSessions(ctx, "mock", "", ""); !errors.Is(err, ErrSessionsNotEnded) {
				t.Errorf("neither sid nor sub: %v; want ErrSessionsNotEnded", err)
			}
			store.deleteErr = errDown
			shared.fail(nil, errDown, nil)
			_, err := b.endProviderSessions(ctx, "mock", "", "bob-sub")
			wantErr := ErrSharedStore
			if mode.name == "store" {
				wantErr = session.ErrStore
			}
			if !errors.Is(err, ErrSessionsNotEnded) || !errors.Is(err, wantErr) {
				t.Errorf("with the store down: %v; want ErrSessionsNotEnded wrapping %v", err, wantErr)
			}
		})
	}
}
