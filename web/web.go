package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/bridge"
	"github.com/oidcrp/rp/internal/events"
	"github.com/oidcrp/rp/internal/seal"
	"github.com/oidcrp/rp/session"
)

// Site serves sign-in, callback and logout for a set of providers, keeps
// sessions, and guards the application's handlers with Require. It is
// safe for concurrent use.
type Site struct {
	cfg        Config
	providers  map[string]*Provider
	order      []*Provider
	sessions   *session.Manager
	logoutSeal *seal.Sealer
	resultSeal *seal.Sealer // refresh results in the SharedStore
	secure     bool
	refresher  refresher
	log        *slog.Logger
	now        func() time.Time
	mux        *http.ServeMux
	handler    http.Handler // mux with the framing headers
	chooser    bool         // serve the provider chooser at LoginPage
	conns      *conns       // Config.Connections, or nil
	lastSignIn sync.Map     // provider name -> time.Time of its last sign-in here
	bridged    bridge.Shared

	shared        SharedStore
	privateShared bool   // shared is this Site's own memory
	keyPrefix     string // of belongsKey: the session cookie name and "/"
	// recordsUntil is when (Unix seconds) the last revocation record
	// this process wrote expires; see checkRecords.
	recordsUntil atomic.Int64
}

var providerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// defaultLoginPage is LoginPage's default when there is not exactly one
// provider.
const defaultLoginPage = "/login"

// New checks cfg and returns a Site. It fails with a *ConfigError
// listing every problem at once.
func New(cfg Config) (w *Site, err error) {
	var v validator
	setDefault(&cfg.LogoutPath, "/logout")
	setDefault(&cfg.PostLogoutPath, "/signout-callback-oidc")
	setDefault(&cfg.LoggedOutURL, "/")
	setDefault(&cfg.SessionCookiePath, "/")
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w = &Site{cfg: cfg, providers: make(map[string]*Provider), secure: true, log: cfg.Logger, now: cfg.Now, shared: cfg.Shared}
	if w.shared == nil {
		w.shared, w.privateShared = newMemShared(cfg.Now), true
	}
	paths := map[string]string{}
	for _, f := range []struct{ field, path string }{{"LogoutPath", cfg.LogoutPath}, {"PostLogoutPath", cfg.PostLogoutPath}} {
		if !routePath(f.path) {
			v.add(f.field, fmt.Sprintf("%q must be a path starting with '/', without spaces or '{'", f.path))
		} else if !underPath(f.path, cfg.SessionCookiePath) {
			v.add(f.field, fmt.Sprintf("%q is outside SessionCookiePath %q, where the browser does not send the session cookies", f.path, cfg.SessionCookiePath))
		}
		paths[f.path] = f.field
	}
	for i := range cfg.Providers {
		p := cfg.Providers[i]
		field := fmt.Sprintf("Providers[%d]", i)
		ok := true
		if !providerName.MatchString(p.Name) {
			v.add(field+".Name", fmt.Sprintf("%q is not a valid provider name; use letters, digits, '-' and '_'", p.Name))
			ok = false
		} else if _, dup := w.providers[p.Name]; dup {
			v.add(field+".Name", fmt.Sprintf("provider %q is configured twice", p.Name))
			ok = false
		}
		if p.RP == nil {
			v.add(field+".RP", "set the provider's relying party (rp.New)")
			ok = false
		}
		setDefault(&p.Title, p.Name)
		setDefault(&p.LoginPath, "/login/"+p.Name)
		setDefault(&p.BackchannelLogoutPath, "/backchannel-logout/"+p.Name)
		setDefault(&p.FrontchannelLogoutPath, "/frontchannel-logout/"+p.Name)
		setDefault(&p.InitiateLoginPath, "/initiate-login/"+p.Name)
		for _, f := range []struct{ name, path string }{{"LoginPath", p.LoginPath},
			{"BackchannelLogoutPath", p.BackchannelLogoutPath}, {"FrontchannelLogoutPath", p.FrontchannelLogoutPath},
			{"InitiateLoginPath", p.InitiateLoginPath}} {
			if !routePath(f.path) {
				v.add(field+"."+f.name, fmt.Sprintf("%q must be a path starting with '/', without spaces or '{'", f.path))
				ok = false
			}
		}
		if !ok {
			continue
		}
		p.redirect, _ = url.Parse(p.RP.RedirectURL()) // rp.New checked it
		for _, path := range []string{p.LoginPath, p.redirect.Path, p.BackchannelLogoutPath, p.FrontchannelLogoutPath, p.InitiateLoginPath} {
			if other, taken := paths[path]; taken {
				v.add(field, fmt.Sprintf("path %q is already used by %s; give each provider its own login path and redirect URL", path, other))
			}
			paths[path] = field
		}
		if p.redirect.Scheme != "https" {
			w.secure = false
		}
		w.providers[p.Name] = &p
		w.order = append(w.order, &p)
	}
	if cfg.Connections != nil {
		w.conns = newConns(w, *cfg.Connections, &v)
	}
	if cfg.LoginPage == "" {
		cfg.LoginPage = defaultLoginPage
		if len(cfg.Providers) == 1 && len(w.order) == 1 && w.conns == nil {
			cfg.LoginPage = w.order[0].LoginPath
		} else if _, taken := paths[defaultLoginPage]; (len(cfg.Providers) > 1 || w.conns != nil) && !taken {
			w.chooser = true
		}
	}
	w.cfg = cfg
	secrets := make([][]byte, len(cfg.SessionSecrets))
	for i, s := range cfg.SessionSecrets {
		secrets[i] = []byte(s)
	}
	w.sessions, err = session.New(session.Config{
		Name: cfg.SessionCookieName, Path: cfg.SessionCookiePath,
		Secrets: secrets, Insecure: !w.secure, Store: cfg.SessionStore,
		AbsoluteTimeout: cfg.AbsoluteTimeout, IdleTimeout: cfg.IdleTimeout, MaxSize: cfg.MaxSessionSize, Now: cfg.Now,
		Uncompressed: true, // sessionData compresses its cold part itself
	})
	sessionProblems(&v, err)
	if len(v.problems) > 0 {
		return nil, &rp.ConfigError{Problems: v.problems}
	}
	if w.logoutSeal, err = seal.New("rp logout state v1", secrets...); err == nil {
		w.resultSeal, err = seal.New("rp shared refresh result v1", secrets...)
	}
	if err != nil {
		return nil, &rp.ConfigError{Problems: []rp.ConfigProblem{{Field: "SessionSecrets", Message: err.Error()}}}
	}
	w.keyPrefix = w.sessions.CookieName() + "/"
	w.refresher.calls = make(map[string]*refreshCall)
	w.adoptShared(secrets)
	w.mux = w.routes()
	w.handler = w.framing(w.mux)
	return w, nil
}

// sessionFields names the Config field behind each session.Config field.
var sessionFields = map[string]string{
	"Name": "SessionCookieName", "Path": "SessionCookiePath", "Secrets": "SessionSecrets",
	"AbsoluteTimeout": "AbsoluteTimeout", "IdleTimeout": "IdleTimeout", "MaxSize": "MaxSessionSize",
}

// sessionProblems adds the problems that session.New found to v, under
// the names of Config's fields.
func sessionProblems(v *validator, err error) {
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ce *session.ConfigError
		if !errors.As(e, &ce) {
			v.add("SessionSecrets", e.Error())
			continue
		}
		base, index, _ := strings.Cut(ce.Field, "[")
		field := sessionFields[base]
		if field == "" {
			field = ce.Field
		}
		if index != "" {
			field += "[" + index
		}
		v.add(field, ce.Message)
	}
}

// routePath reports whether p can be registered as a path with
// http.ServeMux: it starts with '/' and holds no space and no wildcard.
func routePath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.ContainsAny(p, " \t\r\n{}")
}

// underPath reports whether a browser sends cookies of Path cookiePath to
// requests for p (RFC 6265 section 5.1.4).
func underPath(p, cookiePath string) bool {
	return cookiePath == "/" || p == cookiePath ||
		strings.HasPrefix(p, cookiePath) && (strings.HasSuffix(cookiePath, "/") || p[len(cookiePath)] == '/')
}

// validator collects the problems of a Config.
type validator struct{ problems []rp.ConfigProblem }

func (v *validator) add(field, msg string) {
	v.problems = append(v.problems, rp.ConfigProblem{Field: field, Message: msg})
}

func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func (w *Site) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, p := range w.order {
		mux.Handle("GET "+p.LoginPath, w.loginHandler(p))
		mux.Handle(p.redirect.Path, w.callbackHandler(p))
		mux.Handle(p.BackchannelLogoutPath, w.backchannelLogout(p))
		mux.Handle("GET "+p.FrontchannelLogoutPath, w.frontchannelLogout(p))
		mux.Handle("GET "+p.InitiateLoginPath, w.initiateHandler(p))
		mux.Handle("POST "+p.InitiateLoginPath, w.initiateHandler(p))
	}
	if w.conns != nil {
		w.conns.routes(mux)
	}
	if w.chooser {
		mux.HandleFunc("GET "+defaultLoginPage, w.chooserPage)
	}
	mux.Handle("POST "+w.cfg.LogoutPath, http.NewCrossOriginProtection().Handler(http.HandlerFunc(w.logout)))
	mux.HandleFunc("GET "+w.cfg.PostLogoutPath, w.postLogout)
	return mux
}

// Handler serves every path Site owns: each provider's LoginPath,
// InitiateLoginPath (GET and POST), callback
// (its redirect URL's path), BackchannelLogoutPath (POST) and
// FrontchannelLogoutPath, LogoutPath (POST), PostLogoutPath and, with
// several providers and no LoginPage, a provider chooser at "/login".
// Route those paths to it, or mount it at "/" behind the application's
// own routes. Every response but the front-channel logout page forbids
// framing (X-Frame-Options: DENY and CSP frame-ancestors 'none').
func (w *Site) Handler() http.Handler { return w.handler }

// LoginLink describes one provider for a sign-in page, and for an
// administrator registering the application at the provider.
type LoginLink struct {
	Name  string // Provider.Name
	Title string // Provider.Title, the label of its sign-in button
	// LoginURL starts a sign-in with the provider; append
	// "?return_to=/path" to come back somewhere other than "/".
	LoginURL string
	// RedirectURL is the provider's Config.RedirectURL: register it at
	// the provider as a redirect URI.
	RedirectURL string
	// PostLogoutRedirectURL is where the provider sends the browser back
	// after logout: register it at the provider as a post-logout redirect
	// URI.
	PostLogoutRedirectURL string
	// BackchannelLogoutURL is where the provider POSTs logout tokens:
	// register it at the provider as the backchannel_logout_uri.
	BackchannelLogoutURL string
	// FrontchannelLogoutURL is the page the provider frames at logout:
	// register it at the provider as the frontchannel_logout_uri.
	FrontchannelLogoutURL string
	// InitiateLoginURL is where the provider or its dashboard starts a
	// sign-in (third-party-initiated login): register it at the provider
	// as the initiate_login_uri.
	InitiateLoginURL string
	// Unavailable reports a connection whose provider could not be
	// discovered at its last attempt: show its button disabled.
	Unavailable bool
}

// Providers lists the static providers in configuration order, then the
// enabled Connections by name, for a sign-in page with a button per
// provider or an administrator's setup page. Reading the connections may
// read the Store (see Connections.PollInterval); when it cannot be read,
// the connections are left out.
func (w *Site) Providers() []LoginLink {
	out := make([]LoginLink, 0, len(w.order))
	for _, p := range w.order {
		out = append(out, LoginLink{Name: p.Name, Title: p.Title, LoginURL: p.LoginPath,
			RedirectURL: p.RP.RedirectURL(), PostLogoutRedirectURL: w.postLogoutURI(p),
			BackchannelLogoutURL: w.originURL(p, p.BackchannelLogoutPath), FrontchannelLogoutURL: w.originURL(p, p.FrontchannelLogoutPath),
			InitiateLoginURL: w.originURL(p, p.InitiateLoginPath)})
	}
	if w.conns != nil {
		out = append(out, w.conns.links(context.Background())...)
	}
	return out
}

// loginHandler starts a sign-in. Query parameters: return_to (a path on
// this site; anything else falls back to "/"), login_hint and prompt.
func (w *Site) loginHandler(p *Provider) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		opts := rp.LoginOptions{ReturnTo: q.Get("return_to"), LoginHint: q.Get("login_hint"), Prompt: q.Get("prompt")}
		if _, ok := p.RP.SafeReturnTo(opts.ReturnTo); !ok {
			opts.ReturnTo = "/"
		}
		if err := p.RP.Login(rw, r, opts); err != nil {
			w.refuse(rw, r, http.StatusBadRequest, err, evLoginNotStarted, "provider", p.Name)
		}
	})
}

// callbackHandler completes a sign-in and starts a new session. It logs
// one line about the sign-in, with the provider's name.
func (w *Site) callbackHandler(p *Provider) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "no-store")
		rw.Header().Set("Referrer-Policy", "no-referrer")
		if p.RP.RelayFragment(rw, r) {
			return
		}
		r, signedIn := w.observeSignIn(r, p)
		res, err := p.RP.Callback(rw, r.WithContext(events.CallerLogs(r.Context())))
		if err != nil {
			signedIn(err)
			w.failSignIn(rw, r, p, statusFor(err), err, "provider", p.Name, "iss", p.RP.Metadata().Issuer)
			return
		}
		claims, _ := json.Marshal(res.Claims) // claims decoded from JSON encode again
		sid, _ := res.Claims.Raw["sid"].(string)
		data := &sessionData{
			Provider:     p.Name,
			SID:          sid,
			Subject:      res.Claims.Subject,
			User:         res.User,
			Claims:       claims,
			IDToken:      string(res.Tokens.IDToken),
			AccessToken:  string(res.Tokens.AccessToken),
			RefreshToken: string(res.Tokens.RefreshToken),
			DPoPKey:      sessionDPoPKey(res.Tokens.DPoPKey),
		}
		if !res.Tokens.Expiry.IsZero() {
			data.Expiry = res.Tokens.Expiry.Unix()
		}
		info := &SignInInfo{Request: r, Provider: p.Name, Claims: res.Claims, User: res.User, ReturnTo: res.ReturnTo}
		if data.App, err = w.beforeSession(r.Context(), info); err != nil {
			signedIn(err)
			w.failSignIn(rw, r, p, statusFor(err), err, "provider", p.Name, "iss", res.Claims.Issuer, "sub", res.Claims.Subject)
			return
		}
		if err := w.startSession(rw, r, data); err != nil {
			signedIn(err)
			w.failSignIn(rw, r, p, http.StatusInternalServerError, err,
				"provider", p.Name, "iss", res.Claims.Issuer, "sub", res.Claims.Subject)
			return
		}
		signedIn(nil)
		w.log.InfoContext(r.Context(), evSignIn, "provider", p.Name, "iss", res.Claims.Issuer, "sub", res.Claims.Subject)
		w.lastSignIn.Store(p.Name, w.now())
		if w.cfg.Hooks.AfterSignIn != nil {
			info.App = data.App
			w.notify(r.Context(), "AfterSignIn", func() { w.cfg.Hooks.AfterSignIn(r.Context(), info) })
		}
		http.Redirect(rw, r, res.ReturnTo, http.StatusSeeOther)
	})
}

// LastSignIn returns when a user last signed in through the provider or
// connection name on this instance (since it started), or the zero time:
// for an administrator's list of connections. Other instances keep their
// own.
func (w *Site) LastSignIn(name string) time.Time {
	t, _ := w.lastSignIn.Load(name)
	last, _ := t.(time.Time)
	return last
}

// statusFor maps a sign-in error to an HTTP status.
func statusFor(err error) int {
	switch {
	case errors.Is(err, rp.ErrReplayStore):
		return http.StatusServiceUnavailable // nothing was refused: try again
	case errors.Is(err, rp.ErrHookPanicked), errors.Is(err, ErrAppDataTooLarge):
		return http.StatusInternalServerError
	case errors.Is(err, rp.ErrHookRefused):
		return http.StatusForbidden
	case errors.Is(err, rp.ErrNoLocalAccount), errors.Is(err, rp.ErrUnverifiedEmail), errors.Is(err, rp.ErrSubjectConflict),
		errors.Is(err, rp.ErrAdminRefused), errors.Is(err, rp.ErrUserExists), errors.Is(err, rp.ErrAmbiguousUser), errors.Is(err, rp.ErrAuthorization):
		return http.StatusForbidden
	case errors.Is(err, rp.ErrStore), errors.Is(err, session.ErrTooLarge):
		return http.StatusInternalServerError
	case errors.Is(err, rp.ErrTokenExchange), errors.Is(err, rp.ErrUserInfo):
		return http.StatusBadGateway
	}
	return http.StatusBadRequest
}

// refuse logs the one line about a failed request (msg, at levelOf(err),
// with attrs) and renders err, given a reference shared by the log line
// and the page, with the configured ErrorHandler or the default page.
func (w *Site) refuse(rw http.ResponseWriter, r *http.Request, status int, err error, msg string, attrs ...any) {
	err = events.WithRef(err)
	logRefusal(r.Context(), w.log, msg, err, append(attrs, "status", status)...)
	if w.cfg.ErrorHandler != nil {
		w.cfg.ErrorHandler(rw, r, status, err)
		return
	}
	renderError(rw, status, err, w.cfg.LoginPage)
}

// loginRedirect is where Require sends a browser: LoginPage with the
// request's path as return_to.
func (w *Site) loginRedirect(r *http.Request) string {
	u, err := url.Parse(w.cfg.LoginPage)
	if err != nil {
		return "/"
	}
	q := u.Query()
	q.Set("return_to", r.URL.RequestURI())
	u.RawQuery = q.Encode()
	return u.String()
}

// isNavigation reports whether r is a browser page load, which may be
// redirected to a sign-in page, rather than an API or script request,
// which gets 401: a GET or HEAD with Sec-Fetch-Mode: navigate or, from
// browsers that do not send Sec-Fetch-Mode, an Accept header asking for
// text/html. A request without either is not a navigation.
func isNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode != "" {
		return mode == "navigate"
	}
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), "text/html")
}
