package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"

	"github.com/oidcrp/rp/rptest"
)

// TestTwoWebsOnOneOrigin: two applications on one host ("Manage" and
// "Produce"), each with its own Site and session cookie, sign in and out
// independently.
func TestTwoWebsOnOneOrigin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		withPath bool
	}{{"names", false}, {"names and paths", true}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			webs := map[string]*Site{}
			for _, app := range []string{"manage", "produce"} {
				op := rptest.NewServer(rptest.Config{Users: []rptest.User{{Subject: app + "-sub"}}, Now: clock.Now})
				t.Cleanup(op.Close)
				r, err := rp.New(context.Background(), rp.Config{
					Authority: op.Issuer(), ClientID: op.ClientID(), ClientSecret: rp.Secret(op.ClientSecret()),
					RedirectURL: srv.URL + "/" + app + "/signin-oidc", Now: clock.Now,
				})
				if err != nil {
					t.Fatal(err)
				}
				cfg := Config{
					SessionSecrets: []rp.Secret{testSessionSecret}, Now: clock.Now, SessionCookieName: app + "_session",
					Providers:  []Provider{{Name: "mock", RP: r, LoginPath: "/" + app + "/login"}},
					LogoutPath: "/" + app + "/logout", PostLogoutPath: "/" + app + "/signout-callback-oidc",
					LoggedOutURL: "/" + app + "/bye",
				}
				if tc.withPath {
					cfg.SessionCookiePath = "/" + app
				}
				w, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				webs[app] = w
				mux.Handle("/"+app+"/", w.Handler())
				mux.Handle("/"+app+"/me", w.Require(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
					fmt.Fprintf(rw, "sub=%s", ClaimsFrom(r.Context()).Subject)
				})))
			}
			if got := webs["manage"].logoutCookieName(); got != "manage_session_logout" {
				t.Errorf("logout cookie %q; want it named after the session cookie", got)
			}
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar}
			get := func(path string, header string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				req.Header.Set("Accept", header)
				resp, err := browser.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			for _, app := range []string{"manage", "produce"} {
				if status, body := get("/"+app+"/login?return_to=/"+app+"/me", "text/html"); status != 200 || body != "sub="+app+"-sub" {
					t.Fatalf("sign-in to %s: %d %q", app, status, body)
				}
			}
			for _, app := range []string{"manage", "produce"} {
				if status, body := get("/"+app+"/me", "application/json"); status != 200 || body != "sub="+app+"-sub" {
					t.Fatalf("%s after both sign-ins: %d %q; want its own session", app, status, body)
				}
			}
			u, _ := url.Parse(srv.URL + "/manage/me")
			for _, c := range jar.Cookies(u) {
				if strings.HasPrefix(c.Name, "produce") && tc.withPath {
					t.Errorf("the produce cookie %s is sent to /manage", c.Name)
				}
			}
			// Sign out of Manage, following the provider's end-session.
			req, _ := http.NewRequest("POST", srv.URL+"/manage/logout", nil)
			req.Header.Set("Origin", srv.URL)
			resp, err := browser.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Request.URL.Path != "/manage/bye" {
				t.Fatalf("logout of manage ended at %s; want /manage/bye", resp.Request.URL)
			}
			if status, _ := get("/manage/me", "application/json"); status != http.StatusUnauthorized {
				t.Errorf("manage after its logout: %d; want 401", status)
			}
			if status, body := get("/produce/me", "application/json"); status != 200 || body != "sub=produce-sub" {
				t.Errorf("produce after the logout of manage: %d %q; want still signed in", status, body)
			}
		})
	}
}
