package session_test

import (
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp/session"
	"github.com/oidcrp/rp/session/storetest"
)

// TestMemoryStoreConformance runs the Store conformance suite on
// MemoryStore, on the real clock and on a fake one that the suite moves.
func TestMemoryStoreConformance(t *testing.T) {
	t.Run("RealClock", func(t *testing.T) {
		storetest.Run(t, func(*testing.T) session.Store { return session.NewMemoryStore() })
	})
	t.Run("FakeClock", func(t *testing.T) {
		clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
		storetest.RunWith(t, func(*testing.T) session.Store {
			return &session.MemoryStore{Now: clock.now}
		}, storetest.Options{Now: clock.now, Advance: clock.advance})
	})
}

// fakeClock is a clock safe for concurrent use, as the suite's
// concurrency tests need.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
