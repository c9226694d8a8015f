package web

import (
	"sync"
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
type endedSessions struct {
	mu  sync.Mutex
	ids map[string]time.Time // session ID -> end of its absolute timeout
}

// add records id as ended until until.
func (e *endedSessions) add(id string, until, now time.Time) {
	if id == "" || !now.Before(until) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ids == nil {
		e.ids = make(map[string]time.Time)
	}
	if len(e.ids) >= maxEndedSessions {
		for k, t := range e.ids {
			if !now.Before(t) {
				delete(e.ids, k)
			}
		}
	}
	for len(e.ids) >= maxEndedSessions {
		first, firstT := "", time.Time{}
		for k, t := range e.ids {
			if first == "" || t.Before(firstT) {
				first, firstT = k, t
			}
		}
		delete(e.ids, first)
	}
	e.ids[id] = until
}

// has reports whether id was ended and has not timed out since.
func (e *endedSessions) has(id string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	until, ok := e.ids[id]
	return ok && now.Before(until)
}
