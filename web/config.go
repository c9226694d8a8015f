package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/session"
)

// Provider is one identity provider of a Site, e.g. Entra ID for staff and
// Okta for a customer.
type Provider struct {
	// Name identifies the provider in paths and sessions: letters, digits,
	// '-' and '_', e.g. "azure". Required and unique.
	Name string
	// Title is the label of its sign-in button. Default Name.
	Title string
	// RP is the provider's relying party. Its Config.RedirectURL's path is
	// where Site serves the provider's callback, and must differ between
	// providers.
	RP *rp.RP
	// LoginPath is where Site starts a sign-in with this provider. Default
	// "/login/" + Name.
	LoginPath string

	redirect *url.URL // RP.RedirectURL, parsed by New
}

// Config configures a Site. Zero fields have the documented defaults.
type Config struct {
	// Providers are the identity providers users may sign in with. At
	// least one, unless the application only uses SignIn.
	Providers []Provider

	// SessionSecrets seal the session cookies: the first seals, all open,
	// so a new secret put first rotates keys. Each at least 32 random bytes.
	// Required.
	SessionSecrets []rp.Secret

	// SessionStore, when set, keeps session data on the server and only a
	// sealed session ID in the cookie: for revocation and for sessions too
	// large for cookies. Default: the whole session in sealed cookies,
	// which nothing on the server can revoke: each process then refuses
	// the sessions it ended itself (logout, a refused refresh, a new
	// sign-in) until they time out, but other instances of the
	// application accept their cookies; share a Store to revoke
	// everywhere. A failing store makes logout answer 503 (see
	// ErrLogoutIncomplete).
	SessionStore session.Store

	// SessionCookieName is the base name of the session cookies: 1 to 64
	// ASCII letters, digits, '_' or '-', without a prefix. Default
	// "rp_session". Two Webs on one host (say "Manage" and "Produce")
	// need different names, or signing in to one signs the user out of
	// the other. The logout state cookie is named after it
	// (SessionCookieName + "_logout"; "rp_logout" for the default).
	SessionCookieName string

	// SessionCookiePath is the Path of the session and logout cookies:
	// the browser sends them only under it, e.g. "/manage". Default "/".
	// LogoutPath, PostLogoutPath and the pages behind Require must be
	// under it. A path other than "/" cannot have the "__Host-" cookie
	// prefix, which requires Path=/; such cookies get "__Secure-"
	// instead, which still keeps them off plain http but lets a sibling
	// subdomain plant a cookie of the same name: prefer "/" and distinct
	// SessionCookieNames where that is possible.
	SessionCookiePath string

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
	// Providers() as buttons. Default: the only provider's LoginPath; with
	// several providers "/login", where Handler then serves a plain page
	// with a sign-in button per provider; with none "/login", which the
	// application must serve.
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
	// err's details beyond its kind to the browser (ErrorMessage); show
	// rp.ErrorRef(err), the reference that is also in the log line, so users
	// can quote it to support. Default: a small HTML page with both.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err error)

	// Logger receives one line per sign-in, refused sign-in, logout and
	// token refresh: at Info, refusals that look like an attack (a bad
	// signature, a reused state, a mix-up) at Warn, and failures of the
	// session or user store at Error, with the attributes provider, iss,
	// sub, error_kind (a short stable word such as "state_reused") and
	// ref. Never tokens, codes or secrets. Default: discard.
	Logger *slog.Logger

	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
}

