// Package replay remembers values that may be used once, until they expire,
// so that a second use can be recognised.
package replay

import (
	"sync"
	"time"
)

// Cache records used keys until their expiry. It is safe for concurrent use.
// When full it first forgets expired keys and then, if still full, arbitrary
// ones: memory stays bounded, at the price of missing some replays under a
// flood.
type Cache struct {
	mu   sync.Mutex
	max  int
	seen map[string]time.Time
}

// New returns a cache holding at most max keys.
func New(max int) *Cache {
	return &Cache{max: max, seen: make(map[string]time.Time)}
}

// Use records key as used until expiry and reports whether it had already
// been used and not yet expired at now.
func (c *Cache) Use(key string, now, expiry time.Time) (reused bool) {
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
