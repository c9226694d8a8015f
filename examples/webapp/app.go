package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oidcrp/rp"
)

// app is the web application: its relying party, sessions and pages.
type app struct {
	rp           *rp.RP
	sessions     *sessionStore
	pages        *pages
	log          *slog.Logger
	redirect     *url.URL // the RP's redirect URL
	callbackPath string   // its path, where the callback is served
	testUsers    []string // login hints of the mock provider's users
}

// newApp builds the app for cfg, discovering the provider (bounded by
// ctx). testUsers are login hints offered on the home page, for a mock
// provider; nil for a real one. The app logs to cfg.Logger, if set.
func newApp(ctx context.Context, cfg rp.Config, testUsers []string) (*app, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// Validate first, so that a bad RedirectURL is reported in the
	// library's words before it is used here.
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil {
		return nil, fmt.Errorf("redirect URL: %w", err)
	}
	path := redirect.Path
	switch {
	case path == "" || path == "/" || path == "/login" || path == "/logout":
		return nil, fmt.Errorf("redirect URL %q: its path is used by another page; use a path such as /callback", cfg.RedirectURL)
	case strings.ContainsAny(path, "{}"):
		return nil, fmt.Errorf("redirect URL %q: use a path without braces", cfg.RedirectURL)
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	relying, err := rp.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &app{
		rp:           relying,
		sessions:     newSessionStore(redirect.Scheme == "https"),
		pages:        pg,
		log:          cfg.Logger,
		redirect:     redirect,
		callbackPath: path,
		testUsers:    slices.Clone(testUsers),
	}, nil
}

// homeURL is the address of the home page on the redirect URL's origin,
// which is where the browser must be for the login cookies to work.
func (a *app) homeURL() string {
	u := url.URL{Scheme: a.redirect.Scheme, Host: a.redirect.Host, Path: "/"}
	return u.String()
}

// handler returns the app's HTTP handler.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.handleHome)
	mux.HandleFunc("GET /login", a.handleLogin)
	// SameSite=Lax already keeps the session cookie off cross-site POSTs;
	// this also refuses them outright.
	mux.Handle("POST /logout", http.NewCrossOriginProtection().Handler(http.HandlerFunc(a.handleLogout)))
	// The library also accepts form_post responses, but its Lax login
	// cookie does not come with a cross-site POST, so only GET is served.
	mux.HandleFunc("GET "+a.callbackPath, a.handleCallback)
	return securityHeaders(mux)
}

// securityHeaders sets headers that limit what a browser lets the pages do.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// The callback's URL holds the authorization code: never send it on.
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// homeData is what the home page shows.
type homeData struct {
	User      *userView // nil when nobody is signed in
	TestUsers []string
}

// userView is the signed-in user as the home page shows them.
type userView struct {
	DisplayName string
	Subject     string
	Issuer      string
	Email       string
	Claims      []claimRow
}

// claimRow is one claim: its name and JSON-encoded value.
type claimRow struct {
	Name, Value string
}

func (a *app) handleHome(w http.ResponseWriter, r *http.Request) {
	data := homeData{TestUsers: a.testUsers}
	if c := a.sessions.get(r); c != nil {
		data.User = newUserView(c)
	}
	w.Header().Set("Cache-Control", "no-store")
	a.render(w, http.StatusOK, a.pages.home, data)
}

// newUserView prepares c for display: a name to greet the user with and
// every claim, sorted by name.
func newUserView(c *rp.Claims) *userView {
	v := &userView{Subject: c.Subject, Issuer: c.Issuer, Email: c.Email}
	for _, name := range []string{c.Name, c.PreferredUsername, c.Email, c.Subject} {
		if name != "" {
			v.DisplayName = name
			break
		}
	}
	for name, value := range c.Raw {
		b, err := json.Marshal(value)
		s := string(b)
		if err != nil {
			s = "(cannot be shown)"
		}
		v.Claims = append(v.Claims, claimRow{Name: name, Value: s})
	}
	slices.SortFunc(v.Claims, func(x, y claimRow) int { return strings.Compare(x.Name, y.Name) })
	return v
}

func (a *app) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Host, a.redirect.Host) {
		a.log.Warn("login started on another host than the redirect URL's; the login cookie will not reach the callback",
			"request_host", r.Host, "redirect_host", a.redirect.Host, "open", a.homeURL())
	}
	q := r.URL.Query()
	err := a.rp.Login(w, r, rp.LoginOptions{
		ReturnTo:  q.Get("return_to"),
		LoginHint: q.Get("login_hint"),
	})
	if err == nil {
		return
	}
	a.log.Info("login refused", "error", err)
	page := errorPage{Title: "Could not start signing in"}
	if errors.Is(err, rp.ErrUnsafeReturnTo) {
		page.Detail = "The page to return to after signing in is not on this site."
	}
	a.renderError(w, http.StatusBadRequest, page)
}

func (a *app) handleCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	res, err := a.rp.Callback(w, r)
	if err != nil {
		// rp.Callback has logged the error ("rp: login rejected") to
		// cfg.Logger; its errors never contain tokens or codes.
		a.renderError(w, http.StatusBadRequest, callbackErrorPage(err))
		return
	}
	if err := a.sessions.create(w, r, res.Claims); err != nil {
		a.log.Error("cannot create a session", "error", err)
		a.renderError(w, http.StatusInternalServerError, errorPage{Title: "Sign-in failed"})
		return
	}
	a.log.Info("signed in", "iss", res.Claims.Issuer, "sub", res.Claims.Subject)
	// res.Tokens are not kept: this app only needs to know who the user is.
	http.Redirect(w, r, res.ReturnTo, http.StatusSeeOther)
}

func (a *app) handleLogout(w http.ResponseWriter, r *http.Request) {
	a.sessions.destroy(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// errorPage is what the error page shows. Every field is text, escaped by
// the template.
type errorPage struct {
	Title               string
	Detail              string
	ProviderCode        string
	ProviderDescription string
}

// callbackErrorPage describes a failed callback to the user by the kind of
// error, without internal details.
func callbackErrorPage(err error) errorPage {
	switch {
	case errors.Is(err, rp.ErrProvider):
		page := errorPage{Title: "The identity provider returned an error"}
		var pe *rp.ProviderError
		if errors.As(err, &pe) {
			page.ProviderCode = pe.Code
			page.ProviderDescription = pe.Description
		}
		return page
	case errors.Is(err, rp.ErrStateUnknown), errors.Is(err, rp.ErrStateExpired),
		errors.Is(err, rp.ErrStateReused), errors.Is(err, rp.ErrStateInvalid),
		errors.Is(err, rp.ErrStateMissing):
		return errorPage{Title: "The sign-in link expired or was already used; please sign in again"}
	case errors.Is(err, rp.ErrInvalidIDToken):
		return errorPage{Title: "The identity provider's token was rejected"}
	case errors.Is(err, rp.ErrTokenExchange):
		return errorPage{Title: "The code exchange failed"}
	default:
		return errorPage{Title: "Sign-in failed"}
	}
}

// renderError writes the error page with status.
func (a *app) renderError(w http.ResponseWriter, status int, page errorPage) {
	w.Header().Set("Cache-Control", "no-store")
	a.render(w, status, a.pages.error, page)
}

// render executes t with data and writes the result with status. The page
// is rendered in full before anything is written, so a template error
// becomes a clean 500.
func (a *app) render(w http.ResponseWriter, status int, t pageTemplate, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		a.log.Error("cannot render page", "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
