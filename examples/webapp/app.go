package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	"github.com/oidcrp/rp/outbound"
	"github.com/oidcrp/rp/web"
)

// providerConfig is one static identity provider of the app (-authority).
type providerConfig struct {
	Name, Title string
	// RP configures the relying party; newApp sets its Matcher and Logger.
	RP rp.Config
}

// appConfig is what newApp builds the app from.
type appConfig struct {
	// Providers are the static providers, configured by flags.
	Providers []providerConfig
	// Store holds the connections an administrator configures at run
	// time, served under connectionPrefix. Required.
	Store connection.Store
	// ExternalURL is the app's origin, e.g. "http://127.0.0.1:8080": the
	// connections' redirect URLs start with it. Required.
	ExternalURL string
	// Users are the local accounts. Required.
	Users *sqlstore.UserStore
	// Accounts are the local accounts that sign in with a password, and
	// their passwords (the accounts themselves are in Users).
	Accounts []demoAccount
	// Matcher links sign-ins at the static providers to local accounts;
	// newApp sets its Store. The connections have their own rules.
	Matcher  rp.MatcherConfig
	Fallback fallbackPolicy
	// ShowDemo lists the accounts and passwords on the sign-in page.
	ShowDemo bool
	Logger   *slog.Logger
}

// connectionPrefix starts the paths of every stored connection: its
// sign-in is connectionPrefix + name + "/login", its callback
// connectionPrefix + name + "/callback".
const connectionPrefix = "/sso/"

// adminPath is where the settings pages of the connections are served,
// to administrators only.
const adminPath = "/admin/"

// app is the web application: web.Site signs users in and keeps their
// sessions; the app has the pages, the local accounts and the password
// fallback.
type app struct {
	web       *web.Site
	titles    map[string]string // static provider name -> title
	users     *sqlstore.UserStore
	passwords passwordBook
	fallback  fallbackPolicy
	demo      []demoAccount // shown on the sign-in page; nil unless ShowDemo
	pages     *pages
	// formTargets are the origins the sign-out form may be redirected
	// to, besides the signed-in user's provider: the static providers'
	// logout pages.
	formTargets []string
	admin       http.Handler // the connection settings, under adminPath
	metrics     *telemetry   // served at /metrics
	log         *slog.Logger
}

// ownPaths are the app's own pages, which no provider's callback may use.
var ownPaths = []string{"/", "/login", "/login/password", "/me", "/admin/"}

// mockHTTPClient is the HTTP client of the stored connections: it may
// reach the embedded mock providers on 127.0.0.1 over plain http, which
// the default policy (outbound.Policy{}) refuses, as a server should for
// URLs an administrator types. It is this example's allowance for its
// mocks: an application whose providers are on the Internet keeps the
// default, and one with a provider on its own network allows just that
// network.
func mockHTTPClient() *http.Client {
	return outbound.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}.Client(nil)
}

// newApp builds the app for cfg, discovering the static providers
// (bounded by ctx).
func newApp(ctx context.Context, cfg appConfig) (*app, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(requestIDs{log.Handler()}) // see withRequestID
	metrics, err := newTelemetry()
	if err != nil {
		return nil, err
	}
	a := &app{titles: map[string]string{}, users: cfg.Users, passwords: passwordBook{}, fallback: cfg.Fallback, metrics: metrics, log: log}
	for _, acc := range cfg.Accounts {
		if acc.Password != "" {
			a.passwords.set(acc.User.ID, acc.Password)
		}
	}
	if cfg.ShowDemo {
		a.demo = slices.Clone(cfg.Accounts)
	}
	mc := cfg.Matcher
	mc.Store = a.users
	matcher, err := rp.NewMatcher(mc)
	if err != nil {
		return nil, err
	}
	var providers []web.Provider
	for _, p := range cfg.Providers {
		c := p.RP
		c.Matcher, c.Logger, c.Observer = matcher, log, metrics.observer
		if err := checkRedirectPath(c.RedirectURL); err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		r, err := rp.New(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		providers = append(providers, web.Provider{Name: p.Name, Title: p.Title, RP: r})
		a.titles[p.Name] = p.Title
		if o := origin(r.Metadata().EndSessionEndpoint); o != "" && !slices.Contains(a.formTargets, o) {
			a.formTargets = append(a.formTargets, o)
		}
	}
	a.web, err = web.New(web.Config{
		Providers: providers,
		Connections: &web.Connections{
			Store:       cfg.Store,
			ExternalURL: cfg.ExternalURL,
			PathPrefix:  connectionPrefix,
			RP:          rp.Config{HTTPClient: mockHTTPClient(), Logger: log, Observer: metrics.observer},
			Users:       a.users,
		},
		SessionSecrets: []rp.Secret{rp.Secret(rand.Text() + rand.Text())}, // new per process: restarting signs everyone out
		LoginPage:      "/login",
		LoggedOutURL:   "/",
		ErrorHandler:   a.webError,
		Logger:         log,
		Observer:       metrics.observer,
	})
	if err != nil {
		return nil, err
	}
	if a.admin, err = newAdmin(cfg.Store, a.web, a.users, log); err != nil {
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
	if p := u.Path; p == "" || slices.Contains(ownPaths, p) || strings.HasPrefix(p, adminPath) || strings.HasPrefix(p, connectionPrefix) {
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

// handler returns the app's HTTP handler: its pages, the settings pages
// for administrators, the metrics in Prometheus text format at /metrics,
// and web.Site's sign-in, callback and logout endpoints behind them,
// each request with its ID (withRequestID).
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", a.web.Identify(http.HandlerFunc(a.handleHome)))
	mux.HandleFunc("GET /login", a.handleLogin)
	// Refuse cross-site posts: nobody signs a browser in to another account.
	mux.Handle("POST /login/password", http.NewCrossOriginProtection().Handler(http.HandlerFunc(a.handlePassword)))
	mux.Handle("GET /me", a.web.Require(http.HandlerFunc(a.handleMe)))
	mux.Handle("/", a.web.Handler())
	pages := a.securityHeaders(mux)

	// The settings pages set their own security headers (their forms
	// start test sign-ins at providers).
	root := http.NewServeMux()
	root.Handle(adminPath, a.web.Require(a.admin))
	// The metrics name providers and counts, nothing about users; an
	// application on the Internet serves them on an internal address or
	// behind authentication instead.
	root.Handle("GET /metrics", a.metrics.handler)
	root.Handle("/", pages)
	return withRequestID(root)
}

// securityHeaders sets headers that limit what a browser lets the pages do.
// The sign-out form's POST is redirected on to the provider's logout page,
// and browsers check those redirects against form-action: handleMe adds
// the signed-in user's provider.
func (a *app) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", a.csp(nil))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// The callback's URL holds the authorization code: never send it on.
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// csp is the pages' Content-Security-Policy, whose forms may also go to
// the static providers' logout pages and to extra origins.
func (a *app) csp(extra []string) string {
	targets := append([]string{"'self'"}, a.formTargets...)
	for _, o := range extra {
		if o != "" && !slices.Contains(targets, o) {
			targets = append(targets, o)
		}
	}
	return "default-src 'none'; style-src 'unsafe-inline'; form-action " + strings.Join(targets, " ") +
		"; frame-ancestors 'none'; base-uri 'none'"
}
