// Package rp is an OpenID Connect relying party for Go web applications.
//
// A Config names the provider (by issuer, discovery URL or endpoints) and
// this application's registration with it. New discovers the provider and
// returns an RP, which sends users to the provider with Login and turns the
// provider's answer into verified Claims with Callback: the authorization
// code flow with state, nonce and PKCE (S256), the code exchanged with
// golang.org/x/oauth2, the ID token verified with
// github.com/coreos/go-oidc/v3. Web wraps one or more RPs into net/http
// handlers with sessions, logout and refresh; Check tests a Config against
// its provider like the "Test settings" button of a settings page.
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
//   - Web serves a login and a callback per WebProvider (a named RP), turns
//     each Result into a session (package session keeps it in sealed
//     cookies or a session.Store), and its Require and Identify middleware
//     put a SessionInfo (the provider, the User, the access token, the
//     Claims) in the request context: read it with SessionFrom, UserFrom
//     and ClaimsFrom. SignIn makes the same session for the application's
//     own password sign-in. LoginLink describes a provider for a sign-in
//     page.
//
// Failures are values to test with errors.Is and errors.As: an
// AuthorizationError is the provider's "no" to the authorization request
// (ErrAuthorization; ErrInteractionRequired after prompt=none), a
// TokenError a failed code exchange or refresh, an IDTokenError an ID token
// that failed a check (ErrInvalidIDToken and one kind), the ErrState*
// errors a response that is not this browser's login, ErrNoLocalAccount and
// its siblings the matcher's refusals, and ConfigError and DiscoveryError
// what New and NewWeb refuse.
//
// The package rptest provides an in-process mock provider for tests.
package rp
