package rp

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrState is matched by every state rejection below: the response
// cannot be tied to a login this browser started.
var ErrState = errors.New("rp: authorization response does not belong to a login of this browser")

// stateError is a state rejection; it matches itself and ErrState.
type stateError struct{ msg string }

func (e *stateError) Error() string        { return e.msg }
func (e *stateError) Is(target error) bool { return target == ErrState }

// Errors of the authorization response and its login transaction. Callback
// returns them (possibly wrapped); test with errors.Is.
var (
	// ErrStateMissing: the authorization response carries no state.
	ErrStateMissing error = &stateError{"rp: authorization response has no state"}
	// ErrStateUnknown: this browser holds no login transaction for the
	// response's state: the login was started in another browser or on
	// another host name (localhost vs 127.0.0.1) or by another RP (another
	// provider, client ID or redirect URL), its cookie was lost or already
	// consumed, or the state was forged.
	ErrStateUnknown error = &stateError{"rp: no login in progress for this state"}
	// ErrStateInvalid: a transaction cookie exists but is not genuine or not
	// for this state: it was altered, forged, sealed with an unknown key or
	// sealed by another RP and renamed.
	ErrStateInvalid error = &stateError{"rp: login transaction cookie is not valid for this state"}
	// ErrStateExpired: the login took longer than Config.LoginTimeout.
	ErrStateExpired error = &stateError{"rp: login transaction expired; start the login again"}
	// ErrStateReused: this login transaction was already completed once.
	ErrStateReused error = &stateError{"rp: login transaction already used"}
	// ErrMalformedResponse: the authorization response is not well formed,
	// e.g. a parameter is repeated or over-long.
	ErrMalformedResponse = errors.New("rp: malformed authorization response")
	// ErrIssuerMismatch: the response's RFC 9207 "iss" parameter names
	// another issuer, or is missing although the provider promises it and
	// the response carries no ID token to name the issuer instead.
	ErrIssuerMismatch = errors.New("rp: authorization response is from another issuer")
	// ErrMissingCode: a successful response without a code.
	ErrMissingCode = errors.New("rp: authorization response has no code")
	// ErrAuthorization is matched by every *AuthorizationError.
	ErrAuthorization = errors.New("rp: the provider returned an error")
	// ErrTokenExchange is matched by every *TokenError.
	ErrTokenExchange = errors.New("rp: code exchange failed")
	// ErrMissingIDToken: the token response has no id_token.
	ErrMissingIDToken = errors.New("rp: token response has no id_token")
	// ErrUserInfo: the userinfo endpoint could not be read.
	ErrUserInfo = errors.New("rp: userinfo request failed")
	// ErrTokensInQuery: a GET authorization response carries tokens in its
	// query string, where they leak into logs and Referer headers.
	ErrTokensInQuery = errors.New("rp: authorization response carries tokens in the query string")
	// ErrUserInfoSubjectMismatch: userinfo describes another user than the
	// ID token.
	ErrUserInfoSubjectMismatch = errors.New("rp: userinfo sub differs from the ID token's sub")
)

// ID token rejections. Every *IDTokenError matches ErrInvalidIDToken and
// exactly one of the others.
var (
	ErrInvalidIDToken        = errors.New("rp: invalid ID token")
	ErrIDTokenMalformed      = errors.New("rp: ID token is not a well-formed signed JWT")
	ErrIDTokenAlgorithm      = errors.New("rp: ID token signature algorithm not allowed")
	ErrIDTokenSignature      = errors.New("rp: ID token signature does not verify with the provider's keys")
	ErrIDTokenIssuer         = errors.New("rp: ID token issued by another issuer")
	ErrIDTokenAudience       = errors.New("rp: ID token not issued for this client")
	ErrIDTokenExpired        = errors.New("rp: ID token expired")
	ErrIDTokenNotYetValid    = errors.New("rp: ID token not yet valid (nbf)")
	ErrIDTokenIssuedInFuture = errors.New("rp: ID token issued in the future (iat)")
	ErrIDTokenMissingClaim   = errors.New("rp: ID token lacks a required claim")
	ErrNonceMismatch         = errors.New("rp: ID token nonce does not match the login's nonce")
	ErrAccessTokenHash       = errors.New("rp: ID token at_hash does not match the access token")
	ErrCodeHash              = errors.New("rp: ID token c_hash does not match the code")
	ErrIDTokenAuthTime       = errors.New("rp: ID token auth_time missing or older than max_age")
	ErrIDTokenACR            = errors.New("rp: ID token acr is not one of the requested acr_values")
	ErrTenantNotAllowed      = errors.New("rp: ID token issued for a tenant that is not allowed")
	ErrHostedDomain          = errors.New("rp: ID token hd is not the configured hosted domain")
	// ErrIDTokenIssuedBeforeLogin: the ID token's iat lies before the
	// start of the login it answers (or of the refresh request that
	// returned it) by more than Config.ClockSkew, so it cannot have been
	// issued for it: it is a replayed or stale token.
	ErrIDTokenIssuedBeforeLogin = errors.New("rp: ID token was issued before this login began")
)

// IDTokenError is an ID token rejection.
type IDTokenError struct {
	// Kind is one of the ErrIDToken* errors, ErrNonceMismatch or
	// ErrAccessTokenHash.
	Kind error
	// Detail adds specifics (never the token itself).
	Detail string
	// Err is the underlying error, if any.
	Err error
}

func (e *IDTokenError) Error() string {
	if e.Detail == "" {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Detail
}

// Is matches ErrInvalidIDToken and the error's Kind.
func (e *IDTokenError) Is(target error) bool {
	return target == ErrInvalidIDToken || target == e.Kind
}

// Unwrap returns the underlying error.
func (e *IDTokenError) Unwrap() error { return e.Err }

func idTokenError(kind error, err error, format string, args ...any) *IDTokenError {
	return &IDTokenError{Kind: kind, Err: err, Detail: fmt.Sprintf(format, args...)}
}

// JARM response JWT rejections (Config.ResponseMode "jwt", "query.jwt",
// "fragment.jwt" or "form_post.jwt"). Callback returns them; each matches
// ErrResponseJWT and exactly one of the others. Their text never holds the
// response JWT.
var (
	// ErrResponseJWT is matched by every rejection of a JARM response.
	ErrResponseJWT = errors.New("rp: authorization response JWT refused")
	// ErrResponseJWTMissing: a JARM response mode is configured but the
	// response is not exactly one "response" parameter: a plain response
	// (as a downgrade would send), or other parameters beside the JWT.
	ErrResponseJWTMissing = errors.New("rp: authorization response is not a single response JWT")
	// ErrResponseJWTMalformed: the response JWT is not a compact JWS with
	// one signature, its claims are not a JSON object, a protocol claim
	// (iss, exp, iat, nbf) has the wrong type, or a response parameter in
	// it is not a string.
	ErrResponseJWTMalformed = errors.New("rp: response JWT is malformed")
	// ErrResponseJWTEncrypted: the response JWT is encrypted (a JWE) and
	// Config.DecryptionKeys is empty, so it cannot be decrypted.
	ErrResponseJWTEncrypted = errors.New("rp: response JWT is encrypted and no decryption key is configured")
	// ErrResponseJWTAlgorithm: the response JWT's alg is not one of the
	// accepted signing algorithms (Config.SigningAlgs; never "none").
	ErrResponseJWTAlgorithm = errors.New("rp: response JWT signature algorithm not allowed")
	// ErrResponseJWTSignature: no key of the provider verifies the
	// response JWT.
	ErrResponseJWTSignature = errors.New("rp: response JWT signature does not verify with the provider's keys")
	// ErrResponseJWTIssuer: the response JWT's iss is missing or is not
	// the provider's issuer.
	ErrResponseJWTIssuer = errors.New("rp: response JWT issued by another issuer")
	// ErrResponseJWTAudience: the response JWT's aud does not name this
	// client.
	ErrResponseJWTAudience = errors.New("rp: response JWT not issued for this client")
	// ErrResponseJWTExpired: the response JWT has no exp, its exp has
	// passed, or its nbf lies ahead, beyond Config.ClockSkew.
	ErrResponseJWTExpired = errors.New("rp: response JWT expired or not yet valid")
)

// responseJWTError is a JARM rejection of one of the ErrResponseJWT*
// kinds, with a detail that never holds the token.
type responseJWTError struct {
	kind   error
	detail string
}

func (e *responseJWTError) Error() string {
	if e.detail == "" {
		return e.kind.Error()
	}
	return e.kind.Error() + ": " + e.detail
}

// Is matches ErrResponseJWT and the error's kind.
func (e *responseJWTError) Is(target error) bool { return target == ErrResponseJWT || target == e.kind }

// Unwrap returns the kind, so that an ErrDecryption kind (an encrypted
// response that does not decrypt) matches ErrDecryption too.
func (e *responseJWTError) Unwrap() error { return e.kind }

func responseJWTErr(kind error, format string, args ...any) error {
	return &responseJWTError{kind: kind, detail: fmt.Sprintf(format, args...)}
}

// maxErrorText bounds provider-supplied text kept in errors.
const maxErrorText = 256

// AuthorizationError is an OAuth 2.0 error response from the authorization
// endpoint (RFC 6749 section 4.1.2.1), e.g. access_denied or
// login_required (test for the latter with ErrInteractionRequired). Its fields come from the browser and are untrusted: they
// are stripped of control characters and cut to 256 bytes, but must still be
// HTML-escaped when shown in a page.
type AuthorizationError struct {
	Code        string // error, e.g. "access_denied"
	Description string // error_description
	URI         string // error_uri
}

func (e *AuthorizationError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("rp: the provider returned error %q", e.Code)
	}
	return fmt.Sprintf("rp: the provider returned error %q: %q", e.Code, e.Description)
}

// Is matches ErrAuthorization, and ErrInteractionRequired for the codes that
// ask for user interaction (login_required and friends).
func (e *AuthorizationError) Is(target error) bool {
	switch target {
	case ErrAuthorization:
		return true
	case ErrInteractionRequired:
		return slices.Contains(interactionCodes, e.Code)
	}
	return false
}

// DPoP (RFC 9449, Config.DPoP) failures. A token response refused for its
// token_type is a *TokenError whose Err is ErrDPoPDowngrade or
// ErrDPoPUnrequested.
var (
	// ErrDPoPDowngrade: DPoP is on, but the token endpoint answered the
	// request, which carried a proof, with a token that is not DPoP-bound
	// (token_type Bearer or another): the tokens are refused rather than
	// used unbound.
	ErrDPoPDowngrade = errors.New("rp: the token endpoint issued a token that is not DPoP-bound although DPoP was used")
	// ErrDPoPUnrequested: DPoP is off, but the token endpoint issued a
	// DPoP-bound token (token_type DPoP), which the RP cannot use.
	ErrDPoPUnrequested = errors.New("rp: the token endpoint issued a DPoP-bound token although DPoP is off")
	// ErrDPoPProof: a DPoP proof could not be made (DPoPKey.Proof's
	// arguments, or the key).
	ErrDPoPProof = errors.New("rp: cannot make a DPoP proof")
	// ErrDPoPKey: bytes given to ParseDPoPKey are not a DPoP key.
	ErrDPoPKey = errors.New("rp: not a DPoP key")
)

// TokenError is a failed request to the token endpoint: the code exchange,
// or (Refresh true) a token refresh.
type TokenError struct {
	Refresh     bool   // a refresh_token grant rather than the code exchange
	StatusCode  int    // HTTP status, 0 if no response
	Code        string // OAuth error code, e.g. "invalid_grant", if the provider sent one
	Description string // error_description, sanitized and cut to 256 bytes
	Err         error  // underlying transport error, if any
}

func (e *TokenError) Error() string {
	var b strings.Builder
	if e.Refresh {
		b.WriteString("rp: token refresh failed")
	} else {
		b.WriteString("rp: code exchange failed")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " with HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %q", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %q", e.Description)
	}
	if e.Err != nil && e.Code == "" {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Is matches ErrTokenExchange.
func (e *TokenError) Is(target error) bool { return target == ErrTokenExchange }

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// sanitize removes control and format characters from untrusted text and
// cuts it to maxErrorText bytes on a rune boundary.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ErrDecryption is matched by every rejection of an encrypted (JWE) ID
// token or userinfo response below. None of them carries the token, the
// plaintext or key material.
var ErrDecryption = errors.New("rp: encrypted token could not be decrypted")

// decryptionError is a kind of decryption failure; it matches itself and
// ErrDecryption.
type decryptionError struct{ msg string }

func (e *decryptionError) Error() string        { return e.msg }
func (e *decryptionError) Is(target error) bool { return target == ErrDecryption }

// Kinds of decryption failure. Each matches ErrDecryption; for an ID token
// they are the Kind of an *IDTokenError (which matches ErrInvalidIDToken
// too), for userinfo they are wrapped with ErrUserInfo.
var (
	// ErrDecryptionMalformed: the token is not a compact JWE this library
	// can read (header not a JSON object, compressed, over-long).
	ErrDecryptionMalformed error = &decryptionError{"rp: encrypted token is not a well-formed compact JWE"}
	// ErrDecryptionAlgorithm: the JWE's key management (alg) or content
	// encryption (enc) algorithm is not one the library supports
	// (SupportedKeyManagementAlgs, SupportedContentEncryptions).
	ErrDecryptionAlgorithm error = &decryptionError{"rp: encrypted token uses an algorithm that is not allowed"}
	// ErrDecryptionRSA15: the JWE uses RSA1_5 key management, which is
	// always refused (it is open to padding-oracle attacks).
	ErrDecryptionRSA15 error = &decryptionError{"rp: encrypted token uses RSA1_5 key management, which is refused"}
	// ErrNoDecryptionKey: no Config.DecryptionKeys entry fits the JWE's
	// kid and alg (or none is configured).
	ErrNoDecryptionKey error = &decryptionError{"rp: no decryption key fits the encrypted token"}
	// ErrDecryptionFailed: a fitting key was tried and the JWE did not
	// decrypt or authenticate with it: it was encrypted to another key or
	// altered.
	ErrDecryptionFailed error = &decryptionError{"rp: encrypted token does not decrypt with the configured keys"}
	// ErrEncryptionRequired: Config.RequireEncryptedIDToken is set and the
	// ID token is not encrypted.
	ErrEncryptionRequired error = &decryptionError{"rp: ID token is not encrypted although encryption is required"}
)

// Signed userinfo (application/jwt) rejections. Each is wrapped with
// ErrUserInfo; a signed userinfo of another subject fails with
// ErrUserInfoSubjectMismatch as plain userinfo does.
var (
	// ErrUserInfoMalformed: the userinfo JWT is not a compact JWS (or a
	// JWE wrapping one or a JSON object) with a JSON object as claims.
	ErrUserInfoMalformed = errors.New("rp: signed userinfo is not a well-formed JWT")
	// ErrUserInfoAlgorithm: the userinfo JWT's alg is not in the ID
	// token's allow-list (Config.SigningAlgs); "none" never is.
	ErrUserInfoAlgorithm = errors.New("rp: signed userinfo signature algorithm not allowed")
	// ErrUserInfoSignature: no key of the provider verifies the userinfo
	// JWT's signature.
	ErrUserInfoSignature = errors.New("rp: signed userinfo signature does not verify with the provider's keys")
	// ErrUserInfoIssuer: the userinfo JWT's iss is not the provider's.
	ErrUserInfoIssuer = errors.New("rp: signed userinfo issued by another issuer")
	// ErrUserInfoAudience: the userinfo JWT's aud does not name this
	// client.
	ErrUserInfoAudience = errors.New("rp: signed userinfo not issued for this client")
)
