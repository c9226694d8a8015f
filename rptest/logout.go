package rptest

import (
	"net/http"
	"slices"
)

// handleEndSession implements RP-Initiated Logout. It accepts
// id_token_hint, post_logout_redirect_uri, state, client_id and logout_hint
// by GET or POST. An id_token_hint must carry a valid signature by a
// published key (expiry is not checked) and, when client_id is given, name
// it in aud; otherwise the answer is a 400 page. With an absolute
// post_logout_redirect_uri the answer is a 302 there, with state when one
// was sent; without one it is a small "signed out" page. When
// Config.PostLogoutRedirectURIs is set, a post_logout_redirect_uri not in it
// is answered with a 400 page instead. Issued tokens stay
// valid: the mock keeps no browser session to end.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	params, err := readParams(w, r, false)
	if err != nil {
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if n := repeatedParam(params, "id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint"); n != "" {
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", n+" repeated")
		return
	}
	clientID := params.Get("client_id")
	if clientID != "" && clientID != s.clientID {
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", "unknown client_id")
		return
	}
	if hint := params.Get("id_token_hint"); hint != "" {
		claims, err := s.verifyOwnToken(hint)
		if err != nil {
			writeErrorPage(w, http.StatusBadRequest, "invalid_request", "id_token_hint: "+err.Error())
			return
		}
		if !s.ownIssuer(claims["iss"]) {
			writeErrorPage(w, http.StatusBadRequest, "invalid_request", "id_token_hint was not issued by this provider")
			return
		}
		if clientID != "" && !audienceHas(claims["aud"], clientID) {
			writeErrorPage(w, http.StatusBadRequest, "invalid_request", "id_token_hint was not issued to client_id")
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if raw := params.Get("post_logout_redirect_uri"); raw != "" {
		u, ok := absoluteURI(raw)
		if !ok {
			writeErrorPage(w, http.StatusBadRequest, "invalid_request", "post_logout_redirect_uri must be an absolute URI without a fragment")
			return
		}
		if len(s.postLogout) > 0 && !slices.Contains(s.postLogout, raw) {
			writeErrorPage(w, http.StatusBadRequest, "invalid_request", "post_logout_redirect_uri is not registered")
			return
		}
		if state := params.Get("state"); state != "" {
			q := u.Query()
			q.Set("state", state)
			u.RawQuery = q.Encode()
		}
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("rptest: signed out\n"))
}

// audienceHas reports whether an aud claim, a string or an array of
// strings as decoded from JSON, contains id.
func audienceHas(aud any, id string) bool {
	switch a := aud.(type) {
	case string:
		return a == id
	case []any:
		return slices.ContainsFunc(a, func(v any) bool { return v == id })
	}
	return false
}
