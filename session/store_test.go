package session

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// failingStore fails every call with its error.
type failingStore struct{ err error }

func (f failingStore) Get(context.Context, string) ([]byte, error) { return nil, f.err }
func (f failingStore) Set(context.Context, string, []byte, time.Time) error {
	return f.err
}
func (f failingStore) Delete(context.Context, string) error { return f.err }
func (f failingStore) Index(context.Context, string, []string, time.Time) error {
	return f.err
}
func (f failingStore) DeleteIndexed(context.Context, string) (int, error) { return 0, f.err }

// switchStore wraps a MemoryStore whose Get can be made to fail.
type switchStore struct {
	*MemoryStore
	fail bool
}

func (s *switchStore) Get(ctx context.Context, id string) ([]byte, error) {
	if s.fail {
		return nil, errors.New("store down")
	}
	return s.MemoryStore.Get(ctx, id)
}

func newStoreManager(t *testing.T, cfg Config) (*Manager, *MemoryStore, *fakeClock) {
	t.Helper()
	clock := newClock()
	store := &MemoryStore{Now: clock.Now}
	cfg.Store, cfg.Now = store, clock.Now
	m, _ := newTestManager(t, cfg)
	return m, store, clock
}

func TestStoreRoundTrip(t *testing.T) {
	m, store, _ := newStoreManager(t, Config{})
	for _, payload := range [][]byte{[]byte(`{"sub":"alice","name":"Alice"}`), entraPayload(t), randomBytes(200 << 10)} {
		b := newBrowser()
		s := m.New(payload)
		b.save(t, m, s)
		if len(b.cookies) != 1 || len(b.cookies[m.CookieName()]) > 120 {
			t.Fatalf("store mode wrote cookies %v; want one small cookie", b.cookies)
		}
		stored, err := store.Get(context.Background(), s.ID)
		if err != nil {
			t.Fatalf("store has no entry for the session: %v", err)
		}
		if bytes.Contains(stored, payload[:16]) {
			t.Fatal("the store holds the payload in the clear")
		}
		got, ok := m.Load(b.request())
		if !ok {
			t.Fatalf("%d-byte payload: no session", len(payload))
		}
		sameSession(t, got, s)
	}
	if store.Len() != 3 {
		t.Fatalf("store holds %d entries; want 3", store.Len())
	}
}

func TestStoreDestroyRevokes(t *testing.T) {
	m, store, _ := newStoreManager(t, Config{})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)
	stolen := b.clone()
	rec := httptest.NewRecorder()
	m.Destroy(rec, b.request(), s)
	b.apply(rec)
	if store.Len() != 0 {
		t.Fatalf("store holds %d entries after Destroy", store.Len())
	}
	if len(b.cookies) != 0 {
		t.Fatalf("cookies left after Destroy: %v", b.cookies)
	}
	if _, ok := m.Load(requestWith(stolen)); ok {
		t.Fatal("a cookie replayed after Destroy still loads")
	}
}

func TestStoreDestroyWithoutSession(t *testing.T) {
	// Destroy(w, r, nil) revokes the session r's cookie refers to, even an
	// idle-expired one that Load no longer returns.
	m, store, clock := newStoreManager(t, Config{})
	b := newBrowser()
	b.save(t, m, m.New([]byte("x")))
	clock.Advance(2 * time.Hour)
	m.Destroy(httptest.NewRecorder(), b.request(), nil)
	if store.Len() != 0 {
		t.Fatalf("store holds %d entries after Destroy(nil)", store.Len())
	}
}

func TestStoreSaveReplacesReferencedSession(t *testing.T) {
	m, store, _ := newStoreManager(t, Config{})
	b := newBrowser()
	old := m.New([]byte("before sign-in"))
	b.save(t, m, old)
	stolen := b.clone()
	b.save(t, m, m.New([]byte("after sign-in")))
	if store.Len() != 1 {
		t.Fatalf("store holds %d entries; want only the new session", store.Len())
	}
	if _, ok := m.Load(requestWith(stolen)); ok {
		t.Fatal("the replaced session still loads")
	}
	if got, ok := m.Load(b.request()); !ok || string(got.Data) != "after sign-in" {
		t.Fatal("the new session does not load")
	}
}

func TestStoreTimeouts(t *testing.T) {
	m, store, clock := newStoreManager(t, Config{AbsoluteTimeout: 2 * time.Hour, IdleTimeout: time.Hour})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)
	clock.Advance(59 * time.Minute)
	got, ok := m.Load(b.request())
	if !ok {
		t.Fatal("no session before the idle timeout")
	}
	b.save(t, m, got)
	clock.Advance(59 * time.Minute)
	got, ok = m.Load(b.request())
	if !ok {
		t.Fatal("no session after sliding")
	}
	b.save(t, m, got) // the store entry now expires at the absolute timeout
	clock.Advance(2 * time.Minute)
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("store session loads after its absolute timeout")
	}
	if _, err := store.Get(context.Background(), s.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("store Get after expiry = %v; want ErrNotFound", err)
	}

	// Idle: the store entry expires with the idle timeout; Load checks it
	// too, even if a Store keeps entries longer.
	b = newBrowser()
	s = m.New([]byte("y"))
	b.save(t, m, s)
	lazy := &neverExpires{MemoryStore: NewMemoryStore()}
	m2, _ := newTestManager(t, Config{Store: lazy, Now: clock.Now, AbsoluteTimeout: 2 * time.Hour, IdleTimeout: time.Hour})
	b2 := newBrowser()
	b2.save(t, m2, m2.New([]byte("z")))
	clock.Advance(time.Hour)
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("store session loads after its idle timeout")
	}
	if _, ok := m2.Load(b2.request()); ok {
		t.Fatal("a session kept by the store past its expiry loads")
	}
}

// neverExpires is a store that ignores expiry times.
type neverExpires struct{ *MemoryStore }

func (n *neverExpires) Set(ctx context.Context, id string, data []byte, _ time.Time) error {
	return n.MemoryStore.Set(ctx, id, data, time.Now().Add(1000*time.Hour))
}

func TestStoreFailures(t *testing.T) {
	clock := newClock()
	sw := &switchStore{MemoryStore: &MemoryStore{Now: clock.Now}}
	m, _ := newTestManager(t, Config{Store: sw, Now: clock.Now})
	b := newBrowser()
	b.save(t, m, m.New([]byte("x")))
	sw.fail = true
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("a failing Store.Get gave a session")
	}
	sw.fail = false
	if _, ok := m.Load(b.request()); !ok {
		t.Fatal("no session once the store works again")
	}

	down := errors.New("store down")
	m, _ = newTestManager(t, Config{Store: failingStore{down}})
	rec := httptest.NewRecorder()
	if err := m.Save(rec, nil, m.New([]byte("x"))); !errors.Is(err, down) {
		t.Fatalf("Save with a failing Store.Set = %v; want it wrapped", err)
	}
	if h := setCookies(rec); len(h) != 0 {
		t.Fatalf("Save with a failing store wrote %q", h)
	}
	m.Destroy(httptest.NewRecorder(), nil, m.New(nil)) // must not panic
}

func TestStoreDataBoundToID(t *testing.T) {
	m, store, _ := newStoreManager(t, Config{})
	ctx := context.Background()
	alice, mallory := newBrowser(), newBrowser()
	a := m.New([]byte("alice"))
	alice.save(t, m, a)
	mm := m.New([]byte("mallory"))
	mallory.save(t, m, mm)

	// Data moved to another id in the store does not load.
	aliceData, _ := store.Get(ctx, a.ID)
	_ = store.Set(ctx, mm.ID, aliceData, time.Now().Add(time.Hour))
	if _, ok := m.Load(mallory.request()); ok {
		t.Fatal("data moved between ids in the store loaded")
	}
	// Altered data does not load.
	altered := bytes.Clone(aliceData)
	altered[len(altered)/2] ^= 1
	_ = store.Set(ctx, a.ID, altered, time.Now().Add(time.Hour))
	if _, ok := m.Load(alice.request()); ok {
		t.Fatal("altered store data loaded")
	}
	// Garbage does not load.
	_ = store.Set(ctx, a.ID, []byte(strings.Repeat("A", 100)), time.Now().Add(time.Hour))
	if _, ok := m.Load(alice.request()); ok {
		t.Fatal("garbage store data loaded")
	}
}

func TestStoreTamper(t *testing.T) {
	m, _, _ := newStoreManager(t, Config{})
	b := newBrowser()
	b.save(t, m, m.New([]byte("x")))
	cookies := b.clone()
	flipEvery(t, m, cookies, m.CookieName(), 1)
}

func TestStoreSaveAfterDestroy(t *testing.T) {
	m, store, clock := newStoreManager(t, Config{})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)
	b.save(t, m, s) // a saved session can be saved again

	clock.Advance(30 * time.Minute)
	loaded, ok := m.Load(b.request()) // request 1 loads the session ...
	if !ok {
		t.Fatal("no session")
	}
	m.Destroy(httptest.NewRecorder(), b.request(), nil) // ... request 2 signs out ...
	rec := httptest.NewRecorder()
	err := m.Touch(rec, b.request(), loaded) // ... and request 1 must not bring it back.
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Touch of a destroyed session = %v; want ErrNotFound", err)
	}
	if h := setCookies(rec); len(h) != 0 || store.Len() != 0 {
		t.Fatalf("Touch of a destroyed session wrote %q, store holds %d", h, store.Len())
	}
}

func TestStoreHugePayload(t *testing.T) {
	m, _, _ := newStoreManager(t, Config{})
	b := newBrowser()
	s := m.New(make([]byte, 3<<20))
	b.save(t, m, s)
	got, ok := m.Load(b.request())
	if !ok {
		t.Fatal("no session")
	}
	sameSession(t, got, s)
}
