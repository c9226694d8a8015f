package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/internal/loopback"
	"github.com/oidcrp/rp/outbound"
)

// Connections serves the identity provider connections an administrator
// configures at run time, kept in a connection.Store, next to a Site's
// static Providers. Each connection is served under PathPrefix + its name:
// "login", "callback" (its redirect URL), "backchannel-logout" and
// "frontchannel-logout", e.g. "/sso/okta-acme/callback".
//
// A connection's RP is built on its first use (discovery then), reused,
// and built anew for each new version saved. A login is pinned to the
// version it started with: it completes under that version while the
// Store retains it (connection.RetainSuperseded), and fails with
// ErrSettingsChanged after that; it never completes under another client
// or issuer. A disabled or deleted connection ends its logins in progress
// with connection.ErrDisabled and its sessions at their next request. A
// connection whose discovery fails is unavailable (ErrConnectionUnavailable
// at its login, a disabled button on the sign-in page) without affecting
// the others, and is tried again after RetryUnavailable. Signed-in
// sessions, their refreshes and logouts use the connection's latest
// version.
type Connections struct {
	// Store holds the connections. Required.
	Store connection.Store

	// ExternalURL is the application's external origin, e.g.
	// "https://app.example.com": the redirect URLs the administrator
	// registers at the providers are ExternalURL + PathPrefix + name +
	// "/callback". It is never taken from a request's Host header.
	// Required; https, except on a loopback host.
	ExternalURL string

	// PathPrefix starts the paths of every connection. Default "/sso/".
	// It must start and end with '/'.
	PathPrefix string

	// RP is the template of every connection's rp.Config: everything that
	// is not a connection setting (HTTPClient, HTTPTimeout, Logger,
	// CookieSecrets, ReplayStore, LoginTimeout, ClockSkew, Now...). Its
	// provider fields are overwritten by each connection's settings.
	//
	// Its HTTPClient defaults to outbound.Policy{}.Client(nil), not to
	// http.DefaultClient: connections' URLs are typed by administrators,
	// and the server must not fetch its own network's private addresses
	// (cloud metadata, internal services) for them. Give a client of a
	// Policy that allows what the application's providers need, such as
	// an identity provider on the private network.
	RP rp.Config

	// Users, when set, is the user store each connection's default
	// matcher (rp.NewMatcher with Settings.MatcherConfig) links sign-ins
	// to. When nil, sign-ins carry no local user.
	Users rp.UserStore

	// PollInterval is how often the Site reads the Store's Revision to
	// learn of changes saved on any instance: a change takes effect on
	// every instance within PollInterval, or at once on the instances
	// running WatchConnections against a Store that pushes changes.
	// Default 10s. When the Store cannot be read, the Site keeps using the
	// connections it knows for three PollIntervals, then refuses their
	// sign-ins (ErrConnectionUnavailable) until the Store answers again.
	PollInterval time.Duration

	// Watcher, when set, pushes the changes of Store to WatchConnections,
	// such as the PostgreSQL LISTEN/NOTIFY watcher of package
	// github.com/oidcrp/rp/connection/sqlstore/pgnotify. Default: Store
	// itself when it implements connection.Watcher, else none (polling).
	Watcher connection.Watcher

	// EmailFirst makes the Site's provider chooser (the default
	// LoginPage) ask for the user's email address first and send the
	// user on to the connection that owns its domain (home-realm
	// discovery, see Site.RouteEmail), with the address as login_hint.
	// An address that no connection owns, or several, is never routed by
	// a guess: the browser goes to NoMatchURL, or back to the chooser
	// with a message and every button.
	EmailFirst bool

	// WebFingerDiscovery, with EmailFirst, routes an address whose domain
	// no connection owns by WebFinger (rp.WebFinger.DiscoverIssuer): the
	// Site asks the domain for its OpenID Connect issuer, through RP's
	// HTTPClient (the outbound Policy's, which keeps the lookup off
	// private addresses) within RP's HTTPTimeout, and sends the user to
	// the one enabled connection (Authority or Endpoints.Issuer, or the
	// discovered issuer) or static Provider whose issuer is exactly that
	// one. An issuer nothing here is configured for is never signed in
	// with: such an address, or one whose lookup fails, counts as owned by
	// no connection (NoMatchURL, or the chooser). Consumer mail domains
	// are not asked. Default off.
	WebFingerDiscovery bool

	// NoMatchURL, with EmailFirst, is where an address that no single
	// connection owns is sent, with its email and return_to parameters:
	// the application's password sign-in page, say. Default: the
	// chooser.
	NoMatchURL string

	// RequireVerifiedDomains routes only by the email domains whose
	// ownership was proved (connection.EmailDomain.Verified, see
	// connection.DomainVerifier).
	RequireVerifiedDomains bool

	// RetryUnavailable is how long a connection whose discovery failed
	// stays unavailable before the next sign-in tries it again. Default
	// 30s.
	RetryUnavailable time.Duration
}

var (
	// ErrConnectionUnavailable: the connection's provider could not be
	// discovered, or the connection store could not be read; the
	// connection's sign-ins are refused with 503 until it recovers.
	ErrConnectionUnavailable = errors.New("web: sign-in option unavailable")
	// ErrSettingsChanged: the connection's settings changed while the
	// user was at the provider, and the version the login started with is
	// no longer kept. The user signs in again.
	ErrSettingsChanged = errors.New("web: the sign-in settings changed; sign in again")
)

// conns is a Site's live view of its Connections.
type conns struct {
	cfg       Connections
	site      *Site
	prefix    string
	external  *url.URL
	set       atomic.Pointer[connSet]
	reloadMu  sync.Mutex // one reload at a time
	pinnedMu  sync.Mutex
	pinned    map[string]*connEntry // superseded versions logins are pinned to, by name "." version
	trials    atomic.Pointer[TrialHandler]
	lastGood  atomic.Int64 // Unix nanoseconds of the last Revision read that worked
	pollNanos atomic.Int64 // 0 forces the next request to read the Revision
}

// connSet is one snapshot of the Store: the latest version of every
// connection. It is never changed once published.
type connSet struct {
	loaded   bool
	revision int64
	checked  time.Time
	byName   map[string]*connEntry
	order    []*connEntry
}

// connEntry is one version of one connection, and its RP once built.
type connEntry struct {
	settings connection.Settings
	mu       sync.Mutex
	p        *Provider
	err      error
	failed   time.Time
}

// maxPinned bounds the superseded versions a Site keeps RPs of.
const maxPinned = 256

// newConns checks cfg and returns the Site's view of it, to be loaded on
// the first request.
func newConns(site *Site, cfg Connections, v *validator) *conns {
	if cfg.Store == nil {
		v.add("Connections.Store", "set the store of the connections (connection.NewMemoryStore, or the SQL store of github.com/oidcrp/rp/connection/sqlstore)")
	}
	setDefault(&cfg.PathPrefix, "/sso/")
	if !strings.HasPrefix(cfg.PathPrefix, "/") || !strings.HasSuffix(cfg.PathPrefix, "/") || !routePath(cfg.PathPrefix) {
		v.add("Connections.PathPrefix", fmt.Sprintf("%q must start and end with '/', without spaces or '{'", cfg.PathPrefix))
	}
	ext, err := url.Parse(cfg.ExternalURL)
	switch {
	case cfg.ExternalURL == "":
		v.add("Connections.ExternalURL", "set the application's external origin, e.g. https://app.example.com")
	case err != nil || ext.Host == "" || (ext.Scheme != "https" && ext.Scheme != "http") || ext.RawQuery != "" || ext.Fragment != "" || ext.User != nil:
		v.add("Connections.ExternalURL", fmt.Sprintf("%q is not an origin such as https://app.example.com", cfg.ExternalURL))
	case ext.Scheme == "http" && !loopback.Host(ext.Hostname()):
		v.add("Connections.ExternalURL", "use https: plain http is allowed only on a loopback host")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 10 * time.Second
	}
	if cfg.RetryUnavailable <= 0 {
		cfg.RetryUnavailable = 30 * time.Second
	}
	if cfg.RP.HTTPClient == nil {
		cfg.RP.HTTPClient = outbound.Policy{}.Client(nil)
	}
	if cfg.RP.Now == nil {
		cfg.RP.Now = site.now
	}
	if cfg.RP.Logger == nil {
		cfg.RP.Logger = site.log
	}
	c := &conns{cfg: cfg, site: site, prefix: cfg.PathPrefix, pinned: map[string]*connEntry{}}
	if ext != nil {
		ext.Path = strings.TrimSuffix(ext.Path, "/")
		c.external = ext
	}
	c.set.Store(&connSet{byName: map[string]*connEntry{}})
	return c
}

// current returns the connections as of at most PollInterval ago,
// reading the Store's Revision (and, when it changed, the connections)
// when the snapshot is older. ok is false when the Store has not
// answered for three PollIntervals: the caller refuses the sign-in.
func (c *conns) current(ctx context.Context) (set *connSet, ok bool) {
	now := c.site.now()
	set = c.set.Load()
	if now.Sub(set.checked) < time.Duration(c.pollNanos.Load()) {
		return set, true
	}
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	set = c.set.Load()
	if now.Sub(set.checked) >= time.Duration(c.pollNanos.Load()) {
		set = c.reload(ctx, set, now)
	}
	return set, now.Sub(time.Unix(0, c.lastGood.Load())) < 3*c.cfg.PollInterval
}

// reload reads the Store's Revision and, when it changed, the latest
// version of every connection, keeping the entries (and RPs) of versions
// it already had. On a Store failure it logs at Error and keeps old.
func (c *conns) reload(ctx context.Context, old *connSet, now time.Time) *connSet {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	fail := func(err error) *connSet {
		c.site.log.ErrorContext(ctx, "rp: connection store failed; keeping the connections known", "error_kind", errorKindOf(err), "error", err.Error())
		next := *old
		next.checked = now
		c.set.Store(&next)
		c.pollNanos.Store(int64(c.cfg.PollInterval))
		return &next
	}
	rev, err := c.cfg.Store.Revision(ctx)
	if err != nil {
		return fail(err)
	}
	next := &connSet{loaded: true, revision: rev, checked: now, byName: old.byName, order: old.order}
	if rev != old.revision || !old.loaded {
		list, err := c.cfg.Store.List(ctx)
		if err != nil {
			return fail(err)
		}
		next.byName = make(map[string]*connEntry, len(list))
		next.order = make([]*connEntry, 0, len(list))
		for _, s := range list {
			if c.site.providers[s.Name] != nil {
				c.site.log.WarnContext(ctx, "rp: connection ignored: a static provider has its name", "provider", s.Name)
				continue
			}
			e := old.byName[s.Name]
			if e == nil || e.settings.Version != s.Version {
				e = &connEntry{settings: s}
			}
			next.byName[s.Name] = e
			next.order = append(next.order, e)
		}
	}
	c.lastGood.Store(now.UnixNano())
	c.pollNanos.Store(int64(c.cfg.PollInterval))
	c.set.Store(next)
	return next
}

// changed makes the next request read the Store: WatchConnections calls
// it when the Store pushes a change.
func (c *conns) changed() { c.pollNanos.Store(0) }

// latest returns the enabled connection name's latest version, or
// connection.ErrDisabled (also for a name that is no connection), or
// ErrConnectionUnavailable when the Store is out of reach.
func (c *conns) latest(ctx context.Context, name string) (*connEntry, error) {
	set, ok := c.current(ctx)
	if !ok {
		return nil, fmt.Errorf("%w: the connection store cannot be read", ErrConnectionUnavailable)
	}
	e := set.byName[name]
	if e == nil || !e.settings.Enabled {
		return nil, connection.ErrDisabled
	}
	return e, nil
}

// version returns version of the connection name for a login pinned to
// it: the latest entry when that is the version, else a retained
// superseded one, or ErrSettingsChanged when the Store no longer has it.
// A disabled or deleted connection is connection.ErrDisabled.
func (c *conns) version(ctx context.Context, name string, version int64) (*connEntry, error) {
	e, err := c.latest(ctx, name)
	if err != nil {
		return nil, err
	}
	if e.settings.Version == version {
		return e, nil
	}
	if version <= 0 {
		return nil, ErrSettingsChanged
	}
	// An older version, or a newer one that another instance saw first:
	// the store tells.
	key := name + "." + strconv.FormatInt(version, 10)
	c.pinnedMu.Lock()
	pe := c.pinned[key]
	c.pinnedMu.Unlock()
	if pe != nil {
		return pe, nil
	}
	s, err := c.cfg.Store.GetVersion(ctx, name, version)
	switch {
	case errors.Is(err, connection.ErrNotFound):
		return nil, ErrSettingsChanged
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrConnectionUnavailable, err)
	case s.Name != name || s.Version != version:
		return nil, fmt.Errorf("%w: the store returned another version than asked", ErrConnectionUnavailable)
	}
	pe = &connEntry{settings: s}
	c.pinnedMu.Lock()
	defer c.pinnedMu.Unlock()
	if old := c.pinned[key]; old != nil {
		return old, nil
	}
	if len(c.pinned) >= maxPinned {
		for k := range c.pinned { // forget one; it is read again if needed
			delete(c.pinned, k)
			break
		}
	}
	c.pinned[key] = pe
	return pe, nil
}

// provider returns e's Provider, building its RP on first use. A failed
// build is remembered for RetryUnavailable, so that a provider that is
// down is not asked again by every request.
func (c *conns) provider(ctx context.Context, e *connEntry) (*Provider, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.p != nil {
		return e.p, nil
	}
	now := c.site.now()
	if e.err != nil && now.Sub(e.failed) < c.cfg.RetryUnavailable {
		return nil, e.err
	}
	p, err := c.build(ctx, &e.settings)
	if err != nil {
		e.err, e.failed = fmt.Errorf("%w: %w", ErrConnectionUnavailable, err), now
		c.site.log.WarnContext(ctx, "rp: connection unavailable", "provider", e.settings.Name,
			"version", e.settings.Version, "error_kind", errorKindOf(err), "error", err.Error())
		return nil, e.err
	}
	e.p, e.err = p, nil
	return p, nil
}

// config is the rp.Config of the settings s, with tag as its
// TransactionTag.
func (c *conns) config(s *connection.Settings, tag string) (rp.Config, error) {
	base := c.cfg.RP
	base.RedirectURL = c.url(s.Name, "callback")
	base.TransactionTag = tag
	base.Matcher = nil
	if c.cfg.Users != nil {
		m, err := rp.NewMatcher(s.MatcherConfig(c.cfg.Users))
		if err != nil {
			return rp.Config{}, err
		}
		base.Matcher = m
	}
	return s.Config(base)
}

// build makes the Provider of one version of a connection.
func (c *conns) build(ctx context.Context, s *connection.Settings) (*Provider, error) {
	cfg, err := c.config(s, s.Name+"."+strconv.FormatInt(s.Version, 10))
	if err != nil {
		return nil, err
	}
	timeout := cfg.HTTPTimeout
	if timeout <= 0 {
		timeout = rp.DefaultHTTPTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*timeout)
	defer cancel()
	r, err := rp.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.site.adopt(r)
	p := &Provider{Name: s.Name, Title: titleOf(s), RP: r,
		LoginPath:              c.prefix + s.Name + "/login",
		BackchannelLogoutPath:  c.prefix + s.Name + "/backchannel-logout",
		FrontchannelLogoutPath: c.prefix + s.Name + "/frontchannel-logout",
		InitiateLoginPath:      c.prefix + s.Name + "/initiate-login",
		loggedOut:              s.PostLogoutURL,
	}
	p.redirect, _ = url.Parse(cfg.RedirectURL)
	return p, nil
}

// titleOf is the button label of a connection: its Title, or its Name.
func titleOf(s *connection.Settings) string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}

// origin is the absolute URL of path at ExternalURL's origin.
func (c *conns) origin(path string) string {
	u := url.URL{Scheme: c.external.Scheme, Host: c.external.Host, Path: path}
	return u.String()
}

// url is the absolute URL of a connection's path.
func (c *conns) url(name, what string) string {
	u := *c.external
	u.Path += c.prefix + name + "/" + what
	return u.String()
}
