package admin

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/web"
)

// Config configures a Handler. Store, Site, Path and Authorize are
// required; the other fields have the documented defaults.
type Config struct {
	// Store is where the connections are saved: the Store of
	// Site's web.Connections. Required.
	Store connection.Store

	// Site serves the connections (web.Config.Connections must be set):
	// it gives the URLs to register at the provider, the rp.Config of
	// unsaved settings for Test settings and Test sign-in, and the last
	// sign-in of each connection. New registers the Handler as its
	// web.TrialHandler. Required.
	Site *web.Site

	// Path is where the Handler is mounted, e.g. "/admin/": it must
	// start and end with '/'. The Handler serves every path under it
	// itself and compares the request's full path with it, which is what
	// both http.ServeMux (mux.Handle("/admin/", h)) and chi
	// (r.Mount("/admin", h)) pass on; do not strip the prefix. Required.
	Path string

	// Authorize decides whether the request comes from an administrator
	// of the application, e.g. by web.UserFrom(r.Context()).Admin behind
	// Site.Require, and names them for the audit log. It is called first
	// on every request; when it reports false the answer is a 403 page
	// and nothing else of the request is read. Required.
	Authorize func(r *http.Request) (admin string, ok bool)

	// Users is the application's user store. Test sign-in previews what
	// the connection's matcher would do over it: it reads it, and never
	// writes it. When nil, Test sign-in shows the claims only.
	Users rp.UserStore

	// CSS, when set, replaces the built-in stylesheet served at Path +
	// "admin.css".
	CSS string

	// Templates, when set, replaces the built-in templates of the same
	// name (see the package documentation for their names and data). A
	// template that does not parse makes New fail.
	Templates fs.FS

	// Logger receives the audit log: one line per save, test, test
	// sign-in and delete, with the administrator (admin), the connection
	// and its version, and the outcome; never a secret. Default: discard.
	Logger *slog.Logger

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Handler serves the "Authentication → OpenID Connect" pages under
// Config.Path: the list of connections, the edit form with Save, Test
// settings, Test sign-in and Delete, and the result of a test sign-in. It
// is safe for concurrent use.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	tmpl   *template.Template
	css    string
	secure bool // the application is served over https: __Host- cookies

	mu     sync.Mutex
	tests  map[string]testSummary // last Test settings per connection, in this process
	trials *trials
}

// maxBody bounds a form's body.
const maxBody = 64 << 10

// New checks cfg and returns a Handler, registered with cfg.Site as its
// web.TrialHandler. It fails with an *rp.ConfigError listing every
// problem of cfg, such as a missing Store or a Path without a trailing
// '/', or a template of cfg.Templates that does not parse.
func New(cfg Config) (*Handler, error) {
	var problems []rp.ConfigProblem
	add := func(field, msg string) { problems = append(problems, rp.ConfigProblem{Field: field, Message: msg}) }
	if cfg.Store == nil {
		add("Store", "set the store of the connections, the Store of the Site's web.Connections")
	}
	if cfg.Authorize == nil {
		add("Authorize", "set the function that tells the application's administrators, e.g. by web.UserFrom(r.Context()).Admin")
	}
	if !strings.HasPrefix(cfg.Path, "/") || !strings.HasSuffix(cfg.Path, "/") || strings.ContainsAny(cfg.Path, " \t\r\n{}?#") {
		add("Path", fmt.Sprintf("%q must be a path starting and ending with '/', e.g. /admin/", cfg.Path))
	}
	var secure bool
	switch {
	case cfg.Site == nil:
		add("Site", "set the web.Site that serves the connections")
	default:
		links, ok := cfg.Site.ConnectionURLs("x")
		if !ok {
			add("Site", "the Site has no Connections: set web.Config.Connections")
		}
		secure = strings.HasPrefix(links.RedirectURL, "https://")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tmpl, err := loadTemplates(cfg.Templates)
	if err != nil {
		add("Templates", err.Error())
	}
	if len(problems) > 0 {
		return nil, &rp.ConfigError{Problems: problems}
	}
	css := cfg.CSS
	if css == "" {
		css = builtinCSS
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, now: cfg.Now, tmpl: tmpl, css: css, secure: secure,
		tests: map[string]testSummary{}, trials: newTrials(cfg.Now)}
	cfg.Site.HandleTrials(h)
	return h, nil
}

// ServeHTTP serves the pages under Config.Path. Every request is first
// checked with Config.Authorize (403 when not an administrator); every
// POST must be same-origin (http.CrossOriginProtection) and carry the
// form token of this browser's token cookie (403 otherwise).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setHeaders(w)
	admin, ok := h.cfg.Authorize(r)
	if !ok || admin == "" {
		h.message(w, http.StatusForbidden, "Not allowed", "Only administrators of this application may change its sign-in settings. Sign in with an administrator account and try again.")
		return
	}
	if r.URL.Path+"/" == h.cfg.Path {
		http.Redirect(w, r, h.cfg.Path, http.StatusSeeOther)
		return
	}
	rest, found := strings.CutPrefix(r.URL.Path, h.cfg.Path)
	if !found {
		h.notFound(w)
		return
	}
	if r.Method == http.MethodPost {
		if !h.checkPost(w, r) {
			return
		}
	} else if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.message(w, http.StatusMethodNotAllowed, "Not allowed", "This page only answers GET and POST.")
		return
	}
	req := &request{w: w, r: r, admin: admin}
	get := r.Method != http.MethodPost
	switch {
	case rest == "" && get:
		h.list(req)
	case rest == "admin.css" && get:
		serveStatic(w, "text/css; charset=utf-8", h.css)
	case rest == "admin.js" && get:
		serveStatic(w, "text/javascript; charset=utf-8", builtinJS)
	case rest == "new" && get:
		h.newForm(req)
	case rest == "new":
		h.post(req, "", true)
	case strings.HasPrefix(rest, "connections/"):
		name := strings.TrimPrefix(rest, "connections/")
		if !validName(name) {
			h.notFound(w)
			return
		}
		if get {
			h.editForm(req, name)
		} else {
			h.post(req, name, false)
		}
	case strings.HasPrefix(rest, "trials/") && get:
		h.trialResult(req, strings.TrimPrefix(rest, "trials/"))
	default:
		h.notFound(w)
	}
}

// request is one request of an administrator.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	admin string
}

func (q *request) ctx() context.Context { return q.r.Context() }

// audit writes one audit line.
func (h *Handler) audit(ctx context.Context, msg, admin, name string, attrs ...any) {
	attrs = append([]any{"admin", admin, "connection", name, "at", h.now().UTC().Format(time.RFC3339)}, attrs...)
	h.log.InfoContext(ctx, msg, attrs...)
}

// notFound answers 404.
func (h *Handler) notFound(w http.ResponseWriter) {
	h.message(w, http.StatusNotFound, "Not found", "There is no such page or connection. Go back to the list of connections.")
}

// storeFailed answers 503 for a store that failed, and logs why.
func (h *Handler) storeFailed(q *request, op string, err error) {
	h.log.ErrorContext(q.ctx(), "admin: connection store failed", "admin", q.admin, "op", op, "error", err.Error())
	h.message(q.w, http.StatusServiceUnavailable, "Store unavailable",
		"The connection store could not be reached, so nothing was read or changed. Try again in a moment.")
}

// isNotFound reports a Store's ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, connection.ErrNotFound) }
