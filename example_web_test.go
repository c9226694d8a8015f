package rp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// Web with one provider: Require guards a page, Identify greets whoever is
// signed in, and the application's password sign-in makes the same kind of
// session. The provider serves the user's name from userinfo only, as a
// spec-conformant provider does for a code flow.
func ExampleNewWeb() {
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{
		{Subject: "alice", UserInfo: map[string]any{"name": "Alice Liddell"}},
	}})
	defer op.Close()

	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()

	ctx := context.Background()
	mock, err := rp.New(ctx, rp.Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: rp.Secret(op.ClientSecret()),
		RedirectURL:  app.URL + "/callback/mock",
	})
	if err != nil {
		log.Fatal(err)
	}
	web, err := rp.NewWeb(rp.WebConfig{
		Providers:      []rp.WebProvider{{Name: "mock", Title: "Mock provider", RP: mock}},
		SessionSecrets: []rp.Secret{"an example secret of 32 bytes or more, random in real life"},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/", web.Handler())
	mux.Handle("GET /reports/{id}", web.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "report %s for %q", r.PathValue("id"), rp.ClaimsFrom(r.Context()).Name)
	})))
	mux.Handle("GET /{$}", web.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := rp.SessionFrom(r.Context()); s != nil {
			fmt.Fprintf(w, "welcome back, %s", s.User.Username)
			return
		}
		fmt.Fprint(w, "welcome, stranger")
	})))
	mux.HandleFunc("POST /password-sign-in", func(w http.ResponseWriter, r *http.Request) {
		// The application's own password check goes here.
		if err := web.SignIn(w, r, &rp.User{ID: "7", Username: "bob"}); err != nil {
			http.Error(w, "sign-in failed", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})

	// A browser opening the guarded page is sent through the provider and
	// back; the name comes from userinfo.
	alice := newBrowser()
	fmt.Println(alice.get(app.URL + "/reports/7"))
	// A password sign-in has no claims: the same handler shows an empty
	// name instead of failing.
	bob := newBrowser()
	resp, err := bob.PostForm(app.URL+"/password-sign-in", nil)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(bob.get(app.URL + "/"))
	fmt.Println(bob.get(app.URL + "/reports/8"))
	fmt.Println(newBrowser().get(app.URL + "/"))
	// Output:
	// report 7 for "Alice Liddell"
	// welcome back, bob
	// report 8 for ""
	// welcome, stranger
}

// browser is an http.Client with a cookie jar whose page loads ask for HTML,
// as a browser's do (Require answers 401 to other requests).
type browser struct{ *http.Client }

func newBrowser() browser {
	jar, _ := cookiejar.New(nil)
	return browser{&http.Client{Jar: jar}}
}

func (b browser) get(url string) string {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := b.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// Check tests settings against the provider without signing anyone in,
// like a settings page's "Test settings" button: each finding has a status,
// the check it belongs to and, in its Message, what was found and what to
// change.
func ExampleCheck() {
	op := rptest.NewServer(rptest.Config{RedirectURIs: []string{"https://app.example.com/callback"}})
	defer op.Close()
	cfg := rp.Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: "not-the-secret",
		RedirectURL:  "https://app.example.com/callbak",
		HTTPClient:   op.Client(),
	}
	report := rp.Check(context.Background(), cfg, rp.CheckOptions{})
	for _, f := range report.Findings {
		fmt.Println(f.Status, f.Check)
	}
	fmt.Println("ok:", report.OK())
	// Output:
	// OK discovery
	// OK issuer
	// OK jwks
	// OK signing_algs
	// OK response_type
	// OK response_mode
	// OK scopes
	// OK pkce
	// OK client_auth
	// FAIL redirect_url
	// FAIL credentials
	// ok: false
}
