package rp

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// TestRPCallbackLogsOnce: RP.Callback, used without Web, logs one line per
// sign-in or refusal.
func TestRPCallbackLogsOnce(t *testing.T) {
	var logs logBuffer
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.Logger = logs.logger() })
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
	line := logs.only(t, evSignIn)
	if line["level"] != "INFO" || line["iss"] != h.op.Issuer() || line["sub"] != "alice-sub" {
		t.Fatalf("sign-in line %v", line)
	}
	h.op.SetFaults(rptest.Faults{BadSignature: true})
	_, err := h.login()
	if !errors.Is(err, ErrIDTokenSignature) {
		t.Fatalf("a bad signature: %v; want ErrIDTokenSignature", err)
	}
	line = logs.only(t, evSignInRefused)
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
	} {
		kind := ErrorCode(err)
		if kind == "other" || kind == "state" || kind == "id_token_invalid" {
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
	for _, err := range []error{ErrStateReused, ErrIssuerMismatch, idTokenError(ErrIDTokenSignature, nil, ""), ErrUserInfoSubjectMismatch} {
		if !Suspicious(err) {
			t.Errorf("Suspicious(%v) = false", err)
		}
	}
	for _, err := range []error{ErrStateExpired, ErrStateUnknown, &AuthorizationError{Code: "access_denied"}, ErrNoLocalAccount, &TokenError{Code: "invalid_grant"}} {
		if Suspicious(err) {
			t.Errorf("Suspicious(%v) = true", err)
		}
	}
}

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// logger returns a logger writing JSON lines of every level to b.
func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// only returns the one line with message msg, failing t unless there is
// exactly one.
func (b *logBuffer) only(t testing.TB, msg string) map[string]any {
	t.Helper()
	b.mu.Lock()
	text := b.buf.String()
	b.mu.Unlock()
	var found []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		var m map[string]any
		if l == "" || json.Unmarshal([]byte(l), &m) != nil {
			continue
		}
		if m["msg"] == msg {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d log lines %q; want exactly one. Log:\n%s", len(found), msg, text)
	}
	return found[0]
}
