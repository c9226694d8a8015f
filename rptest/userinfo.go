package rptest

import (
	"maps"
	"net/http"
	"strings"
)

// handleUserInfo implements the userinfo endpoint: a valid, unexpired
// Bearer access token in the Authorization header gives the user's Claims
// merged with UserInfo, plus "sub". A missing token gets 401 with a bare
// Bearer challenge; an unknown or expired one gets 401 with
// error="invalid_token" (RFC 6750 section 3).
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	f := s.currentFaults()
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if f.UserInfoStatus != 0 {
		if f.UserInfoStatus == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rptest", error="invalid_token"`)
		}
		writeFaultStatus(w, f.UserInfoStatus)
		return
	}
	token, ok := bearerToken(r.Header.Get("Authorization"))
	dpopScheme := false
	if !ok {
		token, ok = dpopSchemeToken(r.Header.Get("Authorization"))
		dpopScheme = ok
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rptest"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_request", "missing Bearer access token")
		return
	}
	now := s.now()
	s.mu.Lock()
	g := s.accessTokens[token]
	var sub, jkt string
	if g != nil && !now.After(g.expires) {
		sub, jkt = g.sub, g.jkt
	}
	bound := g == nil || checkBoundToken(r, g)
	s.mu.Unlock()
	if !bound {
		w.Header().Set("WWW-Authenticate",
			`Bearer realm="rptest", error="invalid_token", error_description="certificate-bound access token without its certificate"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "certificate-bound access token without its certificate")
		return
	}
	if sub == "" {
		w.Header().Set("WWW-Authenticate",
			`Bearer realm="rptest", error="invalid_token", error_description="unknown or expired access token"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "unknown or expired access token")
		return
	}
	if !s.checkUserInfoDPoP(w, r, token, jkt, dpopScheme) {
		return
	}
	body := map[string]any{}
	if u, ok := s.user(sub); ok {
		maps.Copy(body, u.Claims)
		maps.Copy(body, u.UserInfo)
	}
	body["sub"] = sub
	if f.UserInfoSubject != "" {
		body["sub"] = f.UserInfoSubject
	}
	if f.HugeResponse == EndpointUserInfo {
		body[paddingMember] = hugePadding
		writeHugeJSON(w, http.StatusOK, body)
		return
	}
	if s.writeUserInfoJWT(w, body, f) {
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
