package connection

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryConfig configures a MemoryStore.
type MemoryConfig struct {
	// Now is the clock that dates versions and decides when a superseded
	// one stops being retained. Default time.Now.
	Now func() time.Time
}

// MemoryStore is a Store (and a Watcher) in the memory of one process, for
// tests, examples and single-instance applications that keep their
// connections elsewhere. Secrets are held in clear in memory. It is safe
// for concurrent use; the zero value is not usable, call NewMemoryStore.
type MemoryStore struct {
	now func() time.Time

	mu       sync.Mutex
	conns    map[string]*memConn
	revision int64
	watchers map[*memWatcher]struct{}
}

// memConn is one connection's history.
type memConn struct {
	versions []memVersion // oldest first; the last is the latest
	deleted  bool
}

// memVersion is one stored version and when it was superseded (zero for
// the latest).
type memVersion struct {
	s          Settings
	superseded time.Time
}

type memWatcher struct{ ch chan struct{} }

var (
	_ Store   = (*MemoryStore)(nil)
	_ Watcher = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(cfg MemoryConfig) *MemoryStore {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &MemoryStore{now: cfg.Now, conns: map[string]*memConn{}, watchers: map[*memWatcher]struct{}{}}
}

// List implements Store.
func (m *MemoryStore) List(ctx context.Context) ([]Settings, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Settings, 0, len(m.conns))
	for _, c := range m.conns {
		if !c.deleted {
			out = append(out, c.latest().Clone())
		}
	}
	slices.SortFunc(out, func(a, b Settings) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, name string) (Settings, error) {
	if err := ctx.Err(); err != nil {
		return Settings{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conns[name]
	if c == nil || c.deleted {
		return Settings{}, fmt.Errorf("%w: connection %q", ErrNotFound, name)
	}
	return c.latest().Clone(), nil
}

// GetVersion implements Store.
func (m *MemoryStore) GetVersion(ctx context.Context, name string, version int64) (Settings, error) {
	if err := ctx.Err(); err != nil {
		return Settings{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conns[name]
	if c != nil && !c.deleted {
		m.prune(c)
		for _, v := range c.versions {
			if v.s.Version == version {
				return v.s.Clone(), nil
			}
		}
	}
	return Settings{}, fmt.Errorf("%w: connection %q version %d", ErrNotFound, name, version)
}

// Put implements Store.
func (m *MemoryStore) Put(ctx context.Context, s Settings, by string) (Settings, error) {
	if err := ctx.Err(); err != nil {
		return Settings{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conns[s.Name]
	var latest *Settings
	var last int64
	if c != nil {
		last = c.latest().Version
		if !c.deleted {
			latest = c.latest()
		}
	}
	now := m.now()
	next, err := NextVersion(latest, last, s, by, now)
	if err != nil {
		return Settings{}, err
	}
	if err := m.domainsFree(next); err != nil {
		return Settings{}, err
	}
	if c == nil || c.deleted {
		c = &memConn{}
		m.conns[s.Name] = c
		// The deleted history is gone; only its last version number is
		// kept, in next.Version.
	} else {
		c.versions[len(c.versions)-1].superseded = now
		m.prune(c)
	}
	c.versions = append(c.versions, memVersion{s: next.Clone()})
	m.changed()
	return next, nil
}

// Delete implements Store.
func (m *MemoryStore) Delete(ctx context.Context, name string, version int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conns[name]
	if c == nil || c.deleted {
		return fmt.Errorf("%w: connection %q", ErrNotFound, name)
	}
	if v := c.latest().Version; v != version {
		return fmt.Errorf("%w: connection %q is at version %d, not %d", ErrConflict, name, v, version)
	}
	// Keep only the latest version's number, for a re-created connection
	// to continue after it.
	last := c.latest().Version
	c.versions = []memVersion{{s: Settings{Name: name, Version: last}}}
	c.deleted = true
	m.changed()
	return nil
}

// Revision implements Store.
func (m *MemoryStore) Revision(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.revision, nil
}

// Watch implements Watcher: changed is called from Watch's goroutine soon
// after every Put and Delete (several changes may be told once), until
// ctx ends; Watch then returns ctx's error.
func (m *MemoryStore) Watch(ctx context.Context, changed func()) error {
	w := &memWatcher{ch: make(chan struct{}, 1)}
	m.mu.Lock()
	m.watchers[w] = struct{}{}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.watchers, w)
		m.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.ch:
			changed()
		}
	}
}

// latest returns the connection's latest version.
func (c *memConn) latest() *Settings { return &c.versions[len(c.versions)-1].s }

// prune drops the superseded versions of c retained long enough.
func (m *MemoryStore) prune(c *memConn) {
	now := m.now()
	c.versions = slices.DeleteFunc(c.versions, func(v memVersion) bool {
		return !v.superseded.IsZero() && now.Sub(v.superseded) > RetainSuperseded
	})
}

// domainsFree checks that no other live connection holds a domain of s.
func (m *MemoryStore) domainsFree(s Settings) error {
	for name, c := range m.conns {
		if name == s.Name || c.deleted {
			continue
		}
		for _, theirs := range c.latest().EmailDomains {
			for _, ours := range s.EmailDomains {
				if theirs.Domain == ours.Domain {
					// The other connection is not named: it may be another
					// customer's.
					return fmt.Errorf("%w: %q", ErrDomainTaken, ours.Domain)
				}
			}
		}
	}
	return nil
}

// changed counts a change and wakes the watchers; m.mu is held.
func (m *MemoryStore) changed() {
	m.revision++
	for w := range m.watchers {
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
}
