package rptest

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
)

// Client authentication methods at the token endpoint, the values of
// Config.ClientAuth and of Server.LastClientAuthMethod.
const (
	ClientAuthSecretBasic   = "client_secret_basic" // HTTP Basic, RFC 6749 section 2.3.1
	ClientAuthSecretPost    = "client_secret_post"  // client_id and client_secret in the body
	ClientAuthPrivateKeyJWT = "private_key_jwt"     // a signed client assertion, RFC 7523
	ClientAuthNone          = "none"                // only client_id in the body (public client)
)

// clientAuthMethods are the valid non-empty values of Config.ClientAuth.
var clientAuthMethods = []string{
	ClientAuthSecretBasic, ClientAuthSecretPost, ClientAuthPrivateKeyJWT, ClientAuthNone,
	ClientAuthTLS, ClientAuthSelfSignedTLS,
}

// authMethods lists the client authentication methods the token endpoint
// accepts, as discovery advertises them.
func (s *Server) authMethods() []string {
	if s.clientAuth != "" {
		return []string{s.clientAuth}
	}
	methods := []string{ClientAuthSecretBasic, ClientAuthSecretPost}
	if s.public {
		methods = append(methods, ClientAuthNone)
	}
	return methods
}

// authenticateClient checks the client authentication of a token request:
// client_secret_basic (RFC 6749 section 2.3.1, with the id and secret
// form-urlencoded before Basic encoding), client_secret_post,
// private_key_jwt or none (only client_id in the body), each only if the
// configuration accepts it. It returns the client_id and the method used,
// or writes the error response and returns false. A request that uses
// more than one method is an invalid_request (RFC 6749 section 2.3).
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, params url.Values) (clientID, method string, ok bool) {
	bodyID := params.Get("client_id")
	_, hasBodySecret := params["client_secret"]
	_, hasAssertion := params["client_assertion"]
	_, hasAssertionType := params["client_assertion_type"]
	user, pass, hasBasic := r.BasicAuth()
	fail := func(description string) (string, string, bool) {
		s.clientAuthFailed(w, r, description)
		return "", "", false
	}
	if r.Header.Get("Authorization") != "" && !hasBasic {
		return fail("unsupported or malformed Authorization header")
	}
	var used []string
	if hasBasic {
		used = append(used, ClientAuthSecretBasic)
	}
	if hasBodySecret {
		used = append(used, ClientAuthSecretPost)
	}
	if hasAssertion || hasAssertionType {
		used = append(used, ClientAuthPrivateKeyJWT)
	}
	switch len(used) {
	case 0:
		method = ClientAuthNone
		if isMTLSMethod(s.clientAuth) {
			method = s.clientAuth // only client_id in the body, and a certificate
		}
	case 1:
		method = used[0]
	default:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "more than one client authentication method")
		return "", "", false
	}
	if !slices.Contains(s.authMethods(), method) {
		switch {
		case method == ClientAuthNone && bodyID != "" && bodyID != s.clientID:
			return fail("unknown client")
		case method == ClientAuthNone:
			return fail("client authentication required")
		default:
			return fail("client authentication method " + method + " is not accepted")
		}
	}

	switch method {
	case ClientAuthSecretBasic:
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return fail("malformed Basic credentials")
		}
		if bodyID != "" && bodyID != id {
			return fail("client_id in body differs from Basic credentials")
		}
		if !s.secretMatches(id, secret) {
			return fail("invalid client credentials")
		}
	case ClientAuthSecretPost:
		if bodyID == "" {
			return fail("client_secret without client_id")
		}
		if !s.secretMatches(bodyID, params.Get("client_secret")) {
			return fail("invalid client credentials")
		}
	case ClientAuthPrivateKeyJWT:
		if msg := s.checkClientAssertion(params); msg != "" {
			return fail(msg)
		}
	case ClientAuthTLS, ClientAuthSelfSignedTLS:
		if msg := s.checkClientCertificate(r, method, bodyID); msg != "" {
			return fail(msg)
		}
	default: // none
		if bodyID != s.clientID {
			return fail("unknown client")
		}
	}
	return s.clientID, method, true
}

// secretMatches compares presented credentials with the configured ones in
// constant time.
func (s *Server) secretMatches(id, secret string) bool {
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) == 1
	return idOK && secretOK
}

// clientAuthFailed answers 401 invalid_client, as RFC 6749 section 5.2
// describes, with a Basic challenge when the client tried the
// Authorization header or Basic is an accepted method.
func (s *Server) clientAuthFailed(w http.ResponseWriter, r *http.Request, description string) {
	if r.Header.Get("Authorization") != "" || slices.Contains(s.authMethods(), ClientAuthSecretBasic) {
		w.Header().Set("WWW-Authenticate", `Basic realm="rptest", charset="UTF-8"`)
	}
	writeOAuthError(w, http.StatusUnauthorized, "invalid_client", description)
}

// LastClientAuthMethod returns the client authentication method of the
// last token request that succeeded ("client_secret_basic",
// "client_secret_post", "private_key_jwt" or "none"), or "" when none has
// succeeded yet.
func (s *Server) LastClientAuthMethod() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuthUsed
}
