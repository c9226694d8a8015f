package replay

import (
	"sync"
	"time"
)

// legacyCache is the cache as it was before it was sharded into rings: one
// map under one mutex, scanned whole once it is full. It is kept only as
// the baseline of the benchmarks in bench_test.go.
type legacyCache struct {
	mu   sync.Mutex
	max  int
	seen map[string]time.Time
}

func newLegacy(max int) *legacyCache {
	return &legacyCache{max: max, seen: make(map[string]time.Time)}
}

func (c *legacyCache) Use(key string, now, expiry time.Time) (reused bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.seen[key]; ok && now.Before(exp) {
		return true
	}
	if len(c.seen) >= c.max {
		for k, exp := range c.seen {
			if !now.Before(exp) {
				delete(c.seen, k)
			}
		}
		for k := range c.seen {
			if len(c.seen) < c.max {
				break
			}
			delete(c.seen, k)
		}
	}
	c.seen[key] = expiry
	return false
}
