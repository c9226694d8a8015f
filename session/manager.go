package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Load returns the session that r's cookies hold, and false when there is
// none to use: no cookie; a cookie that was tampered with, truncated,
// sealed under a key not in Config.Secrets, or sealed for another cookie
// name; a missing or extra-sized chunk; an expired session (absolute or
// idle timeout); or, with a Store, an id the Store does not know or a Store
// error. The reasons are deliberately not told apart and nothing is
// logged. Load never writes cookies and never panics on what the browser
// sends; a nil r holds no session. Use Lookup where a Store failure must
// not pass for "no session", as when signing out.
func (m *Manager) Load(r *http.Request) (*Session, bool) {
	s, err := m.Lookup(r)
	return s, err == nil && s != nil
}

// Lookup is Load that tells a failing Store apart: it returns the session
// r's cookies hold; nil and a nil error when there is none to use, for
// every reason Load gives (all cookie problems alike, nothing logged); and
// nil with an error matching ErrStore (and wrapping the Store's error)
// when the cookie is genuine and alive but the Store failed to answer for
// it with anything but ErrNotFound. Without a Store it never fails.
func (m *Manager) Lookup(r *http.Request) (*Session, error) {
	if r == nil {
		return nil, nil
	}
	sealed, ok := m.readSealed(r)
	if !ok {
		return nil, nil
	}
	plain, err := m.sealer.Open(sealed, m.aad)
	if err != nil {
		return nil, nil
	}
	now := m.clock()
	if m.store == nil {
		e, err := decodeEnvelope(plain)
		if err != nil || !m.alive(e, now) {
			return nil, nil
		}
		return e.session(), nil
	}
	id, created, err := decodeRef(plain)
	if err != nil || !now.Before(time.Unix(created, 0).Add(m.absolute)) {
		return nil, nil
	}
	stored, err := m.store.Get(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeError("reading", err)
	}
	plain, err = m.sealer.Open(string(stored), m.storeAAD(id))
	if err != nil {
		return nil, nil
	}
	e, err := decodeEnvelope(plain)
	if err != nil || e.id != id || e.created != created || !m.alive(e, now) {
		return nil, nil
	}
	s := e.session()
	s.stored = true
	return s, nil
}

// storeError wraps a Store's error so that it matches ErrStore too.
func storeError(op string, err error) error {
	return fmt.Errorf("session: %s the store: %w: %w", op, ErrStore, err)
}

// alive reports whether e is within both timeouts at now.
func (m *Manager) alive(e envelope, now time.Time) bool {
	return now.Before(time.Unix(e.created, 0).Add(m.absolute)) &&
		now.Before(time.Unix(e.lastSeen, 0).Add(m.idle))
}

// session returns the Session that e holds.
func (e envelope) session() *Session {
	data := e.data
	if data == nil {
		data = []byte{}
	}
	return &Session{
		ID:       e.id,
		Data:     data,
		Created:  time.Unix(e.created, 0),
		LastSeen: time.Unix(e.lastSeen, 0),
	}
}

// storeAAD binds a sealed envelope in the Store to this cookie name and to
// the session id, so the Store cannot swap the data of two sessions.
func (m *Manager) storeAAD(id string) []byte {
	aad := make([]byte, 0, len(m.name)+len(id)+7)
	aad = append(aad, m.name...)
	aad = append(aad, "\x00store\x00"...)
	return append(aad, id...)
}

// Save sets s.LastSeen to now, seals s and writes it to w, restarting the
// idle timeout; the absolute timeout still counts from s.Created. Cookies
// get Max-Age = the seconds left until the absolute timeout. Chunk cookies
// of an earlier, bigger session that r carried are deleted (r may be nil).
//
// Without a Store, Save fails with ErrTooLarge when the sealed cookie values
// would exceed Config.MaxSize. With a Store, the sealed session goes to
// Store.Set, expiring at the earlier of the two timeouts, and only a sealed
// reference goes in the cookie; a Store error is returned wrapped, matching
// ErrStore. A
// session that is already in the Store (it was loaded or saved before) is
// first looked up, and Save fails with an error wrapping ErrNotFound if it
// was destroyed meanwhile, so a request racing with a sign-out cannot bring
// it back (Store.Set may still, within the short window between the two
// calls). A session of another ID that r's cookie referred to is deleted
// from the Store, since this browser can no longer reach it.
//
// A new session with an Index is filed under its keys (Store.Index) before
// it is first stored; Save fails, storing nothing, when that fails or when
// Index exceeds its limits.
//
// Save also fails, with ErrExpired, when the absolute timeout of s has
// passed, and for a nil s or an ID not made by Manager.New. When Save fails
// it writes nothing and leaves s unchanged. Call Save before writing the
// response body, as for any header.
func (m *Manager) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	if s == nil {
		return errNoSession
	}
	if !validID(s.ID) {
		return errBadID
	}
	now := m.clock()
	created := time.Unix(s.Created.Unix(), 0)
	maxAge := m.maxAge(created, now)
	if maxAge <= 0 {
		return ErrExpired
	}
	e := envelope{created: created.Unix(), lastSeen: now.Unix(), id: s.ID, data: s.Data}
	var values []string
	if m.store == nil {
		plain, err := encodeEnvelope(e, m.compress)
		if err != nil {
			return err
		}
		values = split(m.sealer.Seal(plain, m.aad))
		if totalLen(values) > m.maxSize {
			return ErrTooLarge
		}
	} else {
		plain, err := encodeEnvelope(e, false)
		if err != nil {
			return err
		}
		ctx := context.Background()
		if r != nil {
			ctx = r.Context()
		}
		if s.stored {
			// Do not bring back a session destroyed since it was loaded.
			if _, err := m.store.Get(ctx, s.ID); errors.Is(err, ErrNotFound) {
				return fmt.Errorf("session: no longer in the store (destroyed or expired): %w", err)
			} else if err != nil {
				return storeError("reading", err)
			}
		}
		expiry := created.Add(m.absolute)
		if !s.stored && len(s.Index) > 0 {
			if err := checkIndex(s.Index); err != nil {
				return err
			}
			if err := m.store.Index(ctx, s.ID, s.Index, expiry); err != nil {
				return storeError("indexing in", err)
			}
		}
		if idleEnd := now.Add(m.idle); idleEnd.Before(expiry) {
			expiry = idleEnd
		}
		if err := m.store.Set(ctx, s.ID, []byte(m.sealer.Seal(plain, m.storeAAD(s.ID))), expiry); err != nil {
			return storeError("saving to", err)
		}
		if old, ok := m.referencedID(r); ok && old != s.ID {
			_ = m.store.Delete(context.WithoutCancel(ctx), old)
		}
		values = split(m.sealer.Seal(encodeRef(s.ID, created.Unix()), m.aad))
	}
	m.writeValues(w, r, values, maxAge)
	s.LastSeen = now
	s.stored = m.store != nil
	return nil
}

// Touch saves s, like Save, only when its LastSeen is at least a quarter of
// the idle timeout old, so a busy session keeps sliding its idle timeout
// without being re-sealed and re-sent on every request. Otherwise it does
// nothing and returns nil. It never extends the absolute timeout, and fails
// as Save does.
func (m *Manager) Touch(w http.ResponseWriter, r *http.Request, s *Session) error {
	if s == nil {
		return errNoSession
	}
	if m.clock().Sub(s.LastSeen) < m.idle/4 {
		return nil
	}
	return m.Save(w, r, s)
}

// Destroy ends a session: it deletes the base cookie and every chunk cookie
// that r carried (r may be nil), whatever else happens. With a Store it
// also deletes s.ID (when s is not nil) and the session that r's cookie
// refers to from the Store, so copies of the cookie stop working at once;
// the store deletion is not cancelled with r's context. It returns an
// error matching ErrStore when a Store deletion failed: the browser's
// cookies are gone, but a copy of them may still sign in until the
// session times out, so report it rather than claim a sign-out.
func (m *Manager) Destroy(w http.ResponseWriter, r *http.Request, s *Session) error {
	var errs []error
	if m.store != nil {
		ctx := context.Background()
		if r != nil {
			ctx = context.WithoutCancel(r.Context())
		}
		if s != nil && s.ID != "" {
			if err := m.store.Delete(ctx, s.ID); err != nil {
				errs = append(errs, err)
			}
		}
		if id, ok := m.referencedID(r); ok && (s == nil || id != s.ID) {
			if err := m.store.Delete(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	http.SetCookie(w, m.cookie(m.name, "", -1))
	m.deleteChunks(w, r, 1)
	if len(errs) > 0 {
		return storeError("deleting from", errors.Join(errs...))
	}
	return nil
}

// referencedID returns the session id that r's cookie refers to in store
// mode, whether or not that session has timed out.
func (m *Manager) referencedID(r *http.Request) (string, bool) {
	if r == nil {
		return "", false
	}
	sealed, ok := m.readSealed(r)
	if !ok {
		return "", false
	}
	plain, err := m.sealer.Open(sealed, m.aad)
	if err != nil {
		return "", false
	}
	id, _, err := decodeRef(plain)
	return id, err == nil
}

// errBadIndex reports a Session.Index that Save refuses.
var errBadIndex = errors.New("session: Session.Index has more than 8 keys, or an empty key or one longer than MaxIndexKey")

// checkIndex checks the size limits of a Session.Index.
func checkIndex(keys []string) error {
	if len(keys) > 8 {
		return errBadIndex
	}
	for _, k := range keys {
		if k == "" || len(k) > MaxIndexKey {
			return errBadIndex
		}
	}
	return nil
}
