package sqlstore_test

// The README's "Connections at run time" snippet, compiled and vetted
// here (this module may import the SQL drivers); the root module's
// TestREADMESnippets checks that the README shows it as written.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"

	_ "modernc.org/sqlite"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/web"
)

// The snippet is compiled, not called: it listens on a port.
var _ = readmeConnections

// readmeConnections holds the README's "Connections at run time" snippet.
func readmeConnections(ctx context.Context) {
	db, err := sql.Open("sqlite", "file:app.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	sealer, err := connection.NewSecretSealer(rp.Secret(os.Getenv("CONNECTION_KEY"))) // ≥ 32 random bytes
	if err != nil {
		log.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, sqlstore.Config{DB: db, Dialect: sqlstore.SQLite, Sealer: sealer})
	if err != nil {
		log.Fatal(err)
	}
	users, err := sqlstore.OpenUsers(ctx, sqlstore.UsersConfig{DB: db, Dialect: sqlstore.SQLite}) // accounts and their links
	if err != nil {
		log.Fatal(err)
	}
	site, err := web.New(web.Config{
		SessionSecrets: []rp.Secret{rp.Secret(os.Getenv("SESSION_SECRET"))},
		Connections: &web.Connections{
			Store:       store,
			ExternalURL: "https://app.example.com", // redirect URIs: https://app.example.com/sso/<name>/callback
			Users:       users,                     // the matcher links sign-ins to these accounts
			EmailFirst:  true,                      // /login asks for the email address first
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	go site.WatchConnections(ctx) // without it, each instance polls on requests every 10s

	// What an administrator's "Save" does, on any instance:
	_, err = store.Put(ctx, connection.Settings{
		Name: "acme", Title: "Acme staff", Enabled: true,
		Authority:     "https://acme.okta.com",
		ClientID:      "0oa1example",
		ClientSecret:  connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(os.Getenv("ACME_SECRET"))},
		UsernameClaim: "preferred_username", EmailClaim: "email", CreateUsers: true,
		EmailDomains: []connection.EmailDomain{{Domain: "acme.example"}},
	}, "admin@app.example.com")
	var invalid *rp.ConfigError
	switch {
	case errors.As(err, &invalid): // invalid.Problems name the fields, e.g. "client_id"
	case errors.Is(err, connection.ErrConflict): // someone saved meanwhile: reload and edit again
	case err != nil:
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/", site.Handler()) // /login, /sso/acme/login, /sso/acme/callback, POST /logout, ...
	mux.Handle("GET /me", site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s, signed in through %s", web.UserFrom(r.Context()).Username, web.SessionFrom(r.Context()).Provider)
	})))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}
