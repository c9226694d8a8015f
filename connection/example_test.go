package connection_test

import (
	"context"
	"fmt"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// An administrator saves a connection; the application turns it into the
// rp.Config of an RP, and routes users to it by their email domain.
func Example() {
	ctx := context.Background()
	store := connection.NewMemoryStore(connection.MemoryConfig{})

	saved, err := store.Put(ctx, connection.Settings{
		Name:          "okta-acme",
		Enabled:       true,
		Title:         "Acme staff (Okta)",
		Authority:     "https://acme.okta.com",
		ClientID:      "0oa1b2c3",
		ClientSecret:  connection.ClientSecret{Action: connection.SecretSet, Value: "from-the-admin-form"},
		UsernameClaim: "preferred_username",
		EmailClaim:    "email",
		EmailDomains:  []connection.EmailDomain{{Domain: "acme.com"}},
	}, "admin@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(saved.Name, "version", saved.Version, "secret set:", saved.ClientSecret.IsSet)

	// What the application supplies, the settings do not override.
	cfg, err := saved.Config(rp.Config{
		RedirectURL:   "https://app.example.com/oidc/okta-acme/callback",
		CookieSecrets: []rp.Secret{"an-application-secret-of-32-bytes!!"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Authority, cfg.ClientID, cfg.RedirectURL)
	// rp.New(ctx, cfg) builds the RP (it fetches the discovery document).

	conns, _ := store.List(ctx)
	c, err := connection.Route(conns, "jo@Acme.com", connection.RouteOptions{})
	fmt.Println(c.Name, err)
	_, err = connection.Route(conns, "jo@gmail.com", connection.RouteOptions{})
	fmt.Println(err)

	// A stale save is refused.
	stale := saved
	stale.Version = 0
	_, err = store.Put(ctx, stale, "someone-else")
	fmt.Println(err)

	// Output:
	// okta-acme version 1 secret set: true
	// https://acme.okta.com 0oa1b2c3 https://app.example.com/oidc/okta-acme/callback
	// okta-acme <nil>
	// connection: email domain is a consumer mail service; it belongs to no organisation's connection: gmail.com
	// connection: changed by someone else meanwhile; reload and edit again: a connection named "okta-acme" exists already
}
