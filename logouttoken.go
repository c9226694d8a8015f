package rp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// MaxLogoutTokenAge is how old a back-channel logout token may be, by its
// iat, for VerifyLogoutToken to accept it, beyond Config.ClockSkew. A
// provider delivers its logout tokens at once; an older one is stale or
// replayed.
const MaxLogoutTokenAge = 10 * time.Minute

// ErrInvalidLogoutToken is matched by every error of VerifyLogoutToken
// about the token itself (signature, claims, reuse).
var ErrInvalidLogoutToken = errors.New("rp: invalid logout token")

// Logout token rejections. Every *LogoutTokenError matches
// ErrInvalidLogoutToken and exactly one of these.
var (
	// ErrLogoutTokenMalformed: not a compact JWS of at most 16 KiB whose
	// claims are a JSON object with claims of the right JSON types (an
	// encrypted token, JWE, is refused here too), or a sub, sid or jti
	// that is empty or longer than 255 bytes.
	ErrLogoutTokenMalformed = errors.New("rp: logout token is not a well-formed signed JWT")
	// ErrLogoutTokenAlgorithm: signed with an algorithm outside the ID
	// token allow-list (never "none", never HMAC).
	ErrLogoutTokenAlgorithm = errors.New("rp: logout token signature algorithm not allowed")
	// ErrLogoutTokenType: the JOSE header's typ is not "logout+jwt": it
	// is another kind of token, such as an ID token ("JWT").
	ErrLogoutTokenType = errors.New("rp: token is not a logout token (typ)")
	// ErrLogoutTokenSignature: no key of the provider verifies it.
	ErrLogoutTokenSignature = errors.New("rp: logout token signature does not verify with the provider's keys")
	// ErrLogoutTokenIssuer: issued by another issuer (or for an Entra
	// tenant that is not allowed).
	ErrLogoutTokenIssuer = errors.New("rp: logout token issued by another issuer")
	// ErrLogoutTokenAudience: aud does not name this client, or azp
	// names another, as for ID tokens.
	ErrLogoutTokenAudience = errors.New("rp: logout token not issued for this client")
	// ErrLogoutTokenExpired: its exp has passed (give or take the skew).
	ErrLogoutTokenExpired = errors.New("rp: logout token expired")
	// ErrLogoutTokenStale: its iat is older than MaxLogoutTokenAge plus
	// Config.ClockSkew.
	ErrLogoutTokenStale = errors.New("rp: logout token is too old")
	// ErrLogoutTokenIssuedInFuture: its iat (or nbf) is later than now
	// plus Config.ClockSkew.
	ErrLogoutTokenIssuedInFuture = errors.New("rp: logout token issued in the future")
	// ErrLogoutTokenMissingClaim: iat or jti is missing, or both sub and
	// sid are.
	ErrLogoutTokenMissingClaim = errors.New("rp: logout token lacks a required claim")
	// ErrLogoutTokenEvent: events is missing, is not a JSON object, or
	// does not hold the back-channel logout event as a JSON object.
	ErrLogoutTokenEvent = errors.New("rp: logout token has no back-channel logout event")
	// ErrLogoutTokenNonce: it has a nonce claim, which a logout token
	// must not have (an ID token does).
	ErrLogoutTokenNonce = errors.New("rp: logout token has a nonce")
	// ErrLogoutTokenReused: a logout token with the same iss and jti was
	// accepted before, here or on another instance sharing the
	// Config.ReplayStore.
	ErrLogoutTokenReused = errors.New("rp: logout token already used")
)

// LogoutTokenError is a logout token rejection.
type LogoutTokenError struct {
	// Kind is one of the ErrLogoutToken* errors.
	Kind error
	// Detail adds specifics (never the token itself).
	Detail string
	// Err is the underlying error, if any.
	Err error
}

func (e *LogoutTokenError) Error() string {
	if e.Detail == "" {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Detail
}

// Is matches ErrInvalidLogoutToken and the error's Kind.
func (e *LogoutTokenError) Is(target error) bool {
	return target == ErrInvalidLogoutToken || target == e.Kind
}

// Unwrap returns the underlying error.
func (e *LogoutTokenError) Unwrap() error { return e.Err }

// logoutTokenError makes a rejection; its detail, which may quote values
// of the token (never the token), is sanitized and cut to 256 bytes.
func logoutTokenError(kind error, err error, format string, args ...any) *LogoutTokenError {
	return &LogoutTokenError{Kind: kind, Err: err, Detail: sanitize(fmt.Sprintf(format, args...))}
}

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

// VerifyLogoutToken verifies a back-channel logout token (OpenID Connect
// Back-Channel Logout 1.0, section 2.6), the logout_token the provider
// POSTs to the application's back-channel logout URI, and returns what it
// asks to end. In this order, it checks: the size (at most 16 KiB) and
// that it is a compact JWS (an encrypted token is refused); the algorithm
// against the ID token allow-list; the JOSE typ, which when present must
// be "logout+jwt" (or "application/logout+jwt", in any case); the
// signature with the provider's keys; the claims' JSON types; the events
// claim, an object holding the back-channel logout event as an object;
// that there is no nonce (so that no ID token passes as a logout token);
// iss, aud and azp as for ID tokens; iat, required, neither after now nor
// older than MaxLogoutTokenAge, each give or take Config.ClockSkew; exp,
// when present; nbf, when present; jti; sub or sid (at least one). Last,
// once all of that passed, it records the jti in the replay store
// (Config.ReplayStore, a web Site's, or the RP's own memory) so that each
// token is accepted once.
//
// Logout tokens come from an untrusted channel: an unknown kid makes the
// key set refetch the provider's keys at most once a minute, shared with
// every other untrusted token (see VerifyIDToken), so a flood of forged
// tokens cannot make the RP hammer the provider.
//
// A token problem is a *LogoutTokenError: test with errors.Is against
// ErrInvalidLogoutToken or a specific kind (ErrLogoutTokenReused for a
// replay); none carries the token. When the replay store fails, the error
// matches ErrReplayStore, wraps the store's error, and does not match
// ErrInvalidLogoutToken: the token may be genuine, and the provider may
// deliver it again once the store is back. In either case nothing may be
// ended.
func (r *RP) VerifyLogoutToken(ctx context.Context, raw string) (*LogoutToken, error) {
	lt, err := r.ids.verifyLogout(ctx, raw)
	if err != nil {
		return nil, err
	}
	// The token is accepted until iat + MaxLogoutTokenAge + skew at the
	// latest (an exp can only shorten that), so its record need not last
	// longer.
	expiry := lt.IssuedAt.Add(MaxLogoutTokenAge + r.cfg.ClockSkew)
	first, err := r.firstUse(ctx, logoutReplayKey(lt.Issuer, r.cfg.ClientID, lt.ID), expiry)
	if err != nil {
		return nil, replayStoreError(err)
	}
	if !first {
		return nil, logoutTokenError(ErrLogoutTokenReused, nil, "a logout token with this iss and jti was accepted before")
	}
	return lt, nil
}

// logoutReplayKey is the ReplayStore key of a logout token: its issuer,
// the client it was issued to and its jti, hashed, so that any jti makes
// a short printable key and the tokens of other clients of the same
// provider never collide with this one's.
func logoutReplayKey(iss, clientID, jti string) string {
	sum := sha256.Sum256([]byte(iss + "\x00" + clientID + "\x00" + jti))
	return "rp-logout-jti:" + hex.EncodeToString(sum[:])
}
