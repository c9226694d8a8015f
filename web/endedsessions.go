package web

import (
	"sync/atomic"
	"time"

	"github.com/oidcrp/rp/internal/replay"
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
// SessionStore revokes sessions. It is the login-state replay memory
// (internal/replay): bounded, O(1) at any fill level, and when full it
// forgets the sessions it recorded longest ago first.
//
// A Site that never ended a session does not look at it at all, so the
// signed-in path of such a Site takes no lock.
type endedSessions struct {
	any atomic.Bool
	ids *replay.Cache
}

func newEndedSessions() endedSessions {
	return endedSessions{ids: replay.New(maxEndedSessions)}
}

// add records id as ended until until.
func (e *endedSessions) add(id string, until, now time.Time) {
	if id == "" || !now.Before(until) {
		return
	}
	e.any.Store(true) // first, so that has never skips ids while id is in it
	e.ids.Use(id, now, until)
}

// has reports whether id was ended and has not timed out since.
func (e *endedSessions) has(id string, now time.Time) bool {
	return e.any.Load() && e.ids.Seen(id, now)
}
