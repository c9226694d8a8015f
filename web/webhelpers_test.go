package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

// gate is an http.RoundTripper that, once armed, holds every request for a
// path ending in suffix until released, announcing each on arrived.
type gate struct {
	suffix  string
	armed   atomic.Bool
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate(t testing.TB, suffix string) *gate {
	g := &gate{suffix: suffix, arrived: make(chan struct{}, 16), release: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

// open releases held requests and lets later ones through.
func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	if g.armed.Load() && strings.HasSuffix(req.URL.Path, g.suffix) {
		g.arrived <- struct{}{}
		<-g.release
	}
	return http.DefaultTransport.RoundTrip(req)
}

// brokenStore is a session store whose Get and Delete can be made to fail:
// a store that is down, or a read-only replica.
type brokenStore struct {
	*session.MemoryStore
	mu                sync.Mutex
	getErr, deleteErr error
}

func newBrokenStore() *brokenStore { return &brokenStore{MemoryStore: session.NewMemoryStore()} }

func (s *brokenStore) fail(get, del error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.getErr, s.deleteErr = get, del
}

func (s *brokenStore) Get(ctx context.Context, id string) ([]byte, error) {
	s.mu.Lock()
	err := s.getErr
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.MemoryStore.Get(ctx, id)
}

func (s *brokenStore) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	err := s.deleteErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.MemoryStore.Delete(ctx, id)
}

// sessionCookie returns the cookie named name that resp sets, or nil.
func setCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// newFakeClock returns a clock shared by the providers and the Site.
func newFakeClock() *rptest.Clock { return rptest.NewClock(time.Now().Truncate(time.Second)) }

// newMatcherT returns the default matcher for cfg.
func newMatcherT(t testing.TB, cfg rp.MatcherConfig) *rp.Matcher {
	t.Helper()
	m, err := rp.NewMatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ptr[T any](v T) *T { return &v }

// alice is a user whose ID tokens carry her profile.
var alice = rptest.User{Subject: "alice-sub", Claims: map[string]any{
	"email":              "alice@example.com",
	"email_verified":     true,
	"name":               "Alice Example",
	"preferred_username": "alice",
}}

// dana is a user of a provider that serves the profile from userinfo only.
var dana = rptest.User{Subject: "dana-sub", UserInfo: map[string]any{
	"name": "Dana Example", "email": "dana@example.com", "email_verified": true,
	"groups": []string{"staff", "admins"}, "upn": "dana@corp.example", "department": "Finance",
}}
