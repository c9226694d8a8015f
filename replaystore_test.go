package rp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
)

// memReplay is a ReplayStore in a map that records its calls, standing in
// for a store shared by several instances; with fail set, every call fails.
type memReplay struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	calls []replayCall
	fail  error
}

type replayCall struct {
	key    string
	expiry time.Time
}

func (m *memReplay) FirstUse(_ context.Context, key string, expiry time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, replayCall{key, expiry})
	if m.fail != nil {
		return false, m.fail
	}
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	if _, used := m.seen[key]; used {
		return false, nil
	}
	m.seen[key] = expiry
	return true, nil
}

func (m *memReplay) recorded() []replayCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]replayCall(nil), m.calls...)
}

// callbackOn delivers the authorization response cbURL, with the browser
// cookies, to r instead of the harness's RP: another instance of the app.
func (h *harness) callbackOn(r *RP, cbURL string, cookies []*http.Cookie) (*Result, error) {
	req := httptest.NewRequest(http.MethodGet, cbURL, nil)
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r.Callback(httptest.NewRecorder(), req)
}

func stateKey(state string) string {
	sum := sha256.Sum256([]byte(state))
	return "rp-state:" + hex.EncodeToString(sum[:])
}

// TestStateThroughReplayStore: the login state's single use goes through
// Config.ReplayStore, keyed by its hash until the login expires, so a
// state used on one instance is refused on another sharing the store.
func TestStateThroughReplayStore(t *testing.T) {
	store := &memReplay{}
	secrets := []Secret{"instance-shared-secret-0123456789abcdef"}
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ReplayStore = store; c.CookieSecrets = secrets })
	other, err := New(context.Background(), h.rp.cfg)
	if err != nil {
		t.Fatal(err)
	}
	started := h.clock.Now()
	cb := h.authorize(h.start())
	cookies := h.jar.Cookies(h.appURL())
	if _, err := h.callback(cb); err != nil {
		t.Fatal(err)
	}
	calls := store.recorded()
	want := replayCall{stateKey(param(t, cb, "state")), started.Add(DefaultLoginTimeout)}
	if len(calls) != 1 || calls[0] != want || len(calls[0].key) > 128 {
		t.Fatalf("replay store calls %v; want [%v]", calls, want)
	}
	res, err := h.callbackOn(other, cb, cookies)
	if !errors.Is(err, ErrStateReused) || res != nil {
		t.Fatalf("the state replayed on another instance: %+v, %v; want ErrStateReused", res, err)
	}
	if n := h.op.Requests(rptest.EndpointToken); n != 1 {
		t.Fatalf("%d token requests; want 1 (the replay must not reach the provider)", n)
	}
}

// TestStateReplayStoreFails: a failing store fails the callback closed,
// before the code exchange, with an error matching ErrReplayStore and the
// store's own, logged at Error, shown as a "try again" message.
func TestStateReplayStoreFails(t *testing.T) {
	var logs testlog.Buffer
	down := errors.New("redis: connection refused")
	store := &memReplay{fail: down}
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ReplayStore = store; c.Logger = logs.Logger() })
	res, err := h.login()
	if res != nil || !errors.Is(err, ErrReplayStore) || !errors.Is(err, down) || errors.Is(err, ErrState) {
		t.Fatalf("Callback = %+v, %v; want ErrReplayStore wrapping the store's error", res, err)
	}
	if n := h.op.Requests(rptest.EndpointToken); n != 0 {
		t.Fatalf("%d token requests after the store failed; want 0", n)
	}
	if ErrorCode(err) != "replay_store" || !strings.Contains(ErrorMessage(err), "try again in a moment") {
		t.Fatalf("ErrorCode %q, ErrorMessage %q", ErrorCode(err), ErrorMessage(err))
	}
	line := logs.Only(t, evSignInRefused)
	if line["level"] != "ERROR" || line["error_kind"] != "replay_store" {
		t.Fatalf("log line %v; want level ERROR, error_kind replay_store", line)
	}
	// Back up: a new login works.
	store.mu.Lock()
	store.fail = nil
	store.mu.Unlock()
	if _, err := h.login(); err != nil {
		t.Fatalf("login once the store is back: %v", err)
	}
}

// TestLogoutTokenReplayed: a logout token is accepted once; its jti is
// burnt only by a token that passed every other check.
func TestLogoutTokenReplayed(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	ctx := context.Background()
	tok := h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-1"})
	if _, err := h.rp.VerifyLogoutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	lt, err := h.rp.VerifyLogoutToken(ctx, tok)
	wantLogoutKind(t, lt, err, ErrLogoutTokenReused, tok)
	// Another token with the same jti is a replay too.
	_, claims := decodeUnverified(t, tok)
	again := h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-2", JTI: claims["jti"].(string)})
	lt, err = h.rp.VerifyLogoutToken(ctx, again)
	wantLogoutKind(t, lt, err, ErrLogoutTokenReused, again)
	// A refused token does not use its jti up.
	forged := h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-3", JTI: "j-3", BadSignature: true})
	lt, err = h.rp.VerifyLogoutToken(ctx, forged)
	wantLogoutKind(t, lt, err, ErrLogoutTokenSignature, forged)
	if _, err := h.rp.VerifyLogoutToken(ctx, h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-3", JTI: "j-3"})); err != nil {
		t.Fatalf("genuine token after a forged one with its jti: %v", err)
	}
	_, err = h.rp.VerifyLogoutToken(ctx, tok)
	if ErrorCode(err) != "logout_token_reused" || !Suspicious(err) {
		t.Fatalf("a replay: ErrorCode %q, Suspicious %v; want logout_token_reused, true", ErrorCode(err), Suspicious(err))
	}
}

// decodeUnverified returns the header and claims of a compact JWS.
func decodeUnverified(t *testing.T, raw string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, joseAlgs)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := decodeClaims(jws.UnsafePayloadWithoutVerification())
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header, claims
}

// TestLogoutTokenThroughReplayStore: the jti goes through Config.ReplayStore,
// keyed by a hash of the issuer, client and jti until the token is too old
// anyway, so a token accepted by one instance is refused by another.
func TestLogoutTokenThroughReplayStore(t *testing.T) {
	store := &memReplay{}
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ReplayStore = store })
	other, err := New(context.Background(), h.rp.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := h.rp.VerifyLogoutToken(ctx, h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s", UnknownKid: true})); !errors.Is(err, ErrLogoutTokenSignature) {
		t.Fatal(err)
	}
	if n := len(store.recorded()); n != 0 {
		t.Fatalf("a forged token reached the replay store (%d calls)", n)
	}
	tok := h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s", JTI: "the-jti"})
	if _, err := h.rp.VerifyLogoutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(h.op.Issuer() + "\x00" + h.op.ClientID() + "\x00the-jti"))
	want := replayCall{"rp-logout-jti:" + hex.EncodeToString(sum[:]), h.clock.Now().Add(MaxLogoutTokenAge + DefaultClockSkew)}
	if calls := store.recorded(); len(calls) != 1 || calls[0] != want {
		t.Fatalf("replay store calls %v; want [%v]", calls, want)
	}
	lt, err := other.VerifyLogoutToken(ctx, tok)
	wantLogoutKind(t, lt, err, ErrLogoutTokenReused, tok)
}

// TestLogoutTokenReplayStoreFails: a failing store refuses the token with
// ErrReplayStore, wrapping the store's error, and not as an invalid token.
func TestLogoutTokenReplayStoreFails(t *testing.T) {
	down := errors.New("store down")
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ReplayStore = &memReplay{fail: down} })
	lt, err := h.rp.VerifyLogoutToken(context.Background(), h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s"}))
	if lt != nil || !errors.Is(err, ErrReplayStore) || !errors.Is(err, down) || errors.Is(err, ErrInvalidLogoutToken) {
		t.Fatalf("VerifyLogoutToken = %+v, %v; want ErrReplayStore (and not ErrInvalidLogoutToken)", lt, err)
	}
	if ErrorCode(err) != "replay_store" || levelOf(err).String() != "ERROR" {
		t.Fatalf("ErrorCode %q, level %v", ErrorCode(err), levelOf(err))
	}
}

// TestLogoutTokenKeyBudget: logout tokens come from an untrusted channel.
// A flood of unknown kids causes at most one JWKS fetch a minute, a budget
// shared with VerifyIDToken in both directions, and a key the provider
// really rotated is still found once the budget allows.
func TestLogoutTokenKeyBudget(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	ctx := context.Background()
	jwks := func() int { return h.op.Requests(rptest.EndpointJWKS) }
	if _, err := h.rp.VerifyLogoutToken(ctx, h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s"})); err != nil {
		t.Fatal(err)
	}
	if n := jwks(); n != 1 {
		t.Fatalf("%d JWKS requests after the first token; want 1", n)
	}
	for i := range 60 {
		h.clock.Advance(time.Second)
		tok := h.logoutToken(rptest.LogoutTokenOptions{SessionID: fmt.Sprint("s", i), UnknownKid: true})
		if _, err := h.rp.VerifyLogoutToken(ctx, tok); !errors.Is(err, ErrLogoutTokenSignature) {
			t.Fatalf("forged token %d: %v; want ErrLogoutTokenSignature", i, err)
		}
	}
	if n := jwks(); n != 2 {
		t.Fatalf("%d JWKS requests after a minute of unknown kids; want 2", n)
	}
	forged := signJWS(t, rsaKey(t), jose.RS256, "forged-id-token")
	if _, err := h.rp.VerifyIDToken(ctx, forged, VerifyOptions{}); !errors.Is(err, ErrIDTokenSignature) {
		t.Fatal(err)
	}
	if n := jwks(); n != 2 {
		t.Fatalf("%d JWKS requests; VerifyIDToken must share the spent budget", n)
	}
	h.clock.Advance(keyRefetchCooldown)
	if _, err := h.rp.VerifyIDToken(ctx, forged, VerifyOptions{}); !errors.Is(err, ErrIDTokenSignature) {
		t.Fatal(err)
	}
	tok := h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-next", UnknownKid: true})
	if _, err := h.rp.VerifyLogoutToken(ctx, tok); !errors.Is(err, ErrLogoutTokenSignature) {
		t.Fatal(err)
	}
	if n := jwks(); n != 3 {
		t.Fatalf("%d JWKS requests; want 3 (the ID token's refetch spent the logout token's budget)", n)
	}
	h.op.RotateKey(false)
	h.clock.Advance(keyRefetchCooldown)
	if _, err := h.rp.VerifyLogoutToken(ctx, h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-rotated"})); err != nil {
		t.Fatalf("token signed with the rotated key: %v", err)
	}
	if n := jwks(); n != 4 {
		t.Fatalf("%d JWKS requests; want 4", n)
	}
	// A context marked as the token endpoint's does not lift the budget.
	h.clock.Advance(keyRefetchCooldown)
	tok = h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-trusted", UnknownKid: true})
	if _, err := h.rp.VerifyLogoutToken(fromTokenEndpoint(ctx), tok); !errors.Is(err, ErrLogoutTokenSignature) {
		t.Fatal(err)
	}
	tok = h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s-trusted-2", UnknownKid: true})
	if _, err := h.rp.VerifyLogoutToken(fromTokenEndpoint(ctx), tok); !errors.Is(err, ErrLogoutTokenSignature) {
		t.Fatal(err)
	}
	if n := jwks(); n != 5 {
		t.Fatalf("%d JWKS requests; want 5 (one refetch per cooldown, whatever the context)", n)
	}
}
