package rptest

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// authenticateClient checks the client authentication of a token request:
// client_secret_basic (RFC 6749 section 2.3.1, with the id and secret
// form-urlencoded before Basic encoding), client_secret_post, or, for a
// public client, only client_id in the body. It returns the client_id, or
// writes the error response and returns false.
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, params url.Values) (string, bool) {
	bodyID := params.Get("client_id")
	bodySecret, hasBodySecret := params["client_secret"]
	user, pass, hasBasic := r.BasicAuth()
	switch {
	case r.Header.Get("Authorization") != "" && !hasBasic:
		s.clientAuthFailed(w, "unsupported or malformed Authorization header")
		return "", false
	case hasBasic && hasBodySecret:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "more than one client authentication method")
		return "", false
	case hasBasic:
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			s.clientAuthFailed(w, "malformed Basic credentials")
			return "", false
		}
		if bodyID != "" && bodyID != id {
			s.clientAuthFailed(w, "client_id in body differs from Basic credentials")
			return "", false
		}
		return s.checkSecret(w, id, secret)
	case hasBodySecret:
		if bodyID == "" {
			s.clientAuthFailed(w, "client_secret without client_id")
			return "", false
		}
		return s.checkSecret(w, bodyID, bodySecret[0])
	case s.public && bodyID == s.clientID:
		return bodyID, true
	case bodyID != "" && bodyID != s.clientID:
		s.clientAuthFailed(w, "unknown client")
		return "", false
	default:
		s.clientAuthFailed(w, "client authentication required")
		return "", false
	}
}

// checkSecret compares presented credentials with the configured ones.
func (s *Server) checkSecret(w http.ResponseWriter, id, secret string) (string, bool) {
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) == 1
	if !idOK || !secretOK {
		s.clientAuthFailed(w, "invalid client credentials")
		return "", false
	}
	return id, true
}

// clientAuthFailed answers 401 invalid_client with a Basic challenge, as
// RFC 6749 section 5.2 describes.
func (s *Server) clientAuthFailed(w http.ResponseWriter, description string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="rptest", charset="UTF-8"`)
	writeOAuthError(w, http.StatusUnauthorized, "invalid_client", description)
}
