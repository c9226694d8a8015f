package rp

import (
	"context"
	"errors"
	"log/slog"

	"github.com/oidcrp/rp/internal/events"
)

// The messages of RP.Callback's log lines: one per call, at Info, or at
// Warn for refusals that look like an attack (see Suspicious), with "iss",
// "sub", "error_kind" (ErrorCode), "error" and "ref" where they apply.
// Tokens, codes and secrets never appear.
const (
	evSignIn        = "rp: sign-in"
	evSignInRefused = "rp: sign-in refused"
)

// errorKinds maps sentinels to the short, stable words of ErrorCode; the
// first match wins, so specific kinds come first.
var errorKinds = []struct {
	err  error
	kind string
}{
	{ErrStateMissing, "state_missing"},
	{ErrStateUnknown, "state_unknown"},
	{ErrStateInvalid, "state_invalid"},
	{ErrStateExpired, "state_expired"},
	{ErrStateReused, "state_reused"},
	{ErrState, "state"},
	{ErrMalformedResponse, "malformed_response"},
	{ErrTokensInQuery, "tokens_in_query"},
	{ErrIssuerMismatch, "issuer_mismatch"},
	{ErrMissingCode, "missing_code"},
	{ErrResponseJWTMissing, "response_jwt_missing"},
	{ErrResponseJWTMalformed, "response_jwt_malformed"},
	{ErrResponseJWTEncrypted, "response_jwt_encrypted"},
	{ErrResponseJWTAlgorithm, "response_jwt_algorithm"},
	{ErrResponseJWTSignature, "response_jwt_signature"},
	{ErrResponseJWTIssuer, "response_jwt_issuer"},
	{ErrResponseJWTAudience, "response_jwt_audience"},
	{ErrResponseJWTExpired, "response_jwt_expired"},
	{ErrInteractionRequired, "interaction_required"},
	{ErrAuthorization, "authorization_error"},
	{ErrMissingIDToken, "missing_id_token"},
	{ErrIDTokenMalformed, "id_token_malformed"},
	{ErrIDTokenAlgorithm, "id_token_algorithm"},
	{ErrIDTokenSignature, "id_token_signature"},
	{ErrIDTokenIssuer, "id_token_issuer"},
	{ErrIDTokenAudience, "id_token_audience"},
	{ErrIDTokenExpired, "id_token_expired"},
	{ErrIDTokenNotYetValid, "id_token_not_yet_valid"},
	{ErrIDTokenIssuedInFuture, "id_token_issued_in_future"},
	{ErrIDTokenIssuedBeforeLogin, "id_token_issued_before_login"},
	{ErrIDTokenMissingClaim, "id_token_missing_claim"},
	{ErrNonceMismatch, "nonce_mismatch"},
	{ErrAccessTokenHash, "at_hash_mismatch"},
	{ErrCodeHash, "c_hash_mismatch"},
	{ErrIDTokenAuthTime, "auth_time"},
	{ErrIDTokenACR, "acr"},
	{ErrTenantNotAllowed, "tenant_not_allowed"},
	{ErrHostedDomain, "hosted_domain"},
	{ErrInvalidIDToken, "id_token_invalid"},
	{ErrUserInfoSubjectMismatch, "userinfo_subject_mismatch"},
	{ErrUserInfo, "userinfo"},
	{ErrAccessTokenCertificateMismatch, "access_token_certificate_mismatch"},
	{ErrTokenExchange, "token_endpoint"},
	{ErrNoLocalAccount, "no_local_account"},
	{ErrAmbiguousUser, "ambiguous_user"},
	{ErrUnverifiedEmail, "unverified_email"},
	{ErrSubjectConflict, "subject_conflict"},
	{ErrAdminRefused, "admin_refused"},
	{ErrUserExists, "user_exists"},
	{ErrStore, "user_store"},
	{ErrReplayStore, "replay_store"},
	{ErrLogoutTokenMalformed, "logout_token_malformed"},
	{ErrLogoutTokenAlgorithm, "logout_token_algorithm"},
	{ErrLogoutTokenType, "logout_token_type"},
	{ErrLogoutTokenSignature, "logout_token_signature"},
	{ErrLogoutTokenIssuer, "logout_token_issuer"},
	{ErrLogoutTokenAudience, "logout_token_audience"},
	{ErrLogoutTokenExpired, "logout_token_expired"},
	{ErrLogoutTokenStale, "logout_token_stale"},
	{ErrLogoutTokenIssuedInFuture, "logout_token_issued_in_future"},
	{ErrLogoutTokenMissingClaim, "logout_token_missing_claim"},
	{ErrLogoutTokenEvent, "logout_token_event"},
	{ErrLogoutTokenNonce, "logout_token_nonce"},
	{ErrLogoutTokenReused, "logout_token_reused"},
	{ErrInvalidLogoutToken, "logout_token_invalid"},
	{ErrUnsafeReturnTo, "unsafe_return_to"},
	{ErrInvalidLoginOption, "invalid_login_option"},
	{ErrHookPanicked, "hook_panicked"},
	{ErrHookRefused, "hook_refused"},
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "timeout"},
}

// ErrorCode returns a short, stable word naming the kind of a sign-in or
// logout token error, such as "state_reused", "id_token_signature",
// "issuer_mismatch", "interaction_required", "no_local_account",
// "replay_store" or "logout_token_reused", or "other" for an error of no
// kind the library knows. It never contains details from the provider
// or the tokens, and there are few enough words to use one as a metric
// label or in a log line ("error_kind" in the library's own).
func ErrorCode(err error) string {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return "other"
}

// attackLike are the refusals that a working provider and an honest
// browser do not cause: forged or replayed responses, mix-up, tokens for
// someone else.
var attackLike = []error{
	ErrStateReused, ErrStateInvalid, ErrIssuerMismatch, ErrTokensInQuery, ErrIDTokenAlgorithm, ErrIDTokenSignature,
	ErrIDTokenIssuer, ErrIDTokenAudience, ErrNonceMismatch, ErrAccessTokenHash, ErrCodeHash,
	ErrUserInfoSubjectMismatch, ErrSubjectConflict,
	ErrResponseJWTMissing, ErrResponseJWTAlgorithm, ErrResponseJWTSignature, ErrResponseJWTIssuer, ErrResponseJWTAudience,
	ErrLogoutTokenAlgorithm, ErrLogoutTokenType, ErrLogoutTokenSignature, ErrLogoutTokenIssuer,
	ErrLogoutTokenAudience, ErrLogoutTokenNonce, ErrLogoutTokenReused,
}

// Suspicious reports whether a refused sign-in or logout token looks like
// an attack (a forged, replayed or misdirected response or logout token, a
// token for someone else, an ID token posing as a logout token, a mix-up
// between providers) rather than a mistake of the user, the provider or
// the configuration: a working provider and an honest browser do not
// cause these. The library logs such refusals at Warn.
func Suspicious(err error) bool {
	for _, a := range attackLike {
		if errors.Is(err, a) {
			return true
		}
	}
	return false
}

// levelOf is the level of a refusal or failure: Error when the
// application's user store or the replay store failed, Warn when it looks
// like an attack, Info otherwise.
func levelOf(err error) slog.Level {
	switch {
	case errors.Is(err, ErrStore), errors.Is(err, ErrReplayStore), errors.Is(err, ErrHookPanicked):
		return slog.LevelError
	case Suspicious(err):
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// ErrorRef returns the short reference of an error returned by
// RP.Callback or passed by package web to its ErrorHandler: 8 letters and
// digits that also appear, as "ref", in the log line about the failure, so
// a user can quote it to support. It returns "" for errors that carry none.
// Such an error still matches its kind with errors.Is and errors.As.
func ErrorRef(err error) string { return events.Ref(err) }

// logRefusal writes the one log line about a refused sign-in: at
// levelOf(err), with the error's kind, its text (which never carries a
// token, code or secret), its reference if any, and attrs.
func logRefusal(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) {
	attrs = append(attrs, "error_kind", ErrorCode(err), "error", events.Unref(err).Error())
	if ref := events.Ref(err); ref != "" {
		attrs = append(attrs, "ref", ref)
	}
	log.Log(ctx, levelOf(err), msg, attrs...)
}
