package rptest

import (
	"net/url"
	"slices"
)

// newSession starts a session at the provider for a sign-in of sub and
// returns its session ID, the sid claim of the sign-in's ID tokens.
func (s *Server) newSession(sub string) string {
	sid := randomString(16)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sid] = sub
	s.sessionIDs[sub] = append(s.sessionIDs[sub], sid)
	return sid
}

// SessionIDs returns the session IDs (sid) of the sign-ins of the user
// with Subject sub so far, oldest first, or nil when there were none. The
// mock keeps no browser session: every successful authorization request
// is a sign-in of its own, with a new sid, which all ID tokens of that
// sign-in carry (those of the authorization response, of the code
// exchange and of every refresh). Pass one to LogoutTokenOptions or
// FrontchannelLogoutURL to sign that session out.
func (s *Server) SessionIDs(sub string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sessionIDs[sub])
}

// sessionSubject returns the subject of the session sid, or "".
func (s *Server) sessionSubject(sid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[sid]
}

// setTokenIssuer sets the iss of a token about sub (or, when sub is "",
// about the user of the session sid) as in the user's ID tokens: the
// issuer URL, or under Config.EntraMultiTenant the issuer of the user's
// tenant, whose tid it then sets too.
func (s *Server) setTokenIssuer(claims map[string]any, sub, sid string) {
	if sub == "" {
		sub = s.sessionSubject(sid)
	}
	if u, ok := s.user(sub); ok && s.entra {
		if tid, ok := u.Claims["tid"]; ok {
			claims["tid"] = tid
		}
	}
	s.setIDTokenIssuer(claims)
}

// FrontchannelLogoutURL returns uri, a relying party's
// frontchannel_logout_uri, with the iss and sid query parameters of
// OpenID Connect Front-Channel Logout 1.0 added (replacing any already
// there): what the provider loads in the browser, in an iframe, to sign
// the session sid out of the relying party. iss is the issuer of the
// session's ID tokens. Request it with the browser's client (and its
// cookies), as a provider's page would. It returns "" when uri cannot be
// parsed as a URL.
func (s *Server) FrontchannelLogoutURL(uri, sid string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	q := u.Query()
	claims := map[string]any{}
	s.setTokenIssuer(claims, "", sid)
	iss, _ := claims["iss"].(string)
	q.Set("iss", iss)
	q.Set("sid", sid)
	u.RawQuery = q.Encode()
	return u.String()
}
