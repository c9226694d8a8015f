package web

import (
	"sync"
	"sync/atomic"
	"time"
)

// maxEndedSessions bounds the sessions a Site remembers as ended.
const maxEndedSessions = 100_000

// endedSessions remembers the IDs of the sessions this process ended
// (logout, a refused refresh, a new sign-in) until they would have timed
// out anyway, so that a copy of their cookies, or a response of a request
// that was still running when they ended, cannot sign the user back in.
//
// It is needed in cookie mode, where the session lives in the browser and
// nothing on the server can revoke it, and when a Store failed to delete a
// session. It is in memory and per process: other instances of the
// application do not see it, so across instances only a shared
// SessionStore revokes sessions. When full, it forgets the sessions closest
// to their absolute timeout first.
//
// Reads (has, on every signed-in request) take no lock: the IDs are in a
// sync.Map, and a Site that never ended a session does not even look. Only
// add, at sign-out, locks, to keep the bound.
type endedSessions struct {
	ids sync.Map     // session ID -> time.Time, the end of its absolute timeout
	n   atomic.Int64 // entries in ids, changed under mu
	mu  sync.Mutex   // serialises add
}

// add records id as ended until until.
func (e *endedSessions) add(id string, until, now time.Time) {
	if id == "" || !now.Before(until) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n.Load() >= maxEndedSessions {
		e.ids.Range(func(k, v any) bool {
			if !now.Before(v.(time.Time)) {
				e.delete(k)
			}
			return true
		})
	}
	for e.n.Load() >= maxEndedSessions {
		var first any
		var firstT time.Time
		e.ids.Range(func(k, v any) bool {
			if t := v.(time.Time); first == nil || t.Before(firstT) {
				first, firstT = k, t
			}
			return true
		})
		e.delete(first)
	}
	// Count first, so that has never skips the map while id is in it.
	e.n.Add(1)
	if _, loaded := e.ids.Swap(id, until); loaded {
		e.n.Add(-1)
	}
}

// delete removes k; e.mu must be held.
func (e *endedSessions) delete(k any) {
	if _, loaded := e.ids.LoadAndDelete(k); loaded {
		e.n.Add(-1)
	}
}

// has reports whether id was ended and has not timed out since.
func (e *endedSessions) has(id string, now time.Time) bool {
	if e.n.Load() == 0 {
		return false
	}
	until, ok := e.ids.Load(id)
	return ok && now.Before(until.(time.Time))
}
