package session

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oidcrp/rp/internal/seal"
)

// Defaults and limits of Config.
const (
	defaultName            = "rp_session"
	defaultAbsoluteTimeout = 8 * time.Hour
	defaultIdleTimeout     = time.Hour
	defaultMaxSize         = 24 << 10
	minMaxSize             = 4096
	maxMaxSize             = 256 << 10
	maxTimeout             = 400 * 24 * time.Hour // browsers cap cookie lifetimes at 400 days
	maxNameLen             = 64
	hostPrefix             = "__Host-"
	securePrefix           = "__Secure-"
	sealPurpose            = "rp session v1"
)

// Config configures a Manager. Zero values take the documented defaults;
// New rejects values that are set but unusable.
type Config struct {
	// Name is the base cookie name: 1 to 64 ASCII letters, digits, '_'
	// or '-'. Default "rp_session". Unless Insecure, the "__Host-" prefix
	// is added, so the browser only accepts the cookie over https, for
	// Path=/ and without a Domain; do not include it yourself. Chunks of
	// a large session use the names Name+".1", Name+".2", ... Two
	// Managers on one site need different names (or disjoint Paths), or
	// each one's sign-in replaces the other's session.
	Name string

	// Path is the cookies' Path attribute: the browser sends them only to
	// requests under it, e.g. "/manage" for an application that shares
	// its host with others. It must start with '/' and hold only
	// printable ASCII without ';', ',', '"', '\' or spaces. Default "/".
	// The "__Host-" prefix requires Path=/, so unless Insecure a Path
	// other than "/" gets the weaker "__Secure-" prefix instead: the
	// browser still only accepts the cookies over https, but a sibling
	// subdomain may then set a cookie of the same name for this host.
	Path string

	// Secrets are the keys sealing the cookies (and the data in a Store),
	// each at least 32 random bytes. The first one seals; all of them
	// open, so a new secret can be put first while older ones keep
	// opening existing sessions until they time out. Required.
	Secrets [][]byte

	// Insecure drops the Secure flag and the "__Host-" prefix, so the
	// cookies also travel over plain http. Only for development on a
	// loopback address: over a network the session could be stolen.
	Insecure bool

	// AbsoluteTimeout ends a session this long after it was created by
	// Manager.New (sign-in), whatever happens. Default 8h; at least 1s and
	// at most 400 days.
	AbsoluteTimeout time.Duration

	// IdleTimeout ends a session after this long without a Save or a Touch
	// that wrote it. Default 1h; at least 1s and at most 400 days. A value
	// at or above AbsoluteTimeout never applies.
	IdleTimeout time.Duration

	// MaxSize is the hard limit, in bytes, on the total length of the
	// cookie values of one session; Save fails with ErrTooLarge above it.
	// Default 24 KiB; at least 4096 and at most 256 KiB. Each cookie holds
	// at most 3800 bytes, so the default allows 7 cookies. Proxies also
	// limit request headers (nginx, for one, refuses an HTTP/1.1 header
	// line over 8 KiB by default): sessions that big belong in a Store.
	// Ignored when Store is set.
	MaxSize int

	// Store, when set, keeps the session data on the server: the cookie
	// holds only a sealed reference, sessions can be revoked by Destroy,
	// and their size is not limited by MaxSize.
	Store Store

	// Uncompressed seals every payload as it is, without trying to
	// compress it, so that Load never inflates anything: for a caller that
	// compresses the parts of its payload it does not read on every
	// request itself (package web does). Default false: cookie payloads
	// of 2 KiB or more are compressed when that makes them shorter, and
	// every Load of such a session inflates all of it. A Store's data is
	// never compressed either way.
	Uncompressed bool

	// Now returns the current time. Default time.Now; set it in tests.
	Now func() time.Time
}

// Manager loads, saves and destroys sessions as configured by a Config. It
// is safe for concurrent use.
type Manager struct {
	name      string // cookie name including any prefix
	path      string // cookie Path attribute
	aad       []byte // binds sealed cookie values to name
	secure    bool
	absolute  time.Duration
	idle      time.Duration
	maxSize   int
	maxChunks int
	compress  bool // try compressing cookie payloads (not Uncompressed)
	store     Store
	now       func() time.Time
	sealer    *seal.Sealer
}

// New checks cfg and returns a Manager for it. The error lists every
// problem found: no secret, a secret shorter than 32 bytes, an invalid
// Name or Path, a negative, sub-second or over-400-day timeout, or a
// MaxSize below 4096 or above 256 KiB. Each problem is a *ConfigError
// (find them with errors.As, or unwrap the joined error's list).
func New(cfg Config) (*Manager, error) {
	var errs []error
	name := cfg.Name
	if name == "" {
		name = defaultName
	}
	if err := checkName(name); err != nil {
		errs = append(errs, err)
	}
	path := cfg.Path
	if path == "" {
		path = "/"
	}
	if err := checkPath(path); err != nil {
		errs = append(errs, err)
	}
	if len(cfg.Secrets) == 0 {
		errs = append(errs, problem("Secrets", "is empty; give at least one secret of 32 or more random bytes"))
	}
	for i, s := range cfg.Secrets {
		if len(s) < seal.MinSecretLen {
			errs = append(errs, problem(fmt.Sprintf("Secrets[%d]", i), fmt.Sprintf("is %d bytes; it must be at least %d random bytes", len(s), seal.MinSecretLen)))
		}
	}
	absolute, err := timeout("AbsoluteTimeout", cfg.AbsoluteTimeout, defaultAbsoluteTimeout)
	if err != nil {
		errs = append(errs, err)
	}
	idle, err := timeout("IdleTimeout", cfg.IdleTimeout, defaultIdleTimeout)
	if err != nil {
		errs = append(errs, err)
	}
	maxSize := cfg.MaxSize
	switch {
	case maxSize == 0:
		maxSize = defaultMaxSize
	case maxSize < minMaxSize || maxSize > maxMaxSize:
		errs = append(errs, problem("MaxSize", fmt.Sprintf("is %d; it must be between %d and %d bytes (or 0 for %d); use a Store for bigger sessions", maxSize, minMaxSize, maxMaxSize, defaultMaxSize)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sealer, err := seal.New(sealPurpose, cfg.Secrets...)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	m := &Manager{
		name:      name,
		path:      path,
		secure:    !cfg.Insecure,
		absolute:  absolute,
		idle:      idle,
		maxSize:   maxSize,
		maxChunks: (maxSize + chunkLen - 1) / chunkLen,
		compress:  !cfg.Uncompressed,
		store:     cfg.Store,
		now:       cfg.Now,
		sealer:    sealer,
	}
	switch {
	case m.secure && path == "/":
		m.name = hostPrefix + name
	case m.secure:
		m.name = securePrefix + name
	}
	m.aad = []byte(m.name)
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// ConfigError is one problem of a Config found by New: the field and what
// is wrong with it.
type ConfigError struct {
	Field   string // e.g. "MaxSize" or "Secrets[1]"
	Message string // what is wrong, following the field name: "is 100; it must be ..."
}

func (e *ConfigError) Error() string { return "session: " + e.Field + " " + e.Message }

func problem(field, msg string) error { return &ConfigError{Field: field, Message: msg} }

// checkPath reports why path cannot be a cookie Path, or nil.
func checkPath(path string) error {
	ok := strings.HasPrefix(path, "/") && len(path) <= 256
	for i := 0; ok && i < len(path); i++ {
		c := path[i]
		ok = c > ' ' && c < 0x7f && c != ';' && c != ',' && c != '"' && c != '\\'
	}
	if !ok {
		return problem("Path", fmt.Sprintf("%q must start with '/' and hold only printable ASCII without spaces, ';', ',', '\"' or '\\'", path))
	}
	return nil
}

// checkName reports why name cannot be a base cookie name, or nil.
func checkName(name string) error {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "__host-") || strings.HasPrefix(lower, "__secure-") {
		return problem("Name", fmt.Sprintf("%q starts with a cookie prefix; leave it out, the __Host- or __Secure- prefix is added unless Insecure", name))
	}
	ok := len(name) <= maxNameLen
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-'
	}
	if !ok {
		return problem("Name", fmt.Sprintf("%q must be 1 to %d ASCII letters, digits, '_' or '-'", name, maxNameLen))
	}
	return nil
}

// timeout applies the default def to a zero d and checks its range.
func timeout(field string, d, def time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return def, nil
	case d < time.Second || d > maxTimeout:
		return 0, problem(field, fmt.Sprintf("is %v; it must be between 1s and %v (or 0 for %v)", d, maxTimeout, def))
	}
	return d, nil
}

// Secure reports whether the cookies are marked Secure and carry the
// "__Host-" (or, for a Path other than "/", "__Secure-") prefix, that is
// whether Config.Insecure was false.
func (m *Manager) Secure() bool { return m.secure }

// CookieName returns the name of the session's base cookie, including the
// "__Host-" or "__Secure-" prefix when Secure; chunk cookies append ".1",
// ".2", ... to it.
func (m *Manager) CookieName() string { return m.name }

// AbsoluteTimeout returns the configured (or default) absolute timeout:
// a session ends this long after its Created time.
func (m *Manager) AbsoluteTimeout() time.Duration { return m.absolute }

// CookiePath returns the Path attribute of the session's cookies.
func (m *Manager) CookiePath() string { return m.path }

// clock returns the current time truncated to whole seconds, the precision
// at which sessions record times.
func (m *Manager) clock() time.Time {
	return time.Unix(m.now().Unix(), 0)
}
