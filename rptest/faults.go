package rptest

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// Faults make the provider misbehave, for tests that check how a relying
// party copes with a broken or hostile provider. The zero value behaves.
// Install faults with Server.SetFaults; they apply until replaced.
//
// Every XxxStatus fault answers that status with a JSON error body
// {"error":"server_error",...}; a status outside 200..999 is sent as 500.
//
// ID token faults apply to every ID token the provider issues: those of
// the token endpoint, for the authorization_code and refresh_token grants
// alike, and those the authorization endpoint returns in the front channel
// (response types with id_token). They apply in this order: the protocol
// claims are built, then Issuer, Audience, Azp, Nonce, OmitNonce, AtHash,
// OmitAtHash, CHash, OmitCHash, AuthTime, OmitAuthTime, ACR, Expired,
// IssuedAt and ExtraIDTokenClaims change them, then AlgNone, BadSignature
// and OmitKid decide how the token is signed. SignIDToken ignores faults.
//
// Issuer, DiscoveryIssuer and ResponseIss are used as given, so they may
// be any string, including an issuer without a scheme such as Google's
// "accounts.google.com".
type Faults struct {
	// BadSignature signs the ID token with a key that is not in the JWKS,
	// while the header still names the current kid, so the signature
	// does not verify.
	BadSignature bool

	// AlgNone sends an unsigned ID token: header {"alg":"none"}, the
	// payload and an empty signature. It wins over BadSignature and
	// OmitKid.
	AlgNone bool

	// OmitKid leaves the kid out of the ID token header. The token is
	// otherwise validly signed.
	OmitKid bool

	// Issuer, if set, is the ID token's iss.
	Issuer string

	// Audience, if non-nil, is the ID token's aud, always in array form
	// (an empty slice gives "aud":[]).
	Audience []string

	// Azp, if set, is the ID token's azp claim.
	Azp string

	// Nonce, if non-nil, is the ID token's nonce, whether or not the
	// authorization request had one; a pointer to "" gives "nonce":"".
	Nonce *string

	// OmitNonce removes the nonce from the ID token. It wins over Nonce.
	OmitNonce bool

	// AtHash, if set, replaces the value of at_hash in every ID token that
	// carries one (those issued together with an access token, at the
	// authorization or the token endpoint).
	AtHash string

	// OmitAtHash removes at_hash from the ID token. It wins over AtHash.
	OmitAtHash bool

	// CHash, if set, replaces the value of c_hash in every ID token that
	// carries one (front-channel ID tokens issued together with a code).
	CHash string

	// OmitCHash removes c_hash from the ID token. It wins over CHash.
	OmitCHash bool

	// AuthTime, if non-zero, is the ID token's auth_time instead of the
	// time the user signed in.
	AuthTime time.Time

	// OmitAuthTime removes auth_time from the ID token, even when the
	// authorization request had max_age. It wins over AuthTime.
	OmitAuthTime bool

	// ACR, if set, is the ID token's acr claim, whether or not the
	// authorization request had acr_values.
	ACR string

	// Expired sets exp to now-1h and iat to now-2h.
	Expired bool

	// IssuedAt, if non-zero, sets iat to now+IssuedAt; positive is in the
	// future. It wins over the iat set by Expired.
	IssuedAt time.Duration

	// ExtraIDTokenClaims are merged into the ID token last, overriding
	// anything, protocol claims included. A nil value removes the claim,
	// e.g. {"exp": nil} gives a token without exp.
	ExtraIDTokenClaims map[string]any

	// OmitIDToken makes the token endpoint answer without id_token.
	OmitIDToken bool

	// UserInfoSubject, if set, is the sub the userinfo endpoint answers.
	UserInfoSubject string

	// UserInfoStatus, if non-zero, is the HTTP status the userinfo endpoint
	// answers, with a JSON error body, before looking at the token. A 401
	// also carries WWW-Authenticate: Bearer error="invalid_token".
	UserInfoStatus int

	// ResponseIss, if set, is the iss parameter of the authorization
	// response instead of the real issuer.
	ResponseIss string

	// OmitResponseIss leaves iss out of the authorization response and
	// makes discovery advertise
	// authorization_response_iss_parameter_supported=false. By default the
	// server sends iss as RFC 9207 describes and advertises true. It wins
	// over ResponseIss.
	OmitResponseIss bool

	// AuthorizeError, if set, makes every authorization request whose
	// client_id and redirect_uri are valid (and that repeats no parameter)
	// redirect back with error set to this value, plus error_description,
	// state and iss as usual, and no code.
	AuthorizeError string

	// AuthorizeErrorDescription is the error_description sent with
	// AuthorizeError; empty means none.
	AuthorizeErrorDescription string

	// ResponseState, if non-nil, is the state of the authorization response
	// instead of the request's; a pointer to "" leaves state out.
	ResponseState *string

	// SkipPKCECheck makes the token endpoint ignore code_verifier entirely,
	// as a provider without PKCE support would.
	SkipPKCECheck bool

	// TokenStatus, if non-zero, makes the token endpoint answer this status
	// with {"error":"server_error"} to every request, without looking at it
	// (codes are not consumed).
	TokenStatus int

	// DiscoveryIssuer, if set, is the issuer in the discovery document.
	DiscoveryIssuer string

	// DiscoveryStatus, if non-zero, is the status of the discovery
	// response. Its body is DiscoveryBody if set, else a JSON error.
	DiscoveryStatus int

	// DiscoveryBody, if non-nil, is sent as the discovery response body,
	// exactly, as application/json (status 200 unless DiscoveryStatus).
	DiscoveryBody []byte

	// OmitJWKSURI leaves jwks_uri out of the discovery document.
	OmitJWKSURI bool

	// JWKSStatus, if non-zero, is the HTTP status the JWKS endpoint
	// answers, with a JSON error body instead of the keys.
	JWKSStatus int
}

// clone returns a copy of f that shares no memory with it.
func (f Faults) clone() Faults {
	if f.Audience != nil {
		f.Audience = slices.Clone(f.Audience)
	}
	if f.Nonce != nil {
		v := *f.Nonce
		f.Nonce = &v
	}
	if f.ResponseState != nil {
		v := *f.ResponseState
		f.ResponseState = &v
	}
	if f.DiscoveryBody != nil {
		f.DiscoveryBody = slices.Clone(f.DiscoveryBody)
	}
	f.ExtraIDTokenClaims = maps.Clone(f.ExtraIDTokenClaims)
	return f
}

// applyIDTokenClaims rewrites the claims of an ID token being issued at now.
func (f Faults) applyIDTokenClaims(claims map[string]any, now time.Time) {
	if f.Issuer != "" {
		claims["iss"] = f.Issuer
	}
	if f.Audience != nil {
		claims["aud"] = slices.Clone(f.Audience)
	}
	if f.Azp != "" {
		claims["azp"] = f.Azp
	}
	if f.Nonce != nil {
		claims["nonce"] = *f.Nonce
	}
	if f.OmitNonce {
		delete(claims, "nonce")
	}
	replaceOrOmit(claims, "at_hash", f.AtHash, f.OmitAtHash)
	replaceOrOmit(claims, "c_hash", f.CHash, f.OmitCHash)
	if !f.AuthTime.IsZero() {
		claims["auth_time"] = f.AuthTime.Unix()
	}
	if f.OmitAuthTime {
		delete(claims, "auth_time")
	}
	if f.ACR != "" {
		claims["acr"] = f.ACR
	}
	if f.Expired {
		claims["exp"] = now.Add(-time.Hour).Unix()
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
	}
	if f.IssuedAt != 0 {
		claims["iat"] = now.Add(f.IssuedAt).Unix()
	}
	for k, v := range f.ExtraIDTokenClaims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
}

// replaceOrOmit removes claims[name] when omit is set, else replaces its
// value with value when both are present.
func replaceOrOmit(claims map[string]any, name, value string, omit bool) {
	if _, ok := claims[name]; !ok {
		return
	}
	switch {
	case omit:
		delete(claims, name)
	case value != "":
		claims[name] = value
	}
}

// writeFaultStatus answers an injected status with a JSON error body. A
// status outside 200..999 is answered as 500: net/http panics on some of
// them and treats 1xx as informational.
func writeFaultStatus(w http.ResponseWriter, status int) {
	if status < 200 || status > 999 {
		status = http.StatusInternalServerError
	}
	writeOAuthError(w, status, "server_error", "rptest: injected fault")
}
