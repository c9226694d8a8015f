// Package rp is an OpenID Connect relying party for Go web applications.
//
// A Config names the provider (by issuer, discovery URL or endpoints) and
// this application's registration with it. New discovers the provider and
// returns an RP, which sends users to the provider with Login and turns the
// provider's answer into verified Claims with Callback: the authorization
// code flow with state, nonce and PKCE (S256), the code exchanged with
// golang.org/x/oauth2, the ID token verified with
// github.com/coreos/go-oidc/v3; Refresh renews the tokens. Check tests a
// Config against its provider like the "Test settings" button of a settings
// page. Package github.com/oidcrp/rp/web builds net/http handlers,
// middleware, sessions, logout and refresh on this package's API.
//
// # The types of a sign-in
//
// A sign-in's data passes through these types, in this order:
//
//   - Config, one provider and this application's registration with it,
//     becomes an RP through New, which also loads the provider's
//     ProviderMetadata (discovery).
//   - RP.Login sends the browser to the provider; RP.Callback checks the
//     provider's answer and returns a Result: the verified Claims (the ID
//     token's claims merged with userinfo's), the Tokens, the ReturnTo path
//     and, when Config.Matcher is set, the local User.
//   - A UserMatcher turns an Identity (the Claims and how this provider's
//     configuration maps them: username claim, email claim) into the User
//     it links them to. NewMatcher builds the default Matcher, which links
//     by sub, username, verified email and upn over the application's
//     UserStore; MemoryUserStore is an in-memory UserStore for tests.
//   - Package web serves a login and a callback per web.Provider (a named
//     RP), turns each Result into a session (package session keeps it in
//     sealed cookies or a session.Store), and its Require and Identify
//     middleware put a web.SessionInfo (the provider, the User, the access
//     token, the Claims) in the request context, read with web.SessionFrom,
//     web.UserFrom and web.ClaimsFrom.
//   - Package connection holds providers configured at run time: a
//     connection.Settings (what an administrator edits) becomes a Config
//     through Settings.Config, and a connection.Store keeps its versions;
//     web.Config.Connections serves them. Package outbound's Policy limits
//     where an RP may fetch, for URLs an administrator typed.
//
// Failures are values to test with errors.Is and errors.As: an
// AuthorizationError is the provider's "no" to the authorization request
// (ErrAuthorization; ErrInteractionRequired after prompt=none), a
// TokenError a failed code exchange or refresh, an IDTokenError an ID token
// that failed a check (ErrInvalidIDToken and one kind), the ErrState*
// errors a response that is not this browser's login, ErrNoLocalAccount and
// its siblings the matcher's refusals, and ConfigError and DiscoveryError
// what New refuses. ErrorMessage words any of them for the user, ErrorCode
// names its kind for logs and metrics, and ErrorRef gives the reference of
// its log line.
//
// The package rptest provides an in-process mock provider for tests.
package rp
