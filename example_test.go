package rp_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// A whole sign-in against the mock provider: the app's /login sends the
// browser to the provider, which signs the test user in and sends it back
// to /callback, where the claims are verified.
func Example() {
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{
		{Subject: "alice", Claims: map[string]any{"email": "alice@example.com", "email_verified": true}},
	}})
	defer op.Close()

	var relyingParty *rp.RP
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if err := relyingParty.Login(w, r, rp.LoginOptions{ReturnTo: "/home"}); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		res, err := relyingParty.Callback(w, r)
		if err != nil {
			http.Error(w, "sign-in failed", http.StatusBadRequest)
			return
		}
		fmt.Println("signed in:", res.Claims.Subject, res.Claims.Email, "return to", res.ReturnTo)
	})
	app := httptest.NewServer(mux)
	defer app.Close()

	relyingParty, err := rp.New(context.Background(), rp.Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: rp.Secret(op.ClientSecret()),
		RedirectURL:  app.URL + "/callback",
	})
	if err != nil {
		log.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(app.URL + "/login")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	// Output: signed in: alice alice@example.com return to /home
}

// Config.Validate lists every mistake with what to change.
func ExampleConfig_Validate() {
	cfg := rp.Config{
		Authority:   "http://login.example.com",
		Scopes:      []string{"profile"},
		RedirectURL: "/callback",
	}
	fmt.Println(cfg.Validate())
	// Output: rp: invalid configuration: Authority: "http://login.example.com" uses plain http; use https (http is only allowed for localhost and loopback addresses); ClientID: set the client ID (application ID) the provider assigned to this application; Scopes: add "openid": without it the provider does not run OpenID Connect and returns no ID token; RedirectURL: "/callback" is not an absolute URL; write it in full with https:// and the host name: the absolute callback URL registered at the provider, e.g. https://app.example.com/callback
}

// The default matcher links a login to an existing account by a verified
// email, stores the subject, and finds the account by subject afterwards.
func ExampleNewMatcher() {
	store := rp.NewMemoryUserStoreWith(rp.User{ID: "42", Username: "pat", Email: "pat@example.com"})
	matcher, err := rp.NewMatcher(rp.MatcherConfig{Store: store, AutoLink: true})
	if err != nil {
		log.Fatal(err)
	}
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{
		{Subject: "idp-7", Claims: map[string]any{"email": "Pat@example.com", "email_verified": true}},
	}})
	defer op.Close()

	var relyingParty *rp.RP
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { _ = relyingParty.Login(w, r, rp.LoginOptions{}) })
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		res, err := relyingParty.Callback(w, r)
		if err != nil {
			fmt.Println("refused:", err)
			return
		}
		fmt.Println("signed in as account", res.User.ID)
	})
	app := httptest.NewServer(mux)
	defer app.Close()
	relyingParty, err = rp.New(context.Background(), rp.Config{
		Authority: op.Issuer(), ClientID: op.ClientID(), ClientSecret: rp.Secret(op.ClientSecret()),
		RedirectURL: app.URL + "/callback",
		EmailClaim:  "email",
		Matcher:     matcher,
	})
	if err != nil {
		log.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	for range 2 {
		resp, err := browser.Get(app.URL + "/login")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	sub, _ := store.SubjectOf(context.Background(), "42", op.Issuer())
	fmt.Println("linked subject:", sub)
	// Output:
	// signed in as account 42
	// signed in as account 42
	// linked subject: idp-7
}
