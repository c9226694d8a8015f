// Package web is the web layer of an OpenID Connect relying party: net/http
// handlers for sign-in, callback and logout, sealed-cookie (or
// server-side) sessions, token refresh, and middleware that guards an
// application's handlers, for one or more providers, built on the
// exported API of package github.com/oidcrp/rp.
//
// New builds a Site from a Config that lists the providers (a Provider is a
// named *rp.RP). Site.Handler serves each provider's login path and
// callback (its redirect URL's path), its back-channel and front-channel
// logout endpoints, POST /logout with RP-initiated logout, the provider's
// return from it, and, with several providers and no LoginPage, a provider
// chooser at /login. Site.Require lets signed-in requests through with a
// SessionInfo in the context (SessionFrom, UserFrom, ClaimsFrom) and sends
// page loads that are not signed in to the sign-in page; Site.Identify does
// the same for pages open to everyone; Site.SignIn makes the same session
// for the application's own password sign-in.
//
// Sessions never fail open: a session store that cannot be read lets nobody
// in, a logout whose store fails says so (ErrLogoutIncomplete) and still
// deletes the browser's cookies, and a refresh still running when the user
// signs out never writes the session back. Every sign-in, refusal, logout
// and refresh is one log line with the provider, iss, sub and the error's
// kind (rp.ErrorCode), and every failure shown to a user carries the
// reference of its log line (rp.ErrorRef).
//
// # Logout
//
// A session ends in one of four ways, each of which ends it on every
// instance (see Several instances):
//
//   - The user signs out here: a POST to LogoutPath ends the session and,
//     when the provider has an end_session_endpoint, goes on to sign the
//     user out there (RP-initiated logout), coming back to PostLogoutPath.
//   - The provider's server signs the user out (Back-Channel Logout): it
//     POSTs a logout token to Provider.BackchannelLogoutPath, which the
//     RP verifies; the sessions of its sid, or of its sub when it names
//     no sid, end. Any failure is a 400 that ends nothing.
//   - The provider's logout page signs the user out (Front-Channel
//     Logout): it loads Provider.FrontchannelLogoutPath in an iframe with
//     iss and sid; the sessions of that sid end. It is the only page the
//     Site lets be framed, and only by the provider.
//   - The application ends them: Site.EndSessionsOf ends every session of
//     a local account, e.g. when an administrator deactivates it.
//
// Register the URLs that Site.Providers lists at each provider: the
// redirect URI, the post-logout redirect URI, the backchannel_logout_uri
// and the frontchannel_logout_uri (with session required, so that the
// provider sends iss and sid; the back-channel one with
// backchannel_logout_session_required where the provider offers it).
// Browsers usually withhold cookies from a cross-site iframe, which is
// why both provider logouts find the sessions by sid on the server: with a
// SessionStore (sessions are indexed by provider session, subject and
// user), or in cookie mode by a revocation record in Config.Shared that
// each signed-in request checks. Such a record refuses every session of
// its sid, subject or user created until then, and expires after
// AbsoluteTimeout, when none of them can be alive anyway.
//
// # Several instances
//
// Instances of an application behind a load balancer act as one Site when
// they share:
//
//   - SessionSecrets, the same list in every instance: they seal the
//     session cookies, the logout state, the shared refresh results, and
//     the login transactions of every provider whose rp.Config has no
//     CookieSecrets of its own, so a login started on one instance
//     completes on another and keys rotate everywhere at once.
//   - Shared, a SharedStore such as the Redis one of
//     github.com/oidcrp/rp/session/redisstore: it makes every ending of a
//     cookie session count everywhere, a login state usable once across
//     instances (for every provider whose rp.Config has no ReplayStore),
//     and a due token refresh happen once per session, the other instances
//     waiting for its result, so that a provider that rotates refresh
//     tokens never sees one twice.
//   - optionally SessionStore, which keeps sessions on the server.
//
// Without a common Shared, each instance knows only what it did itself:
// in cookie mode a session ended on one instance (by any of the four
// ways) stays signed in on the others until it times out. With one, cookie
// mode revokes everything, until the absolute timeout, at the cost of one
// read of Shared per signed-in request; store mode needs no such read. A
// failing Shared fails closed: cookie sessions are not signed in, endings
// report ErrSessionsNotEnded, refreshes do not happen (the session stays
// signed in while its access token is valid), and logins whose state
// cannot be checked are refused with a 503 asking to try again.
//
// # Connections configured at run time
//
// Config.Connections serves, next to the static Providers, the providers
// an administrator saves at run time in a connection.Store (in memory, or
// SQLite and PostgreSQL through github.com/oidcrp/rp/connection/sqlstore).
// Each connection's paths are under Connections.PathPrefix and its name;
// its RP is built at its first use and again for each new version, and a
// login completes under the version it started with (the state carries the
// connection's name and version, see rp.Config.TransactionTag), or fails
// with ErrSettingsChanged once the store no longer keeps that version. A
// change saved on any instance takes effect on every instance within
// Connections.PollInterval, or at once with WatchConnections and a store
// that pushes changes. A disabled or deleted connection ends its logins in
// progress (connection.ErrDisabled) and its sessions; a connection whose
// provider cannot be discovered is unavailable (ErrConnectionUnavailable)
// while the others sign in. Connections fetch their providers through
// outbound.Policy by default, so an administrator's URL cannot make the
// server fetch its own network. With Connections.EmailFirst the provider
// chooser asks for the email address and routes it to the connection that
// owns its domain (RouteEmail).
//
// # Hooks and observation
//
// Config.Hooks runs the application's code at the web layer's steps:
// before a session is created (a veto, or data of the application's in the
// session), after a sign-in, a refresh or any of the four logouts, and when
// a sign-in fails or the user declines at the provider (show the page,
// redirect, or retry with prompt=login). rp.Config.Hooks does the same for
// the protocol's steps. Hooks run after the library's checks and a hook's
// panic fails the sign-in. Config.Observer (an rp.Observer, such as the
// OpenTelemetry bridge of github.com/oidcrp/rp/otelrp) counts sign-ins,
// refreshes and logouts.
package web
