package rp

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// SupportedSigningAlgs are the ID token signature algorithms the library
// can accept. "none" and the HMAC algorithms are deliberately absent.
var SupportedSigningAlgs = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// idTokenVerifier checks ID tokens: go-oidc verifies the signature (through
// keySet), iss, aud and exp; this type adds what go-oidc leaves to the
// caller (iat, nbf with the configured skew, azp, extra audiences, sub,
// nonce) and turns every failure into an *IDTokenError of the right kind.
type idTokenVerifier struct {
	issuer   string // exact issuer, or an Entra template
	policy   issuerPolicy
	clientID string
	algs     []string
	skew     time.Duration
	now      func() time.Time
	verifier *oidc.IDTokenVerifier
}

func newIDTokenVerifier(policy issuerPolicy, clientID string, algs []string, keys *keySet, skew time.Duration, now func() time.Time) *idTokenVerifier {
	v := &idTokenVerifier{issuer: policy.issuer, policy: policy, clientID: clientID, algs: algs, skew: skew, now: now}
	v.verifier = oidc.NewVerifier(policy.issuer, keys, &oidc.Config{
		ClientID:             clientID,
		SupportedSigningAlgs: algs,
		// The issuer is checked by issuerPolicy, which also knows Entra's
		// tenant templates.
		SkipIssuerCheck: true,
		// exp is checked against a clock set back by the skew, which
		// allows a token to be used up to skew after its expiry.
		Now: func() time.Time { return v.now().Add(-v.skew) },
	})
	return v
}

// verifiedIDToken is an ID token that passed every check.
type verifiedIDToken struct {
	token  *oidc.IDToken
	claims map[string]any
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

// verifyToken checks everything about raw but its nonce; began is the
// start of the login or refresh it answers.
func (v *idTokenVerifier) verifyToken(ctx context.Context, raw string, began time.Time) (*verifiedIDToken, error) {
	probe := &sigProbe{}
	tok, err := v.verifier.Verify(context.WithValue(ctx, sigProbeKey{}, probe), raw)
	if err != nil {
		return nil, v.classify(raw, probe, err)
	}
	claims, err := decodeClaims(probe.payload)
	if err != nil {
		return nil, idTokenError(ErrIDTokenMalformed, err, "claims are not a JSON object")
	}
	if err := checkTokenKind(probe.typ, claims); err != nil {
		return nil, err
	}
	if err := v.checkClaims(tok, claims, began); err != nil {
		return nil, err
	}
	return &verifiedIDToken{token: tok, claims: claims}, nil
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

// checkClaims checks what go-oidc does not: sub, iat (not after now nor
// before began, each give or take the skew), nbf, azp and that the client
// is the only audience or the azp.
func (v *idTokenVerifier) checkClaims(tok *oidc.IDToken, claims map[string]any, began time.Time) error {
	if err := v.policy.check(tok.Issuer, claims); err != nil {
		return err
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return idTokenError(ErrIDTokenMissingClaim, nil, "sub is missing or not a string")
	}
	// go-oidc also reads a NumericDate from a JSON string; the checks
	// below (nbf in particular) would then not see it.
	for _, name := range []string{"exp", "iat", "nbf"} {
		if v, ok := claims[name]; ok {
			if _, ok := v.(json.Number); !ok {
				return idTokenError(ErrIDTokenMalformed, nil, "%s is not a number", name)
			}
		}
	}
	now := v.now()
	if _, ok := claims["iat"]; !ok || tok.IssuedAt.IsZero() {
		return idTokenError(ErrIDTokenMissingClaim, nil, "iat is missing")
	}
	if tok.IssuedAt.After(now.Add(v.skew)) {
		return idTokenError(ErrIDTokenIssuedInFuture, nil, "iat is %s, more than the allowed clock skew of %v after now (%s)",
			tok.IssuedAt.UTC().Format(time.RFC3339), v.skew, now.UTC().Format(time.RFC3339))
	}
	// A token issued before its login (or refresh) began cannot answer
	// it, however long its exp: it is replayed or stale. This needs no
	// tunable age limit.
	if tok.IssuedAt.Before(began.Add(-v.skew)) {
		return idTokenError(ErrIDTokenIssuedBeforeLogin, nil, "iat is %s, more than the allowed clock skew of %v before the request began (%s)",
			tok.IssuedAt.UTC().Format(time.RFC3339), v.skew, began.UTC().Format(time.RFC3339))
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && nbf.After(now.Add(v.skew)) {
		return idTokenError(ErrIDTokenNotYetValid, nil, "nbf is %s", nbf.UTC().Format(time.RFC3339))
	}
	azp, hasAzp := claims["azp"].(string)
	if _, present := claims["azp"]; present && !hasAzp {
		return idTokenError(ErrIDTokenAudience, nil, "azp is not a string")
	}
	if hasAzp && azp != v.clientID {
		return idTokenError(ErrIDTokenAudience, nil, "azp is %q, not this client", azp)
	}
	if len(tok.Audience) > 1 {
		if !hasAzp {
			return idTokenError(ErrIDTokenAudience, nil, "the token has several audiences but no azp")
		}
		for _, aud := range tok.Audience {
			if aud != v.clientID {
				return idTokenError(ErrIDTokenAudience, nil, "the token is also issued for %q, which this client does not trust", aud)
			}
		}
	}
	return nil
}

// classify turns a go-oidc verification error into an *IDTokenError.
func (v *idTokenVerifier) classify(raw string, probe *sigProbe, err error) error {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return idTokenError(ErrIDTokenExpired, nil, "it expired at %s (allowed clock skew %v)", expired.Expiry.UTC().Format(time.RFC3339), v.skew)
	case !probe.reached:
		// go-oidc could not parse the token with the allowed algorithms.
		// Parse it again with every algorithm to tell a forbidden
		// algorithm from garbage.
		all := append([]jose.SignatureAlgorithm{"none", jose.HS256, jose.HS384, jose.HS512}, joseAlgs...)
		if jws, perr := jose.ParseSignedCompact(raw, all); perr == nil && len(jws.Signatures) == 1 {
			alg := jws.Signatures[0].Header.Algorithm
			if !slices.Contains(v.algs, alg) {
				return idTokenError(ErrIDTokenAlgorithm, nil, "alg %q is not one of %v", alg, v.algs)
			}
		}
		return idTokenError(ErrIDTokenMalformed, nil, "not a compact JWS signed with an allowed algorithm")
	case errors.Is(probe.err, errMalformedJWS):
		return idTokenError(ErrIDTokenMalformed, probe.err, "%v", probe.err)
	case probe.err != nil:
		return idTokenError(ErrIDTokenSignature, probe.err, "%v", probe.err)
	}
	// The signature verified; a claim check failed.
	var c struct {
		Audience json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(probe.payload, &c) != nil {
		return idTokenError(ErrIDTokenMalformed, err, "claims are not valid JSON")
	}
	var one string
	var many []string
	if json.Unmarshal(c.Audience, &one) == nil {
		many = []string{one}
	} else if json.Unmarshal(c.Audience, &many) != nil {
		return idTokenError(ErrIDTokenAudience, nil, "aud is neither a string nor a list of strings")
	}
	if !slices.Contains(many, v.clientID) {
		return idTokenError(ErrIDTokenAudience, nil, "aud %q does not include this client", many)
	}
	if claims, derr := decodeClaims(probe.payload); derr == nil {
		if nbf, ok := numericDate(claims["nbf"]); ok && nbf.After(v.now().Add(v.skew)) {
			return idTokenError(ErrIDTokenNotYetValid, nil, "nbf is %s", nbf.UTC().Format(time.RFC3339))
		}
	}
	return idTokenError(ErrIDTokenMalformed, err, "%v", err)
}

// numericDate reads a JWT NumericDate claim decoded as json.Number.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}
