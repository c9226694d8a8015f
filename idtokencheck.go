package rp

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// parseAlgs are the algorithms go-jose may find in a token's header while
// parsing it: the allow-list is applied afterwards, so that a forbidden
// algorithm ("none", HMAC, or one left out of Config.SigningAlgs) is
// reported as ErrIDTokenAlgorithm rather than as garbage. No key is ever
// tried for an algorithm outside the allow-list.
var parseAlgs = append([]jose.SignatureAlgorithm{"none", jose.HS256, jose.HS384, jose.HS512}, joseAlgs...)

// idTokenFacts are the protocol claims of a verified ID token.
type idTokenFacts struct {
	Issuer   string
	Subject  string
	Audience []string
	IssuedAt time.Time
	// AccessTokenHash is the left-half hash VerifyAccessToken compares
	// with; checkHash sets it to the at_hash or c_hash claim.
	AccessTokenHash string
	alg             string // the JOSE header's alg, which picks the hash
}

// errHashMismatch reports an at_hash or c_hash that does not match.
var errHashMismatch = errors.New("the left-half hash does not match")

// VerifyAccessToken checks that AccessTokenHash is the base64url left half
// of the hash of value that goes with the token's algorithm (OpenID Connect
// Core 3.1.3.6 and 3.3.2.11; SHA-512 for EdDSA, as Ed25519 uses it).
func (f *idTokenFacts) VerifyAccessToken(value string) error {
	var h hash.Hash
	switch f.alg {
	case "RS256", "PS256", "ES256":
		h = sha256.New()
	case "RS384", "PS384", "ES384":
		h = sha512.New384()
	case "RS512", "PS512", "ES512", "EdDSA":
		h = sha512.New()
	default:
		return errors.New("no hash is defined for the token's algorithm")
	}
	h.Write([]byte(value))
	sum := h.Sum(nil)
	if base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]) != f.AccessTokenHash {
		return errHashMismatch
	}
	return nil
}

// verifyToken checks everything about raw but its nonce; began is the
// start of the login or refresh it answers. The token is parsed once, its
// signature verified once with the key its header selects, and its claims
// decoded once.
func (v *idTokenVerifier) verifyToken(ctx context.Context, raw string, began time.Time) (*verifiedIDToken, error) {
	raw, err := v.openIDToken(raw)
	if err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedCompact(raw, parseAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, idTokenError(ErrIDTokenMalformed, nil, "not a compact JWS signed with an allowed algorithm")
	}
	h := jws.Signatures[0].Header
	if !slices.Contains(v.algs, h.Algorithm) || !slices.Contains(SupportedSigningAlgs, h.Algorithm) {
		return nil, idTokenError(ErrIDTokenAlgorithm, nil, "alg %q is not one of %v", h.Algorithm, v.algs)
	}
	payload, err := v.keys.verifyJWS(ctx, jws)
	if errors.Is(err, errMalformedJWS) {
		return nil, idTokenError(ErrIDTokenMalformed, err, "%v", err)
	}
	if err != nil {
		return nil, idTokenError(ErrIDTokenSignature, err, "%v", err)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, idTokenError(ErrIDTokenMalformed, err, "claims are not a JSON object")
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	facts, err := v.checkClaims(claims, typ, began)
	if err != nil {
		return nil, err
	}
	facts.alg = h.Algorithm
	return &verifiedIDToken{token: facts, claims: claims, signed: raw}, nil
}

// checkClaims checks the claims of a token whose signature verified, in
// this order: aud names this client; the protocol claims have their JSON
// types; exp (with the skew) and nbf; the token kind; iss; sub; iat (not
// after now nor before began, each give or take the skew); azp, and that
// the client is the only audience or the azp.
func (v *idTokenVerifier) checkClaims(claims map[string]any, typ string, began time.Time) (*idTokenFacts, error) {
	aud, err := v.audience(claims)
	if err != nil {
		return nil, err
	}
	if err := checkClaimTypes(claims); err != nil {
		return nil, err
	}
	now := v.now()
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return nil, idTokenError(ErrIDTokenExpired, nil, "the token has no exp")
	}
	if exp.Before(now.Add(-v.skew)) {
		return nil, idTokenError(ErrIDTokenExpired, nil, "it expired at %s (allowed clock skew %v)", exp.UTC().Format(time.RFC3339), v.skew)
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && nbf.After(now.Add(v.skew)) {
		return nil, idTokenError(ErrIDTokenNotYetValid, nil, "nbf is %s", nbf.UTC().Format(time.RFC3339))
	}
	if err := checkTokenKind(typ, claims); err != nil {
		return nil, err
	}
	f := &idTokenFacts{Audience: aud}
	f.Issuer, _ = claims["iss"].(string)
	if err := v.policy.check(f.Issuer, claims); err != nil {
		return nil, err
	}
	if f.Subject, _ = claims["sub"].(string); f.Subject == "" {
		return nil, idTokenError(ErrIDTokenMissingClaim, nil, "sub is missing or not a string")
	}
	if f.IssuedAt, ok = numericDate(claims["iat"]); !ok {
		return nil, idTokenError(ErrIDTokenMissingClaim, nil, "iat is missing")
	}
	if f.IssuedAt.After(now.Add(v.skew)) {
		return nil, idTokenError(ErrIDTokenIssuedInFuture, nil, "iat is %s, more than the allowed clock skew of %v after now (%s)",
			f.IssuedAt.UTC().Format(time.RFC3339), v.skew, now.UTC().Format(time.RFC3339))
	}
	// A token issued before its login (or refresh) began cannot answer
	// it, however long its exp: it is replayed or stale. This needs no
	// tunable age limit.
	if f.IssuedAt.Before(began.Add(-v.skew)) {
		return nil, idTokenError(ErrIDTokenIssuedBeforeLogin, nil, "iat is %s, more than the allowed clock skew of %v before the request began (%s)",
			f.IssuedAt.UTC().Format(time.RFC3339), v.skew, began.UTC().Format(time.RFC3339))
	}
	if err := v.checkAzp(claims, aud); err != nil {
		return nil, err
	}
	return f, nil
}

// audience reads the aud claim of a signed token and checks that it names
// this client.
func (v *idTokenVerifier) audience(claims map[string]any) ([]string, error) {
	aud, ok := audienceList(claims["aud"])
	if !ok {
		return nil, idTokenError(ErrIDTokenAudience, nil, "aud is neither a string nor a list of strings")
	}
	if !slices.Contains(aud, v.clientID) {
		return nil, idTokenError(ErrIDTokenAudience, nil, "aud %q does not include this client", aud)
	}
	return aud, nil
}

// checkAzp applies OpenID Connect Core 3.1.3.7 to a token whose audience
// aud names this client: an azp, when present, is a string naming this
// client, and a token of several audiences has one and no other audience
// than this client.
func (v *idTokenVerifier) checkAzp(claims map[string]any, aud []string) error {
	azp, hasAzp := claims["azp"].(string)
	if _, present := claims["azp"]; present && !hasAzp {
		return idTokenError(ErrIDTokenAudience, nil, "azp is not a string")
	}
	if hasAzp && azp != v.clientID {
		return idTokenError(ErrIDTokenAudience, nil, "azp is %q, not this client", azp)
	}
	if len(aud) > 1 {
		if !hasAzp {
			return idTokenError(ErrIDTokenAudience, nil, "the token has several audiences but no azp")
		}
		for _, a := range aud {
			if a != v.clientID {
				return idTokenError(ErrIDTokenAudience, nil, "the token is also issued for %q, which this client does not trust", a)
			}
		}
	}
	return nil
}

// audienceList reads an aud claim: a string, or a list of strings.
func audienceList(v any) ([]string, bool) {
	switch a := v.(type) {
	case string:
		return []string{a}, true
	case []any:
		out := make([]string, len(a))
		for i, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// checkClaimTypes refuses protocol claims of the wrong JSON type: iss,
// sub, nonce and at_hash are strings (or null), exp, iat and nbf numbers
// (a NumericDate as a JSON string is refused: it would read differently to
// other verifiers), and the distributed-claims members _claim_names and
// _claim_sources (OpenID Connect Core 5.6.2) are well formed.
func checkClaimTypes(claims map[string]any) error {
	for _, name := range []string{"iss", "sub", "nonce", "at_hash"} {
		switch claims[name].(type) {
		case nil, string:
		default:
			return idTokenError(ErrIDTokenMalformed, nil, "%s is not a string", name)
		}
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if v, ok := claims[name]; ok {
			if _, ok := numericDate(v); !ok {
				return idTokenError(ErrIDTokenMalformed, nil, "%s is not a number", name)
			}
		}
	}
	return checkDistributedClaims(claims)
}

// checkDistributedClaims refuses a malformed _claim_names (an object of
// non-empty strings, each naming a member of _claim_sources) or
// _claim_sources (an object of objects whose endpoint and access_token are
// strings). The library does not fetch distributed claims.
func checkDistributedClaims(claims map[string]any) error {
	sources, ok := claims["_claim_sources"].(map[string]any)
	if v := claims["_claim_sources"]; v != nil && !ok {
		return idTokenError(ErrIDTokenMalformed, nil, "_claim_sources is not an object")
	}
	for _, s := range sources {
		src, ok := s.(map[string]any)
		if s != nil && !ok {
			return idTokenError(ErrIDTokenMalformed, nil, "a _claim_sources member is not an object")
		}
		for _, field := range []string{"endpoint", "access_token"} {
			switch src[field].(type) {
			case nil, string:
			default:
				return idTokenError(ErrIDTokenMalformed, nil, "a _claim_sources member's %s is not a string", field)
			}
		}
	}
	names, ok := claims["_claim_names"].(map[string]any)
	if v := claims["_claim_names"]; v != nil && !ok {
		return idTokenError(ErrIDTokenMalformed, nil, "_claim_names is not an object")
	}
	for _, n := range names {
		src, ok := n.(string)
		if n != nil && !ok {
			return idTokenError(ErrIDTokenMalformed, nil, "a _claim_names member is not a string")
		}
		if _, known := sources[src]; src == "" || !known {
			return idTokenError(ErrIDTokenMalformed, nil, "a _claim_names member names no _claim_sources member")
		}
	}
	return nil
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
