package rp

import (
	"context"
	"crypto/subtle"
	"time"
)

// VerifyOptions adjust RP.VerifyIDToken.
type VerifyOptions struct {
	// Nonce, when non-empty, must equal the token's nonce claim (compared
	// in constant time); a token without a nonce is then refused with
	// ErrNonceMismatch. When empty, the nonce is not checked: anyone who
	// holds an ID token issued to this client (another app of the same
	// client ID, a log, a proxy) can then replay it until it expires. Use
	// a nonce your client generated for this sign-in whenever you can.
	Nonce string
	// IssuedAfter, when set, refuses a token issued (iat) before it, less
	// Config.ClockSkew, with ErrIDTokenIssuedBeforeLogin: pass the time
	// the client started its sign-in to refuse older, replayed tokens.
	IssuedAfter time.Time
}

// VerifyIDToken verifies an ID token that reached the application by
// another way than Callback, e.g. from a native or single-page client that
// signed the user in itself, and returns its claims. It applies the
// callback's checks: the signature with the provider's keys, the signing
// algorithm allow-list, iss (Entra tenant templates and AllowedTenants
// included), aud and azp naming this client, exp, iat and nbf with the
// clock skew, sub, that the token is an ID token and not an access or
// logout token, the nonce as VerifyOptions says, and what Config asks of a
// sign-in (MaxAge, RequireACR, HostedDomain). userinfo is not called and
// no identity Matcher runs.
//
// Such tokens come from an untrusted channel: an unknown kid makes the
// key set refetch the provider's keys at most once a minute, shared with
// every other untrusted token. Failures are *IDTokenError values (test
// with errors.Is against ErrInvalidIDToken or a specific kind); none
// carries the token.
func (r *RP) VerifyIDToken(ctx context.Context, raw string, opts VerifyOptions) (*Claims, error) {
	id, err := r.ids.verifyToken(ctx, raw, opts.IssuedAfter)
	if err != nil {
		return nil, err
	}
	if opts.Nonce != "" {
		got, _ := id.claims["nonce"].(string)
		if got == "" {
			return nil, idTokenError(ErrNonceMismatch, nil, "the token has no nonce")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(opts.Nonce)) != 1 {
			return nil, idTokenError(ErrNonceMismatch, nil, "")
		}
	}
	if err := r.checkLoginClaims(id.claims); err != nil {
		return nil, err
	}
	return newClaims(id.claims, nil), nil
}
