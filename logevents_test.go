package rp

import (
	"context"
	"errors"
	"testing"

	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
)

// TestRPCallbackLogsOnce: RP.Callback, used without Web, logs one line per
// sign-in or refusal.
func TestRPCallbackLogsOnce(t *testing.T) {
	var logs testlog.Buffer
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.Logger = logs.Logger() })
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
	line := logs.Only(t, evSignIn)
	if line["level"] != "INFO" || line["iss"] != h.op.Issuer() || line["sub"] != "alice-sub" {
		t.Fatalf("sign-in line %v", line)
	}
	h.op.SetFaults(rptest.Faults{BadSignature: true})
	_, err := h.login()
	if !errors.Is(err, ErrIDTokenSignature) {
		t.Fatalf("a bad signature: %v; want ErrIDTokenSignature", err)
	}
	line = logs.Only(t, evSignInRefused)
	if line["level"] != "WARN" || line["error_kind"] != "id_token_signature" {
		t.Fatalf("refusal line %v", line)
	}
	// The error carries the reference of its log line, for the app's page.
	if ref := ErrorRef(err); ref == "" || line["ref"] != ref {
		t.Fatalf("ErrorRef(err) = %q, log ref %v; want the same non-empty reference", ref, line["ref"])
	}
}

// TestErrorCodeOfEverySentinel: every error a sign-in, logout or refresh
// can end with has its own word in the logs, and an interaction_required
// answer is told from other authorization errors.
func TestErrorCodeOfEverySentinel(t *testing.T) {
	seen := map[string]error{}
	for _, err := range []error{
		ErrStateMissing, ErrStateUnknown, ErrStateInvalid, ErrStateExpired, ErrStateReused, ErrMalformedResponse,
		ErrTokensInQuery, ErrIssuerMismatch, ErrMissingCode, ErrMissingIDToken,
		ErrIDTokenMalformed, ErrIDTokenAlgorithm, ErrIDTokenSignature, ErrIDTokenIssuer, ErrIDTokenAudience,
		ErrIDTokenExpired, ErrIDTokenNotYetValid, ErrIDTokenIssuedInFuture, ErrIDTokenIssuedBeforeLogin,
		ErrIDTokenMissingClaim, ErrNonceMismatch, ErrAccessTokenHash, ErrCodeHash, ErrIDTokenAuthTime, ErrIDTokenACR,
		ErrTenantNotAllowed, ErrHostedDomain, ErrUserInfoSubjectMismatch, ErrUserInfo, ErrNoLocalAccount,
		ErrAmbiguousUser, ErrUnverifiedEmail, ErrSubjectConflict, ErrAdminRefused, ErrUserExists,
		ErrUnsafeReturnTo, ErrInvalidLoginOption,
		&AuthorizationError{Code: "access_denied"}, &AuthorizationError{Code: "login_required"},
		&TokenError{Code: "invalid_grant"}, &StoreError{Op: "UserByEmail", Err: errors.New("down")},
		replayStoreError(context.Canceled),
		ErrLogoutTokenMalformed, ErrLogoutTokenAlgorithm, ErrLogoutTokenType, ErrLogoutTokenSignature, ErrLogoutTokenIssuer,
		ErrLogoutTokenAudience, ErrLogoutTokenExpired, ErrLogoutTokenStale, ErrLogoutTokenIssuedInFuture,
		ErrLogoutTokenMissingClaim, ErrLogoutTokenEvent, ErrLogoutTokenNonce,
		logoutTokenError(ErrLogoutTokenReused, nil, ""),
		&HookError{Hook: "IDTokenValidated", Err: errors.New("no")}, &HookError{Hook: "IDTokenValidated", Panicked: true},
	} {
		kind := ErrorCode(err)
		if kind == "other" || kind == "state" || kind == "id_token_invalid" || kind == "logout_token_invalid" {
			t.Errorf("%v has only the generic error_kind %q", err, kind)
		}
		if prev, dup := seen[kind]; dup {
			t.Errorf("%v and %v share error_kind %q", prev, err, kind)
		}
		seen[kind] = err
	}
	if k := ErrorCode(&AuthorizationError{Code: "consent_required"}); k != "interaction_required" {
		t.Errorf("consent_required logged as %q", k)
	}
}

// TestSuspicious: the refusals that a working provider and an honest
// browser do not cause are suspicious; ordinary ones are not.
func TestSuspicious(t *testing.T) {
	for _, err := range []error{ErrStateReused, ErrIssuerMismatch, idTokenError(ErrIDTokenSignature, nil, ""), ErrUserInfoSubjectMismatch,
		logoutTokenError(ErrLogoutTokenSignature, nil, ""), logoutTokenError(ErrLogoutTokenReused, nil, ""),
		logoutTokenError(ErrLogoutTokenType, nil, ""), logoutTokenError(ErrLogoutTokenNonce, nil, ""),
		logoutTokenError(ErrLogoutTokenIssuer, nil, ""), logoutTokenError(ErrLogoutTokenAudience, nil, ""),
		logoutTokenError(ErrLogoutTokenAlgorithm, nil, "")} {
		if !Suspicious(err) {
			t.Errorf("Suspicious(%v) = false", err)
		}
	}
	for _, err := range []error{ErrStateExpired, ErrStateUnknown, &AuthorizationError{Code: "access_denied"}, ErrNoLocalAccount, &TokenError{Code: "invalid_grant"},
		replayStoreError(errors.New("down")), logoutTokenError(ErrLogoutTokenExpired, nil, ""), logoutTokenError(ErrLogoutTokenStale, nil, "")} {
		if Suspicious(err) {
			t.Errorf("Suspicious(%v) = true", err)
		}
	}
}

// TestErrorMessageOfNewErrors: a failing replay store asks the user to try
// again; an invalid logout token is not a sign-in problem of the user's.
func TestErrorMessageOfNewErrors(t *testing.T) {
	if got := ErrorMessage(replayStoreError(errors.New("down"))); got != "Signing in is not possible right now. Please try again in a moment." {
		t.Errorf("ErrorMessage(replay store) = %q", got)
	}
	if got := ErrorMessage(logoutTokenError(ErrLogoutTokenSignature, nil, "")); got != "The identity provider's logout request could not be verified." {
		t.Errorf("ErrorMessage(logout token) = %q", got)
	}
}
