// Package rptest provides an in-process OpenID Provider for unit tests of
// relying parties, the way net/http/httptest provides HTTP servers.
//
// A Server listens on a loopback address and implements discovery, a JWKS,
// the authorization endpoint, the token endpoint (authorization_code and
// refresh_token grants), userinfo and RP-Initiated Logout. By default there
// is no login page: the authorization endpoint signs in the user named by
// login_hint, or the default user, and redirects straight back to the
// client. Config.LoginPage adds a page listing the users as buttons, for
// trying a relying party out in a browser. Errors are
// RFC 6749 error responses; no client input makes the server panic.
//
// The authorization endpoint supports every OpenID Connect response type:
// "code", the implicit "id_token" and "id_token token", and the hybrid
// "code id_token", "code token" and "code id_token token", with PKCE and
// the RFC 9207 iss response parameter. Responses use response_mode query
// (the default for code), fragment (the default when tokens are returned;
// query is then refused) or form_post. An ID token returned from the
// authorization endpoint requires a nonce in the request and carries
// c_hash and at_hash for the code and access token returned with it; such
// an access token is valid at the userinfo endpoint. The endpoint honours
// max_age and prompt=login (see Server.SetAuthTime) and puts the first
// acr_values entry in the ID token's acr; Server.LastAuthorizeParams shows
// what the relying party sent.
//
// The token endpoint accepts client_secret_basic and client_secret_post
// (and none for Config.PublicClient), or exactly one method chosen with
// Config.ClientAuth, including private_key_jwt with the keys of
// Config.ClientJWKS. Server.LastClientAuthMethod and
// Server.LastClientAssertionHeader show how the client authenticated.
//
// Config.EntraMultiTenant imitates a Microsoft Entra ID multi-tenant
// authority, whose issuer is a "{tenantid}" template and whose ID tokens
// name the user's tenant. Config.OmitIssWithIDToken imitates node
// oidc-provider, which promises the RFC 9207 iss parameter but leaves it
// out of authorization responses that carry an ID token. User.UserInfo
// holds claims served by userinfo only, as by a provider whose ID tokens
// carry little more than sub.
//
// Every sign-in has a session ID, the sid claim of its ID tokens (also
// after a refresh); Server.SessionIDs lists them. Discovery advertises
// back-channel and front-channel logout with sid: Server.LogoutToken makes
// a back-channel logout token for a user or a session, valid or spoilt one
// way of LogoutTokenOptions at a time, Server.SendBackchannelLogout
// delivers it to a relying party as a provider does, and
// Server.FrontchannelLogoutURL gives the URL a provider loads in the
// browser for front-channel logout.
//
// Faults make the provider misbehave on purpose (bad, scrambled or zeroed
// signatures, alg none, HS256 keyed with the public key, hostile jku, jwk,
// x5u and crit headers, unusable or extra published keys, keys rotated
// before every token, wrong or missing claims, access or logout tokens in
// place of ID tokens, wrong issuer or audience, expired tokens, missing
// parameters, OAuth error responses, error statuses, answers over 1 MiB and
// endpoints that never answer...) so that a relying party's defences can be
// tested. Config.Now lets tests move time without sleeping; a stalled
// endpoint is given up on by the client's own timeout, and Server.Close
// releases it.
//
// Typical use:
//
//	op := rptest.NewServer(rptest.Config{
//		RedirectURIs: []string{"http://rp.example/callback"},
//		Users: []rptest.User{{
//			Subject: "alice",
//			Claims:  map[string]any{"email": "alice@example.com", "email_verified": true},
//		}},
//	})
//	defer op.Close()
//
//	// Point the relying party under test at op.Issuer(), with client
//	// op.ClientID() and secret op.ClientSecret(), and make its HTTP
//	// requests with op.Client(). Then check how it reacts to a hostile
//	// provider:
//	op.SetFaults(rptest.Faults{Issuer: "https://evil.example"})
//	// ... the relying party must now reject the ID token ...
//	if op.Requests("token") != 1 {
//		t.Fatal("the relying party did not call the token endpoint")
//	}
//
// The endpoints are, relative to Server.URL: /.well-known/openid-configuration,
// /jwks, /authorize, /token, /userinfo and /logout.
package rptest
