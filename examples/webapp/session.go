package main

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/oidcrp/rp"
)

// sessionLifetime is how long a session lasts after signing in.
const sessionLifetime = 8 * time.Hour

// session is one signed-in browser.
type session struct {
	claims  *rp.Claims
	expires time.Time
}

// sessionStore keeps sessions in memory, keyed by a random ID that the
// browser holds in a cookie. It is deliberately minimal: sessions are lost
// on restart and not shared between instances.
type sessionStore struct {
	cookieName string
	secure     bool
	now        func() time.Time

	mu       sync.Mutex
	sessions map[string]session
}

// newSessionStore returns an empty store; secure marks the cookie Secure,
// for apps served over https.
func newSessionStore(secure bool) *sessionStore {
	name := "webapp_session"
	if secure {
		name = "__Host-" + name // Secure, Path=/ and no Domain, enforced by browsers
	}
	return &sessionStore{
		cookieName: name,
		secure:     secure,
		now:        time.Now,
		sessions:   make(map[string]session),
	}
}

// create starts a session for claims and sets its cookie on w. A session
// the request already had is ended, so a session ID never outlives a
// sign-in (no session fixation).
func (s *sessionStore) create(w http.ResponseWriter, r *http.Request, claims *rp.Claims) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()

	s.mu.Lock()
	if c, err := r.Cookie(s.cookieName); err == nil {
		delete(s.sessions, c.Value)
	}
	for k, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, k)
		}
	}
	s.sessions[id] = session{claims: claims, expires: now.Add(sessionLifetime)}
	s.mu.Unlock()

	http.SetCookie(w, s.cookie(id, int(sessionLifetime/time.Second)))
	return nil
}

// get returns the claims of the request's session, or nil if it has none.
func (s *sessionStore) get(r *http.Request) *rp.Claims {
	c, err := r.Cookie(s.cookieName)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	if !ok {
		return nil
	}
	if !s.now().Before(sess.expires) {
		delete(s.sessions, c.Value)
		return nil
	}
	return sess.claims
}

// destroy ends the request's session, if any, and deletes its cookie.
func (s *sessionStore) destroy(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookieName); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, s.cookie("", -1))
}

// cookie returns the session cookie with value id; maxAge -1 deletes it.
func (s *sessionStore) cookie(id string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     s.cookieName,
		Value:    id,
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   s.secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}
