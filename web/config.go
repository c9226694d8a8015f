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
	// BackchannelLogoutPath is where the provider POSTs its logout tokens
	// (OpenID Connect Back-Channel Logout 1.0): register the redirect
	// URL's origin + BackchannelLogoutPath at the provider as the
	// client's backchannel_logout_uri (LoginLink.BackchannelLogoutURL).
	// Default "/backchannel-logout/" + Name.
	BackchannelLogoutPath string
	// FrontchannelLogoutPath is the page the provider loads in a hidden
	// iframe to sign the user out (OpenID Connect Front-Channel Logout
	// 1.0): register origin + FrontchannelLogoutPath at the provider as
	// the client's frontchannel_logout_uri, with session required
	// (frontchannel_logout_session_required), so that it sends iss and
	// sid (LoginLink.FrontchannelLogoutURL). Default
	// "/frontchannel-logout/" + Name.
	FrontchannelLogoutPath string
	// InitiateLoginPath is where the provider, or a dashboard of app tiles
	// such as Okta's or Entra's, starts a sign-in (OpenID Connect Core 1.0
	// section 4, third-party-initiated login), by GET or POST with iss,
	// login_hint and target_link_uri: register origin +
	// InitiateLoginPath at the provider as the client's
	// initiate_login_uri (LoginLink.InitiateLoginURL). An iss other than
	// the provider's exact issuer is refused with 400 (ErrInitiateIssuer);
	// a target_link_uri off this site lands at "/". Default
	// "/initiate-login/" + Name.
	InitiateLoginPath string

	redirect  *url.URL // RP.RedirectURL, parsed by New
	loggedOut string   // where logout lands, when not Config.LoggedOutURL
}

// Config configures a Site. Zero fields have the documented defaults.
type Config struct {
	// Providers are the identity providers users may sign in with. At
	// least one, unless the application only uses SignIn.
	Providers []Provider

	// Connections, when set, serves the providers an administrator
	// configures at run time, kept in a connection.Store (see
	// Connections), next to Providers.
	Connections *Connections

	// SessionSecrets are the Site's secrets: the first seals, all open,
	// so a new secret put first rotates keys. Each at least 32 random
	// bytes. Required. They seal the session cookies, the logout state,
	// the refresh results instances share and, for every provider whose
	// rp.Config.CookieSecrets is empty, its login transactions: give every
	// instance of the application the same list (in the same order), and
	// a login started on one instance completes on any other.
	SessionSecrets []rp.Secret

	// SessionStore, when set, keeps session data on the server and only a
	// sealed session ID in the cookie: for sessions too large for cookies,
	// and for revocation without a read of the SharedStore per request.
	// Sessions are indexed by provider session (sid), subject and local
	// user, so that logouts delete them all (Store.DeleteIndexed). A
	// failing store makes logout answer 503 (see ErrLogoutIncomplete).
	//
	// Default: the whole session in sealed cookies. Nothing on the server
	// holds them, so a session is revoked by a revocation record in
	// Shared, which each signed-in request reads, and which ends every
	// session of its ID, provider session, subject or user created until
	// then: records expire after AbsoluteTimeout, when no session they
	// could end is alive anyway. With the default Shared those records
	// live in this process only: an instance refuses the sessions it
	// ended itself (logout, a refused refresh, a new sign-in, the
	// provider's logouts it received, EndSessionsOf) but other instances
	// accept their cookies until they time out. With a Shared store
	// common to all instances, every ending counts everywhere.
	SessionStore session.Store

	// Shared is the memory the instances of the application share (see
	// SharedStore): the revocation records of cookie sessions, the
	// coordination of token refreshes (one refresh per session at the
	// provider, across instances) and, for every provider whose
	// rp.Config.ReplayStore is nil, the single use of login states. Give
	// every instance the same one, such as the Redis store of the module
	// github.com/oidcrp/rp/session/redisstore. Default: this process's
	// memory (bounded: when full it forgets its oldest entries first),
	// which is right for a single process; the providers then keep their
	// own replay memory. When Shared fails, signed-in requests in cookie
	// mode are not signed in (fail closed, logged at Error), and endings
	// of sessions report an error.
	Shared SharedStore

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

	// Hooks are the application's functions around sessions, refreshes,
	// logouts and failed sign-ins (see Hooks). Default: none.
	Hooks Hooks

	// Logger receives one line per sign-in, refused sign-in, logout and
	// token refresh: at Info, refusals that look like an attack (a bad
	// signature, a reused state, a mix-up) at Warn, and failures of the
	// session or user store at Error, with the attributes provider, iss,
	// sub, error_kind (a short stable word such as "state_reused") and
	// ref. Never tokens, codes or secrets. Default: discard.
	Logger *slog.Logger

	// Observer, when set, is told of every sign-in (with the provider's
	// name, and the provider calls of the sign-in made in the context it
	// returns), token refresh and logout (local, RP-initiated,
	// back-channel and front-channel) that Site handles, for metrics and
	// traces (see rp.Observer and package otelrp). The providers' calls
	// are told to each RP's own rp.Config.Observer. Default nil: nothing
	// is observed.
	Observer rp.Observer

	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
}
