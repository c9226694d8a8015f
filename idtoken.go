package rp

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"
	"time"
)

// SupportedSigningAlgs are the ID token signature algorithms the library
// can accept. "none" and the HMAC algorithms are deliberately absent.
var SupportedSigningAlgs = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// idTokenVerifier checks ID tokens. It parses each token once (go-jose,
// compact serialization only), checks the algorithm against the allow-list
// and the signature against the provider's keys (through keySet, which
// go-jose verifies with), decodes the claims once (numbers as json.Number)
// and then checks iss (issuerPolicy), aud, azp, exp, iat and nbf with the
// configured skew, sub and the token kind, turning every failure into an
// *IDTokenError of the right kind. go-oidc is not involved.
type idTokenVerifier struct {
	issuer   string // exact issuer, or an Entra template
	policy   issuerPolicy
	clientID string
	algs     []string
	keys     *keySet
	skew     time.Duration
	now      func() time.Time
	dec      *decrypter // Config.DecryptionKeys; nil: none (jwe.go)
}

func newIDTokenVerifier(policy issuerPolicy, clientID string, algs []string, keys *keySet, skew time.Duration, now func() time.Time) *idTokenVerifier {
	return &idTokenVerifier{issuer: policy.issuer, policy: policy, clientID: clientID, algs: algs, keys: keys, skew: skew, now: now}
}

// verifiedIDToken is an ID token that passed every check.
type verifiedIDToken struct {
	token  *idTokenFacts
	claims map[string]any
	signed string // the signed JWT verified: the token, or an encrypted token's plaintext
}

// verify checks raw, that it was issued no earlier than began (the start
// of its login) less the clock skew, and that its nonce equals nonce
// (compared in constant time). It never returns the token text in an
// error.
func (v *idTokenVerifier) verify(ctx context.Context, raw, nonce string, began time.Time) (*verifiedIDToken, error) {
	id, err := v.verifyToken(ctx, raw, began)
	if err != nil {
		return nil, err
	}
	got, _ := id.claims["nonce"].(string)
	if nonce == "" || subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		if got == "" {
			return nil, idTokenError(ErrNonceMismatch, nil, "the token has no nonce")
		}
		return nil, idTokenError(ErrNonceMismatch, nil, "")
	}
	return id, nil
}

// verifyRefreshed checks an ID token from a refresh (OpenID Connect Core
// 12.2) requested at began: everything verify checks but the nonce, iat no
// earlier than began less the skew, the same iss, sub, aud (as a set) and
// azp as the sign-in's claims original, a nonce, when present, equal to
// the sign-in's (Entra repeats it; others leave it out), and the sign-in's
// auth_time (see sameAuthTime).
func (v *idTokenVerifier) verifyRefreshed(ctx context.Context, raw string, original map[string]any, began time.Time) (*verifiedIDToken, error) {
	id, err := v.verifyToken(ctx, raw, began)
	if err != nil {
		return nil, err
	}
	if iss, _ := original["iss"].(string); id.token.Issuer != iss {
		return nil, idTokenError(ErrIDTokenIssuer, nil, "the refreshed ID token's iss %q differs from the sign-in's %q", id.token.Issuer, iss)
	}
	if sub, _ := original["sub"].(string); id.token.Subject != sub {
		return nil, idTokenError(ErrIDTokenMissingClaim, nil, "the refreshed ID token is for another subject")
	}
	if nonce, ok := id.claims["nonce"].(string); ok {
		if orig, _ := original["nonce"].(string); subtle.ConstantTimeCompare([]byte(nonce), []byte(orig)) != 1 {
			return nil, idTokenError(ErrNonceMismatch, nil, "the refreshed ID token's nonce differs from the sign-in's")
		}
	}
	if err := sameAudience(id.claims, original); err != nil {
		return nil, err
	}
	if err := sameAuthTime(id.claims, original); err != nil {
		return nil, err
	}
	return id, nil
}

// sameAudience holds a refreshed ID token to the sign-in's aud, compared as
// a set, and azp: when either token has an azp, both must have the same.
func sameAudience(refreshed, original map[string]any) error {
	got, want := audienceSet(refreshed["aud"]), audienceSet(original["aud"])
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(slices.Compact(got), slices.Compact(want)) {
		return idTokenError(ErrIDTokenAudience, nil, "the refreshed ID token's aud differs from the sign-in's")
	}
	azp, hasAzp := refreshed["azp"].(string) // checkClaims refused any other type
	_, origAzp := original["azp"]
	orig, _ := original["azp"].(string)
	if hasAzp != origAzp || azp != orig {
		return idTokenError(ErrIDTokenAudience, nil, "the refreshed ID token's azp differs from the sign-in's")
	}
	return nil
}

// audienceSet reads an aud claim, a string or a list of strings; anything
// else reads as no audience.
func audienceSet(aud any) []string {
	switch a := aud.(type) {
	case string:
		return []string{a}
	case []string:
		return slices.Clone(a)
	case []any:
		var out []string
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// sameAuthTime holds a refreshed ID token to the sign-in's auth_time. The
// refreshed token may leave auth_time out (the sign-in's stays in force);
// when present it must be a number equal to the sign-in's, and it is
// refused when the sign-in had none: a refresh does not authenticate the
// user, so it cannot add a sign-in time an application might trust for a
// recent-login decision.
func sameAuthTime(refreshed, original map[string]any) error {
	v, ok := refreshed["auth_time"]
	if !ok {
		return nil
	}
	got, ok := numericDate(v)
	if !ok {
		return idTokenError(ErrIDTokenAuthTime, nil, "the refreshed ID token's auth_time is not a number")
	}
	want, ok := numericDate(original["auth_time"])
	if !ok {
		return idTokenError(ErrIDTokenAuthTime, nil, "the refreshed ID token has an auth_time, the sign-in had none")
	}
	if !got.Equal(want) {
		return idTokenError(ErrIDTokenAuthTime, nil, "the refreshed ID token's auth_time %s differs from the sign-in's %s",
			got.UTC().Format(time.RFC3339), want.UTC().Format(time.RFC3339))
	}
	return nil
}

// backChannelLogoutEvent marks a Back-Channel Logout token's events claim.
const backChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// checkTokenKind refuses a validly signed token of the provider that is
// not an ID token (RFC 8725 section 3.11): one whose JOSE typ names an
// explicitly typed kind of JWT ("at+jwt" access tokens of RFC 9068,
// "logout+jwt" logout tokens, "secevent+jwt"...), or a Back-Channel Logout
// token without such a typ. The nonce check catches them at sign-in, but a
// refreshed ID token has no nonce to check.
func checkTokenKind(typ string, claims map[string]any) error {
	t := strings.TrimPrefix(strings.ToLower(typ), "application/")
	if strings.HasSuffix(t, "+jwt") {
		return idTokenError(ErrIDTokenMalformed, nil, "its typ is %q: it is not an ID token", sanitize(typ))
	}
	if events, ok := claims["events"].(map[string]any); ok {
		if _, ok := events[backChannelLogoutEvent]; ok {
			return idTokenError(ErrIDTokenMalformed, nil, "it is a logout token, not an ID token")
		}
	}
	return nil
}
