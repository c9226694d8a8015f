// Command webapp is a small web application that signs users in with
// OpenID Connect using the rp package's web layer (package web), with the
// connections to its identity providers configured at run time on a
// settings page (package admin) and kept, with the local accounts, in an
// SQLite database (module github.com/oidcrp/rp/connection/sqlstore).
//
// Its pages: "/" greets the signed-in user or offers to sign in; /login
// has a button per connection and a password form as a fallback; /me, for
// signed-in users only, shows the provider, the local account the sign-in
// was linked to and the verified claims, with a button that signs out at
// the app and at the provider; /admin/, for administrators only, lists the
// connections, edits, tests, adds (from presets) and deletes them.
// Connections are served under /sso/<name>/ (their sign-in, callback and
// logouts). Sessions live in sealed cookies whose key is new per process,
// so restarting the app signs everyone out.
//
// # The database
//
// The connections and accounts are kept in the SQLite file given by -db,
// webapp.db in the working directory by default, created when missing;
// -db :memory: keeps them in memory until the app stops. Client secrets
// are sealed in it with a key taken from the environment variable
// WEBAPP_CONNECTION_KEY (at least 32 random bytes) when set, and
// otherwise from the file beside the database, <db>.key, which the first
// start generates with mode 0600. Keep the key with the database: without
// it the stored secrets do not open, and the app refuses to start.
//
// # Against the embedded mock providers
//
// Without an authority the app starts three in-process mock providers
// (package rptest): "Entra ID (mock)" with the users alice and bob, "Okta
// (mock)" with carol and dave, and "Keycloak (mock)" with erin. They need
// no registration:
//
//	go run ./examples/webapp
//
// On first start (an empty database) the app seeds the demo accounts and
// stores a connection to each of the first two mocks. The mocks listen on
// new ports at every start, so every start points each stored connection
// that uses a mock's client ID at the mock's new address, as a new
// version of the connection; connections elsewhere, and everything else
// an administrator saved or deleted, stay as they are. The third mock has
// no connection until an administrator adds one: the app prints each
// mock's issuer, client ID and client secret at start, to type into the
// settings page.
//
// Open the URL it prints and pick a provider, then a user on the
// provider's page. alice, bob and carol are linked by their verified
// email to local accounts; dave has none and is refused. The
// administrator "admin" signs in with a password only (the matcher
// refuses administrators through OpenID Connect); the sign-in page lists
// the demo passwords. Signed in as admin, open /admin/ to test a
// connection's settings, save, or add the third mock from the Keycloak
// preset (tick Enabled and "Link existing accounts", so that erin's
// sign-in links to her local account); the sign-in page shows a saved
// connection at the next request, without a restart.
//
// The stored connections fetch from their providers through an HTTP
// client of outbound.Policy{AllowHTTP: true, Allow: 127.0.0.1/32}: this
// example's allowance for its mocks, which the default policy refuses (a
// server should not fetch its own loopback or private network for a URL
// an administrator typed). An application whose providers are on the
// Internet keeps the default.
//
// # Against a real identity provider
//
// Register a web application at the provider (Microsoft Entra ID, Okta,
// Google, Keycloak, ...) with the redirect URI
//
//	http://127.0.0.1:8080/callback/oidc
//
// and the post-logout redirect URI http://127.0.0.1:8080/signout-callback-oidc,
// and run the app with the provider's issuer URL and the client
// credentials it gave you:
//
//	OIDC_CLIENT_SECRET='...' go run ./examples/webapp \
//		-authority https://login.microsoftonline.com/<tenant-id>/v2.0 \
//		-client-id <application-id>
//
// That provider is static (a web.Provider, not a stored connection), and
// no mock starts; the connections stored in the database are still served
// and editable. Every user the provider signs in gets a local account on
// first sign-in. The administrator's password is made up at start and
// printed. Open the printed URL and use that same host name in the
// browser: the login cookie set at the sign-in must reach the callback,
// so "localhost" and "127.0.0.1" are not interchangeable.
//
// # Configuration
//
// Every setting is a flag; the provider's can also come from the
// environment when the flag is not given. Prefer the environment for the
// client secret, so it does not show up in the process list.
//
//	-addr                  listen address (default 127.0.0.1:8080)
//	-db                    SQLite database file (default webapp.db), or :memory:
//	-authority             OIDC_AUTHORITY      issuer URL; empty starts the mock providers
//	-client-id             OIDC_CLIENT_ID      client ID registered at the provider
//	-client-secret         OIDC_CLIENT_SECRET  client secret; empty for a public client
//	-scopes                OIDC_SCOPES         scopes, separated by spaces or commas
//	                                           (default "openid profile email")
//	-redirect-url          OIDC_REDIRECT_URL   callback URL registered at the provider
//	                                           (default http://<addr>/callback/oidc)
//	-no-password-fallback  refuse the password sign-in to everyone but administrators
//
// WEBAPP_CONNECTION_KEY, when set, is the key that seals the client
// secrets in the database (see above).
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
	"os"
	"os/signal"
	"syscall"
	"time"
)

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
	if err := run(ctx, opts, os.Getenv, log); err != nil {
		log.Error("webapp stopped", "error", err)
		stop()
		os.Exit(1)
	}
}

// run serves the app until ctx is done.
func run(ctx context.Context, opts options, getenv func(string) string, log *slog.Logger) error {
	// Listen first, so that the redirect URLs name the port actually
	// bound (which matters for -addr 127.0.0.1:0).
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	// Keep the configured host name, take the port actually bound.
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return err
	}
	home, err := originFor(net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	if opts.redirectDerived {
		opts.RedirectURL = home + "/callback/" + realProvider
	}

	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	in, err := startInstance(startCtx, opts, home, getenv, log)
	cancel()
	if err != nil {
		return err
	}
	defer in.Close()
	srv := &http.Server{
		Handler:           in.app.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// The callback makes up to three requests to the provider (token,
		// keys, userinfo), each bounded by rp.DefaultHTTPTimeout.
		WriteTimeout:   45 * time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	printStart(os.Stdout, in, opts, ln.Addr().String(), home)
	return serve(ctx, srv, ln, log)
}

// printStart tells the person who started the app where to go and what to
// type.
func printStart(w io.Writer, in *instance, opts options, addr, home string) {
	fmt.Fprintf(w, "webapp is listening on %s\n", addr)
	fmt.Fprintf(w, "Open %s/ in your browser (use exactly this host name).\n", home)
	switch {
	case opts.DB == memoryDB:
		fmt.Fprintln(w, "Connections and accounts are kept in memory: they are gone when the app stops.")
	case in.stores.keyFile != "":
		fmt.Fprintf(w, "Connections and accounts are kept in %s; client secrets are sealed with the key in %s.\n", opts.DB, in.stores.keyFile)
	default:
		fmt.Fprintf(w, "Connections and accounts are kept in %s; client secrets are sealed with the key in %s.\n", opts.DB, envConnectionKey)
	}
	fmt.Fprintf(w, "Administrators manage the connections at %s%s.\n", home, adminPath)
	if in.adminPassword == "" {
		fmt.Fprintln(w, "Sign in as admin with the password admin-demo; the sign-in page lists the other demo accounts.")
		fmt.Fprintln(w, "The embedded mock providers:")
		for _, m := range in.mocks {
			use := "stored as the connection " + m.Name
			if !m.Stored {
				use = "no connection yet: add one on the admin page (preset Keycloak)"
			}
			fmt.Fprintf(w, "  %s, %s\n    issuer (authority) %s\n    client ID          %s\n    client secret      %s\n",
				m.Title, use, m.Issuer(), m.ClientID, m.ClientSecret)
		}
		return
	}
	fmt.Fprintf(w, "Signing in at %s; the provider must accept the redirect URI %s\n", opts.Authority, opts.RedirectURL)
	for _, l := range in.app.web.Providers() {
		if l.Name != realProvider {
			continue
		}
		fmt.Fprintf(w, "For sign-outs the provider starts, register its back-channel logout URI %s and front-channel logout URI %s\n",
			l.BackchannelLogoutURL, l.FrontchannelLogoutURL)
	}
	fmt.Fprintf(w, "The local administrator signs in with username admin and password %s\n", in.adminPassword)
}

// serve runs srv on ln until ctx is done, then shuts it down.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
