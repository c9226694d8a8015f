package main

import (
	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// mockIdP is one embedded identity provider of the demo.
type mockIdP struct {
	Name, Title string
	Users       []rptest.User
}

// mockIdPs are the demo's providers: a staff directory and a partner
// directory, each with a login page listing its users. dave at okta has
// no local account, to show a refused sign-in.
func mockIdPs() []mockIdP {
	return []mockIdP{
		{Name: "azure", Title: "Entra ID (mock)", Users: []rptest.User{
			idpUser("alice", "Alice Anders", "alice@example.com"),
			idpUser("bob", "Bob Brown", "bob@example.com"),
		}},
		{Name: "okta", Title: "Okta (mock)", Users: []rptest.User{
			idpUser("carol", "Carol Clark", "carol@partner.example"),
			idpUser("dave", "Dave Doe", "dave@partner.example"),
		}},
	}
}

// idpUser is a provider account whose email the provider has verified,
// so the matcher may link it to the local account with that email.
func idpUser(sub, name, email string) rptest.User {
	return rptest.User{Subject: sub, Claims: map[string]any{
		"name":               name,
		"email":              email,
		"email_verified":     true,
		"preferred_username": email,
	}}
}

// demoAccount is a local account with its password, which the sign-in
// page shows in the demo so a person can try the password fallback.
type demoAccount struct {
	User     rp.User
	Password string
}

// adminAccount is the local administrator. The matcher refuses
// administrators through OpenID Connect, so the password is its way in.
func adminAccount() rp.User {
	return rp.User{ID: "u-admin", Username: "admin", Email: "admin@example.com",
		Name: "Site Administrator", Groups: []string{"admins"}, Admin: true}
}

// demoAccounts are the demo's local accounts: the administrator and the
// accounts the providers' users link to by their verified email.
// The passwords are for demonstration only.
func demoAccounts() []demoAccount {
	return []demoAccount{
		{User: adminAccount(), Password: "admin-demo"},
		{User: rp.User{ID: "u-alice", Username: "alice", Email: "alice@example.com",
			Name: "Alice Anders", Groups: []string{"staff"}}, Password: "alice-demo"},
		{User: rp.User{ID: "u-bob", Username: "bob", Email: "bob@example.com",
			Name: "Bob Brown", Groups: []string{"reports", "staff"}}, Password: "bob-demo"},
		{User: rp.User{ID: "u-carol", Username: "carol", Email: "carol@partner.example",
			Name: "Carol Clark", Groups: []string{"partners"}}, Password: "carol-demo"},
	}
}

// startMockIdPs starts the demo's providers for an app at origin, each
// accepting only its own callback, origin + "/callback/<name>". Close
// the servers when done.
func startMockIdPs(origin string) ([]providerConfig, []*rptest.Server) {
	var providers []providerConfig
	var servers []*rptest.Server
	for _, idp := range mockIdPs() {
		redirect := origin + "/callback/" + idp.Name
		op := rptest.NewServer(rptest.Config{
			RedirectURIs: []string{redirect},
			Users:        idp.Users,
			LoginPage:    true,
		})
		servers = append(servers, op)
		providers = append(providers, providerConfig{Name: idp.Name, Title: idp.Title, RP: rp.Config{
			Authority:    op.Issuer(),
			ClientID:     op.ClientID(),
			ClientSecret: rp.Secret(op.ClientSecret()),
			RedirectURL:  redirect,
			EmailClaim:   "email",
		}})
	}
	return providers, servers
}

// demoConfig is the app's configuration with the embedded providers
// started for origin: local accounts link by verified email, and only
// existing accounts sign in. Close the returned servers when done.
func demoConfig(origin string) (appConfig, []*rptest.Server) {
	providers, servers := startMockIdPs(origin)
	return appConfig{
		Providers: providers,
		Accounts:  demoAccounts(),
		Matcher:   rp.MatcherConfig{AutoLink: true, OnlyKnownUsers: true},
		Fallback:  fallbackPolicy{AllowAdminFallback: true, AllowUserFallback: true},
		ShowDemo:  true,
	}, servers
}
