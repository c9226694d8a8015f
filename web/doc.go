// Package web is the web layer of an OpenID Connect relying party: net/http
// handlers for sign-in, callback and logout, sealed-cookie (or
// server-side) sessions, token refresh, and middleware that guards an
// application's handlers, for one or more providers, built on the
// exported API of package github.com/oidcrp/rp.
//
// New builds a Site from a Config that lists the providers (a Provider is a
// named *rp.RP). Site.Handler serves each provider's login path and
// callback (its redirect URL's path), POST /logout with RP-initiated logout,
// the provider's return from it, and, with several providers and no
// LoginPage, a provider chooser at /login. Site.Require lets signed-in
// requests through with a SessionInfo in the context (SessionFrom, UserFrom,
// ClaimsFrom) and sends page loads that are not signed in to the sign-in
// page; Site.Identify does the same for pages open to everyone;
// Site.SignIn makes the same session for the application's own password
// sign-in.
//
// Sessions never fail open: a session store that cannot be read lets nobody
// in, a logout whose store fails says so (ErrLogoutIncomplete) and still
// deletes the browser's cookies, and a refresh still running when the user
// signs out never writes the session back. Every sign-in, refusal, logout
// and refresh is one log line with the provider, iss, sub and the error's
// kind (rp.ErrorCode), and every failure shown to a user carries the
// reference of its log line (rp.ErrorRef).
package web
