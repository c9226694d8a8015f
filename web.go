package rp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/oidcrp/rp/internal/seal"
	"github.com/oidcrp/rp/session"
)

// Provider is one identity provider of a Web, e.g. Entra ID for staff and
// Okta for a customer.
type Provider struct {
	// Name identifies the provider in paths and sessions: letters, digits,
	// '-' and '_', e.g. "azure". Required and unique.
	Name string
	// Title is the label of its sign-in button. Default Name.
	Title string
	// RP is the provider's relying party. Its Config.RedirectURL's path is
	// where Web serves the provider's callback, and must differ between
	// providers.
	RP *RP
	// LoginPath is where Web starts a sign-in with this provider. Default
	// "/login/" + Name.
	LoginPath string
}

// WebConfig configures a Web. Zero fields have the documented defaults.
type WebConfig struct {
	// Providers are the identity providers users may sign in with. At
	// least one, unless the application only uses SignIn.
	Providers []Provider

	// SessionSecrets seal the session cookies: the first seals, all open,
	// so a new secret put first rotates keys. Each at least 32 random bytes.
	// Required.
	SessionSecrets []Secret

	// SessionStore, when set, keeps session data on the server and only a
	// sealed session ID in the cookie: for revocation and for sessions too
	// large for cookies. Default: the whole session in sealed cookies.
	SessionStore session.Store

	// AbsoluteTimeout ends a session this long after sign-in (default 8h);
	// IdleTimeout ends it after this long without a request (default 1h).
	AbsoluteTimeout time.Duration
	IdleTimeout     time.Duration

	// MaxSessionSize caps the sealed session cookies' total size (default
	// 24 KiB); a sign-in whose session is larger fails with
	// session.ErrTooLarge, unless SessionStore is set.
	MaxSessionSize int

	// LoginPage is where Require sends browsers that are not signed in,
	// with a return_to parameter: the application's sign-in page, listing
	// Providers() as buttons. Default: the only provider's LoginPath, or
	// "/login" when there are several or none.
	LoginPage string

	// LogoutPath is where a POST signs the user out. Default "/logout".
	LogoutPath string

	// PostLogoutPath is where the provider sends the browser back after
	// RP-initiated logout; register origin + PostLogoutPath as the
	// post-logout redirect URI at the provider. Default
	// "/signout-callback-oidc".
	PostLogoutPath string

	// LoggedOutURL is where the browser lands after logout, e.g. a
	// "You are signed out" page or a company portal. Default "/".
	LoggedOutURL string

	// RefreshBefore is how long before the access token's expiry Require
	// refreshes it, when the session holds a refresh token. Default 1m.
	RefreshBefore time.Duration

	// ErrorHandler renders failed sign-ins and logouts. It must not reveal
	// err's details beyond its kind to the browser. Default: a small HTML
	// page naming the kind of error.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err error)

	// Logger receives events; never tokens or secrets. Default: discard.
	Logger *slog.Logger

	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
}

// Web serves sign-in, callback and logout for a set of providers, keeps
// sessions, and guards the application's handlers with Require. It is
// safe for concurrent use.
type Web struct {
	cfg        WebConfig
	providers  map[string]*Provider
	order      []*Provider
	sessions   *session.Manager
	logoutSeal *seal.Sealer
	secure     bool
	refresher  refresher
	log        *slog.Logger
	now        func() time.Time
	mux        *http.ServeMux
}

var providerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// NewWeb checks cfg and returns a Web. It fails with a *ConfigError
// listing every problem.
func NewWeb(cfg WebConfig) (*Web, error) {
	var v validator
	if len(cfg.SessionSecrets) == 0 {
		v.add("SessionSecrets", "set at least one secret of 32 or more random bytes")
	}
	setDefault(&cfg.LogoutPath, "/logout")
	setDefault(&cfg.PostLogoutPath, "/signout-callback-oidc")
	setDefault(&cfg.LoggedOutURL, "/")
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w := &Web{cfg: cfg, providers: make(map[string]*Provider), secure: true, log: cfg.Logger, now: cfg.Now}
	paths := map[string]string{cfg.LogoutPath: "LogoutPath", cfg.PostLogoutPath: "PostLogoutPath"}
	for i := range cfg.Providers {
		p := cfg.Providers[i]
		field := fmt.Sprintf("Providers[%d]", i)
		if !providerName.MatchString(p.Name) {
			v.add(field+".Name", fmt.Sprintf("%q is not a valid provider name; use letters, digits, '-' and '_'", p.Name))
			continue
		}
		if _, dup := w.providers[p.Name]; dup {
			v.add(field+".Name", fmt.Sprintf("provider %q is configured twice", p.Name))
			continue
		}
		if p.RP == nil {
			v.add(field+".RP", "set the provider's relying party (rp.New)")
			continue
		}
		setDefault(&p.Title, p.Name)
		setDefault(&p.LoginPath, "/login/"+p.Name)
		for _, path := range []string{p.LoginPath, p.RP.redirect.Path} {
			if other, taken := paths[path]; taken {
				v.add(field, fmt.Sprintf("path %q is already used by %s; give each provider its own login path and redirect URL", path, other))
			}
			paths[path] = field
		}
		if !p.RP.secureCookies {
			w.secure = false
		}
		w.providers[p.Name] = &p
		w.order = append(w.order, &p)
	}
	if cfg.LoginPage == "" {
		cfg.LoginPage = "/login"
		if len(w.order) == 1 {
			cfg.LoginPage = w.order[0].LoginPath
		}
	}
	w.cfg = cfg
	if len(v.problems) > 0 {
		return nil, &ConfigError{Problems: v.problems}
	}
	secrets := make([][]byte, len(cfg.SessionSecrets))
	for i, s := range cfg.SessionSecrets {
		secrets[i] = []byte(s)
	}
	var err error
	w.sessions, err = session.New(session.Config{
		Secrets: secrets, Insecure: !w.secure, Store: cfg.SessionStore,
		AbsoluteTimeout: cfg.AbsoluteTimeout, IdleTimeout: cfg.IdleTimeout, MaxSize: cfg.MaxSessionSize, Now: cfg.Now,
	})
	if err != nil {
		return nil, &ConfigError{Problems: []ConfigProblem{{Field: "SessionSecrets", Message: err.Error()}}}
	}
	if w.logoutSeal, err = seal.New("rp logout state v1", secrets...); err != nil {
		return nil, &ConfigError{Problems: []ConfigProblem{{Field: "SessionSecrets", Message: err.Error()}}}
	}
	w.refresher.calls = make(map[string]*refreshCall)
	w.mux = w.routes()
	return w, nil
}

func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func (w *Web) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, p := range w.order {
		mux.Handle("GET "+p.LoginPath, w.loginHandler(p))
		mux.Handle(p.RP.redirect.Path, w.callbackHandler(p))
	}
	mux.Handle("POST "+w.cfg.LogoutPath, http.NewCrossOriginProtection().Handler(http.HandlerFunc(w.logout)))
	mux.HandleFunc("GET "+w.cfg.PostLogoutPath, w.postLogout)
	return mux
}

// Handler serves every path Web owns: each provider's LoginPath and
// callback (its redirect URL's path), LogoutPath (POST) and
// PostLogoutPath. Route those paths to it, or mount it at "/" behind the
// application's own routes.
func (w *Web) Handler() http.Handler { return w.mux }

// ProviderLink describes one provider for a sign-in page.
type ProviderLink struct {
	Name  string
	Title string
	// LoginURL starts a sign-in with the provider; append
	// "?return_to=/path" to come back somewhere other than "/".
	LoginURL string
}

// Providers lists the providers in configuration order, for a sign-in page
// with a button per provider.
func (w *Web) Providers() []ProviderLink {
	out := make([]ProviderLink, 0, len(w.order))
	for _, p := range w.order {
		out = append(out, ProviderLink{Name: p.Name, Title: p.Title, LoginURL: p.LoginPath})
	}
	return out
}

// loginHandler starts a sign-in. Query parameters: return_to (a path on
// this site; anything else falls back to "/"), login_hint and prompt.
func (w *Web) loginHandler(p *Provider) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		opts := LoginOptions{ReturnTo: q.Get("return_to"), LoginHint: q.Get("login_hint"), Prompt: q.Get("prompt")}
		if _, ok := safeReturnTo(opts.ReturnTo, p.RP.redirect); !ok {
			opts.ReturnTo = "/"
		}
		if err := p.RP.Login(rw, r, opts); err != nil {
			w.fail(rw, r, http.StatusBadRequest, err)
		}
	})
}

// callbackHandler completes a sign-in and starts a new session.
func (w *Web) callbackHandler(p *Provider) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "no-store")
		rw.Header().Set("Referrer-Policy", "no-referrer")
		if p.RP.RelayFragment(rw, r) {
			return
		}
		res, err := p.RP.Callback(rw, r)
		if err != nil {
			w.fail(rw, r, statusFor(err), err)
			return
		}
		data := &sessionData{
			Provider:     p.Name,
			User:         res.User,
			Claims:       res.Claims.raw(),
			IDToken:      string(res.Tokens.IDToken),
			AccessToken:  string(res.Tokens.AccessToken),
			RefreshToken: string(res.Tokens.RefreshToken),
		}
		if !res.Tokens.Expiry.IsZero() {
			data.Expiry = res.Tokens.Expiry.Unix()
		}
		if err := w.startSession(rw, r, data); err != nil {
			w.fail(rw, r, http.StatusInternalServerError, err)
			return
		}
		http.Redirect(rw, r, res.ReturnTo, http.StatusSeeOther)
	})
}

// statusFor maps a sign-in error to an HTTP status.
func statusFor(err error) int {
	switch {
	case errors.Is(err, ErrUnknownUser), errors.Is(err, ErrUnverifiedEmail), errors.Is(err, ErrSubjectConflict),
		errors.Is(err, ErrAdminRefused), errors.Is(err, ErrUserExists), errors.Is(err, ErrAmbiguousUser), errors.Is(err, ErrProvider):
		return http.StatusForbidden
	case errors.Is(err, ErrStore), errors.Is(err, session.ErrTooLarge):
		return http.StatusInternalServerError
	case errors.Is(err, ErrTokenExchange), errors.Is(err, ErrUserInfo):
		return http.StatusBadGateway
	}
	return http.StatusBadRequest
}

// fail renders err with the configured ErrorHandler or the default page.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, status int, err error) {
	w.log.Info("rp: request failed", "path", r.URL.Path, "status", status, "error", err)
	if w.cfg.ErrorHandler != nil {
		w.cfg.ErrorHandler(rw, r, status, err)
		return
	}
	renderError(rw, status, err)
}

// loginRedirect is where Require sends a browser: LoginPage with the
// request's path as return_to.
func (w *Web) loginRedirect(r *http.Request) string {
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
// which gets 401.
func isNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode != "" {
		return mode == "navigate"
	}
	accept := r.Header.Get("Accept")
	return accept == "" || strings.Contains(accept, "text/html")
}
