package web

import (
	"bytes"
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// The bounds of the default, in-memory SharedStore.
const (
	memSharedShards  = 64       // a power of two
	memSharedEntries = 200_000  // keys held at most, over all shards
	memSharedBytes   = 64 << 20 // bytes of keys and values held at most
	memItemOverhead  = 96       // bytes counted per entry besides key and value
	memExpiredPerOp  = 2        // expired entries a write forgets, oldest first
	maxSharedKey     = 200      // SharedStore key limit
	maxSharedValue   = 64 << 10 // SharedStore value limit
)

// errSharedLimits is the in-memory store's answer to a key or value
// outside the limits SharedStore documents: a bug of the caller.
var errSharedLimits = errors.New("web: shared store key not printable ASCII of 1 to 200 bytes, or value over 64 KiB")

// memShared is the SharedStore a Site uses when Config.Shared is nil: this
// process's memory, seen by no other instance. It is sharded by a seeded
// hash of the key; each shard keeps its entries in a map and in a list in
// the order they were written, so that every operation is O(1): a write
// forgets a few expired entries from the old end of its shard's list and,
// when the shard is full (in entries or in bytes), its oldest entries. A
// flood of writes can thus only make the oldest entries end early.
type memShared struct {
	seed                   maphash.Seed
	now                    func() time.Time
	shardItems, shardBytes int // bounds of each shard
	shards                 [memSharedShards]memShard
}

type memShard struct {
	mu         sync.Mutex
	m          map[string]*memItem
	head, tail *memItem // oldest and newest
	bytes      int
	_          [64]byte // keeps shards' locks on separate cache lines
}

type memItem struct {
	key        string
	value      []byte
	expiry     int64 // Unix nanoseconds
	prev, next *memItem
}

func newMemShared(now func() time.Time) *memShared {
	return newMemSharedLimits(now, memSharedEntries, memSharedBytes)
}

// newMemSharedLimits is newMemShared holding at most entries entries and
// bytes bytes (each split evenly over the shards).
func newMemSharedLimits(now func() time.Time, entries, bytes int) *memShared {
	return &memShared{seed: maphash.MakeSeed(), now: now,
		shardItems: max(entries/memSharedShards, 1), shardBytes: max(bytes/memSharedShards, maxSharedValue+maxSharedKey+memItemOverhead)}
}

func (s *memShared) shard(key string) *memShard {
	return &s.shards[maphash.String(s.seed, key)&(memSharedShards-1)]
}

// printableASCII reports whether s is 1 to max bytes of printable ASCII
// without spaces: a SharedStore key, a provider's sid.
func printableASCII(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Add sets key to value until expiry unless key holds a value that has
// not expired, and reports whether it did. An expiry already passed
// stores nothing and reports true.
func (s *memShared) Add(_ context.Context, key string, value []byte, expiry time.Time) (bool, error) {
	if !printableASCII(key, maxSharedKey) || len(value) > maxSharedValue {
		return false, errSharedLimits
	}
	now := s.now().UnixNano()
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.live(key, now) != nil {
		return false, nil
	}
	sh.insert(key, value, expiry.UnixNano(), now, s.shardItems, s.shardBytes)
	return true, nil
}

// Put sets key to value until expiry, replacing what it held.
func (s *memShared) Put(_ context.Context, key string, value []byte, expiry time.Time) error {
	if !printableASCII(key, maxSharedKey) || len(value) > maxSharedValue {
		return errSharedLimits
	}
	now := s.now().UnixNano()
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if it := sh.m[key]; it != nil {
		sh.unlink(it)
	}
	sh.insert(key, value, expiry.UnixNano(), now, s.shardItems, s.shardBytes)
	return nil
}

// Get returns copies of the values of keys, nil for those holding nothing.
func (s *memShared) Get(_ context.Context, keys ...string) ([][]byte, error) {
	now := s.now().UnixNano()
	out := make([][]byte, len(keys))
	for i, key := range keys {
		sh := s.shard(key)
		sh.mu.Lock()
		if it := sh.live(key, now); it != nil {
			out[i] = append([]byte{}, it.value...) // never nil: nil means nothing
		}
		sh.mu.Unlock()
	}
	return out, nil
}

// Remove deletes key if it holds value.
func (s *memShared) Remove(_ context.Context, key string, value []byte) error {
	now := s.now().UnixNano()
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if it := sh.live(key, now); it != nil && bytes.Equal(it.value, value) {
		sh.unlink(it)
	}
	return nil
}

// live returns key's entry if it has not expired at now, forgetting it if
// it has.
func (sh *memShard) live(key string, now int64) *memItem {
	it := sh.m[key]
	if it != nil && it.expiry <= now {
		sh.unlink(it)
		return nil
	}
	return it
}

// insert adds key as the newest entry, after forgetting a few expired
// entries and, while the shard would hold more than maxItems entries or
// maxBytes bytes, its oldest ones. A value whose expiry is not after now
// is not stored.
func (sh *memShard) insert(key string, value []byte, expiry, now int64, maxItems, maxBytes int) {
	for i := 0; i < memExpiredPerOp && sh.head != nil && sh.head.expiry <= now; i++ {
		sh.unlink(sh.head)
	}
	if expiry <= now {
		return
	}
	size := len(key) + len(value) + memItemOverhead
	for sh.head != nil && (len(sh.m) >= maxItems || sh.bytes+size > maxBytes) {
		sh.unlink(sh.head)
	}
	if sh.m == nil {
		sh.m = make(map[string]*memItem)
	}
	it := &memItem{key: key, value: append([]byte{}, value...), expiry: expiry, prev: sh.tail}
	if sh.tail != nil {
		sh.tail.next = it
	} else {
		sh.head = it
	}
	sh.tail = it
	sh.m[key] = it
	sh.bytes += size
}

// unlink forgets it.
func (sh *memShard) unlink(it *memItem) {
	if it.prev != nil {
		it.prev.next = it.next
	} else {
		sh.head = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	} else {
		sh.tail = it.prev
	}
	it.prev, it.next = nil, nil
	delete(sh.m, it.key)
	sh.bytes -= len(it.key) + len(it.value) + memItemOverhead
}

// len returns the number of entries held, expired ones included, for
// tests.
func (s *memShared) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
