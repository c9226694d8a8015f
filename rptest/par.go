package rptest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Pushed authorization requests (RFC 9126).
const (
	// EndpointPAR names the pushed authorization request endpoint in
	// Server.Requests and the endpoint faults.
	EndpointPAR = "par" // POST /par
	// PathPAR is the pushed_authorization_request_endpoint, relative to
	// Server.URL.
	PathPAR = "/par"
	// requestURIPrefix starts every request_uri the server issues.
	requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
	// DefaultPARLifetime is how long a pushed request stays usable (its
	// expires_in), measured with the Config clock.
	DefaultPARLifetime = time.Minute
)

// PARFaults make the pushed authorization request endpoint misbehave
// (Faults.PushedAuthorization). The zero value behaves.
type PARFaults struct {
	// Error, when set, answers every push with HTTP 400 and this OAuth
	// error code, with Description as error_description.
	Error       string
	Description string
	// OmitRequestURI answers 201 without request_uri.
	OmitRequestURI bool
	// RequestURI, when set, is sent as the request_uri instead of the one
	// stored (which the authorization endpoint then does not know).
	RequestURI string
	// ExpiresIn, when non-zero, is sent as expires_in instead of the
	// lifetime (e.g. -1 or 0 via OmitExpiresIn).
	ExpiresIn int
	// OmitExpiresIn answers 201 without expires_in.
	OmitExpiresIn bool
}

// pushedRequest is a stored pushed authorization request.
type pushedRequest struct {
	params  url.Values
	expires time.Time
	used    bool
}

// handlePAR implements the pushed authorization request endpoint: the
// client authenticates as at the token endpoint, the parameters are kept
// under a fresh request_uri, single use, for DefaultPARLifetime. A
// request_uri among the pushed parameters is an invalid_request (RFC 9126
// section 2.1).
func (s *Server) handlePAR(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodPost) {
		return
	}
	params, err := readParams(w, r, true)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	clientID, _, ok := s.authenticateClient(w, r, params)
	if !ok {
		return
	}
	jkt, problem := s.checkDPoP(r, EndpointPAR, PathPAR, "")
	if problem != nil {
		writeDPoPTokenError(w, problem)
		return
	}
	if jkt != "" && params.Has("dpop_jkt") && params.Get("dpop_jkt") != jkt {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "dpop_jkt is not the thumbprint of the DPoP proof's key")
		return
	}
	if jkt != "" {
		params.Set("dpop_jkt", jkt)
	}
	f := s.currentFaults()
	pf := f.PushedAuthorization
	if pf.Error != "" {
		writeOAuthError(w, http.StatusBadRequest, pf.Error, pf.Description)
		return
	}
	if _, has := params["request_uri"]; has {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "request_uri must not be pushed")
		return
	}
	stored := url.Values{}
	for k, vs := range params {
		switch k {
		case "client_secret", "client_assertion", "client_assertion_type":
		default:
			stored[k] = append([]string(nil), vs...)
		}
	}
	stored.Set("client_id", clientID)
	uri := requestURIPrefix + randomString(24)
	s.mu.Lock()
	if s.pushed == nil {
		s.pushed = map[string]*pushedRequest{}
	}
	s.pushed[uri] = &pushedRequest{params: stored, expires: s.now().Add(DefaultPARLifetime)}
	s.mu.Unlock()
	body := map[string]any{"request_uri": uri, "expires_in": int(DefaultPARLifetime / time.Second)}
	if pf.RequestURI != "" {
		body["request_uri"] = pf.RequestURI
	}
	if pf.ExpiresIn != 0 {
		body["expires_in"] = pf.ExpiresIn
	}
	if pf.OmitRequestURI {
		delete(body, "request_uri")
	}
	if pf.OmitExpiresIn {
		delete(body, "expires_in")
	}
	if f.HugeResponse == EndpointPAR {
		body[paddingMember] = hugePadding
		writeHugeJSON(w, http.StatusCreated, body)
		return
	}
	writeJSON(w, http.StatusCreated, body)
}

// resolveRequestURI replaces the parameters of an authorization request
// that carries request_uri with the pushed ones, once: an unknown, used or
// expired request_uri, or one pushed by another client, is an error
// (returned as the description), as is a request without request_uri when
// Config.RequirePushedAuthorization is set. Other requests pass unchanged.
func (s *Server) resolveRequestURI(params url.Values) (url.Values, string) {
	uri := params.Get("request_uri")
	if uri == "" {
		if s.requirePAR {
			return nil, "pushed authorization requests are required: send request_uri"
		}
		return params, ""
	}
	if len(params["request_uri"]) > 1 {
		return nil, "request_uri repeated"
	}
	if !strings.HasPrefix(uri, requestURIPrefix) {
		return nil, "request_uri was not issued by this provider"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pushed[uri]
	switch {
	case !ok:
		return nil, "unknown request_uri"
	case p.used:
		return nil, "request_uri was already used"
	case !s.now().Before(p.expires):
		return nil, "request_uri expired"
	case params.Get("client_id") != p.params.Get("client_id"):
		return nil, "request_uri was pushed by another client"
	}
	p.used = true
	out := make(url.Values, len(p.params))
	for k, vs := range p.params {
		out[k] = append([]string(nil), vs...)
	}
	return out, ""
}
