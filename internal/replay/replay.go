// Package replay remembers values that may be used once, until they expire,
// so that a second use can be recognised.
//
// The cache is sharded by a seeded hash of the key, and each shard keeps its
// keys in insertion order in a ring. Use costs one hash, one map look-up and
// at most a few ring steps under one shard's lock, whatever the fill level:
// nothing ever scans the cache. When a shard is full the key it received
// longest ago is forgotten, so a flood of logins can only make the oldest
// logins' replay protection end early; it never slows anyone down or
// refuses anyone.
package replay

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

const (
	// maxShards bounds the number of shards; a power of two.
	maxShards = 64
	// initialRing is the ring size a shard starts with; it doubles up to
	// the shard's capacity as keys arrive, so an idle cache stays small.
	initialRing = 16
	// expiredPerUse bounds how many expired keys one Use forgets from the
	// old end of a shard's ring, keeping each Use's work constant. Since it
	// exceeds the one key a Use adds, expired keys are soon all gone.
	expiredPerUse = 2
)

// Cache records used keys until their expiry. It is safe for concurrent use
// and holds at most the number of keys given to New; see the package
// documentation for what is forgotten when it is full.
type Cache struct {
	seed   maphash.Seed
	mask   uint64
	shards []shard
}

// shard is one lock's worth of the cache. ring[head], ring[head+1], ...
// (modulo len(ring)) are its n keys from oldest to newest; seen maps each
// remembered key to its expiry. A key used again after it expired has an
// older slot too; that slot no longer matches seen and removes nothing.
type shard struct {
	mu    sync.Mutex
	seen  map[string]int64 // key -> expiry, as a stamp
	ring  []slot
	head  int
	n     int
	limit int // capacity: the most keys this shard holds
	_     [64]byte
}

type slot struct {
	key    string
	expiry int64
}

// New returns a cache holding at most size keys (at least one). Memory grows
// with the keys held, up to about 100 bytes per key at the limit.
func New(size int) *Cache {
	return newCache(size, maxShards)
}

// newCache returns a cache with at most shards shards (rounded down to a
// power of two and to no more than size), each holding size/shards keys.
func newCache(size, shards int) *Cache {
	size = max(size, 1)
	n := 1
	for n*2 <= shards && n*2 <= size {
		n *= 2
	}
	c := &Cache{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]shard, n)}
	for i := range c.shards {
		c.shards[i].limit = size / n
	}
	return c
}

// Use records key as used until expiry and reports whether it had already
// been used and not yet expired at now. A key whose expiry is not after now
// is not recorded, as it could not be reused anyway.
func (c *Cache) Use(key string, now, expiry time.Time) (reused bool) {
	s := &c.shards[maphash.String(c.seed, key)&c.mask]
	t, e := stamp(now), stamp(expiry)
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.seen[key]; ok && t < exp {
		return true
	}
	if t >= e {
		return false
	}
	s.add(key, e, t)
	return false
}

// Seen reports whether key was recorded by Use and has not expired at now,
// without recording anything.
func (c *Cache) Seen(key string, now time.Time) bool {
	s := &c.shards[maphash.String(c.seed, key)&c.mask]
	s.mu.Lock()
	exp, ok := s.seen[key]
	s.mu.Unlock()
	return ok && stamp(now) < exp
}

// add records key until expiry, first forgetting a few keys expired at now
// from the old end of the ring and, when the shard is full, its oldest key.
func (s *shard) add(key string, expiry, now int64) {
	for i := 0; i < expiredPerUse && s.n > 0 && s.ring[s.head].expiry <= now; i++ {
		s.dropOldest()
	}
	if s.n == s.limit {
		s.dropOldest()
	}
	if s.n == len(s.ring) {
		s.grow()
	}
	if s.seen == nil {
		s.seen = make(map[string]int64)
	}
	s.ring[(s.head+s.n)%len(s.ring)] = slot{key, expiry}
	s.n++
	s.seen[key] = expiry
}

// dropOldest forgets the shard's oldest key, unless that key was recorded
// again since (it then has a newer slot, which owns the map entry).
func (s *shard) dropOldest() {
	old := s.ring[s.head]
	if exp, ok := s.seen[old.key]; ok && exp == old.expiry {
		delete(s.seen, old.key)
	}
	s.ring[s.head] = slot{}
	s.head = (s.head + 1) % len(s.ring)
	s.n--
}

// grow doubles the ring, up to the shard's limit, keeping the order. Each
// key is copied O(1) times on average over the ring's growth.
func (s *shard) grow() {
	size := min(max(2*len(s.ring), initialRing), s.limit)
	ring := make([]slot, size)
	for i := range s.n {
		ring[i] = s.ring[(s.head+i)%len(s.ring)]
	}
	s.ring, s.head = ring, 0
}

// len returns the number of keys the cache remembers, for tests.
func (c *Cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.seen)
		s.mu.Unlock()
	}
	return n
}

// stamp turns t into nanoseconds since 1970. Times outside the years 1678 to
// 2262 are clamped to that range instead of overflowing, so they still
// compare correctly with any time inside it.
func stamp(t time.Time) int64 {
	const limit = math.MaxInt64/int64(time.Second) - 1
	switch secs := t.Unix(); {
	case secs > limit:
		return math.MaxInt64
	case secs < -limit:
		return math.MinInt64
	}
	return t.UnixNano()
}
