// Command webapp is a small web application that signs users in with
// OpenID Connect using the rp package.
//
// It has a home page showing who is signed in and the verified claims of
// their login, a /login endpoint that sends the browser to the identity
// provider, the callback that completes the login, and a sign-out button.
// Sessions are kept in memory, so restarting the app signs everyone out.
//
// # Against the embedded mock provider
//
// Without an authority the app starts an in-process mock provider (package
// rptest) with two test users, alice and bob, and needs no registration:
//
//	go run ./examples/webapp
//
// Open the URL it prints and pick a user on the home page. The mock signs
// that user in at once, without a login page.
//
// # Against a real identity provider
//
// Register a web application at the provider (Microsoft Entra ID, Okta,
// Google, Keycloak, ...) with the redirect URI
//
//	http://127.0.0.1:8080/callback
//
// and run the app with the provider's issuer URL and the client credentials
// it gave you:
//
//	OIDC_CLIENT_SECRET='...' go run ./examples/webapp \
//		-authority https://login.microsoftonline.com/<tenant-id>/v2.0 \
//		-client-id <application-id>
//
// Other issuers look like https://<your-org>.okta.com (or
// https://<your-org>.okta.com/oauth2/default) and https://accounts.google.com.
// Open the printed URL, http://127.0.0.1:8080/, and use that same host name
// in the browser: the login cookie set by /login must reach the callback,
// so "localhost" and "127.0.0.1" are not interchangeable.
//
// # Configuration
//
// Every setting is a flag; all but -addr can also come from the environment
// when the flag is not given. Prefer the environment for the client secret,
// so it does not show up in the process list.
//
//	-addr           listen address (default 127.0.0.1:8080)
//	-authority      OIDC_AUTHORITY      issuer URL; empty starts the mock provider
//	-client-id      OIDC_CLIENT_ID      client ID registered at the provider
//	-client-secret  OIDC_CLIENT_SECRET  client secret; empty for a public client
//	-scopes         OIDC_SCOPES         scopes, separated by spaces or commas
//	                                    (default "openid profile email")
//	-redirect-url   OIDC_REDIRECT_URL   callback URL registered at the provider
//	                                    (default http://<addr>/callback)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// options is the app's configuration, from flags and the environment.
type options struct {
	Addr         string
	Authority    string
	ClientID     string
	ClientSecret rp.Secret
	Scopes       []string // nil means the library's default scopes
	RedirectURL  string

	// redirectDerived is true when RedirectURL was not configured but
	// derived from Addr; main then derives it again from the address the
	// listener actually got.
	redirectDerived bool
}

const defaultAddr = "127.0.0.1:8080"

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
	fs.StringVar(&o.Authority, "authority", "", "the provider's issuer `URL` (env "+envAuthority+"); empty starts an embedded mock provider")
	fs.StringVar(&o.ClientID, "client-id", "", "client `ID` registered at the provider (env "+envClientID+")")
	fs.StringVar(secret, "client-secret", "", "client `secret` (env "+envClientSecret+"); empty for a public client")
	fs.StringVar(scopes, "scopes", "", "`scopes` to request, separated by spaces or commas (env "+envScopes+`; default "openid profile email")`)
	fs.StringVar(&o.RedirectURL, "redirect-url", "", "callback `URL` registered at the provider (env "+envRedirectURL+"; default http://<addr>/callback)")
	return fs
}

// usage writes the command's usage to w.
func usage(w io.Writer) {
	var o options
	var secret, scopes string
	fs := newFlagSet(&o, &secret, &scopes)
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: webapp [flags]")
	fmt.Fprintln(w, "Without -authority, the app signs users in at an embedded mock provider.")
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

// redirectURLFor returns the default redirect URL for a listen address:
// http://<addr>/callback, with an unspecified host (":8080", "0.0.0.0:8080")
// replaced by 127.0.0.1 so that it names a host a browser can open.
func redirectURLFor(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/callback"}
	return u.String(), nil
}

// testUsers are the accounts of the embedded mock provider.
func testUsers() []rptest.User {
	return []rptest.User{
		{Subject: "alice", Claims: map[string]any{
			"email":              "alice@example.com",
			"email_verified":     true,
			"name":               "Alice Example",
			"preferred_username": "alice",
		}},
		{Subject: "bob", Claims: map[string]any{
			"email":              "bob@example.com",
			"email_verified":     true,
			"name":               "Bob Example",
			"preferred_username": "bob",
		}},
	}
}

// startMock starts the embedded mock provider, which accepts only
// redirectURL, and returns it with the login hints of its users.
func startMock(redirectURL string) (*rptest.Server, []string) {
	users := testUsers()
	op := rptest.NewServer(rptest.Config{
		RedirectURIs: []string{redirectURL},
		Users:        users,
	})
	hints := make([]string, len(users))
	for i, u := range users {
		hints[i] = u.Subject
	}
	return op, hints
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts, err := configFromArgs(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		usage(os.Stdout)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, log); err != nil {
		log.Error("webapp stopped", "error", err)
		stop()
		os.Exit(1)
	}
}

// run serves the app until ctx is done.
func run(ctx context.Context, opts options, log *slog.Logger) error {
	// Listen first, so that a redirect URL derived from -addr names the
	// port actually bound (which matters for -addr 127.0.0.1:0).
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if opts.redirectDerived {
		// Keep the configured host name, take the port actually bound.
		host, _, err := net.SplitHostPort(opts.Addr)
		if err != nil {
			return err
		}
		_, port, err := net.SplitHostPort(ln.Addr().String())
		if err != nil {
			return err
		}
		if opts.RedirectURL, err = redirectURLFor(net.JoinHostPort(host, port)); err != nil {
			return err
		}
	}

	cfg := rp.Config{
		Authority:    opts.Authority,
		ClientID:     opts.ClientID,
		ClientSecret: opts.ClientSecret,
		Scopes:       opts.Scopes,
		RedirectURL:  opts.RedirectURL,
		Logger:       log,
	}
	var hints []string
	if opts.Authority == "" {
		if opts.ClientID != "" || opts.ClientSecret != "" {
			log.Warn("no authority configured: ignoring the client ID and secret and using the embedded mock provider; set -authority or " + envAuthority + " to use a real provider")
		}
		var op *rptest.Server
		op, hints = startMock(opts.RedirectURL)
		defer op.Close()
		cfg.Authority = op.Issuer()
		cfg.ClientID = op.ClientID()
		cfg.ClientSecret = rp.Secret(op.ClientSecret())
		log.Info("started the embedded mock provider", "issuer", op.Issuer())
	}

	newCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	a, err := newApp(newCtx, cfg, hints)
	cancel()
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// The callback makes up to three requests to the provider (token,
		// keys, userinfo), each bounded by rp.DefaultHTTPTimeout.
		WriteTimeout:   45 * time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	home := a.homeURL()
	fmt.Printf("webapp is listening on %s\n", ln.Addr())
	fmt.Printf("Open %s in your browser (use exactly this host name).\n", home)
	if len(hints) > 0 {
		fmt.Printf("Signing in at the embedded mock provider %s: pick a test user (%s) on the home page.\n",
			cfg.Authority, strings.Join(hints, ", "))
	} else {
		fmt.Printf("Signing in at %s; the provider must accept the redirect URI %s\n", cfg.Authority, cfg.RedirectURL)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
