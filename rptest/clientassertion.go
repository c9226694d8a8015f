package rptest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// jwtBearerAssertion is the client_assertion_type of private_key_jwt
// (RFC 7523 section 2.2).
const jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionClockSkew is how far in the future a client assertion's iat or
// nbf may lie.
const assertionClockSkew = time.Minute

// assertionAlgs are the signature algorithms accepted on client
// assertions: asymmetric ones only, so never "none" nor HMAC.
var assertionAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// publicKeySet copies set keeping only the public halves of asymmetric
// keys; symmetric and unusable keys are dropped.
func publicKeySet(set jose.JSONWebKeySet) jose.JSONWebKeySet {
	out := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(set.Keys))}
	for _, k := range set.Keys {
		if pub := k.Public(); pub.Valid() {
			out.Keys = append(out.Keys, pub)
		}
	}
	return out
}

// checkClientAssertion verifies the private_key_jwt credentials of a
// token request (OpenID Connect Core section 9, RFC 7523): the assertion
// type, a signature by a key of Config.ClientJWKS (chosen by kid when the
// header has one, else every key is tried), iss and sub equal to the
// client_id, an aud naming the token endpoint or the issuer, an exp in the
// future, no iat or nbf more than a minute ahead and a jti never accepted
// before. It returns what is wrong, or "" after recording the jti and the
// header.
func (s *Server) checkClientAssertion(params url.Values) string {
	if params.Get("client_assertion_type") != jwtBearerAssertion {
		return "client_assertion_type must be " + jwtBearerAssertion
	}
	raw := params.Get("client_assertion")
	if raw == "" {
		return "missing client_assertion"
	}
	if id := params.Get("client_id"); id != "" && id != s.clientID {
		return "unknown client"
	}
	jws, err := jose.ParseSignedCompact(raw, assertionAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return "client_assertion is not a JWS signed with an asymmetric algorithm"
	}
	payload, msg := s.verifyAssertion(jws)
	if msg != "" {
		return msg
	}
	var c jwt.Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return "client_assertion claims are malformed"
	}
	now := s.now()
	switch {
	case c.Issuer != s.clientID:
		return "client_assertion iss must be the client_id"
	case c.Subject != s.clientID:
		return "client_assertion sub must be the client_id"
	case !slices.ContainsFunc(c.Audience, s.acceptedAssertionAudience):
		return "client_assertion aud must name the token endpoint or the issuer"
	case c.Expiry == nil:
		return "client_assertion has no exp"
	case !now.Before(c.Expiry.Time()):
		return "client_assertion expired"
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(assertionClockSkew)):
		return "client_assertion iat is in the future"
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(assertionClockSkew)):
		return "client_assertion is not valid yet (nbf)"
	case c.ID == "":
		return "client_assertion has no jti"
	}
	header, err := base64.RawURLEncoding.DecodeString(raw[:strings.IndexByte(raw, '.')])
	if err != nil { // cannot happen: ParseSignedCompact decoded it
		return "client_assertion header is malformed"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seenJTIs[c.ID] {
		return "client_assertion jti was already used"
	}
	s.seenJTIs[c.ID] = true
	s.lastAssert, s.lastAssertClaims = header, payload
	return ""
}

// verifyAssertion checks the signature of a client assertion against
// Config.ClientJWKS and returns the payload, or what is wrong.
func (s *Server) verifyAssertion(jws *jose.JSONWebSignature) ([]byte, string) {
	hdr := jws.Signatures[0].Header
	tried := false
	for _, k := range s.clientJWKS.Keys {
		if hdr.KeyID != "" && k.KeyID != hdr.KeyID {
			continue
		}
		if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != hdr.Algorithm) {
			continue
		}
		tried = true
		if payload, err := jws.Verify(k); err == nil {
			return payload, ""
		}
	}
	switch {
	case !tried && hdr.KeyID != "":
		return nil, "no key of the client has kid " + hdr.KeyID
	case !tried:
		return nil, "no key of the client can verify a " + hdr.Algorithm + " signature"
	}
	return nil, "client_assertion signature does not verify"
}

// acceptedAssertionAudience reports whether aud, one value of a client
// assertion's aud, names this provider: the token endpoint URL, URL or the
// issuer of the discovery document.
func (s *Server) acceptedAssertionAudience(aud string) bool {
	return aud == s.URL+PathToken || aud == s.URL || aud == s.issuerID()
}

// LastClientAssertionHeader returns the JOSE header of the last client
// assertion (private_key_jwt) the token endpoint accepted, decoded from
// JSON, e.g. to check its "kid", "alg" or "x5t#S256"; nil before the first
// one. The map is the caller's to change.
func (s *Server) LastClientAssertionHeader() map[string]any {
	s.mu.Lock()
	raw := s.lastAssert
	s.mu.Unlock()
	if raw == nil {
		return nil
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil
	}
	return h
}

// LastClientAssertionClaims returns the claims of the last client
// assertion (private_key_jwt) accepted, decoded from JSON, e.g. to check
// its "aud"; nil before the first one. The map is the caller's to change.
func (s *Server) LastClientAssertionClaims() map[string]any {
	s.mu.Lock()
	raw := s.lastAssertClaims
	s.mu.Unlock()
	var c map[string]any
	if raw == nil || json.Unmarshal(raw, &c) != nil {
		return nil
	}
	return c
}
