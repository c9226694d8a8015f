package rptest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// requestObjectType is the typ of a signed request object (RFC 9101).
const requestObjectType = "oauth-authz-req+jwt"

// resolveRequestObject replaces the parameters of an authorization request
// that carries a request object (RFC 9101) with the object's claims, after
// checking it: a JWS signed by a key of Config.ClientJWKS with typ
// oauth-authz-req+jwt, iss and client_id equal to the client, aud naming
// the issuer, an exp in the future, no nbf or iat ahead, a jti, and the
// same client_id as the request's. Only the object's parameters count, as
// RFC 9101 section 6.3 says. It returns the description of what is wrong.
// A request without "request" passes unchanged.
func (s *Server) resolveRequestObject(params url.Values) (url.Values, string) {
	raw := params.Get("request")
	if raw == "" {
		if _, has := params["request"]; has {
			return nil, "request is empty"
		}
		return params, ""
	}
	if len(params["request"]) > 1 {
		return nil, "request repeated"
	}
	if len(s.clientJWKS.Keys) == 0 {
		return nil, "the client has no keys to verify request objects (Config.ClientJWKS)"
	}
	jws, err := jose.ParseSignedCompact(raw, assertionAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, "request is not a JWS signed with an asymmetric algorithm"
	}
	if typ, _ := jws.Signatures[0].Header.ExtraHeaders[jose.HeaderType].(string); typ != requestObjectType {
		return nil, "request object typ must be " + requestObjectType
	}
	payload, msg := s.verifyAssertion(jws)
	if msg != "" {
		return nil, "request object: " + strings.TrimPrefix(msg, "client_assertion ")
	}
	var c jwt.Claims
	var members map[string]json.RawMessage
	if json.Unmarshal(payload, &c) != nil || json.Unmarshal(payload, &members) != nil {
		return nil, "request object claims are malformed"
	}
	now := s.now()
	var clientID string
	_ = json.Unmarshal(members["client_id"], &clientID)
	switch {
	case c.Issuer != s.clientID:
		return nil, "request object iss must be the client_id"
	case clientID != s.clientID || params.Get("client_id") != s.clientID:
		return nil, "request object client_id must be the request's client_id"
	case !slices.Contains(c.Audience, s.issuerID()):
		return nil, "request object aud must be the issuer"
	case c.Expiry == nil:
		return nil, "request object has no exp"
	case !now.Before(c.Expiry.Time()):
		return nil, "request object expired"
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(assertionClockSkew)):
		return nil, "request object is not valid yet (nbf)"
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(assertionClockSkew)):
		return nil, "request object iat is in the future"
	case c.ID == "":
		return nil, "request object has no jti"
	}
	out := url.Values{}
	for k, v := range members {
		switch k {
		case "iss", "aud", "exp", "nbf", "iat", "jti", "sub", "request", "request_uri":
			continue
		}
		var str string
		var num json.Number
		switch {
		case json.Unmarshal(v, &str) == nil:
			out.Set(k, str)
		case json.Unmarshal(v, &num) == nil:
			if _, err := strconv.ParseInt(string(num), 10, 64); err != nil {
				return nil, "request object member " + k + " is not an integer"
			}
			out.Set(k, string(num))
		default: // an object, such as claims
			out.Set(k, string(v))
		}
	}
	s.mu.Lock()
	s.requestObjects++
	s.mu.Unlock()
	return out, ""
}

// RequestObjectsVerified returns how many signed request objects the
// authorization endpoint has accepted.
func (s *Server) RequestObjectsVerified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestObjects
}
