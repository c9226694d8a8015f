package storetest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/storetest"
	"github.com/oidcrp/rp/internal/suitecheck"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) connection.Store {
		return connection.NewMemoryStore(connection.MemoryConfig{Now: now})
	})
}

// broken are stores that each break one rule of connection.Store, and
// subtests of the suite that must catch them (others may fail too).
var broken = []struct {
	name  string
	store func(m *connection.MemoryStore) connection.Store
	fails []string
}{
	{"PutIgnoresVersions", func(m *connection.MemoryStore) connection.Store { return ignoreVersions{m} },
		[]string{"CreateExisting", "StaleVersion", "ConcurrentSaves", "ConcurrentCreates"}},
	{"NoRetention", func(m *connection.MemoryStore) connection.Store { return latestOnly{m} },
		[]string{"Retention", "Secret", "VersionsImmutable"}},
	{"RetainsForever", func(m *connection.MemoryStore) connection.Store { return &forever{MemoryStore: m} },
		[]string{"Retention", "Delete"}},
	{"SharesMemory", func(m *connection.MemoryStore) connection.Store { return &aliasing{MemoryStore: m} },
		[]string{"Copies"}},
	{"RevisionFixed", func(m *connection.MemoryStore) connection.Store { return fixedRevision{m} },
		[]string{"Revision", "Delete"}},
	{"SecretNotReturned", func(m *connection.MemoryStore) connection.Store { return noSecret{m} },
		[]string{"Secret", "AllFieldsStored"}},
	{"DeleteDoesNothing", func(m *connection.MemoryStore) connection.Store { return noDelete{m} },
		[]string{"Delete", "RecreateContinuesVersions"}},
	{"WatchSilent", func(m *connection.MemoryStore) connection.Store { return silentWatch{m} },
		[]string{"Watch"}},
}

// TestSuiteCatchesBrokenStores runs the suite, in a child process, on the
// stores of broken, and checks that each fails where it should, and that
// MemoryStore passes.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	var cases []suitecheck.Case
	for _, b := range broken {
		cases = append(cases, suitecheck.Case{Name: b.name, Fails: b.fails, Run: func(t *testing.T) {
			storetest.RunWith(t, func(t *testing.T, now func() time.Time) connection.Store {
				return b.store(connection.NewMemoryStore(connection.MemoryConfig{Now: now}))
			}, storetest.Options{WatchTimeout: 500 * time.Millisecond}) // the silent watcher fails sooner
		}})
	}
	suitecheck.Run(t, cases)
}

// ignoreVersions saves every Put over whatever is stored.
type ignoreVersions struct{ *connection.MemoryStore }

func (s ignoreVersions) Put(ctx context.Context, c connection.Settings, by string) (connection.Settings, error) {
	c.Version = 0
	if cur, err := s.MemoryStore.Get(ctx, c.Name); err == nil {
		c.Version = cur.Version
	}
	return s.MemoryStore.Put(ctx, c, by)
}

// latestOnly returns only the latest version from GetVersion.
type latestOnly struct{ *connection.MemoryStore }

func (s latestOnly) GetVersion(ctx context.Context, name string, v int64) (connection.Settings, error) {
	cur, err := s.MemoryStore.Get(ctx, name)
	if err != nil || cur.Version != v {
		return connection.Settings{}, connection.ErrNotFound
	}
	return cur, nil
}

// forever keeps every version Put returned, deleted or superseded.
type forever struct {
	*connection.MemoryStore
	mu   sync.Mutex
	seen map[string]map[int64]connection.Settings
}

func (s *forever) Put(ctx context.Context, c connection.Settings, by string) (connection.Settings, error) {
	got, err := s.MemoryStore.Put(ctx, c, by)
	if err == nil {
		s.mu.Lock()
		if s.seen == nil {
			s.seen = map[string]map[int64]connection.Settings{}
		}
		if s.seen[got.Name] == nil {
			s.seen[got.Name] = map[int64]connection.Settings{}
		}
		s.seen[got.Name][got.Version] = got.Clone()
		s.mu.Unlock()
	}
	return got, err
}

func (s *forever) GetVersion(ctx context.Context, name string, v int64) (connection.Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.seen[name][v]; ok {
		return c.Clone(), nil
	}
	return connection.Settings{}, connection.ErrNotFound
}

// aliasing hands out the same maps and slices for every Get of a name.
type aliasing struct {
	*connection.MemoryStore
	mu   sync.Mutex
	last map[string]connection.Settings
}

func (s *aliasing) Get(ctx context.Context, name string) (connection.Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.MemoryStore.Get(ctx, name)
	if err != nil {
		return cur, err
	}
	if prev, ok := s.last[name]; ok && prev.Version == cur.Version {
		return prev, nil
	}
	if s.last == nil {
		s.last = map[string]connection.Settings{}
	}
	s.last[name] = cur
	return cur, nil
}

// fixedRevision never changes its revision.
type fixedRevision struct{ *connection.MemoryStore }

func (fixedRevision) Revision(context.Context) (int64, error) { return 1, nil }

// noSecret returns settings without the opened secret.
type noSecret struct{ *connection.MemoryStore }

func (s noSecret) Get(ctx context.Context, name string) (connection.Settings, error) {
	c, err := s.MemoryStore.Get(ctx, name)
	c.ClientSecret.Value = ""
	return c, err
}

// noDelete ignores Delete.
type noDelete struct{ *connection.MemoryStore }

func (noDelete) Delete(context.Context, string, int64) error { return nil }

// silentWatch never calls back.
type silentWatch struct{ *connection.MemoryStore }

func (silentWatch) Watch(ctx context.Context, _ func()) error {
	<-ctx.Done()
	return ctx.Err()
}
