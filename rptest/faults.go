package rptest

import (
	"maps"
	"net/http"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
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
// claims are built (RotateBeforeSigning first rotates the key), then
// Issuer, Audience, Azp, Nonce, OmitNonce, AtHash, OmitAtHash, CHash,
// OmitCHash, AuthTime, OmitAuthTime, ACR, Expired, IssuedAt and
// ExtraIDTokenClaims change them (IDTokenIsAccessToken and
// IDTokenIsLogoutToken replace the claims instead; of the claim faults only
// ExtraIDTokenClaims then applies), then AlgNone, HS256WithPublicKey,
// BadSignature, OmitKid, HeaderExtras and Crit decide how the token is
// signed, and ScrambleSignature and ZeroECDSASignature spoil the signature.
// SignIDToken ignores faults.
//
// Faults that name an endpoint (HugeResponse, SlowEndpoint) take the
// Endpoint constants: "discovery", "jwks", "token", "userinfo", and for
// SlowEndpoint also "authorize" and "end_session".
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
	// otherwise validly signed. Combine it with ExtraJWKS to publish
	// several candidate keys.
	OmitKid bool

	// ScrambleSignature inverts every bit of the ID token's signature,
	// keeping its length, so that a token with the right alg, kid and
	// claims does not verify. It works with every SigningAlg (RS256,
	// PS256, ES256, EdDSA) and with HS256WithPublicKey and BadSignature.
	ScrambleSignature bool

	// ZeroECDSASignature replaces half of an ES256 signature with zero
	// bytes: "r" the first 32 bytes, "s" the last 32, "rs" both (the
	// "psychic signature" r = s = 0). The ID token must be ES256
	// (Config.SigningAlg "ES256", not AlgNone or HS256WithPublicKey);
	// otherwise, or for any other value, the endpoint that issues the
	// token answers server_error.
	ZeroECDSASignature string

	// HS256WithPublicKey signs the ID token with HS256, using as the HMAC
	// secret the current signing key's public half in the PEM form a JWKS
	// or certificate would give an attacker (PKIX, "-----BEGIN PUBLIC
	// KEY-----", with the final newline): the key confusion attack on
	// verifiers that pick the algorithm from the token. The header has
	// "alg":"HS256" and the current kid (unless OmitKid). AlgNone wins
	// over it; it wins over BadSignature.
	HS256WithPublicKey bool

	// HeaderExtras are added to the ID token's protected header after
	// alg, typ and kid, which they may override (the signature is still
	// made with the real algorithm). Values are encoded as JSON, e.g.
	// "jku" or "x5u" with an attacker's URL, or "jwk" with an attacker's
	// public key (a jose.JSONWebKey such as Server.RogueKey()). A relying
	// party must ignore all three.
	HeaderExtras map[string]any

	// Crit, if non-nil, is the ID token header's "crit" list (RFC 7515
	// section 4.1.11). Each listed name that the header would otherwise
	// lack is added to it with the value true, since a listed parameter
	// must be present; HeaderExtras may give it another value. An empty
	// non-nil slice gives "crit":[].
	Crit []string

	// RotateBeforeSigning rotates the signing key, as RotateKey(false)
	// does, just before each ID token is signed: every token has a new
	// kid, and the JWKS holds only the newest key.
	RotateBeforeSigning bool

	// ExtraJWKS are published in the JWKS before the server's own keys,
	// exactly as given (private or symmetric keys included), e.g. other
	// keys of the same algorithm for a kid-less token to choose from. They
	// never sign anything and do not change discovery.
	ExtraJWKS []jose.JSONWebKey

	// PublishUnusableKeys publishes, before ExtraJWKS and the server's own
	// keys, keys that carry the current kid but that cannot verify the
	// server's ID tokens: an EC P-384 key with the server's alg, an
	// Ed25519 key (use "enc" when the server signs with EdDSA), a
	// symmetric "oct" key, the public half of the BadSignature key with
	// use "enc", an OKP key on curve X25519 and a key of the unknown type
	// "XYZ". A relying party that takes the first key with a matching kid,
	// or that fails on a key it cannot parse, rejects valid tokens.
	PublishUnusableKeys bool

	// HugeResponse names an endpoint ("discovery", "jwks", "token",
	// "userinfo" or "par") whose successful answers are padded to more than 1 MiB:
	// the normal JSON object with an extra member "rptest_padding" holding
	// 1 MiB of text, sent without Content-Length. The answer is otherwise
	// valid.
	HugeResponse string

	// SlowEndpoint names an endpoint whose requests are counted and then
	// never answered: the handler blocks until the request's context is
	// done (the client gave up) or the server is closed. Relying parties
	// under test should use a short HTTP timeout.
	SlowEndpoint string

	// TokenErrorCode, if set, makes the token endpoint answer every request
	// with the OAuth error response {"error": TokenErrorCode,
	// "error_description": TokenErrorDescription}, without looking at the
	// request (codes are not consumed). The status is TokenStatus when
	// set, else 401 with WWW-Authenticate: Basic for "invalid_client" and
	// 400 for anything else.
	TokenErrorCode string

	// TokenErrorDescription is the error_description sent with
	// TokenErrorCode; empty means none.
	TokenErrorDescription string

	// IDTokenIsAccessToken puts a JWT access token (RFC 9068) where the ID
	// token belongs: header typ "at+jwt"; claims iss, sub, aud (the
	// client_id, as providers do for a client's own API), client_id,
	// scope, iat, exp, auth_time and jti, and no nonce, at_hash or
	// c_hash. It is signed like an ID token, signature faults included.
	IDTokenIsAccessToken bool

	// IDTokenIsLogoutToken puts a Back-Channel Logout token where the ID
	// token belongs: header typ "logout+jwt"; claims iss, sub, aud, iat,
	// exp, jti, sid and events with the back-channel logout event, and no
	// nonce. IDTokenIsAccessToken wins over it.
	IDTokenIsLogoutToken bool

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
	// with {"error":"server_error"} (or TokenErrorCode) to every request,
	// without looking at it (codes are not consumed).
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

	// PushedAuthorization makes the pushed authorization request endpoint
	// misbehave (see PARFaults); HugeResponse "par" pads its answers.
	PushedAuthorization PARFaults

	// JARM makes the response JWTs of JARM response modes misbehave (see
	// JARMFaults).
	JARM JARMFaults

	// MTLS makes the mTLS features misbehave (see MTLSFaults).
	MTLS MTLSFaults

	// DPoP makes the DPoP handling misbehave (see DPoPFaults).
	DPoP DPoPFaults

	// Encryption spoils the JWEs of Config.IDTokenEncryption,
	// Config.UserInfoEncryption and Config.AuthorizationEncryption (see
	// EncryptionFaults).
	Encryption EncryptionFaults

	// SignedUserInfo spoils the signed userinfo answers of
	// Config.SignedUserInfo (see SignedUserInfoFaults).
	SignedUserInfo SignedUserInfoFaults
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
	f.HeaderExtras = maps.Clone(f.HeaderExtras)
	if f.Crit != nil {
		f.Crit = slices.Clone(f.Crit)
	}
	if f.ExtraJWKS != nil {
		f.ExtraJWKS = slices.Clone(f.ExtraJWKS)
	}
	f.JARM = f.JARM.clone()
	if f.Encryption.KeyID != nil {
		v := *f.Encryption.KeyID
		f.Encryption.KeyID = &v
	}
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
	applyExtraClaims(claims, f.ExtraIDTokenClaims)
}

// applyExtraClaims merges extra into claims, a nil value removing the claim.
func applyExtraClaims(claims, extra map[string]any) {
	for k, v := range extra {
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
