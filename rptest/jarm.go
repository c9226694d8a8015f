package rptest

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// JARM, the JWT Secured Authorization Response Mode (OpenID FAPI JARM).
// The authorization endpoint answers a request whose response_mode is
// "jwt", "query.jwt", "fragment.jwt" or "form_post.jwt" with a single
// parameter, "response": a JWT signed with the current signing key (the
// ID token's algorithm and kid) whose claims are the response's
// parameters (code, state, error, id_token, ...) as strings, plus iss (the
// issuer of the discovery document), aud (the client_id), iat and exp
// (DefaultJARMLifetime later). "jwt" is query.jwt for response type
// "code" and fragment.jwt for the others; query.jwt with a response type
// that returns tokens is refused (invalid_request, in the response type's
// default plain mode), as the JWT may not be encrypted. Under
// Config.AuthorizationEncryption the signed JWT is then encrypted to the
// client's key (a nested JWT, cty "JWT"; Faults.Encryption spoils it).
// Discovery advertises the four modes in response_modes_supported, the
// signing algorithm in authorization_signing_alg_values_supported and the
// encryption algorithms in authorization_encryption_alg_values_supported
// and authorization_encryption_enc_values_supported.

// DefaultJARMLifetime is how long a response JWT is valid (exp - iat),
// measured with the Config clock.
const DefaultJARMLifetime = 10 * time.Minute

// jarmModes are the JARM response modes the server supports.
var jarmModes = []string{"jwt", "query.jwt", "fragment.jwt", "form_post.jwt"}

// JARMFaults make JARM responses misbehave (Faults.JARM). They apply only
// to responses in a JARM mode. The zero value behaves.
type JARMFaults struct {
	// Plain sends the response unwrapped, as plain parameters in the
	// mode's delivery (query, fragment or form_post), as a provider would
	// that ignores the JARM mode or an attacker who downgrades it.
	Plain bool

	// ExtraParams are sent beside "response" (or beside the plain
	// parameters under Plain), each value as given.
	ExtraParams url.Values

	// BadSignature signs the JWT with a key that is not in the JWKS,
	// while the header still names the current kid.
	BadSignature bool

	// AlgNone sends the JWT unsigned: header {"alg":"none"} and an empty
	// signature. It wins over BadSignature.
	AlgNone bool

	// Issuer, if set, is the JWT's iss.
	Issuer string

	// Audience, if non-nil, is the JWT's aud, in array form.
	Audience []string

	// Expired sets exp to an hour before now and iat to two hours before.
	Expired bool

	// OmitExp leaves exp out of the JWT. It wins over Expired.
	OmitExp bool

	// ExtraClaims are merged into the JWT's claims last, overriding
	// anything; a nil value removes the claim (e.g. {"iss": nil}), and a
	// value need not be a string (e.g. {"state": 7}).
	ExtraClaims map[string]any
}

// clone returns a copy of f that shares no memory with it.
func (f JARMFaults) clone() JARMFaults {
	if f.ExtraParams != nil {
		c := make(url.Values, len(f.ExtraParams))
		for k, vs := range f.ExtraParams {
			c[k] = slices.Clone(vs)
		}
		f.ExtraParams = c
	}
	if f.Audience != nil {
		f.Audience = slices.Clone(f.Audience)
	}
	f.ExtraClaims = maps.Clone(f.ExtraClaims)
	return f
}

// jarmResponseMode resolves a requested JARM mode for rt: the mode with
// ".jwt" (for "jwt", rt's default delivery), and a description of what is
// wrong with it, or "". ok is false when requested is no JARM mode.
func (rt responseType) jarmResponseMode(requested string) (mode, problem string, ok bool) {
	switch requested {
	case "jwt":
		return rt.defaultMode() + ".jwt", "", true
	case "fragment.jwt", "form_post.jwt":
		return requested, "", true
	case "query.jwt":
		if rt.defaultMode() == "query" {
			return requested, "", true
		}
		return rt.defaultMode(), "response_mode=query.jwt must not carry tokens in an unencrypted JWT", true
	}
	return "", "", false
}

// jarmWrap returns the parameters that deliver v in a JARM mode: the
// response JWT as "response", as f.JARM says.
func (s *Server) jarmWrap(v url.Values, f Faults) (url.Values, error) {
	jf := f.JARM
	out := v
	if !jf.Plain {
		tok, err := s.responseJWT(v, jf)
		if err == nil && s.enc.authz != nil {
			tok, err = encrypt(s.enc.authz, []byte(tok), "JWT", f.Encryption)
		}
		if err != nil {
			return nil, err
		}
		out = url.Values{"response": {tok}}
	}
	for k, vs := range jf.ExtraParams {
		out[k] = append(out[k], vs...)
	}
	return out, nil
}

// responseJWT signs the response parameters v as a JARM response JWT.
func (s *Server) responseJWT(v url.Values, jf JARMFaults) (string, error) {
	now := s.now()
	claims := make(map[string]any, len(v)+4)
	for k := range v {
		claims[k] = v.Get(k)
	}
	claims["iss"] = s.issuerID()
	if jf.Issuer != "" {
		claims["iss"] = jf.Issuer
	}
	claims["aud"] = s.clientID
	if jf.Audience != nil {
		claims["aud"] = slices.Clone(jf.Audience)
	}
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(DefaultJARMLifetime).Unix()
	if jf.Expired {
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	}
	if jf.OmitExp {
		delete(claims, "exp")
	}
	applyExtraClaims(claims, jf.ExtraClaims)
	if jf.AlgNone {
		return unsignedJWT(claims)
	}
	key := s.currentKey()
	signer := key
	if jf.BadSignature {
		var err error
		if signer, err = s.rogueKey(); err != nil {
			return "", err
		}
	}
	return signJWT(signer.alg, signer.priv, key.kid, claims, header{})
}

// isJARMMode reports whether mode, as authzResponder keeps it, is a JARM
// mode, and returns its delivery ("query", "fragment" or "form_post").
func isJARMMode(mode string) (delivery string, ok bool) {
	return strings.CutSuffix(mode, ".jwt")
}
