package rptest

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// authCode is an issued authorization code and what it is bound to.
type authCode struct {
	clientID    string
	redirectURI string
	sub         string
	nonce       string
	scope       string
	acr         string // the first acr_values entry; "" when none
	challenge   string // PKCE code_challenge; "" when none was sent
	method      string // "S256" or "plain"
	authTime    time.Time
	sid         string // the sign-in's session ID
	expires     time.Time
	used        bool
	dpopJKT     string // the request's dpop_jkt: the exchange's proof must use that key
}

// authorizeParams are the single-valued parameters of an authorization
// request; sending any of them twice is an invalid_request.
var authorizeParams = []string{
	"response_type", "scope", "state", "nonce", "code_challenge",
	"code_challenge_method", "login_hint", "response_mode", "prompt",
	"max_age", "acr_values", "ui_locales", "claims", "display", "id_token_hint",
}

// handleAuthorize implements the authorization endpoint for the code,
// implicit and hybrid flows. Errors about client_id or redirect_uri are
// answered with a 400 page, as RFC 6749 section 4.1.2.1 requires; every
// other error is sent back to the client's redirect_uri, in the requested
// response mode when it is valid, else in the response type's default.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	params, err := readParams(w, r, false)
	if err != nil {
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if resolved, msg := s.resolveRequestURI(params); msg != "" {
		code := "invalid_request_uri"
		if params.Get("request_uri") == "" {
			code = "invalid_request"
		}
		writeErrorPage(w, http.StatusBadRequest, code, msg)
		return
	} else if params, msg = s.resolveRequestObject(resolved); msg != "" {
		writeErrorPage(w, http.StatusBadRequest, "invalid_request_object", msg)
		return
	}
	s.recordAuthorizeParams(params)
	if n := repeatedParam(params, "client_id", "redirect_uri"); n != "" {
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", n+" repeated")
		return
	}
	switch id := params.Get("client_id"); {
	case id == "":
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", "missing client_id")
		return
	case id != s.clientID:
		writeErrorPage(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	rawRedirect := params.Get("redirect_uri")
	redirect, ok := absoluteURI(rawRedirect)
	switch {
	case rawRedirect == "":
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", "missing redirect_uri")
		return
	case !ok:
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", "redirect_uri must be an absolute URI without a fragment")
		return
	case len(s.redirectURIs) > 0 && !slices.Contains(s.redirectURIs, rawRedirect):
		writeErrorPage(w, http.StatusBadRequest, "invalid_request", "redirect_uri is not registered")
		return
	}

	// From here on, errors go back to the client.
	f := s.currentFaults()
	rt, rtOK := parseResponseType(params.Get("response_type"))
	mode, modeProblem := rt.responseMode(params.Get("response_mode"))
	resp := authzResponder{s: s, w: w, redirect: redirect, state: params.Get("state"), faults: f, mode: mode}
	if n := repeatedParam(params, authorizeParams...); n != "" {
		resp.fail("invalid_request", n+" repeated")
		return
	}
	if modeProblem != "" {
		resp.fail("invalid_request", modeProblem)
		return
	}
	if f.AuthorizeError != "" {
		resp.fail(f.AuthorizeError, f.AuthorizeErrorDescription)
		return
	}
	switch {
	case params.Get("response_type") == "":
		resp.fail("invalid_request", "missing response_type")
		return
	case !rtOK:
		resp.fail("unsupported_response_type",
			"response_type must be code, id_token, id_token token, code id_token, code token or code id_token token")
		return
	}
	scope := params.Get("scope")
	if !hasScope(scope, "openid") {
		resp.fail("invalid_scope", "scope must include openid")
		return
	}
	nonce := params.Get("nonce")
	if rt.idToken && nonce == "" {
		resp.fail("invalid_request", "nonce is required when the ID token is returned from the authorization endpoint")
		return
	}
	maxAge, msg := parseMaxAge(params)
	if msg == "" {
		msg = checkClaimsParam(params)
	}
	if msg == "" {
		msg = checkChallenge(params.Get("code_challenge"), params.Get("code_challenge_method"))
	}
	if msg != "" {
		resp.fail("invalid_request", msg)
		return
	}
	challenge, method := params.Get("code_challenge"), params.Get("code_challenge_method")
	if challenge != "" && method == "" {
		method = "plain" // RFC 7636 section 4.3
	}
	if s.public && rt.code && challenge == "" {
		resp.fail("invalid_request", "public clients must send code_challenge (PKCE)")
		return
	}
	var sub string
	if s.loginPage {
		var done bool
		if sub, done = s.interactiveUser(w, r, params, resp); done {
			return
		}
	} else if sub, ok = s.pickUser(params.Get("login_hint")); !ok {
		resp.fail("login_required", "no user is signed in")
		return
	}

	now := s.now()
	prompt := params.Get("prompt")
	authTime, ok := s.signIn(sub, now, reauth{
		fresh:  hasScope(prompt, "login") || (s.loginPage && r.PostForm.Get(chosenUserParam) != ""),
		maxAge: maxAge,
		silent: hasScope(prompt, "none"),
	})
	if !ok {
		resp.fail("login_required", "the user must sign in again")
		return
	}
	var acr string
	if values := strings.Fields(params.Get("acr_values")); len(values) > 0 {
		acr = values[0]
	}
	issued := authorization{
		rt:          rt,
		redirectURI: rawRedirect,
		sub:         sub,
		sid:         s.newSession(sub),
		nonce:       nonce,
		scope:       scope,
		acr:         acr,
		challenge:   challenge,
		method:      method,
		authTime:    authTime,
		dpopJKT:     params.Get("dpop_jkt"),
	}
	v, err := s.issueAuthorization(issued, now, f)
	if err != nil {
		resp.fail("server_error", err.Error())
		return
	}
	resp.send(v)
}

// parseMaxAge returns the max_age of an authorization request in seconds,
// or -1 when it has none, and a description of what is wrong, or "".
func parseMaxAge(params url.Values) (int64, string) {
	raw, ok := params["max_age"]
	if !ok {
		return -1, ""
	}
	n, err := strconv.ParseInt(raw[0], 10, 64)
	if err != nil || n < 0 {
		return -1, "max_age must be a non-negative number of seconds"
	}
	return n, ""
}

// checkClaimsParam returns a description of what is wrong with the claims
// parameter of an authorization request (OpenID Connect Core section
// 5.5), which must be a JSON object when present, or "". The mock records
// the parameter (see Server.LastAuthorizeParams) but does not act on it.
func checkClaimsParam(params url.Values) string {
	raw, ok := params["claims"]
	if !ok {
		return ""
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw[0]), &obj); err != nil || obj == nil {
		return "claims must be a JSON object"
	}
	return ""
}

// recordAuthorizeParams keeps a copy of params, without the login page's
// own field, for LastAuthorizeParams.
func (s *Server) recordAuthorizeParams(params url.Values) {
	c := make(url.Values, len(params))
	for k, vs := range params {
		if k != chosenUserParam {
			c[k] = slices.Clone(vs)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastAuthz = c
}

// LastAuthorizeParams returns the parameters of the last request to the
// authorization endpoint whose parameters could be parsed, valid or not
// (query and form body merged; the login page's own field left out), so
// that a test can check what a relying party sent, e.g. ui_locales,
// claims, max_age, prompt, acr_values, hd or domain_hint. It returns nil
// before the first such request. The result is the caller's to change.
func (s *Server) LastAuthorizeParams() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastAuthz == nil {
		return nil
	}
	c := make(url.Values, len(s.lastAuthz))
	for k, vs := range s.lastAuthz {
		c[k] = slices.Clone(vs)
	}
	return c
}

// checkChallenge validates the PKCE parameters of an authorization request
// and returns a description of what is wrong, or "".
func checkChallenge(challenge, method string) string {
	switch {
	case challenge == "" && method != "":
		return "code_challenge_method without code_challenge"
	case challenge == "":
		return ""
	case method != "" && method != "S256" && method != "plain":
		return "unsupported code_challenge_method"
	case !validVerifier(challenge):
		return "code_challenge must be 43 to 128 unreserved characters"
	}
	return ""
}

// pickUser returns the subject of the user to sign in: the one that
// login_hint names by Subject, preferred_username or email, else the
// default user.
func (s *Server) pickUser(hint string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub, ok := s.hintedUserLocked(hint); ok {
		return sub, true
	}
	_, ok := s.users[s.defaultSub]
	return s.defaultSub, ok
}

// hintedUser returns the subject of the user that login_hint names by
// Subject, preferred_username or email, if any.
func (s *Server) hintedUser(hint string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hintedUserLocked(hint)
}

// hintedUserLocked is hintedUser; s.mu must be held.
func (s *Server) hintedUserLocked(hint string) (string, bool) {
	if hint == "" {
		return "", false
	}
	if _, ok := s.users[hint]; ok {
		return hint, true
	}
	subs := make([]string, 0, len(s.users))
	for sub := range s.users {
		subs = append(subs, sub)
	}
	sort.Strings(subs)
	for _, claim := range []string{"preferred_username", "email"} {
		for _, sub := range subs {
			if v, ok := s.users[sub].Claims[claim].(string); ok && v == hint {
				return sub, true
			}
		}
	}
	return "", false
}

// authzResponder sends authorization responses to a validated redirect_uri.
type authzResponder struct {
	s        *Server
	w        http.ResponseWriter
	redirect *url.URL
	mode     string // "query", "fragment" or "form_post", with ".jwt" for JARM
	state    string // the request's state
	faults   Faults
}

// fail sends an error authorization response.
func (a authzResponder) fail(code, description string) {
	v := url.Values{"error": {code}}
	if description != "" {
		v.Set("error_description", description)
	}
	a.send(v)
}

// send adds state and iss (the issuer of the discovery document, before
// faults) to v, as faults and Config.OmitIssWithIDToken allow, and
// delivers v in the response mode, in a response JWT for a JARM mode.
func (a authzResponder) send(v url.Values) {
	state := a.state
	if a.faults.ResponseState != nil {
		state = *a.faults.ResponseState
	}
	if state != "" {
		v.Set("state", state)
	}
	if !a.faults.OmitResponseIss && (a.s.issWithIDTok || !v.Has("id_token")) {
		iss := a.s.issuerID()
		if a.faults.ResponseIss != "" {
			iss = a.faults.ResponseIss
		}
		v.Set("iss", iss)
	}
	mode := a.mode
	if delivery, ok := isJARMMode(mode); ok {
		wrapped, err := a.s.jarmWrap(v, a.faults)
		if err != nil {
			writeErrorPage(a.w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		mode, v = delivery, wrapped
	}
	h := a.w.Header()
	h.Set("Cache-Control", "no-store")
	switch mode {
	case "form_post":
		h.Set("Content-Type", "text/html; charset=utf-8")
		a.w.WriteHeader(http.StatusOK)
		_, _ = a.w.Write([]byte(formPostPage(a.redirect.String(), v)))
	case "fragment":
		h.Set("Location", a.redirect.String()+"#"+v.Encode())
		a.w.WriteHeader(http.StatusFound)
	default:
		u := *a.redirect
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		h.Set("Location", u.String())
		a.w.WriteHeader(http.StatusFound)
	}
}

// formPostPage renders the OAuth 2.0 Form Post Response Mode page: a form
// that a browser submits to action on load.
func formPostPage(action string, v url.Values) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><title>Submit</title></head>`)
	b.WriteString(`<body onload="document.forms[0].submit()"><form method="post" action="`)
	b.WriteString(html.EscapeString(action))
	b.WriteString(`">`)
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(`<input type="hidden" name="` + html.EscapeString(k) +
			`" value="` + html.EscapeString(v.Get(k)) + `">`)
	}
	b.WriteString(`<noscript><button type="submit">Continue</button></noscript></form></body></html>`)
	return b.String()
}
