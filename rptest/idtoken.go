package rptest

import (
	"maps"
	"time"
)

// idTokenInput is what an ID token is issued for.
type idTokenInput struct {
	sub         string
	sid         string // the sign-in's session ID; "" means no sid claim
	nonce       string // "" means no nonce claim
	authTime    time.Time
	acr         string // the first acr_values entry; "" leaves the user's own acr claim, if any
	accessToken string // for at_hash; "" means no at_hash
	code        string // for c_hash; "" means no c_hash
	scope       string // the granted scope, for Faults.IDTokenIsAccessToken
}

// issueIDToken builds, fault-adjusts and signs an ID token. It fails only if
// the user's claims or the injected ones cannot be encoded as JSON, or if
// Faults.ZeroECDSASignature does not fit the token.
func (s *Server) issueIDToken(in idTokenInput, f Faults) (string, error) {
	now := s.now()
	if f.RotateBeforeSigning {
		s.RotateKey(false)
	}
	key := s.currentKey()

	if claims, typ := s.tokenShape(in, f, now); claims != nil {
		applyExtraClaims(claims, f.ExtraIDTokenClaims)
		tok, err := s.signIDToken(key, claims, typ, f)
		return s.sealIDToken(tok, err, f)
	}
	claims := map[string]any{}
	if u, ok := s.user(in.sub); ok {
		claims = maps.Clone(u.Claims)
		if claims == nil {
			claims = map[string]any{}
		}
	}
	s.setIDTokenIssuer(claims)
	claims["sub"] = in.sub
	claims["aud"] = s.clientID
	claims["exp"] = now.Add(s.tokenTTL).Unix()
	claims["iat"] = now.Unix()
	claims["auth_time"] = in.authTime.Unix()
	if in.acr != "" {
		claims["acr"] = in.acr
	}
	delete(claims, "sid")
	if in.sid != "" {
		claims["sid"] = in.sid
	}
	delete(claims, "nonce")
	if in.nonce != "" {
		claims["nonce"] = in.nonce
	}
	delete(claims, "at_hash")
	if in.accessToken != "" {
		claims["at_hash"] = hashHalf(key.alg, in.accessToken)
	}
	delete(claims, "c_hash")
	if in.code != "" {
		claims["c_hash"] = hashHalf(key.alg, in.code)
	}
	f.applyIDTokenClaims(claims, now)
	tok, err := s.signIDToken(key, claims, "", f)
	return s.sealIDToken(tok, err, f)
}
