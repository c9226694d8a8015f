package main

import (
	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// mockIdP is one embedded identity provider of the demo. Its client ID
// and secret are fixed, so that the connections stored in the database
// keep working after a restart (see moveMocks); they are printed at
// start, for an administrator to type into the settings page.
type mockIdP struct {
	Name, Title            string
	ClientID, ClientSecret string
	Users                  []rptest.User
	// Stored makes the first start save a connection to the provider;
	// the others wait for an administrator to add one (from a preset).
	Stored bool
}

// mockIdPs are the demo's providers: a staff directory and a partner
// directory, stored as connections on first start, and a third one that
// no connection uses until an administrator adds it. dave at okta has no
// local account, to show a refused sign-in. The secrets are demo values
// for providers that only listen on 127.0.0.1.
func mockIdPs() []mockIdP {
	return []mockIdP{
		{Name: "azure", Title: "Entra ID (mock)", ClientID: "webapp-entra", ClientSecret: "entra-mock-secret", Stored: true,
			Users: []rptest.User{
				idpUser("alice", "Alice Anders", "alice@example.com"),
				idpUser("bob", "Bob Brown", "bob@example.com"),
			}},
		{Name: "okta", Title: "Okta (mock)", ClientID: "webapp-okta", ClientSecret: "okta-mock-secret", Stored: true,
			Users: []rptest.User{
				idpUser("carol", "Carol Clark", "carol@partner.example"),
				idpUser("dave", "Dave Doe", "dave@partner.example"),
			}},
		{Name: "keycloak", Title: "Keycloak (mock)", ClientID: "webapp-keycloak", ClientSecret: "keycloak-mock-secret",
			Users: []rptest.User{
				idpUser("erin", "Erin Evans", "erin@example.org"),
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
		{User: rp.User{ID: "u-erin", Username: "erin", Email: "erin@example.org",
			Name: "Erin Evans", Groups: []string{"staff"}}, Password: "erin-demo"},
	}
}

// runningMock is a started mock provider.
type runningMock struct {
	mockIdP
	OP *rptest.Server
}

// Issuer is the mock's issuer URL, on a port new at every start.
func (m runningMock) Issuer() string { return m.OP.Issuer() }

// startMocks starts the demo's providers for an app at origin. The
// stored ones accept only their connection's callback, origin +
// "/sso/<name>/callback"; the third accepts any redirect URI, since the
// administrator picks its connection's name. Close the servers when done.
func startMocks(origin string) []runningMock {
	var mocks []runningMock
	for _, idp := range mockIdPs() {
		var redirects []string
		if idp.Stored {
			redirects = []string{origin + connectionPrefix + idp.Name + "/callback"}
		}
		op := rptest.NewServer(rptest.Config{
			ClientID:     idp.ClientID,
			ClientSecret: idp.ClientSecret,
			RedirectURIs: redirects,
			Users:        idp.Users,
			LoginPage:    true,
		})
		mocks = append(mocks, runningMock{mockIdP: idp, OP: op})
	}
	return mocks
}

// closeMocks stops mocks.
func closeMocks(mocks []runningMock) {
	for _, m := range mocks {
		m.OP.Close()
	}
}
