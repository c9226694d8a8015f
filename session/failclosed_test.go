package session

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// brokenStore wraps a MemoryStore whose Get and Delete can be made to fail,
// as a store that is down or a read-only replica.
type brokenStore struct {
	*MemoryStore
	getErr, deleteErr error
}

func (s *brokenStore) Get(ctx context.Context, id string) ([]byte, error) {
	if s.getErr != nil {
		return nil, s.getErr
	}
	return s.MemoryStore.Get(ctx, id)
}

func (s *brokenStore) Delete(ctx context.Context, id string) error {
	if s.deleteErr != nil {
		return s.deleteErr
	}
	return s.MemoryStore.Delete(ctx, id)
}

func TestLookupTellsStoreFailureApart(t *testing.T) {
	clock := newClock()
	bs := &brokenStore{MemoryStore: &MemoryStore{Now: clock.Now}}
	m, _ := newTestManager(t, Config{Store: bs, Now: clock.Now})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)

	if got, err := m.Lookup(b.request()); err != nil || got == nil || got.ID != s.ID {
		t.Fatalf("Lookup of a stored session = %v, %v", got, err)
	}
	down := errors.New("connection refused")
	bs.getErr = down
	got, err := m.Lookup(b.request())
	if got != nil || !errors.Is(err, ErrStore) || !errors.Is(err, down) {
		t.Fatalf("Lookup with a failing Get = %v, %v; want ErrStore wrapping the store's error", got, err)
	}
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("Load with a failing Get gave a session")
	}
	// A store that does not know the session is "no session", not a failure.
	bs.getErr = ErrNotFound
	if got, err := m.Lookup(b.request()); got != nil || err != nil {
		t.Fatalf("Lookup of an unknown id = %v, %v; want nil, nil", got, err)
	}
	// Cookie problems are "no session" too, whatever the store does.
	bs.getErr = down
	if got, err := m.Lookup(newBrowser().request()); got != nil || err != nil {
		t.Fatalf("Lookup without a cookie = %v, %v", got, err)
	}
	if got, err := m.Lookup(nil); got != nil || err != nil {
		t.Fatalf("Lookup(nil) = %v, %v", got, err)
	}
}

func TestDestroyReportsStoreFailureAndDeletesCookies(t *testing.T) {
	clock := newClock()
	bs := &brokenStore{MemoryStore: &MemoryStore{Now: clock.Now}}
	m, _ := newTestManager(t, Config{Store: bs, Now: clock.Now})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)

	readOnly := errors.New("READONLY You can't write against a read only replica")
	bs.deleteErr = readOnly
	rec := httptest.NewRecorder()
	err := m.Destroy(rec, b.request(), s)
	if !errors.Is(err, ErrStore) || !errors.Is(err, readOnly) {
		t.Fatalf("Destroy with a failing Delete = %v; want ErrStore wrapping the store's error", err)
	}
	deleted := false
	for _, c := range rec.Result().Cookies() {
		if c.Name == m.CookieName() && c.MaxAge < 0 {
			deleted = true
		}
	}
	if !deleted {
		t.Fatalf("Destroy with a failing store did not delete the cookie: %q", setCookies(rec))
	}
	bs.deleteErr = nil
	if err := m.Destroy(httptest.NewRecorder(), b.request(), s); err != nil {
		t.Fatalf("Destroy with a working store = %v", err)
	}
	if _, err := bs.MemoryStore.Get(context.Background(), s.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the session is still in the store: %v", err)
	}
	// Without a store there is nothing to fail.
	cm, _ := newTestManager(t, Config{})
	if err := cm.Destroy(httptest.NewRecorder(), nil, cm.New(nil)); err != nil {
		t.Fatalf("cookie-mode Destroy = %v", err)
	}
}

func TestSaveStoreErrorsMatchErrStore(t *testing.T) {
	down := errors.New("store down")
	m, _ := newTestManager(t, Config{Store: failingStore{down}})
	if err := m.Save(httptest.NewRecorder(), nil, m.New([]byte("x"))); !errors.Is(err, ErrStore) || !errors.Is(err, down) {
		t.Fatalf("Save with a failing Set = %v; want ErrStore", err)
	}
}

func TestCookiePath(t *testing.T) {
	for _, tc := range []struct {
		insecure   bool
		path, name string
	}{
		{false, "", "__Host-rp_session"},
		{false, "/", "__Host-rp_session"},
		{false, "/manage", "__Secure-rp_session"},
		{true, "/manage", "rp_session"},
	} {
		m, _ := newTestManager(t, Config{Path: tc.path, Insecure: tc.insecure})
		rec := httptest.NewRecorder()
		s := m.New([]byte(strings.Repeat("x", 10)))
		if err := m.Save(rec, nil, s); err != nil {
			t.Fatal(err)
		}
		want := tc.path
		if want == "" {
			want = "/"
		}
		c := rec.Result().Cookies()
		if m.CookieName() != tc.name || m.CookiePath() != want || len(c) != 1 || c[0].Name != tc.name || c[0].Path != want || c[0].Secure == tc.insecure {
			t.Errorf("Path %q insecure=%v: name %q path %q cookies %v; want %q at %q", tc.path, tc.insecure, m.CookieName(), m.CookiePath(), c, tc.name, want)
		}
		rec = httptest.NewRecorder()
		m.Destroy(rec, nil, s)
		if c := rec.Result().Cookies(); len(c) != 1 || c[0].Path != want || c[0].MaxAge >= 0 {
			t.Errorf("Path %q: Destroy wrote %v; want a deletion at the same path", tc.path, c)
		}
	}
	for _, bad := range []string{"manage", "/a b", "/a;b", "/a,b", "/\"", "/a\\b", "/\x00", "/é"} {
		_, err := New(Config{Secrets: [][]byte{secret(1)}, Path: bad})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "Path" {
			t.Errorf("Path %q: New = %v; want a Path problem", bad, err)
		}
	}
}

func TestMemoryStoreClockField(t *testing.T) {
	clock := newClock()
	s := NewMemoryStore()
	s.Now = clock.Now
	if err := s.Set(context.Background(), "id", []byte("x"), clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := s.Get(context.Background(), "id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after expiry by the store's clock = %v; want ErrNotFound", err)
	}
}
