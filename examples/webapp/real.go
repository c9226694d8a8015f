package main

import (
	"net/url"

	"github.com/oidcrp/rp"
)

// realConfig is the app's configuration for the provider given by opts.
// Any user the provider signs in gets a local account, created on the
// first sign-in, unless the username or verified email names an existing
// one, which is linked instead. The administrator signs in with
// adminPassword.
func realConfig(opts options, adminPassword string) appConfig {
	title := opts.Authority
	if u, err := url.Parse(opts.Authority); err == nil && u.Host != "" {
		title = u.Host
	}
	return appConfig{
		Providers: []providerConfig{{Name: realProvider, Title: title, RP: rp.Config{
			Authority:     opts.Authority,
			ClientID:      opts.ClientID,
			ClientSecret:  opts.ClientSecret,
			Scopes:        opts.Scopes,
			RedirectURL:   opts.RedirectURL,
			UsernameClaim: "preferred_username",
			EmailClaim:    "email",
		}}},
		Accounts: []demoAccount{{User: adminAccount(), Password: adminPassword}},
		Matcher:  rp.MatcherConfig{AutoLink: true, CreateUsers: true, SyncProfile: true},
		Fallback: fallbackPolicy{AllowAdminFallback: true, AllowUserFallback: true},
	}
}

// demoConfig is the app's configuration with the embedded providers:
// their connections are in the database (seedDemo), and the sign-in page
// lists the demo accounts and passwords.
func demoConfig() appConfig {
	return appConfig{
		Accounts: demoAccounts(),
		Fallback: fallbackPolicy{AllowAdminFallback: true, AllowUserFallback: true},
		ShowDemo: true,
	}
}
