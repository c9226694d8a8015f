package rptest

import (
	"sync"
	"time"
)

// Clock is a clock that tests move by hand. Share it between the Server
// (Config.Now) and the relying party under test (for this library,
// rp.Config.Now) to cross token lifetimes, login timeouts and key cache
// intervals without waiting. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
