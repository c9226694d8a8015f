package session

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMemoryStoreIndexSeveralSessionsUnderOneKey: DeleteIndexed of a key
// deletes every session filed under it, counts them, and leaves the
// sessions filed elsewhere.
func TestMemoryStoreIndexSeveralSessionsUnderOneKey(t *testing.T) {
	clock := newClock()
	s := &MemoryStore{Now: clock.Now}
	ctx := context.Background()
	exp := clock.Now().Add(time.Hour)
	for _, id := range []string{"a1", "a2", "a3"} {
		if err := s.Index(ctx, id, []string{"user:alice"}, exp); err != nil {
			t.Fatalf("Index(%s): %v", id, err)
		}
		_ = s.Set(ctx, id, []byte(id), exp)
	}
	_ = s.Index(ctx, "b1", []string{"user:bob"}, exp)
	_ = s.Set(ctx, "b1", []byte("b1"), exp)

	n, err := s.DeleteIndexed(ctx, "user:alice")
	if n != 3 || err != nil {
		t.Fatalf("DeleteIndexed(user:alice) = %d, %v; want 3, nil", n, err)
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s) after DeleteIndexed = %v; want ErrNotFound", id, err)
		}
	}
	if got, err := s.Get(ctx, "b1"); err != nil || string(got) != "b1" {
		t.Fatalf("Get(b1), filed under another key, = %q, %v; want b1", got, err)
	}
	if _, ok := s.index["user:alice"]; ok {
		t.Fatal("DeleteIndexed left its index entry")
	}
	if n, err := s.DeleteIndexed(ctx, "user:alice"); n != 0 || err != nil {
		t.Fatalf("second DeleteIndexed = %d, %v; want 0, nil", n, err)
	}
	if n, err := s.DeleteIndexed(ctx, "never filed"); n != 0 || err != nil {
		t.Fatalf("DeleteIndexed of an unknown key = %d, %v; want 0, nil", n, err)
	}
}

// TestMemoryStoreIndexOneSessionUnderSeveralKeys: a session filed under
// several keys is ended by any of them, and counted once.
func TestMemoryStoreIndexOneSessionUnderSeveralKeys(t *testing.T) {
	clock := newClock()
	s := &MemoryStore{Now: clock.Now}
	ctx := context.Background()
	exp := clock.Now().Add(time.Hour)
	keys := []string{"sid:op1:xyz", "sub:op1:alice", "user:42"}
	_ = s.Index(ctx, "id", keys, exp)
	_ = s.Set(ctx, "id", []byte("x"), exp)
	for _, k := range keys {
		if _, ok := s.index[k]["id"]; !ok {
			t.Fatalf("the session is not filed under %q", k)
		}
	}
	if n, err := s.DeleteIndexed(ctx, "sub:op1:alice"); n != 1 || err != nil {
		t.Fatalf("DeleteIndexed = %d, %v; want 1, nil", n, err)
	}
	if _, err := s.Get(ctx, "id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after DeleteIndexed = %v; want ErrNotFound", err)
	}
	// The other keys still list the id, but the session is gone and
	// counts no more.
	if n, err := s.DeleteIndexed(ctx, "sid:op1:xyz"); n != 0 || err != nil {
		t.Fatalf("DeleteIndexed of another key of a deleted session = %d, %v; want 0, nil", n, err)
	}
}

// TestMemoryStoreIndexExpiry: an index entry lasts until its expiry (the
// later one when filed twice), an entry for an expiry already passed is
// not filed, expired entries are swept, and expired sessions are not
// counted.
func TestMemoryStoreIndexExpiry(t *testing.T) {
	clock := newClock()
	s := &MemoryStore{Now: clock.Now}
	ctx := context.Background()
	now := clock.Now()

	if err := s.Index(ctx, "past", []string{"k"}, now); err != nil {
		t.Fatalf("Index with a past expiry: %v", err)
	}
	if len(s.index) != 0 {
		t.Fatalf("Index with an expiry not after now filed %v", s.index)
	}

	_ = s.Index(ctx, "id", []string{"k"}, now.Add(time.Hour))
	_ = s.Index(ctx, "id", []string{"k"}, now.Add(2*time.Hour))
	_ = s.Index(ctx, "id", []string{"k"}, now.Add(30*time.Minute))
	if got := s.index["k"]["id"]; !got.Equal(now.Add(2 * time.Hour)) {
		t.Fatalf("index entry expires at %v; want the latest expiry filed, %v", got, now.Add(2*time.Hour))
	}

	// An expired session is deleted but not counted.
	_ = s.Index(ctx, "short", []string{"k2"}, now.Add(time.Hour))
	_ = s.Set(ctx, "short", []byte("x"), now.Add(time.Minute))
	_ = s.Index(ctx, "long", []string{"k2"}, now.Add(time.Hour))
	_ = s.Set(ctx, "long", []byte("x"), now.Add(time.Hour))
	clock.Advance(time.Minute)
	if n, err := s.DeleteIndexed(ctx, "k2"); n != 1 || err != nil {
		t.Fatalf("DeleteIndexed with one live and one expired session = %d, %v; want 1, nil", n, err)
	}
	if s.Len() != 0 {
		t.Fatalf("DeleteIndexed left %d entries; want the expired one dropped too", s.Len())
	}

	// The sweep of Set drops index entries past their expiry.
	clock.Advance(2 * time.Hour)
	_ = s.Set(ctx, "other", []byte("x"), clock.Now().Add(time.Hour))
	if len(s.index) != 0 {
		t.Fatalf("index after the sweep = %v; want expired entries gone", s.index)
	}
}

// TestMemoryStoreIndexConcurrent files, stores and deletes sessions from
// several goroutines (run with -race), then checks the counts.
func TestMemoryStoreIndexConcurrent(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	done := make(chan int)
	for g := range 8 {
		go func() {
			key := "user:" + string(rune('a'+g))
			for i := range 20 {
				id := key + ":" + strings.Repeat("x", i)
				_ = s.Index(ctx, id, []string{key, "all"}, exp)
				_ = s.Set(ctx, id, []byte(id), exp)
			}
			n, _ := s.DeleteIndexed(ctx, key)
			done <- n
		}()
	}
	total := 0
	for range 8 {
		total += <-done
	}
	if total != 160 {
		t.Fatalf("the goroutines' DeleteIndexed deleted %d sessions; want 160", total)
	}
	if s.Len() != 0 {
		t.Fatalf("%d sessions left", s.Len())
	}
}

// recordingStore is a MemoryStore that records the calls made to it and
// can make Index fail.
type recordingStore struct {
	*MemoryStore
	calls    []string
	indexed  [][]string
	expiries []time.Time
	indexErr error
}

func (r *recordingStore) Set(ctx context.Context, id string, data []byte, expiry time.Time) error {
	r.calls = append(r.calls, "Set")
	return r.MemoryStore.Set(ctx, id, data, expiry)
}

func (r *recordingStore) Index(ctx context.Context, id string, keys []string, expiry time.Time) error {
	r.calls = append(r.calls, "Index")
	if r.indexErr != nil {
		return r.indexErr
	}
	r.indexed = append(r.indexed, slices.Clone(keys))
	r.expiries = append(r.expiries, expiry)
	return r.MemoryStore.Index(ctx, id, keys, expiry)
}

func newRecordingManager(t *testing.T) (*Manager, *recordingStore, *fakeClock) {
	t.Helper()
	clock := newClock()
	rs := &recordingStore{MemoryStore: &MemoryStore{Now: clock.Now}}
	m, _ := newTestManager(t, Config{Store: rs, Now: clock.Now, AbsoluteTimeout: 8 * time.Hour, IdleTimeout: time.Hour})
	return m, rs, clock
}

// TestSaveIndexesBeforeFirstSet: a new session with an Index is filed
// under its keys, until its absolute timeout, before it is first stored;
// DeleteIndexed of a key then ends it for its cookie.
func TestSaveIndexesBeforeFirstSet(t *testing.T) {
	m, rs, clock := newRecordingManager(t)
	b := newBrowser()
	s := m.New([]byte("x"))
	s.Index = []string{"sid:op:1", "sub:op:alice"}
	b.save(t, m, s)
	if want := []string{"Index", "Set"}; !slices.Equal(rs.calls, want) {
		t.Fatalf("store calls = %v; want %v", rs.calls, want)
	}
	if len(rs.indexed) != 1 || !slices.Equal(rs.indexed[0], s.Index) {
		t.Fatalf("Index got keys %v; want %v", rs.indexed, s.Index)
	}
	if want := clock.Now().Add(8 * time.Hour); !rs.expiries[0].Equal(want) {
		t.Fatalf("Index expiry = %v; want the absolute timeout %v", rs.expiries[0], want)
	}
	if _, ok := m.Load(b.request()); !ok {
		t.Fatal("the indexed session does not load")
	}
	if n, err := rs.DeleteIndexed(context.Background(), "sub:op:alice"); n != 1 || err != nil {
		t.Fatalf("DeleteIndexed = %d, %v; want 1, nil", n, err)
	}
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("the session still loads after DeleteIndexed of one of its keys")
	}
}

// TestSaveIndexFailureStoresNothing: when Index fails, Save stores
// nothing, writes no cookie, and returns an error matching ErrStore and
// wrapping the store's error.
func TestSaveIndexFailureStoresNothing(t *testing.T) {
	m, rs, _ := newRecordingManager(t)
	down := errors.New("index down")
	rs.indexErr = down
	s := m.New([]byte("x"))
	s.Index = []string{"sub:op:alice"}
	rec := httptest.NewRecorder()
	err := m.Save(rec, nil, s)
	if !errors.Is(err, ErrStore) || !errors.Is(err, down) {
		t.Fatalf("Save with a failing Index = %v; want ErrStore wrapping the store's error", err)
	}
	if !slices.Equal(rs.calls, []string{"Index"}) || rs.Len() != 0 {
		t.Fatalf("store calls = %v, %d entries; want only the failed Index", rs.calls, rs.Len())
	}
	if h := setCookies(rec); len(h) != 0 {
		t.Fatalf("Save with a failing Index wrote %q", h)
	}
	if s.stored {
		t.Fatal("a session whose Save failed counts as stored")
	}
	// Once the store works, the same session saves and is indexed.
	rs.indexErr = nil
	if err := m.Save(httptest.NewRecorder(), nil, s); err != nil {
		t.Fatalf("Save once Index works: %v", err)
	}
	if len(rs.indexed) != 1 {
		t.Fatalf("Index succeeded %d times; want 1", len(rs.indexed))
	}
}

// TestSaveIndexLimits: Save refuses more than 8 keys, an empty key and
// one longer than MaxIndexKey, calling the store not at all; 8 keys of
// MaxIndexKey bytes are accepted.
func TestSaveIndexLimits(t *testing.T) {
	long := strings.Repeat("k", MaxIndexKey)
	var eightLong []string
	for i := range 8 {
		eightLong = append(eightLong, strings.Repeat(string(rune('a'+i)), MaxIndexKey))
	}
	for _, tc := range []struct {
		name string
		keys []string
		ok   bool
	}{
		{"nine keys", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, false},
		{"an empty key", []string{"sub:a", ""}, false},
		{"a key over MaxIndexKey", []string{long + "k"}, false},
		{"eight keys of MaxIndexKey", eightLong, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, rs, _ := newRecordingManager(t)
			s := m.New([]byte("x"))
			s.Index = tc.keys
			rec := httptest.NewRecorder()
			err := m.Save(rec, nil, s)
			if tc.ok {
				if err != nil || !slices.Equal(rs.calls, []string{"Index", "Set"}) {
					t.Fatalf("Save = %v, store calls %v; want nil and Index, Set", err, rs.calls)
				}
				return
			}
			if !errors.Is(err, errBadIndex) {
				t.Fatalf("Save = %v; want errBadIndex", err)
			}
			if len(rs.calls) != 0 || len(setCookies(rec)) != 0 {
				t.Fatalf("Save of a bad Index made store calls %v and wrote %q", rs.calls, setCookies(rec))
			}
		})
	}
}

// TestSaveIndexesOnce: a session already stored (saved before, or loaded)
// is not filed again, even with a new Index; without a Store, Index is
// ignored.
func TestSaveIndexesOnce(t *testing.T) {
	m, rs, clock := newRecordingManager(t)
	b := newBrowser()
	s := m.New([]byte("x"))
	s.Index = []string{"sub:op:alice"}
	b.save(t, m, s)
	s.Index = []string{"sub:op:mallory"}
	b.save(t, m, s)
	clock.Advance(30 * time.Minute)
	loaded, ok := m.Load(b.request())
	if !ok {
		t.Fatal("no session")
	}
	if loaded.Index != nil {
		t.Fatalf("a loaded session has Index %v; want none", loaded.Index)
	}
	loaded.Index = []string{"sub:op:eve"}
	b.save(t, m, loaded)
	if want := []string{"Index", "Set", "Set", "Set"}; !slices.Equal(rs.calls, want) {
		t.Fatalf("store calls = %v; want %v", rs.calls, want)
	}
	if len(rs.indexed) != 1 || !slices.Equal(rs.indexed[0], []string{"sub:op:alice"}) {
		t.Fatalf("filed under %v; want only the first Index", rs.indexed)
	}

	cm, _ := newTestManager(t, Config{})
	cs := cm.New([]byte("x"))
	cs.Index = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}
	if err := cm.Save(httptest.NewRecorder(), nil, cs); err != nil {
		t.Fatalf("cookie-mode Save with an Index = %v; want it ignored", err)
	}
}
