package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/oidcrp/rp/session"
)

// ErrSharedStore is matched by the errors of operations that failed
// because the SharedStore (Config.Shared) failed: it could not be reached,
// timed out or refused the operation. The error also wraps the store's
// own error.
var ErrSharedStore = errors.New("rp: the shared store failed")

// ErrSessionsNotEnded is matched by the error of EndSessionsOf (and of the
// provider's logouts, which log it) when some of the sessions it was to
// end may still be signed in: the SessionStore or the SharedStore failed.
// The error also wraps the store's error (session.ErrStore or
// ErrSharedStore). Try again once the store is back.
var ErrSessionsNotEnded = errors.New("rp: sessions not ended: a store failed")

// errNoUserID is EndSessionsOf's error for an empty user ID.
var errNoUserID = errors.New("rp: EndSessionsOf: empty user ID")

// What a session belongs to, in the keys of Store indexes and revocation
// records.
const (
	kindSession = "session" // the session itself, by its ID
	kindSID     = "sid"     // a provider's session (provider, sid)
	kindSub     = "sub"     // a provider's subject (provider, sub)
	kindUser    = "user"    // a local account, by its ID
)

// endedPrefix starts the SharedStore keys of revocation records.
const endedPrefix = "rp/ended/"

// sharedTimeout bounds each read of the revocation records and each
// write to the SharedStore or the Store made to end sessions.
const sharedTimeout = 10 * time.Second

// belongsKey names one thing sessions belong to: the Site's session
// cookie name (so that Sites sharing a store keep apart), the kind, and a
// hash of the provider and the value (so that the key is short and
// printable whatever the provider sends, and the stores never see a
// session ID). It is the Store index key, and after endedPrefix the key
// of a revocation record.
func (w *Site) belongsKey(kind, provider, value string) string {
	h := sha256.New()
	for _, s := range []string{kind, provider} {
		h.Write(binary.AppendUvarint(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	h.Write([]byte(value))
	var sum [sha256.Size]byte
	return w.keyPrefix + kind + "/" + base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0]))
}

// belongsKeys returns the keys of what data's session belongs to beside
// itself: its provider's session (sid), its subject at the provider and
// its local account, for those it has.
func (w *Site) belongsKeys(data *sessionData) []string {
	keys := make([]string, 0, 4)
	if data.Provider != "" && data.SID != "" {
		keys = append(keys, w.belongsKey(kindSID, data.Provider, data.SID))
	}
	if data.Provider != "" && data.Subject != "" {
		keys = append(keys, w.belongsKey(kindSub, data.Provider, data.Subject))
	}
	if data.User != nil && data.User.ID != "" {
		keys = append(keys, w.belongsKey(kindUser, "", data.User.ID))
	}
	return keys
}

// checkRecords reports whether a signed-in request must read the
// revocation records: always in cookie mode with an application's
// SharedStore, where other instances write them; otherwise (this process's
// own memory, or store mode, where records are only the fallback of a
// failed deletion) only while a record this process wrote may still count.
// It is an atomic load: a Site that never ended a session takes no lock.
func (w *Site) checkRecords() bool {
	if w.cfg.SessionStore == nil && !w.privateShared {
		return true
	}
	return w.now().Unix() < w.recordsUntil.Load()
}

// sessionEnded reports whether a revocation record ends session s, of
// data: a record of its ID, its provider's session, its subject or its
// user, written at or after s was created. The records are read with one
// Get. An unreadable record ends the session (fail closed). It returns an
// error matching ErrSharedStore when the store failed.
func (w *Site) sessionEnded(ctx context.Context, s *session.Session, data *sessionData) (bool, error) {
	if !w.checkRecords() {
		return false, nil
	}
	keys := append(w.belongsKeys(data), w.belongsKey(kindSession, "", s.ID))
	for i := range keys {
		keys[i] = endedPrefix + keys[i]
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	vals, err := w.shared.Get(ctx, keys...)
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("Get returned %d values for %d keys", len(vals), len(keys))
	}
	if err != nil {
		return false, sharedError("reading the revocation records from", err)
	}
	created := s.Created.Unix()
	for _, v := range vals {
		if v == nil {
			continue
		}
		if at, err := strconv.ParseInt(string(v), 10, 64); err != nil || at >= created {
			return true, nil
		}
	}
	return false, nil
}

// sharedError wraps an error of the SharedStore so that it matches
// ErrSharedStore.
func sharedError(op string, err error) error {
	return fmt.Errorf("rp: %s the shared store: %w: %w", op, ErrSharedStore, err)
}

// putRecords records now as the end of every session belonging to keys
// and created until now, until expiry, after which no such session can be
// alive anyway.
func (w *Site) putRecords(ctx context.Context, expiry time.Time, keys ...string) error {
	now := w.now()
	if !now.Before(expiry) {
		return nil
	}
	// First, so that checkRecords never skips a record being written.
	for until := expiry.Unix() + 1; ; {
		old := w.recordsUntil.Load()
		if old >= until || w.recordsUntil.CompareAndSwap(old, until) {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
	defer cancel()
	at := strconv.AppendInt(nil, now.Unix(), 10)
	var errs []error
	for _, k := range keys {
		if err := w.shared.Put(ctx, endedPrefix+k, at, expiry); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return sharedError("writing a revocation record to", errors.Join(errs...))
	}
	return nil
}

// endSessionRecord records session s as ended, in cookie mode where
// nothing else revokes it, or as the fallback of a Store that failed to
// delete it.
func (w *Site) endSessionRecord(ctx context.Context, s *session.Session) error {
	return w.putRecords(ctx, s.Created.Add(w.sessions.AbsoluteTimeout()), w.belongsKey(kindSession, "", s.ID))
}

// endBelonging ends every session belonging to key, on every instance:
// with a Store by deleting them (Store.DeleteIndexed), in cookie mode by a
// revocation record. It returns how many sessions the Store deleted (-1
// without a Store), and an error matching ErrSessionsNotEnded when the
// store failed. When the Store fails, it also writes a revocation record,
// which this process then checks.
func (w *Site) endBelonging(ctx context.Context, key string) (int, error) {
	expiry := w.now().Add(w.sessions.AbsoluteTimeout())
	if store := w.cfg.SessionStore; store != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
		n, err := store.DeleteIndexed(sctx, key)
		cancel()
		if err == nil {
			return n, nil
		}
		err = fmt.Errorf("%w: %w: %w", ErrSessionsNotEnded, session.ErrStore, err)
		if rerr := w.putRecords(ctx, expiry, key); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return n, err
	}
	if err := w.putRecords(ctx, expiry, key); err != nil {
		return -1, fmt.Errorf("%w: %w", ErrSessionsNotEnded, err)
	}
	return -1, nil
}

// EndSessionsOf ends every session of the local account userID (the
// rp.User.ID of its sign-ins, by any provider or by SignIn) on every
// instance, e.g. when an administrator deactivates the account: the next
// request of each is not signed in. With a SessionStore the sessions are
// deleted from it; in cookie mode a revocation record in the SharedStore
// (Config.Shared) refuses every session of the user created until now,
// until the absolute timeout; with the default SharedStore that holds in
// this process only.
//
// It logs one line. It fails for an empty userID, and with an error
// matching ErrSessionsNotEnded when the store failed, in which case some
// sessions may still be signed in: try again.
func (w *Site) EndSessionsOf(ctx context.Context, userID string) error {
	if userID == "" {
		return errNoUserID
	}
	n, err := w.endBelonging(ctx, w.belongsKey(kindUser, "", userID))
	if err != nil {
		logRefusal(ctx, w.log, evSessionsNotEnded, err, "user_id", userID)
		return err
	}
	attrs := []any{"user_id", userID}
	if n >= 0 {
		attrs = append(attrs, "sessions", n)
	}
	w.log.InfoContext(ctx, evSessionsEnded, attrs...)
	return nil
}

// endProviderSessions ends, on every instance, the sessions of provider's
// session sid when sid is given, else of its subject sub: what a
// provider's logout asks for. It fails with an error matching
// ErrSessionsNotEnded when the store failed, and when both are empty.
func (w *Site) endProviderSessions(ctx context.Context, provider, sid, sub string) (int, error) {
	var key string
	switch {
	case sid != "":
		key = w.belongsKey(kindSID, provider, sid)
	case sub != "":
		key = w.belongsKey(kindSub, provider, sub)
	default:
		return 0, fmt.Errorf("%w: neither sid nor sub given", ErrSessionsNotEnded)
	}
	return w.endBelonging(ctx, key)
}
