package rp

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"log/slog"

	"github.com/oidcrp/rp/session"
)

// Log events. Each sign-in, refusal, logout and refresh is one line at
// Info, refusals that look like an attack at Warn and failures of the
// application's own stores at Error, with these messages and the
// attributes "provider", "iss", "sub", "error_kind" (see errorKindOf),
// "error" and "ref" where they apply. Tokens, codes and secrets never
// appear.
const (
	evSignIn          = "rp: sign-in"
	evSignInRefused   = "rp: sign-in refused"
	evLoginNotStarted = "rp: sign-in not started"
	evLogout          = "rp: logout"
	evLogoutFailed    = "rp: logout incomplete"
	evLogoutReturn    = "rp: logout return refused"
	evRefresh         = "rp: token refresh"
	evRefreshRefused  = "rp: token refresh refused; session ended"
	evRefreshFailed   = "rp: token refresh failed; session kept"
)

// errorKinds maps sentinels to the short, stable words of the "error_kind"
// log attribute; the first match wins, so specific kinds come first.
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
	{ErrTokenExchange, "token_endpoint"},
	{ErrNoLocalAccount, "no_local_account"},
	{ErrAmbiguousUser, "ambiguous_user"},
	{ErrUnverifiedEmail, "unverified_email"},
	{ErrSubjectConflict, "subject_conflict"},
	{ErrAdminRefused, "admin_refused"},
	{ErrUserExists, "user_exists"},
	{ErrLogoutIncomplete, "logout_incomplete"},
	{ErrStore, "user_store"},
	{session.ErrStore, "session_store"},
	{session.ErrTooLarge, "session_too_large"},
	{ErrLogoutState, "logout_state"},
	{ErrUnsafeReturnTo, "unsafe_return_to"},
	{ErrInvalidLoginOption, "invalid_login_option"},
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "timeout"},
}

// errorKindOf returns the short, stable word naming err's kind in logs, or
// "other".
func errorKindOf(err error) string {
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
	ErrUserInfoSubjectMismatch, ErrSubjectConflict, ErrLogoutState,
}

// levelOf is the level of a refusal or failure: Error when a store of the
// application failed, Warn when it looks like an attack, Info otherwise.
func levelOf(err error) slog.Level {
	if errors.Is(err, ErrStore) || errors.Is(err, session.ErrStore) {
		return slog.LevelError
	}
	for _, a := range attackLike {
		if errors.Is(err, a) {
			return slog.LevelWarn
		}
	}
	return slog.LevelInfo
}

// refError is an error shown to a user together with a reference that
// also appears in the log line about it.
type refError struct {
	ref string
	err error
}

func (e *refError) Error() string { return e.err.Error() + " (ref " + e.ref + ")" }
func (e *refError) Unwrap() error { return e.err }

// ErrorRef returns the short reference of an error returned by
// RP.Callback or passed by Web to WebConfig.ErrorHandler: 8 letters and
// digits that also appear, as "ref", in the log line about the failure, so
// a user can quote it to support. It returns "" for errors that carry none.
// Such an error still matches its kind with errors.Is and errors.As.
func ErrorRef(err error) string {
	var re *refError
	if errors.As(err, &re) {
		return re.ref
	}
	return ""
}

// withRef returns err with a new random reference, or err itself when it
// already has one.
func withRef(err error) error {
	if ErrorRef(err) != "" {
		return err
	}
	var b [5]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	return &refError{ref: base32.StdEncoding.EncodeToString(b[:]), err: err}
}

// logRefusal writes the one log line about a refused or failed operation:
// at levelOf(err), with the error's kind, its text (which never carries a
// token, code or secret), its reference if any, and attrs.
func logRefusal(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) {
	text := err.Error()
	var re *refError
	if errors.As(err, &re) {
		text = re.err.Error()
	}
	attrs = append(attrs, "error_kind", errorKindOf(err), "error", text)
	if re != nil {
		attrs = append(attrs, "ref", re.ref)
	}
	log.Log(ctx, levelOf(err), msg, attrs...)
}
