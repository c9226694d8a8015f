package rptest

import (
	"maps"
	"time"
)

// idTokenInput is what an ID token is issued for.
type idTokenInput struct {
	sub         string
	nonce       string // "" means no nonce claim
	authTime    time.Time
	acr         string // the first acr_values entry; "" leaves the user's own acr claim, if any
	accessToken string // for at_hash; "" means no at_hash
	code        string // for c_hash; "" means no c_hash
}

// issueIDToken builds, fault-adjusts and signs an ID token. It fails only if
// the user's claims or the injected ones cannot be encoded as JSON.
func (s *Server) issueIDToken(in idTokenInput, f Faults) (string, error) {
	now := s.now()
	key := s.currentKey()

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

	kid := key.kid
	if f.OmitKid {
		kid = ""
	}
	switch {
	case f.AlgNone:
		return unsignedJWT(claims)
	case f.BadSignature:
		rogue, err := s.rogueKey()
		if err != nil {
			return "", err
		}
		return rogue.sign(claims, kid)
	default:
		return key.sign(claims, kid)
	}
}
