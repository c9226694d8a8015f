package storetest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp/internal/suitecheck"
	"github.com/oidcrp/rp/session"
	"github.com/oidcrp/rp/session/storetest"
)

// broken are stores that each break one rule of session.Store, and the
// subtests of the suite that must catch them (others may fail too).
var broken = []struct {
	name  string
	store func() session.Store
	fails []string
}{
	{"DeleteDoesNothing", func() session.Store { return noDelete{session.NewMemoryStore()} },
		[]string{"Delete", "IDsAreExact", "Concurrent"}},
	{"SetIgnoresPastExpiry", func() session.Store { return keepPast{session.NewMemoryStore()} },
		[]string{"SetPastExpiry", "IndexExpiredSession"}},
	{"GetUnknownIsNil", func() session.Store { return nilUnknown{session.NewMemoryStore()} },
		[]string{"GetUnknown", "SetPastExpiry", "Delete"}},
	{"GetSharesMemory", func() session.Store { return &aliasing{MemoryStore: session.NewMemoryStore()} },
		[]string{"SetGet"}},
	{"DeleteIndexedDoesNothing", func() session.Store { return noRevoke{session.NewMemoryStore()} },
		[]string{"IndexSeveralSessionsUnderOneKey", "IndexOneSessionUnderSeveralKeys", "ConcurrentIndex"}},
	{"IndexKeysTruncated", func() session.Store { return truncatedKeys{session.NewMemoryStore()} },
		[]string{"IndexKeysAreExact"}},
	{"DeleteIndexedKeepsKey", func() session.Store { return &keepsKey{MemoryStore: session.NewMemoryStore()} },
		[]string{"DeleteIndexedForgetsKey"}},
}

// TestSuiteCatchesBrokenStores runs the suite, in a child process, on the
// stores of broken, and checks that each fails where it should, and that
// a correct store passes.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	cases := []suitecheck.Case{{Name: "Correct", Run: func(t *testing.T) {
		storetest.Run(t, func(*testing.T) session.Store { return session.NewMemoryStore() })
	}}}
	for _, b := range broken {
		cases = append(cases, suitecheck.Case{Name: b.name, Fails: b.fails, Run: func(t *testing.T) {
			storetest.Run(t, func(*testing.T) session.Store { return b.store() })
		}})
	}
	suitecheck.Run(t, cases)
}

type noDelete struct{ *session.MemoryStore }

func (noDelete) Delete(context.Context, string) error { return nil }

type keepPast struct{ *session.MemoryStore }

func (k keepPast) Set(ctx context.Context, id string, data []byte, expiry time.Time) error {
	if !time.Now().Before(expiry) {
		expiry = time.Now().Add(time.Hour)
	}
	return k.MemoryStore.Set(ctx, id, data, expiry)
}

type nilUnknown struct{ *session.MemoryStore }

func (n nilUnknown) Get(ctx context.Context, id string) ([]byte, error) {
	data, err := n.MemoryStore.Get(ctx, id)
	if err == session.ErrNotFound {
		return nil, nil
	}
	return data, err
}

// aliasing hands out the same slice for every Get of an id.
type aliasing struct {
	*session.MemoryStore
	mu   sync.Mutex
	last map[string][]byte
}

func (a *aliasing) Get(ctx context.Context, id string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if data, ok := a.last[id]; ok {
		return data, nil
	}
	data, err := a.MemoryStore.Get(ctx, id)
	if err == nil {
		if a.last == nil {
			a.last = map[string][]byte{}
		}
		a.last[id] = data
	}
	return data, err
}

type noRevoke struct{ *session.MemoryStore }

func (noRevoke) DeleteIndexed(context.Context, string) (int, error) { return 0, nil }

// truncatedKeys files under the first 6 bytes of each key only.
type truncatedKeys struct{ *session.MemoryStore }

func short(k string) string { return k[:min(len(k), 6)] }

func (s truncatedKeys) Index(ctx context.Context, id string, keys []string, expiry time.Time) error {
	cut := make([]string, len(keys))
	for i, k := range keys {
		cut[i] = short(k)
	}
	return s.MemoryStore.Index(ctx, id, cut, expiry)
}

func (s truncatedKeys) DeleteIndexed(ctx context.Context, key string) (int, error) {
	return s.MemoryStore.DeleteIndexed(ctx, short(key))
}

// keepsKey files every session again under every key it was revoked by.
type keepsKey struct {
	*session.MemoryStore
	mu    sync.Mutex
	filed map[string][]string
}

func (s *keepsKey) Index(ctx context.Context, id string, keys []string, expiry time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.filed == nil {
		s.filed = map[string][]string{}
	}
	for _, k := range keys {
		s.filed[k] = append(s.filed[k], id)
	}
	return s.MemoryStore.Index(ctx, id, keys, expiry)
}

func (s *keepsKey) DeleteIndexed(ctx context.Context, key string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.MemoryStore.DeleteIndexed(ctx, key)
	for _, id := range s.filed[key] {
		_ = s.MemoryStore.Index(ctx, id, []string{key}, time.Now().Add(time.Hour))
	}
	return n, err
}
