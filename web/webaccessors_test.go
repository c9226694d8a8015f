package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

// TestAccessorsSafeForEverySession: ClaimsFrom(ctx).Name and
// SessionFrom(ctx).Claims() work behind Identify for a provider sign-in, a
// password sign-in and no sign-in at all.
func TestAccessorsSafeForEverySession(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	mux := http.NewServeMux()
	mux.Handle("/hello", a.web.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "name=%q signed_in=%v claims=%v", ClaimsFrom(r.Context()).Name, SessionFrom(r.Context()) != nil,
			len(SessionFrom(r.Context()).Claims().Raw) > 0)
	})))
	mux.HandleFunc("POST /password", func(w http.ResponseWriter, r *http.Request) {
		if err := a.web.SignIn(w, r, &rp.User{ID: "local-1", Username: "localadmin"}); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.Handle("/", a.srv.Config.Handler)
	a.srv.Config.Handler = mux

	if _, _, body := a.get("/hello"); body != `name="" signed_in=false claims=false` {
		t.Fatalf("not signed in: %q", body)
	}
	resp, err := a.browser.Post(a.srv.URL+"/password", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, _, body := a.get("/hello"); body != `name="" signed_in=true claims=false` {
		t.Fatalf("password sign-in: %q", body)
	}
	a.login("mock", "", "/")
	if _, _, body := a.get("/hello"); body != `name="Alice Example" signed_in=true claims=true` {
		t.Fatalf("provider sign-in: %q", body)
	}

	var nilInfo *SessionInfo
	if c := nilInfo.Claims(); c == nil || c.Raw == nil || c.Subject != "" {
		t.Fatalf("(*SessionInfo)(nil).Claims() = %+v; want empty claims", c)
	}
	if c := ClaimsFrom(context.Background()); c == nil || c.Name != "" {
		t.Fatalf("ClaimsFrom without a session = %+v; want empty claims", c)
	}
	if c := (&SessionInfo{rawClaims: []byte("not json")}).Claims(); c == nil || len(c.Raw) != 0 {
		t.Fatalf("Claims of undecodable claims = %+v; want empty claims", c)
	}
	if u := UserFrom(context.Background()); u != nil {
		t.Fatalf("UserFrom without a session = %v", u)
	}
}

// TestRequireRedirectsOnlyNavigations: only page loads go to the sign-in
// page; everything else, including a request without Accept, gets 401
// with a WWW-Authenticate challenge.
func TestRequireRedirectsOnlyNavigations(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	for _, tc := range []struct {
		method string
		header http.Header
		want   int
	}{
		{"GET", nil, http.StatusUnauthorized},
		{"GET", http.Header{"Accept": {"*/*"}}, http.StatusUnauthorized},
		{"GET", http.Header{"Accept": {"application/json"}}, http.StatusUnauthorized},
		{"GET", http.Header{"Accept": {"text/html", "application/xhtml+xml"}}, http.StatusSeeOther},
		{"GET", http.Header{"Accept": {"Text/HTML,*/*;q=0.8"}}, http.StatusSeeOther},
		{"HEAD", http.Header{"Accept": {"text/html"}}, http.StatusSeeOther},
		{"GET", http.Header{"Sec-Fetch-Mode": {"navigate"}}, http.StatusSeeOther},
		{"GET", http.Header{"Sec-Fetch-Mode": {"cors"}, "Accept": {"text/html"}}, http.StatusUnauthorized},
		{"POST", http.Header{"Sec-Fetch-Mode": {"navigate"}, "Accept": {"text/html"}}, http.StatusUnauthorized},
	} {
		resp := a.raw(tc.method, "/me", tc.header)
		if resp.StatusCode != tc.want {
			t.Errorf("%s %v: %d; want %d", tc.method, tc.header, resp.StatusCode, tc.want)
			continue
		}
		if tc.want == http.StatusUnauthorized {
			if got := resp.Header.Get("WWW-Authenticate"); got != `Cookie login="/login/mock"` {
				t.Errorf("%s %v: WWW-Authenticate %q", tc.method, tc.header, got)
			}
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %v: Cache-Control %q", tc.method, tc.header, resp.Header.Get("Cache-Control"))
		}
	}
}

// TestRedirectURLs: the URLs an administrator registers at the provider.
func TestRedirectURLs(t *testing.T) {
	a := newWebApp(t, oneProvider, func(c *Config) { c.PostLogoutPath = "/bye-oidc" })
	if got := a.web.order[0].RP.RedirectURL(); got != a.srv.URL+"/callback/mock" {
		t.Errorf("RP.RedirectURL() = %q", got)
	}
	links := a.web.Providers()
	want := LoginLink{Name: "mock", Title: "mock", LoginURL: "/login/mock",
		RedirectURL: a.srv.URL + "/callback/mock", PostLogoutRedirectURL: a.srv.URL + "/bye-oidc",
		BackchannelLogoutURL: a.srv.URL + "/backchannel-logout/mock", FrontchannelLogoutURL: a.srv.URL + "/frontchannel-logout/mock",
		InitiateLoginURL: a.srv.URL + "/initiate-login/mock"}
	if len(links) != 1 || links[0] != want {
		t.Errorf("Providers() = %+v; want %+v", links, want)
	}
}

// TestNewListsEveryProblem: New reports all problems at once, under
// Config's field names.
func TestNewListsEveryProblem(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	r := a.web.order[0].RP
	_, err := New(Config{
		SessionSecrets:    []rp.Secret{testSessionSecret, "short"},
		SessionCookieName: "bad name",
		SessionCookiePath: "app",
		IdleTimeout:       -time.Second,
		MaxSessionSize:    10,
		LogoutPath:        "logout",
		Providers:         []Provider{{Name: "bad name"}, {Name: "ok", RP: r}, {Name: "ok", RP: r}},
	})
	var ce *rp.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, rp.ErrInvalidConfig) {
		t.Fatalf("New = %v; want a *ConfigError", err)
	}
	var fields []string
	for _, p := range ce.Problems {
		fields = append(fields, p.Field)
	}
	for _, f := range []string{"SessionSecrets[1]", "SessionCookieName", "SessionCookiePath", "IdleTimeout", "MaxSessionSize",
		"LogoutPath", "Providers[0].Name", "Providers[0].RP", "Providers[2].Name"} {
		if !slices.Contains(fields, f) {
			t.Errorf("no problem reported for %s; got %q", f, fields)
		}
	}
}
