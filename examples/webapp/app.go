package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/web"
)

// providerConfig is one identity provider of the app.
type providerConfig struct {
	Name, Title string
	// RP configures the relying party; newApp sets its Matcher and Logger.
	RP rp.Config
}

// appConfig is what newApp builds the app from.
type appConfig struct {
	Providers []providerConfig
	// Accounts are the local accounts, with their passwords for the
	// fallback sign-in ("" for none).
	Accounts []demoAccount
	// Matcher links sign-ins to local accounts; newApp sets its Store.
	Matcher  rp.MatcherConfig
	Fallback fallbackPolicy
	// ShowDemo lists the accounts and passwords on the sign-in page.
	ShowDemo bool
	Logger   *slog.Logger
}

// app is the web application: web.Site signs users in and keeps their
// sessions; the app has the pages, the local accounts and the password
// fallback.
type app struct {
	web       *web.Site
	titles    map[string]string // provider name -> title
	store     *rp.MemoryUserStore
	passwords passwordBook
	fallback  fallbackPolicy
	demo      []demoAccount // shown on the sign-in page; nil unless ShowDemo
	pages     *pages
	csp       string
	log       *slog.Logger
}

// ownPaths are the app's own pages, which no provider's callback may use.
var ownPaths = []string{"/", "/login", "/login/password", "/me"}

// newApp builds the app for cfg, discovering the providers (bounded by
// ctx).
func newApp(ctx context.Context, cfg appConfig) (*app, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &app{titles: map[string]string{}, store: rp.NewMemoryUserStore(), passwords: passwordBook{}, fallback: cfg.Fallback, log: log}
	for _, acc := range cfg.Accounts {
		u := a.store.Add(acc.User)
		if acc.Password != "" {
			a.passwords.set(u.ID, acc.Password)
		}
	}
	if cfg.ShowDemo {
		a.demo = slices.Clone(cfg.Accounts)
	}
	mc := cfg.Matcher
	mc.Store = a.store
	matcher, err := rp.NewMatcher(mc)
	if err != nil {
		return nil, err
	}
	formTargets := []string{"'self'"}
	var providers []web.Provider
	for _, p := range cfg.Providers {
		c := p.RP
		c.Matcher, c.Logger = matcher, log
		if err := checkRedirectPath(c.RedirectURL); err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		r, err := rp.New(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		providers = append(providers, web.Provider{Name: p.Name, Title: p.Title, RP: r})
		a.titles[p.Name] = p.Title
		if o := origin(r.Metadata().EndSessionEndpoint); o != "" && !slices.Contains(formTargets, o) {
			formTargets = append(formTargets, o)
		}
	}
	// The sign-out form's POST is redirected on to the providers' logout
	// pages, and browsers check those redirects against form-action.
	a.csp = "default-src 'none'; style-src 'unsafe-inline'; form-action " + strings.Join(formTargets, " ") +
		"; frame-ancestors 'none'; base-uri 'none'"
	a.web, err = web.New(web.Config{
		Providers:      providers,
		SessionSecrets: []rp.Secret{rp.Secret(rand.Text() + rand.Text())}, // new per process: restarting signs everyone out
		LoginPage:      "/login",
		LoggedOutURL:   "/",
		ErrorHandler:   a.webError,
		Logger:         log,
	})
	if err != nil {
		return nil, err
	}
	if a.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return a, nil
}

// checkRedirectPath refuses a redirect URL whose path is one of the app's
// own pages: the callback would never be reached.
func checkRedirectPath(redirectURL string) error {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return fmt.Errorf("redirect URL: %w", err)
	}
	if p := u.Path; p == "" || slices.Contains(ownPaths, p) {
		return fmt.Errorf("redirect URL %q: its path is used by a page of the app; use a path such as /callback/<provider>", redirectURL)
	}
	return nil
}

// origin returns scheme://host of rawURL, or "" when it has none.
func origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// handler returns the app's HTTP handler: its pages, and web.Site's sign-in,
// callback and logout endpoints behind them.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", a.web.Identify(http.HandlerFunc(a.handleHome)))
	mux.HandleFunc("GET /login", a.handleLogin)
	// Refuse cross-site posts: nobody signs a browser in to another account.
	mux.Handle("POST /login/password", http.NewCrossOriginProtection().Handler(http.HandlerFunc(a.handlePassword)))
	mux.Handle("GET /me", a.web.Require(http.HandlerFunc(a.handleMe)))
	mux.Handle("/", a.web.Handler())
	return a.securityHeaders(mux)
}

// securityHeaders sets headers that limit what a browser lets the pages do.
func (a *app) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", a.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// The callback's URL holds the authorization code: never send it on.
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
