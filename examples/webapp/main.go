// Command webapp is a small web application that signs users in with
// OpenID Connect using the rp package's web layer (package web).
//
// Its pages: "/" greets the signed-in user or offers to sign in; /login
// has a button per identity provider and a password form as a fallback;
// /me, for signed-in users only, shows the provider, the local account the
// sign-in was linked to and the verified claims, with a button that signs
// out at the app and at the provider. Sessions live in sealed cookies
// whose key is new per process, so restarting the app signs everyone out.
//
// # Against the embedded mock providers
//
// Without an authority the app starts two in-process mock providers
// (package rptest), "Entra ID (mock)" with the users alice and bob and
// "Okta (mock)" with carol and dave, and needs no registration:
//
//	go run ./examples/webapp
//
// Open the URL it prints and pick a provider, then a user on the
// provider's page. alice, bob and carol are linked by their verified
// email to local accounts; dave has none and is refused. The local
// administrator "admin" signs in with a password only; the sign-in page
// lists the demo passwords.
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
// Every user the provider signs in gets a local account on first sign-in.
// The administrator's password is made up at start and printed. Open the
// printed URL and use that same host name in the browser: the login cookie
// set by /login/oidc must reach the callback, so "localhost" and
// "127.0.0.1" are not interchangeable.
//
// # Configuration
//
// Every setting is a flag; the provider's can also come from the
// environment when the flag is not given. Prefer the environment for the
// client secret, so it does not show up in the process list.
//
//	-addr                  listen address (default 127.0.0.1:8080)
//	-authority             OIDC_AUTHORITY      issuer URL; empty starts the mock providers
//	-client-id             OIDC_CLIENT_ID      client ID registered at the provider
//	-client-secret         OIDC_CLIENT_SECRET  client secret; empty for a public client
//	-scopes                OIDC_SCOPES         scopes, separated by spaces or commas
//	                                           (default "openid profile email")
//	-redirect-url          OIDC_REDIRECT_URL   callback URL registered at the provider
//	                                           (default http://<addr>/callback/oidc)
//	-no-password-fallback  refuse the password sign-in to everyone but administrators
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
		fmt.Fprintln(w, "The embedded mock providers (issuer, client ID, client secret):")
		for _, m := range in.mocks {
			use := "stored as the connection " + m.Name
			if !m.Stored {
				use = "no connection yet: add one on the admin page"
			}
			fmt.Fprintf(w, "  %-16s %s  %s  %s  (%s)\n", m.Title, m.Issuer(), m.ClientID, m.ClientSecret, use)
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
