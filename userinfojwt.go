package rp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// userInfoJWT reads a userinfo response of Content-Type application/jwt
// (OpenID Connect Core 5.3.2) and checks that it describes sub. It is one
// of:
//
//   - a JWS, verified as an ID token's signature is (the provider's keys,
//     the ID token's algorithm allow-list, never "none"), whose iss must be
//     the provider's and whose aud must name this client;
//   - a JWE wrapping such a JWS (cty "JWT", or a plaintext that is not a
//     JSON object), decrypted with Config.DecryptionKeys first;
//   - a JWE wrapping a JSON object, which the specification allows for a
//     client registered for encrypted but unsigned userinfo. It is
//     accepted as plain JSON userinfo is: it came straight from the
//     provider's userinfo endpoint over the RP's own connection, so the
//     encryption adds confidentiality and takes nothing away.
//
// Failures wrap ErrUserInfo and one of the ErrUserInfo* or ErrDecryption
// kinds, except a sub of another user: ErrUserInfoSubjectMismatch, as for
// JSON userinfo. No error carries the response.
func (r *RP) userInfoJWT(ctx context.Context, body []byte, sub string) (map[string]any, error) {
	claims, err := r.readUserInfoJWT(ctx, strings.TrimSpace(string(body)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUserInfo, r.md.UserInfoEndpoint, err)
	}
	if got, _ := claims["sub"].(string); got != sub {
		return nil, ErrUserInfoSubjectMismatch
	}
	return claims, nil
}

// readUserInfoJWT returns the claims of the userinfo JWT raw (see
// userInfoJWT), all but the sub checked.
func (r *RP) readUserInfoJWT(ctx context.Context, raw string) (map[string]any, error) {
	if !isCompactJWE(raw) {
		return r.verifyUserInfoJWS(ctx, raw)
	}
	plaintext, h, err := r.ids.dec.open(raw)
	if err != nil {
		return nil, err
	}
	isJWT, set := nestedJWT(h)
	if isJWT || (!set && !strings.HasPrefix(strings.TrimSpace(string(plaintext)), "{")) {
		return r.verifyUserInfoJWS(ctx, string(plaintext))
	}
	claims, err := decodeClaims(plaintext)
	if err != nil {
		return nil, fmt.Errorf("%w: the decrypted response is not a JSON object", ErrUserInfoMalformed)
	}
	return claims, nil
}

// verifyUserInfoJWS verifies a signed userinfo response: its algorithm and
// signature as an ID token's, then iss and aud.
func (r *RP) verifyUserInfoJWS(ctx context.Context, raw string) (map[string]any, error) {
	jws, err := jose.ParseSignedCompact(raw, parseAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrUserInfoMalformed)
	}
	alg := jws.Signatures[0].Header.Algorithm
	if !slices.Contains(r.ids.algs, alg) || !slices.Contains(SupportedSigningAlgs, alg) {
		return nil, fmt.Errorf("%w: alg %q is not one of %v", ErrUserInfoAlgorithm, sanitize(alg), r.ids.algs)
	}
	payload, err := r.keys.verifyJWS(ctx, jws)
	if errors.Is(err, errMalformedJWS) {
		return nil, fmt.Errorf("%w: %v", ErrUserInfoMalformed, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUserInfoSignature, err)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: its claims are not a JSON object", ErrUserInfoMalformed)
	}
	iss, _ := claims["iss"].(string)
	if err := r.issuers.check(iss, claims); err != nil {
		return nil, fmt.Errorf("%w: iss %q", ErrUserInfoIssuer, sanitize(iss))
	}
	aud, ok := audienceList(claims["aud"])
	if !ok || !slices.Contains(aud, r.cfg.ClientID) {
		return nil, fmt.Errorf("%w: aud does not include this client", ErrUserInfoAudience)
	}
	return claims, nil
}
