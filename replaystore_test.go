package rp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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
