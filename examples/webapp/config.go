package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/oidcrp/rp"
)

// options is the app's configuration, from flags and the environment.
type options struct {
	Addr         string
	Authority    string
	ClientID     string
	ClientSecret rp.Secret
	Scopes       []string // nil means the library's default scopes
	RedirectURL  string
	// DB is the SQLite database file, or ":memory:".
	DB string

	// NoPasswordFallback refuses the password sign-in to every account
	// but administrators.
	NoPasswordFallback bool

	// redirectDerived is true when RedirectURL was not configured but
	// derived from Addr; run then derives it again from the address the
	// listener actually got.
	redirectDerived bool
}

const defaultAddr = "127.0.0.1:8080"

// defaultDB is the database file when -db is not given: in the working
// directory, with its sealing key beside it in webapp.db.key.
const defaultDB = "webapp.db"

// realProvider is the name of the provider configured with -authority:
// its callback is served at /callback/oidc.
const realProvider = "oidc"

// Environment variables read when the corresponding flag is not given.
const (
	envAuthority    = "OIDC_AUTHORITY"
	envClientID     = "OIDC_CLIENT_ID"
	envClientSecret = "OIDC_CLIENT_SECRET"
	envScopes       = "OIDC_SCOPES"
	envRedirectURL  = "OIDC_REDIRECT_URL"
)

// newFlagSet declares the app's flags, storing their values in o.
func newFlagSet(o *options, secret *string, scopes *string) *flag.FlagSet {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.StringVar(&o.Addr, "addr", defaultAddr, "`address` to listen on")
	fs.StringVar(&o.Authority, "authority", "", "the provider's issuer `URL` (env "+envAuthority+"); empty starts two embedded mock providers")
	fs.StringVar(&o.ClientID, "client-id", "", "client `ID` registered at the provider (env "+envClientID+")")
	fs.StringVar(secret, "client-secret", "", "client `secret` (env "+envClientSecret+"); empty for a public client")
	fs.StringVar(scopes, "scopes", "", "`scopes` to request, separated by spaces or commas (env "+envScopes+`; default "openid profile email")`)
	fs.StringVar(&o.RedirectURL, "redirect-url", "", "callback `URL` registered at the provider (env "+envRedirectURL+"; default http://<addr>/callback/"+realProvider+")")
	fs.StringVar(&o.DB, "db", defaultDB, "SQLite database `file` holding the connections and accounts, created when missing (its key in FILE.key); "+memoryDB+" keeps them in memory until exit")
	fs.BoolVar(&o.NoPasswordFallback, "no-password-fallback", false, "refuse the password sign-in to everyone but administrators")
	return fs
}

// usage writes the command's usage to w.
func usage(w io.Writer) {
	var o options
	var secret, scopes string
	fs := newFlagSet(&o, &secret, &scopes)
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: webapp [flags]")
	fmt.Fprintln(w, "Without -authority, the app signs users in at embedded mock providers, stored as connections in -db.")
	fs.PrintDefaults()
}

// configFromArgs parses the command line args (without the program name).
// A setting not given as a flag is read with getenv; flags win.
func configFromArgs(args []string, getenv func(string) string) (options, error) {
	var o options
	var secret, scopes string
	fs := newFlagSet(&o, &secret, &scopes)
	fs.SetOutput(io.Discard) // main prints the usage itself
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q: all settings are flags", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fromEnv := func(name, env string, v *string) {
		if !given[name] {
			*v = strings.TrimSpace(getenv(env))
		}
	}
	fromEnv("authority", envAuthority, &o.Authority)
	fromEnv("client-id", envClientID, &o.ClientID)
	fromEnv("client-secret", envClientSecret, &secret)
	fromEnv("scopes", envScopes, &scopes)
	fromEnv("redirect-url", envRedirectURL, &o.RedirectURL)

	o.ClientSecret = rp.Secret(secret)
	o.Scopes = splitScopes(scopes)
	if o.Addr == "" {
		return options{}, errors.New("-addr must not be empty")
	}
	if o.DB == "" {
		return options{}, errors.New("-db is empty: name a database file, or " + memoryDB + " for one in memory only")
	}
	if o.RedirectURL == "" {
		u, err := redirectURLFor(o.Addr)
		if err != nil {
			return options{}, err
		}
		o.RedirectURL = u
		o.redirectDerived = true
	}
	return o, nil
}

// splitScopes splits a list of scopes separated by spaces or commas.
func splitScopes(s string) []string {
	scopes := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(scopes) == 0 {
		return nil
	}
	return scopes
}

// originFor returns the origin a browser uses for a listen address:
// http://<addr>, with an unspecified host (":8080", "0.0.0.0:8080")
// replaced by 127.0.0.1 so that it names a host a browser can open.
func originFor(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
	return u.String(), nil
}

// redirectURLFor returns the default redirect URL of the real provider for
// a listen address: origin + "/callback/oidc".
func redirectURLFor(addr string) (string, error) {
	origin, err := originFor(addr)
	if err != nil {
		return "", err
	}
	return origin + "/callback/" + realProvider, nil
}
