package admin_test

// The README's "Admin page" snippet, compiled and vetted here; the root
// package's TestREADMESnippets checks that it is the README's, line for
// line.

import (
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/admin"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/web"
)

// The snippet is compiled, not called: it reads the environment and
// stops the program on errors.
var _ = readmeAdmin

// readmeAdmin holds the README's "Admin page" snippet.
func readmeAdmin(store connection.Store, users rp.UserStore) (*http.ServeMux, chi.Router) {
	site, err := web.New(web.Config{
		SessionSecrets: []rp.Secret{rp.Secret(os.Getenv("SESSION_SECRET"))},
		Connections:    &web.Connections{Store: store, ExternalURL: "https://app.example.com", Users: users},
	})
	if err != nil {
		log.Fatal(err)
	}
	settings, err := admin.New(admin.Config{
		Store: store, Site: site, Users: users, // Users: read by Test sign-in, never written
		Path: "/admin/",
		Authorize: func(r *http.Request) (string, bool) {
			if u := web.UserFrom(r.Context()); u != nil && u.Admin {
				return u.Username, true // named in the audit log
			}
			return "", false // a 403 page
		},
		Logger: slog.Default(), // one audit line per save, test, test sign-in and delete
	})
	if err != nil {
		log.Fatal(err)
	}

	// With http.ServeMux:
	mux := http.NewServeMux()
	mux.Handle("/admin/", site.Require(settings)) // the admin signs in first (password or OIDC)
	mux.Handle("/", site.Handler())

	// Or with chi (Mount keeps the full path, which the Handler expects):
	r := chi.NewRouter()
	r.Mount("/admin", site.Require(settings))
	r.Handle("/*", site.Handler())
	return mux, r
}
