package rp_test

// The README's code snippets, compiled and vetted here and kept equal to
// the README by TestREADMESnippets. web.ExampleNew runs the same handlers
// against the mock provider.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/web"
)

// The snippets are compiled, not called: they need a real provider or
// register on http.DefaultServeMux.
var _ = []any{readmeUse, readmeLowerLevel, readmeHooks}

// readmeUse holds the README's "Use" snippet.
func readmeUse(ctx context.Context) *http.ServeMux {
	azure, err := rp.New(ctx, rp.Config{
		Authority:    "https://login.microsoftonline.com/<tenant-id>/v2.0",
		ClientID:     os.Getenv("OIDC_CLIENT_ID"),
		ClientSecret: rp.Secret(os.Getenv("OIDC_CLIENT_SECRET")),
		RedirectURL:  "https://app.example.com/callback/azure",
	})
	if err != nil {
		log.Fatal(err) // a *rp.ConfigError lists every mistake; a *rp.DiscoveryError names the URL
	}
	site, err := web.New(web.Config{
		Providers:      []web.Provider{{Name: "azure", Title: "Microsoft", RP: azure}},
		SessionSecrets: []rp.Secret{rp.Secret(os.Getenv("SESSION_SECRET"))}, // ≥ 32 random bytes
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", site.Handler()) // /login/azure, /callback/azure, POST /logout, /signout-callback-oidc
	mux.Handle("GET /reports/{id}", site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", web.ClaimsFrom(r.Context()).Name) // "" after a password sign-in, never a panic
	})))
	// A page open to everyone that greets signed-in users:
	mux.Handle("GET /{$}", site.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := web.SessionFrom(r.Context()); s != nil {
			fmt.Fprintf(w, "hello %s", s.Claims().Name)
			return
		}
		fmt.Fprint(w, `<a href="/login/azure">Sign in</a>`)
	})))
	return mux
}

// readmeLowerLevel holds the README's "Lower level" snippet.
func readmeLowerLevel(r *rp.RP, startSession func(http.ResponseWriter, *rp.Claims, *rp.User)) {
	http.HandleFunc("/login", func(w http.ResponseWriter, req *http.Request) {
		if err := r.Login(w, req, rp.LoginOptions{ReturnTo: req.URL.Query().Get("return_to")}); err != nil {
			http.Error(w, "bad sign-in request", http.StatusBadRequest)
		}
	})
	http.HandleFunc("/callback", func(w http.ResponseWriter, req *http.Request) {
		res, err := r.Callback(w, req) // checks state, code, ID token, nonce, userinfo
		if err != nil {
			http.Error(w, rp.ErrorMessage(err), http.StatusBadRequest) // never shows tokens or details
			return
		}
		startSession(w, res.Claims, res.User) // res.Claims.Issuer + Subject identify the user
		http.Redirect(w, req, res.ReturnTo, http.StatusSeeOther)
	})
}

// readmeHooks holds the README's "Hooks" snippet.
func readmeHooks(rpCfg *rp.Config, siteCfg *web.Config) {
	rpCfg.Hooks = rp.Hooks{
		AuthorizationRequest: func(ctx context.Context, a *rp.AuthRequest) error {
			if c, err := a.Request.Cookie("tenant"); err == nil {
				a.Params.Set("domain_hint", c.Value)
			}
			return nil
		},
		IDTokenValidated: func(ctx context.Context, id *rp.IDTokenInfo) error {
			if id.Claims["acr"] != "mfa" {
				return errors.New("app: multi-factor sign-in required")
			}
			return nil
		},
	}
	siteCfg.Hooks = web.Hooks{
		BeforeSession: func(ctx context.Context, s *web.SignInInfo) error {
			if s.User != nil && s.User.Attributes["suspended"] == "true" {
				return errors.New("app: account suspended") // 403, no session
			}
			s.App["plan"] = "gold" // web.SessionFrom(ctx).App("plan") in handlers
			return nil
		},
		SignInFailed: func(ctx context.Context, f *web.SignInFailure) web.FailureResponse {
			if errors.Is(f.Err, rp.ErrIDTokenAuthTime) {
				return web.FailureResponse{Action: web.RetryLogin, Location: "/"}
			}
			return web.FailureResponse{} // the error page
		},
	}
}

// readmeRPTest holds the README's rptest snippet.
func readmeRPTest(ctx context.Context, app *httptest.Server) *rp.RP {
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{
		{Subject: "alice", Claims: map[string]any{"email": "alice@example.com", "email_verified": true}},
	}})
	defer op.Close()
	r, _ := rp.New(ctx, rp.Config{Authority: op.Issuer(), ClientID: op.ClientID(),
		ClientSecret: rp.Secret(op.ClientSecret()), RedirectURL: app.URL + "/callback"})
	return r
}

// TestREADMESnippets checks that every complete Go snippet of the README
// is, line for line, in one of the functions above or, for the Redis one,
// in integration/multi/readme_test.go (a module that may import the Redis
// store), or for the SQL one in connection/sqlstore/readme_test.go, or for
// the admin page's in admin/readme_test.go, or for the metrics one in
// otelrp/readme_test.go (a module that may import OpenTelemetry), so that
// what the README shows compiles and passes go vet.
func TestREADMESnippets(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	multi, err := os.ReadFile("integration/multi/readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	sqlstore, err := os.ReadFile("connection/sqlstore/readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	adminPage, err := os.ReadFile("admin/readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := os.ReadFile("otelrp/readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) != 9 {
		t.Fatalf("the README has %d Go snippets; update readme_test.go to hold each complete one", len(blocks))
	}
	for i, b := range blocks {
		if i == 5 { // a fragment of a Config literal, not a statement list
			continue
		}
		var indented strings.Builder
		for _, line := range strings.SplitAfter(b[1], "\n") {
			if strings.TrimSpace(line) != "" {
				indented.WriteString("\t")
			}
			indented.WriteString(line)
		}
		if !strings.Contains(string(self), indented.String()) && !strings.Contains(string(multi), indented.String()) &&
			!strings.Contains(string(sqlstore), indented.String()) && !strings.Contains(string(adminPage), indented.String()) &&
			!strings.Contains(string(metrics), indented.String()) {
			t.Errorf("README snippet %d is not in readme_test.go (or integration/multi/readme_test.go, connection/sqlstore/readme_test.go, admin/readme_test.go or otelrp/readme_test.go) as written; copy it there:\n%s", i+1, b[1])
		}
	}
}

// TestREADMERPTestSnippet runs the rptest snippet (the others need a real
// provider or register on http.DefaultServeMux; web.ExampleNew runs the
// "Use" handlers against the mock).
func TestREADMERPTestSnippet(t *testing.T) {
	app := httptest.NewServer(http.NotFoundHandler())
	defer app.Close()
	if r := readmeRPTest(context.Background(), app); r == nil {
		t.Fatal("the rptest snippet made no RP")
	}
}
