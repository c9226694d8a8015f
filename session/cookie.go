package session

import (
	"net/http"
	"time"
)

// cookie returns a session cookie with the attributes every one of them
// carries: Config.Path, HttpOnly, SameSite=Lax, Secure unless Insecure,
// and no Domain (required by the "__Host-" prefix). A negative maxAge
// deletes it.
func (m *Manager) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     m.path,
		MaxAge:   maxAge,
		Secure:   m.secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// maxAge returns the whole seconds from now until the absolute timeout of
// a session created at created, rounded up and at most the absolute
// timeout; it is positive whenever the session has not yet expired.
func (m *Manager) maxAge(created, now time.Time) int {
	left := min(created.Add(m.absolute).Sub(now), m.absolute)
	return int((left + time.Second - 1) / time.Second)
}

// readSealed returns the sealed value that the session cookies of r hold,
// reassembled from its chunks. It fails when there is no base cookie, the
// count is malformed or out of range, or a chunk is missing or malformed.
// Of several cookies with one name, the first is used.
func (m *Manager) readSealed(r *http.Request) (string, bool) {
	cookies := r.Cookies()
	base, found := "", false
	for _, c := range cookies {
		if c.Name == m.name {
			base, found = c.Value, true
			break
		}
	}
	if !found {
		return "", false
	}
	n, first, ok := parseBase(base, m.maxChunks)
	if !ok {
		return "", false
	}
	pieces := make([]string, n)
	pieces[0] = first
	if n > 1 {
		seen := make([]bool, n)
		for _, c := range cookies {
			if i, ok := chunkIndex(c.Name, m.name); ok && i < n && !seen[i] {
				pieces[i], seen[i] = c.Value, true
			}
		}
	}
	return join(pieces, len(base)-len(first), m.maxSize)
}

// writeValues sets the cookies holding values (as made by split), then
// deletes any chunk cookie that r carried beyond them.
func (m *Manager) writeValues(w http.ResponseWriter, r *http.Request, values []string, maxAge int) {
	http.SetCookie(w, m.cookie(m.name, values[0], maxAge))
	for i := 1; i < len(values); i++ {
		http.SetCookie(w, m.cookie(chunkName(m.name, i), values[i], maxAge))
	}
	m.deleteChunks(w, r, len(values))
}

// deleteChunks deletes every chunk cookie of index from or above that r
// carried, each once. A nil r carries none.
func (m *Manager) deleteChunks(w http.ResponseWriter, r *http.Request, from int) {
	if r == nil {
		return
	}
	var deleted map[int]bool
	for _, c := range r.Cookies() {
		i, ok := chunkIndex(c.Name, m.name)
		if !ok || i < from || deleted[i] {
			continue
		}
		if deleted == nil {
			deleted = make(map[int]bool)
		}
		deleted[i] = true
		http.SetCookie(w, m.cookie(c.Name, "", -1))
	}
}
