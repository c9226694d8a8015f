package session

import (
	"bytes"
	"context"
	"sync"
	"time"
)

var _ Store = (*MemoryStore)(nil)

// sweepInterval is the least time between two sweeps of expired entries.
const sweepInterval = time.Minute

// MemoryStore is a Store that keeps sessions in this process's memory: they
// are lost on restart and not shared between instances, which suits tests,
// development and single-instance apps. Expired entries are dropped when
// Get finds them and, at most once a minute, by a sweep during Set, so
// memory follows the number of live sessions. It ignores contexts and
// never fails. The zero value is ready to use, with time.Now as its clock.
type MemoryStore struct {
	// Now is the store's clock, deciding when entries expire. Default
	// time.Now; tests set it to the clock the Manager uses (Config.Now),
	// before the store is first used.
	Now func() time.Time

	mu        sync.Mutex
	entries   map[string]memEntry
	index     map[string]map[string]time.Time // key -> id -> expiry
	lastSweep time.Time
}

// memEntry is one stored session.
type memEntry struct {
	data   []byte
	expiry time.Time
}

// NewMemoryStore returns an empty MemoryStore using time.Now; set its Now
// field for another clock.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{}
}

// clock returns the current time of s.
func (s *MemoryStore) clock() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Get returns a copy of the data stored for id, or ErrNotFound when id is
// unknown or expired (an expired entry is dropped).
func (s *MemoryStore) Get(_ context.Context, id string) ([]byte, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return nil, ErrNotFound
	}
	if !now.Before(e.expiry) {
		delete(s.entries, id)
		return nil, ErrNotFound
	}
	return bytes.Clone(e.data), nil
}

// Set stores a copy of data for id until expiry; an expiry that has
// already passed removes id instead. It may first sweep out expired
// entries. It never fails.
func (s *MemoryStore) Set(_ context.Context, id string, data []byte, expiry time.Time) error {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = make(map[string]memEntry)
	}
	if now.Sub(s.lastSweep) >= sweepInterval || now.Before(s.lastSweep) {
		for k, e := range s.entries {
			if !now.Before(e.expiry) {
				delete(s.entries, k)
			}
		}
		for k, ids := range s.index {
			for id, exp := range ids {
				if !now.Before(exp) {
					delete(ids, id)
				}
			}
			if len(ids) == 0 {
				delete(s.index, k)
			}
		}
		s.lastSweep = now
	}
	if !now.Before(expiry) {
		delete(s.entries, id)
		return nil
	}
	s.entries[id] = memEntry{data: bytes.Clone(data), expiry: expiry}
	return nil
}

// Delete removes id, if present. It never fails.
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, id)
	return nil
}

// Index files id under each of keys until expiry. Entries past their
// expiry are dropped by DeleteIndexed and by the sweep of Set. It never
// fails.
func (s *MemoryStore) Index(_ context.Context, id string, keys []string, expiry time.Time) error {
	if !s.clock().Before(expiry) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index == nil {
		s.index = make(map[string]map[string]time.Time)
	}
	for _, k := range keys {
		ids := s.index[k]
		if ids == nil {
			ids = make(map[string]time.Time)
			s.index[k] = ids
		}
		if exp, ok := ids[id]; !ok || exp.Before(expiry) {
			ids[id] = expiry
		}
	}
	return nil
}

// DeleteIndexed deletes every live session filed under key, forgets key,
// and returns how many sessions it deleted. It never fails.
func (s *MemoryStore) DeleteIndexed(_ context.Context, key string) (int, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id := range s.index[key] {
		if e, ok := s.entries[id]; ok {
			delete(s.entries, id)
			if now.Before(e.expiry) {
				n++
			}
		}
	}
	delete(s.index, key)
	return n, nil
}

// Len returns the number of entries held, including expired ones not yet
// dropped.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
