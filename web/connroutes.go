package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// connRoutes registers the paths of every connection on mux: one pattern
// per kind of path, the connection's name a wildcard.
func (c *conns) routes(mux *http.ServeMux) {
	base := c.prefix + "{conn}/"
	mux.HandleFunc("GET "+base+"login", c.login)
	mux.HandleFunc(base+"callback", c.callback)
	mux.HandleFunc(base+"backchannel-logout", c.backchannel)
	mux.HandleFunc("GET "+base+"frontchannel-logout", c.frontchannel)
	mux.HandleFunc("GET "+base+"initiate-login", c.initiate)
	mux.HandleFunc("POST "+base+"initiate-login", c.initiate)
}

// refuse renders a failed lookup of a connection: 404 for a disabled or
// unknown one (its logins in progress end here too), 400 for a login
// whose version is gone, 503 when it or the store is unavailable.
func (c *conns) refuse(rw http.ResponseWriter, r *http.Request, err error, msg string) {
	status := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, connection.ErrDisabled):
		status = http.StatusNotFound
	case errors.Is(err, ErrSettingsChanged):
		status = http.StatusBadRequest
	}
	c.site.refuse(rw, r, status, err, msg, "provider", loggableName(r.PathValue("conn")))
}

// loggableName is a connection name from a request's path, for a log
// line: itself when it is a valid name, else a fixed word, so that a
// browser cannot write what it likes into the log.
func loggableName(name string) string {
	if providerName.MatchString(name) {
		return name
	}
	return "(invalid name)"
}

// latestProvider returns the Provider of the latest version of the
// connection named in r's path.
func (c *conns) latestProvider(r *http.Request) (*Provider, error) {
	e, err := c.latest(r.Context(), r.PathValue("conn"))
	if err != nil {
		return nil, err
	}
	return c.provider(r.Context(), e)
}

func (c *conns) login(rw http.ResponseWriter, r *http.Request) {
	p, err := c.latestProvider(r)
	if err != nil {
		c.refuse(rw, r, err, evLoginNotStarted)
		return
	}
	c.site.loginHandler(p).ServeHTTP(rw, r)
}

// callback hands the response to the RP of the version its login
// started with, named by the state's tag (rp.StateTag): the connection's
// name and version. A state without such a tag goes to the latest
// version, whose RP refuses it as any state it did not send.
func (c *conns) callback(rw http.ResponseWriter, r *http.Request) {
	name := r.PathValue("conn")
	tag := rp.ResponseStateTag(rw, r)
	if trial := trialOf(tag, name); trial != "" {
		c.serveTrial(rw, r, name, trial)
		return
	}
	var (
		e   *connEntry
		err error
	)
	if version, ok := pinnedVersion(tag, name); ok {
		e, err = c.version(r.Context(), name, version)
	} else {
		e, err = c.latest(r.Context(), name)
	}
	if err != nil {
		c.refuse(rw, r, err, evSignInRefused)
		return
	}
	p, err := c.provider(r.Context(), e)
	if err != nil {
		c.refuse(rw, r, err, evSignInRefused)
		return
	}
	c.site.callbackHandler(p).ServeHTTP(rw, r)
}

// pinnedVersion reads the version a login of the connection name
// started with from its state's tag.
func pinnedVersion(tag, name string) (int64, bool) {
	i := strings.LastIndexByte(tag, '.')
	if i < 0 || tag[:i] != name {
		return 0, false
	}
	v, err := strconv.ParseInt(tag[i+1:], 10, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}

func (c *conns) backchannel(rw http.ResponseWriter, r *http.Request) {
	p, err := c.latestProvider(r)
	if err != nil {
		rw.Header().Set("Cache-Control", "no-store")
		c.site.refuseBackchannel(r.Context(), rw, &backchannelError{http.StatusBadRequest, "unknown or unavailable connection", err},
			[]any{"provider", loggableName(r.PathValue("conn"))})
		return
	}
	c.site.backchannelLogout(p).ServeHTTP(rw, r)
}

func (c *conns) initiate(rw http.ResponseWriter, r *http.Request) {
	p, err := c.latestProvider(r)
	if err != nil {
		c.refuse(rw, r, err, evLoginNotStarted)
		return
	}
	c.site.initiateHandler(p).ServeHTTP(rw, r)
}

func (c *conns) frontchannel(rw http.ResponseWriter, r *http.Request) {
	p, err := c.latestProvider(r)
	if err != nil {
		c.refuse(rw, r, err, evFrontchannel)
		return
	}
	c.site.frontchannelLogout(p).ServeHTTP(rw, r)
}

// links lists the enabled connections as LoginLinks.
func (c *conns) links(ctx context.Context) []LoginLink {
	set, ok := c.current(ctx)
	if !ok {
		return nil
	}
	var out []LoginLink
	for _, e := range set.order {
		s := &e.settings
		if !s.Enabled {
			continue
		}
		e.mu.Lock()
		unavailable := e.p == nil && e.err != nil
		e.mu.Unlock()
		out = append(out, LoginLink{Name: s.Name, Title: titleOf(s), LoginURL: c.prefix + s.Name + "/login",
			RedirectURL: c.url(s.Name, "callback"), PostLogoutRedirectURL: c.origin(c.site.cfg.PostLogoutPath),
			BackchannelLogoutURL: c.url(s.Name, "backchannel-logout"), FrontchannelLogoutURL: c.url(s.Name, "frontchannel-logout"),
			InitiateLoginURL: c.url(s.Name, "initiate-login"), Unavailable: unavailable})
	}
	return out
}

// isFrontchannelPath reports whether path is a connection's front-channel
// logout page, which its provider may frame.
func (c *conns) isFrontchannelPath(path string) bool {
	rest, ok := strings.CutPrefix(path, c.prefix)
	if !ok {
		return false
	}
	name, ok := strings.CutSuffix(rest, "/frontchannel-logout")
	return ok && providerName.MatchString(name)
}

// lookup returns the Provider a session of name belongs to: a static
// provider, or the latest version of an enabled connection. It fails
// with connection.ErrDisabled for a provider that no longer exists or is
// disabled, or ErrConnectionUnavailable.
func (w *Site) lookup(ctx context.Context, name string) (*Provider, error) {
	if p := w.providers[name]; p != nil {
		return p, nil
	}
	if w.conns == nil {
		return nil, connection.ErrDisabled
	}
	e, err := w.conns.latest(ctx, name)
	if err != nil {
		return nil, err
	}
	return w.conns.provider(ctx, e)
}

// live reports whether sessions of the provider name may still be used:
// it is "" (the application's own SignIn), static, or an enabled
// connection (as of the last poll). A connection the store cannot confirm
// counts as live for three PollIntervals (see Connections.PollInterval).
func (w *Site) live(ctx context.Context, name string) bool {
	if w.conns == nil || name == "" || w.providers[name] != nil {
		return true
	}
	_, err := w.conns.latest(ctx, name)
	return err == nil
}

// WatchConnections applies the changes of Connections.Store as soon as
// they are saved on any instance, when the Store pushes them
// (connection.Watcher, e.g. PostgreSQL's LISTEN/NOTIFY), and otherwise
// polls the Store's Revision every PollInterval, also after a push that
// failed. Without it, a Site reads the Revision on the first request
// after each PollInterval. It returns when ctx ends, with ctx's error;
// a Site without Connections returns at once with nil.
func (w *Site) WatchConnections(ctx context.Context) error {
	c := w.conns
	if c == nil {
		return nil
	}
	watcher := c.cfg.Watcher
	if watcher == nil {
		watcher, _ = c.cfg.Store.(connection.Watcher)
	}
	if watcher != nil {
		err := watcher.Watch(ctx, c.changed)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.log.WarnContext(ctx, "rp: connection store stopped pushing changes; polling instead", "error_kind", errorKindOf(err), "error", errString(err))
	}
	t := time.NewTicker(c.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			c.changed()
			c.current(ctx)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "stopped"
	}
	return err.Error()
}
