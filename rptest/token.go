package rptest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// grant is what an access or refresh token stands for.
type grant struct {
	clientID string
	sub      string
	scope    string
	acr      string // acr of the ID tokens; "" when the request had no acr_values
	authTime time.Time
	sid      string    // the session ID of the sign-in the grant descends from
	expires  time.Time // access tokens only
	code     string    // the authorization code the grant descends from
	x5t      string    // thumbprint of the certificate the tokens are bound to; "" unbound (mtls.go)
	jkt      string    // thumbprint of the DPoP key the tokens are bound to; "" for Bearer
}

// tokenResponse is the RFC 6749 section 5.1 success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	Padding      string `json:"rptest_padding,omitempty"` // Faults.HugeResponse
}

// tokenParams are the single-valued parameters of a token request.
var tokenParams = []string{
	"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token",
	"scope", "client_id", "client_secret", "client_assertion", "client_assertion_type",
}

// handleToken implements the token endpoint for the authorization_code and
// refresh_token grants. Every successful response carries a refresh token;
// refreshing rotates it (the old one stops working). The client
// authentication method of a successful request is recorded for
// LastClientAuthMethod.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	f := s.currentFaults()
	if f.TokenStatus != 0 || f.TokenErrorCode != "" {
		writeTokenFault(w, f)
		return
	}
	if !allowMethods(w, r, http.MethodPost) {
		return
	}
	params, err := readParams(w, r, true)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if n := repeatedParam(params, tokenParams...); n != "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", n+" repeated")
		return
	}
	clientID, method, ok := s.authenticateClient(w, r, params)
	if !ok {
		return
	}
	jkt, problem := s.checkDPoP(r, EndpointToken, PathToken, "")
	if problem != nil {
		writeDPoPTokenError(w, problem)
		return
	}
	switch gt := params.Get("grant_type"); gt {
	case "authorization_code":
		ok = s.exchangeCode(w, params, clientID, s.certificateBinding(r), jkt, f)
	case "refresh_token":
		ok = s.refreshGrant(w, params, clientID, s.certificateBinding(r), jkt, f)
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing grant_type")
		ok = false
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		ok = false
	}
	if ok {
		s.mu.Lock()
		s.lastAuthUsed = method
		s.mu.Unlock()
	}
}

// exchangeCode redeems an authorization code. A code is burnt by the first
// redemption attempt of the client it was issued to, successful or not;
// presenting it again also revokes the tokens it produced (RFC 6749
// section 4.1.2). It reports whether tokens were issued.
func (s *Server) exchangeCode(w http.ResponseWriter, params url.Values, clientID, x5t, jkt string, f Faults) bool {
	code := params.Get("code")
	if code == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing code")
		return false
	}
	now := s.now()
	s.mu.Lock()
	c := s.codes[code]
	msg := ""
	switch {
	case c == nil:
		msg = "unknown code"
	case c.clientID != clientID:
		msg = "code was issued to another client"
	case c.used:
		s.revokeLocked(code)
		msg = "code already used"
	case now.After(c.expires):
		msg = "code expired"
	case params.Get("redirect_uri") != c.redirectURI:
		msg = "redirect_uri missing or different from the authorization request"
	case c.dpopJKT != "" && c.dpopJKT != jkt:
		msg = "the DPoP proof's key is not the one of dpop_jkt"
	case !f.SkipPKCECheck:
		msg = checkVerifier(c, params.Get("code_verifier"))
	}
	if c != nil && c.clientID == clientID {
		c.used = true
	}
	if msg != "" {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", msg)
		return false
	}
	g := grant{clientID: clientID, sub: c.sub, scope: c.scope, acr: c.acr, authTime: c.authTime, sid: c.sid, code: code, x5t: x5t, jkt: jkt}
	access, refresh := s.storeTokensLocked(g, now)
	s.mu.Unlock()
	return s.writeTokens(w, g, access, refresh, c.nonce, f)
}

// checkVerifier applies RFC 7636 section 4.6 to a code and the presented
// code_verifier and returns what is wrong, or "".
func checkVerifier(c *authCode, verifier string) string {
	switch {
	case c.challenge == "" && verifier != "":
		return "code_verifier sent but the authorization request had no code_challenge"
	case c.challenge == "":
		return ""
	case verifier == "":
		return "missing code_verifier"
	case !validVerifier(verifier) || !pkceMatches(c.challenge, c.method, verifier):
		return "code_verifier does not match code_challenge"
	}
	return ""
}

// refreshGrant answers a refresh_token grant. A scope parameter may narrow,
// never widen, the original scope. The ID token it returns has no nonce
// and keeps the original auth_time, acr and sid. It reports whether tokens were
// issued.
func (s *Server) refreshGrant(w http.ResponseWriter, params url.Values, clientID, x5t, jkt string, f Faults) bool {
	rt := params.Get("refresh_token")
	if rt == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing refresh_token")
		return false
	}
	now := s.now()
	s.mu.Lock()
	old := s.refresh[rt]
	if old == nil || old.clientID != clientID {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "unknown or revoked refresh_token")
		return false
	}
	if old.jkt != "" && old.jkt != jkt {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is bound to another DPoP key")
		return false
	}
	g := *old
	g.x5t = x5t
	g.jkt = jkt
	if scope, ok := params["scope"]; ok && strings.TrimSpace(scope[0]) != "" {
		for _, sc := range strings.Fields(scope[0]) {
			if !hasScope(old.scope, sc) {
				s.mu.Unlock()
				writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "scope "+sc+" was not granted")
				return false
			}
		}
		g.scope = strings.Join(strings.Fields(scope[0]), " ")
	}
	delete(s.refresh, rt)
	access, refresh := s.storeTokensLocked(g, now)
	s.mu.Unlock()
	return s.writeTokens(w, g, access, refresh, "", f)
}

// storeTokensLocked mints and records an access token and a refresh token
// for g. s.mu must be held.
func (s *Server) storeTokensLocked(g grant, now time.Time) (access, refresh string) {
	access, refresh = randomString(32), randomString(32)
	a := g
	a.expires = now.Add(s.tokenTTL)
	s.accessTokens[access] = &a
	rg := g
	rg.expires = time.Time{}
	s.refresh[refresh] = &rg
	return access, refresh
}

// revokeLocked removes every token that descends from code. s.mu must be
// held.
func (s *Server) revokeLocked(code string) {
	for k, g := range s.accessTokens {
		if g.code == code {
			delete(s.accessTokens, k)
		}
	}
	for k, g := range s.refresh {
		if g.code == code {
			delete(s.refresh, k)
		}
	}
}

// writeTokens answers a successful token response, with an ID token when
// the scope has openid and Faults.OmitIDToken is not set. It reports false
// when the ID token could not be built and a server_error was sent
// instead.
func (s *Server) writeTokens(w http.ResponseWriter, g grant, access, refresh, nonce string, f Faults) bool {
	access, err := s.bindAccessToken(g, access, f)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return false
	}
	resp := tokenResponse{
		AccessToken:  access,
		TokenType:    tokenType(g.jkt, f),
		ExpiresIn:    int64(s.tokenTTL / time.Second),
		RefreshToken: refresh,
		Scope:        g.scope,
	}
	if !f.OmitIDToken && hasScope(g.scope, "openid") {
		idt, err := s.issueIDToken(idTokenInput{sub: g.sub, sid: g.sid, nonce: nonce, authTime: g.authTime, acr: g.acr, accessToken: access, scope: g.scope}, f)
		if err != nil {
			writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return false
		}
		resp.IDToken = idt
	}
	if f.HugeResponse == EndpointToken {
		resp.Padding = hugePadding
		writeHugeJSON(w, http.StatusOK, resp)
		return true
	}
	writeJSON(w, http.StatusOK, resp)
	return true
}
