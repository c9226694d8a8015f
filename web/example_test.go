package web_test

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
	"github.com/oidcrp/rp/web"
)

// A Site with one provider: Require guards a page, Identify greets whoever is
// signed in, and the application's password sign-in makes the same kind of
// session. The provider serves the user's name from userinfo only, as a
// spec-conformant provider does for a code flow.
func ExampleNew() {
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
	site, err := web.New(web.Config{
		Providers:      []web.Provider{{Name: "mock", Title: "Mock provider", RP: mock}},
		SessionSecrets: []rp.Secret{"an example secret of 32 bytes or more, random in real life"},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/", site.Handler())
	mux.Handle("GET /reports/{id}", site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "report %s for %q", r.PathValue("id"), web.ClaimsFrom(r.Context()).Name)
	})))
	mux.Handle("GET /{$}", site.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := web.SessionFrom(r.Context()); s != nil {
			fmt.Fprintf(w, "welcome back, %s", s.User.Username)
			return
		}
		fmt.Fprint(w, "welcome, stranger")
	})))
	mux.HandleFunc("POST /password-sign-in", func(w http.ResponseWriter, r *http.Request) {
		// The application's own password check goes here.
		if err := site.SignIn(w, r, &rp.User{ID: "7", Username: "bob"}); err != nil {
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

// An administrator deactivates an account: EndSessionsOf ends every session
// of that local user, on every instance sharing the Site's SharedStore (here
// the default, this process's memory), and the next request is not signed in.
func ExampleSite_EndSessionsOf() {
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{{Subject: "alice"}}})
	defer op.Close()
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()

	users := rp.NewMemoryUserStore()
	matcher, err := rp.NewMatcher(rp.MatcherConfig{Store: users, CreateUsers: true})
	if err != nil {
		log.Fatal(err)
	}
	mock, err := rp.New(context.Background(), rp.Config{
		Authority: op.Issuer(), ClientID: op.ClientID(), ClientSecret: rp.Secret(op.ClientSecret()),
		RedirectURL: app.URL + "/callback/mock", Matcher: matcher,
	})
	if err != nil {
		log.Fatal(err)
	}
	site, err := web.New(web.Config{
		Providers:      []web.Provider{{Name: "mock", RP: mock}},
		SessionSecrets: []rp.Secret{"an example secret of 32 bytes or more, random in real life"},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/", site.Handler())
	mux.Handle("GET /{$}", site.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := web.UserFrom(r.Context()); u != nil {
			fmt.Fprintf(w, "signed in as account %s", u.ID)
			return
		}
		fmt.Fprint(w, "not signed in")
	})))

	alice := newBrowser()
	alice.get(app.URL + "/login/mock")
	page := alice.get(app.URL + "/")
	fmt.Println(page != "not signed in")
	var id string
	fmt.Sscanf(page, "signed in as account %s", &id)
	if err := site.EndSessionsOf(context.Background(), id); err != nil {
		log.Fatal(err)
	}
	fmt.Println(alice.get(app.URL + "/"))
	// Output:
	// true
	// not signed in
}
