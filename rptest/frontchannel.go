package rptest

import (
	"net/url"
	"strconv"
	"time"
)

// authorization is what a successful authorization request grants.
type authorization struct {
	rt          responseType
	redirectURI string
	sub         string
	sid         string // the session ID of this sign-in
	nonce       string
	scope       string
	acr         string // the first acr_values entry; "" when none
	challenge   string // PKCE code_challenge; "" when none was sent
	method      string // "S256" or "plain" when challenge is set
	authTime    time.Time
	dpopJKT     string // dpop_jkt
}

// issueAuthorization mints what the response type asks for, at now: an
// authorization code, an access token (valid at the userinfo endpoint,
// with no refresh token) and an ID token whose c_hash and at_hash cover
// the code and access token returned with it (OpenID Connect Core
// sections 3.2.2.10 and 3.3.2.11). It returns the response parameters,
// without state and iss, and fails only if the ID token cannot be
// encoded.
func (s *Server) issueAuthorization(a authorization, now time.Time, f Faults) (url.Values, error) {
	var code, access string
	if a.rt.code {
		code = randomString(32)
	}
	if a.rt.token {
		access = randomString(32)
	}
	v := url.Values{}
	if a.rt.idToken {
		idt, err := s.issueIDToken(idTokenInput{
			sub:         a.sub,
			sid:         a.sid,
			nonce:       a.nonce,
			authTime:    a.authTime,
			acr:         a.acr,
			accessToken: access,
			code:        code,
			scope:       a.scope,
		}, f)
		if err != nil {
			return nil, err
		}
		v.Set("id_token", idt)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if code != "" {
		for k, c := range s.codes {
			if now.After(c.expires.Add(codeTTL)) {
				delete(s.codes, k)
			}
		}
		s.codes[code] = &authCode{
			clientID:    s.clientID,
			redirectURI: a.redirectURI,
			sub:         a.sub,
			nonce:       a.nonce,
			scope:       a.scope,
			acr:         a.acr,
			challenge:   a.challenge,
			method:      a.method,
			authTime:    a.authTime,
			sid:         a.sid,
			expires:     now.Add(codeTTL),
			dpopJKT:     a.dpopJKT,
		}
		v.Set("code", code)
	}
	if access != "" {
		s.accessTokens[access] = &grant{
			clientID: s.clientID,
			sub:      a.sub,
			scope:    a.scope,
			acr:      a.acr,
			authTime: a.authTime,
			sid:      a.sid,
			expires:  now.Add(s.tokenTTL),
		}
		v.Set("access_token", access)
		v.Set("token_type", "Bearer")
		v.Set("expires_in", strconv.FormatInt(int64(s.tokenTTL/time.Second), 10))
	}
	return v, nil
}
