package web

import (
	"errors"
	"time"

	"github.com/oidcrp/rp"
)

// ErrNoDPoPKey: the session has no DPoP key: DPoP (rp.Config.DPoP) was off
// when the user signed in, or the user signed in with SignIn.
var ErrNoDPoPKey = errors.New("web: the session has no DPoP key")

// sessionDPoPKey is k as a session keeps it, "" for nil. A key made by
// package rp always marshals.
func sessionDPoPKey(k *rp.DPoPKey) string {
	if k == nil {
		return ""
	}
	b, err := k.MarshalBinary()
	if err != nil {
		return ""
	}
	return string(b)
}

// dpopKey parses the session's DPoP key: nil when it has none; a key that
// does not parse makes the session unreadable.
func (d *sessionData) dpopKey() (*rp.DPoPKey, error) {
	if d.DPoPKey == "" {
		return nil, nil
	}
	k, err := rp.ParseDPoPKey([]byte(d.DPoPKey))
	if err != nil {
		return nil, errSessionFormat
	}
	return k, nil
}

// DPoPKey returns the key the session's tokens are bound to under
// rp.Config.DPoP, or nil when there is none (see ErrNoDPoPKey) or s is
// nil. Printing or logging it shows "[redacted]".
func (s *SessionInfo) DPoPKey() *rp.DPoPKey {
	if s == nil || s.dpopKey == "" {
		return nil
	}
	k, err := rp.ParseDPoPKey([]byte(s.dpopKey))
	if err != nil {
		return nil
	}
	return k
}

// AuthorizationScheme is the scheme to send AccessToken with in an
// Authorization header: "DPoP" when the session's tokens are DPoP-bound
// (then every request needs a DPoPProof too), else "Bearer".
func (s *SessionInfo) AuthorizationScheme() string {
	if s != nil && s.dpopKey != "" {
		return "DPoP"
	}
	return "Bearer"
}

// DPoPProof returns a DPoP proof (RFC 9449) for the application's own
// request with the session's access token to a resource server: send it
// as the DPoP header with "Authorization: DPoP " and AccessToken. method
// and url are the request's; nonce is the server's last DPoP-Nonce, or ""
// (a server answering 401 with a DPoP challenge error="use_dpop_nonce"
// wants the request again with the nonce of its DPoP-Nonce header). iat
// is the Site's clock (Config.Now). It fails with ErrNoDPoPKey when the
// session has no key, and with rp.ErrDPoPProof for a method, URL or nonce
// that a proof cannot carry (see rp.DPoPKey.Proof).
func (s *SessionInfo) DPoPProof(method, url, nonce string) (string, error) {
	k := s.DPoPKey()
	if k == nil {
		return "", ErrNoDPoPKey
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	return k.ProofAt(now(), method, url, s.AccessToken, nonce)
}
