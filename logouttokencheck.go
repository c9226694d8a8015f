package rp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Bounds of a logout token.
const (
	// maxLogoutTokenLen bounds the token text, checked before parsing.
	maxLogoutTokenLen = 16 << 10
	// maxLogoutClaimLen bounds sub, sid and jti (OpenID Connect Core
	// bounds sub to 255 ASCII characters).
	maxLogoutClaimLen = 255
)

// verifyLogout checks everything about a logout token but the single use
// of its jti: cheap checks of the text and header first, then the
// signature, then the claims. Nothing of the token is trusted before its
// signature verified; the header checks before it only refuse.
func (v *idTokenVerifier) verifyLogout(ctx context.Context, raw string) (*LogoutToken, error) {
	if len(raw) > maxLogoutTokenLen {
		return nil, logoutTokenError(ErrLogoutTokenMalformed, nil, "it is longer than %d bytes", maxLogoutTokenLen)
	}
	switch strings.Count(raw, ".") {
	case 2:
	case 4:
		return nil, logoutTokenError(ErrLogoutTokenMalformed, nil, "it is encrypted (JWE), which is not supported: ask the provider to sign logout tokens without encrypting them")
	default:
		return nil, logoutTokenError(ErrLogoutTokenMalformed, nil, "not a compact JWS")
	}
	jws, err := jose.ParseSignedCompact(raw, parseAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, logoutTokenError(ErrLogoutTokenMalformed, nil, "not a compact JWS signed with an allowed algorithm")
	}
	h := jws.Signatures[0].Header
	if !slices.Contains(v.algs, h.Algorithm) || !slices.Contains(SupportedSigningAlgs, h.Algorithm) {
		return nil, logoutTokenError(ErrLogoutTokenAlgorithm, nil, "alg %q is not one of %v", h.Algorithm, v.algs)
	}
	if t, present := h.ExtraHeaders[jose.HeaderType]; present {
		typ, ok := t.(string)
		if !ok {
			return nil, logoutTokenError(ErrLogoutTokenType, nil, "its typ is not a string")
		}
		if !isLogoutType(typ) {
			return nil, logoutTokenError(ErrLogoutTokenType, nil, "its typ is %q, not logout+jwt", typ)
		}
	}
	payload, err := v.keys.verifyJWS(untrusted(ctx), jws)
	if errors.Is(err, errMalformedJWS) {
		return nil, logoutTokenError(ErrLogoutTokenMalformed, err, "%v", err)
	}
	if err != nil {
		return nil, logoutTokenError(ErrLogoutTokenSignature, err, "%v", err)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, logoutTokenError(ErrLogoutTokenMalformed, err, "claims are not a JSON object")
	}
	return v.checkLogoutClaims(claims)
}

// isLogoutType reports whether a JOSE typ names a logout token:
// "logout+jwt", with or without "application/", in any case (RFC 7515
// section 4.1.9 lets the prefix go; media types ignore case).
func isLogoutType(typ string) bool {
	t := strings.ToLower(typ)
	return t == "logout+jwt" || t == "application/logout+jwt"
}

// untrusted marks ctx as not from the token endpoint, whatever it carries:
// a logout token always shares the untrusted key refetch budget.
func untrusted(ctx context.Context) context.Context {
	return context.WithValue(ctx, tokenEndpointKey{}, false)
}

// checkLogoutClaims checks the claims of a logout token whose signature
// verified, in this order: the JSON types of the protocol claims; events
// and nonce, which tell a logout token from an ID token; iss; aud and azp;
// iat, exp and nbf; jti; sub and sid. The checks that ID tokens share
// (types, iss, aud, azp) are theirs, their rejections turned into logout
// token kinds.
func (v *idTokenVerifier) checkLogoutClaims(claims map[string]any) (*LogoutToken, error) {
	if err := checkClaimTypes(claims); err != nil {
		return nil, asLogoutTokenError(err)
	}
	var lt LogoutToken
	for _, c := range []struct {
		name string
		dst  *string
	}{{"sub", &lt.Subject}, {"sid", &lt.SessionID}, {"jti", &lt.ID}} {
		v, present := claims[c.name]
		if !present {
			continue
		}
		s, ok := v.(string)
		if !ok || s == "" || len(s) > maxLogoutClaimLen {
			return nil, logoutTokenError(ErrLogoutTokenMalformed, nil, "%s is not a string of 1 to %d bytes", c.name, maxLogoutClaimLen)
		}
		*c.dst = s
	}
	if err := checkLogoutEvent(claims); err != nil {
		return nil, err
	}
	if _, present := claims["nonce"]; present {
		return nil, logoutTokenError(ErrLogoutTokenNonce, nil, "a logout token must not have a nonce; an ID token has one")
	}
	lt.Issuer, _ = claims["iss"].(string)
	if err := v.policy.check(lt.Issuer, claims); err != nil {
		return nil, asLogoutTokenError(err)
	}
	aud, err := v.audience(claims)
	if err == nil {
		err = v.checkAzp(claims, aud)
	}
	if err != nil {
		return nil, asLogoutTokenError(err)
	}
	if err := v.checkLogoutTimes(claims, &lt); err != nil {
		return nil, err
	}
	if lt.ID == "" {
		return nil, logoutTokenError(ErrLogoutTokenMissingClaim, nil, "jti is missing")
	}
	if lt.Subject == "" && lt.SessionID == "" {
		return nil, logoutTokenError(ErrLogoutTokenMissingClaim, nil, "the token names neither sub nor sid")
	}
	return &lt, nil
}

// checkLogoutEvent requires the events claim of a logout token: a JSON
// object holding the back-channel logout event, whose value is a JSON
// object.
func checkLogoutEvent(claims map[string]any) error {
	v, present := claims["events"]
	if !present {
		return logoutTokenError(ErrLogoutTokenEvent, nil, "the token has no events claim")
	}
	events, ok := v.(map[string]any)
	if !ok {
		return logoutTokenError(ErrLogoutTokenEvent, nil, "events is not a JSON object")
	}
	event, present := events[backChannelLogoutEvent]
	if !present {
		return logoutTokenError(ErrLogoutTokenEvent, nil, "events does not hold %s", backChannelLogoutEvent)
	}
	if _, ok := event.(map[string]any); !ok {
		return logoutTokenError(ErrLogoutTokenEvent, nil, "the back-channel logout event is not a JSON object")
	}
	return nil
}

// checkLogoutTimes checks iat (required: not after now, nor older than
// MaxLogoutTokenAge), exp and nbf (when present), each give or take the
// skew, and sets lt.IssuedAt.
func (v *idTokenVerifier) checkLogoutTimes(claims map[string]any, lt *LogoutToken) error {
	now := v.now()
	iat, ok := numericDate(claims["iat"])
	if !ok {
		return logoutTokenError(ErrLogoutTokenMissingClaim, nil, "iat is missing")
	}
	if iat.After(now.Add(v.skew)) {
		return logoutTokenError(ErrLogoutTokenIssuedInFuture, nil, "iat is %s, more than the allowed clock skew of %v after now (%s)",
			iat.UTC().Format(time.RFC3339), v.skew, now.UTC().Format(time.RFC3339))
	}
	if iat.Before(now.Add(-MaxLogoutTokenAge - v.skew)) {
		return logoutTokenError(ErrLogoutTokenStale, nil, "iat is %s, more than %v (and the clock skew of %v) before now (%s)",
			iat.UTC().Format(time.RFC3339), MaxLogoutTokenAge, v.skew, now.UTC().Format(time.RFC3339))
	}
	if exp, ok := numericDate(claims["exp"]); ok && exp.Before(now.Add(-v.skew)) {
		return logoutTokenError(ErrLogoutTokenExpired, nil, "it expired at %s (allowed clock skew %v)", exp.UTC().Format(time.RFC3339), v.skew)
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && nbf.After(now.Add(v.skew)) {
		return logoutTokenError(ErrLogoutTokenIssuedInFuture, nil, "nbf is %s", nbf.UTC().Format(time.RFC3339))
	}
	lt.IssuedAt = iat
	return nil
}

// asLogoutTokenError turns the rejection of a check that logout tokens
// share with ID tokens into a *LogoutTokenError of the matching kind,
// keeping its detail. The *IDTokenError is not wrapped: the error must not
// match ErrInvalidIDToken.
func asLogoutTokenError(err error) error {
	var ie *IDTokenError
	if !errors.As(err, &ie) {
		return logoutTokenError(ErrLogoutTokenMalformed, nil, "%v", err)
	}
	kind := ErrLogoutTokenMalformed
	switch ie.Kind {
	case ErrIDTokenIssuer, ErrTenantNotAllowed:
		kind = ErrLogoutTokenIssuer
	case ErrIDTokenAudience:
		kind = ErrLogoutTokenAudience
	}
	return &LogoutTokenError{Kind: kind, Detail: sanitize(ie.Detail)}
}
