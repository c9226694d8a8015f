package rp

import (
	"context"
	"errors"
	"time"
)

// ErrInvalidLogoutToken is matched by every error of VerifyLogoutToken
// about the token itself (signature, claims, reuse).
var ErrInvalidLogoutToken = errors.New("rp: invalid logout token")

// LogoutToken is a verified OpenID Connect Back-Channel Logout token: the
// provider asks to end the sessions of Subject, or of the provider
// session SessionID.
type LogoutToken struct {
	Issuer    string    // iss
	Subject   string    // sub; "" when the token names only a session
	SessionID string    // sid; "" when the token names only a subject
	ID        string    // jti
	IssuedAt  time.Time // iat
}

// VerifyLogoutToken verifies a back-channel logout token. (Being written.)
func (r *RP) VerifyLogoutToken(ctx context.Context, raw string) (*LogoutToken, error) {
	return nil, ErrInvalidLogoutToken
}
