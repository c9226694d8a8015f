package web

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/session"
)

// SessionInfo describes the signed-in user of a request that passed
// Require or Identify.
type SessionInfo struct {
	// Provider is the Name of the provider the user signed in with, or ""
	// for a SignIn by the application's own password sign-in.
	Provider string
	// User is the local account: the Matcher's result, or SignIn's user;
	// nil when the provider has no Matcher. It is a copy taken at sign-in
	// and kept in the session: look the account up by ID where later
	// changes (groups, admin flag, deactivation) must count at once.
	User *rp.User
	// AccessToken is the provider's current access token, for calling its
	// APIs on the user's behalf ("" after a password sign-in).
	AccessToken rp.Secret
	// AccessTokenExpiry is when AccessToken expires; zero if unknown.
	AccessTokenExpiry time.Time

	rawClaims  json.RawMessage // the claims JSON, when already decoded
	cold       []byte          // else the cold part of the session's encoding
	claimsOnce sync.Once
	claims     *rp.Claims

	app map[string]string // Hooks.BeforeSession's data

	dpopKey string           // the DPoP key, as the session keeps it (dpop.go)
	now     func() time.Time // the Site's clock, for DPoPProof
}

// Claims returns the verified claims of the sign-in, decoded on first
// use. It never returns nil: after a password sign-in (SignIn), for a nil
// *SessionInfo (a request that is not signed in) or for claims that cannot
// be decoded, it returns empty Claims, whose fields are all zero and whose
// Raw is an empty map.
func (s *SessionInfo) Claims() *rp.Claims {
	if s == nil {
		return noClaims()
	}
	s.claimsOnce.Do(func() {
		if s.rawClaims == nil && s.cold != nil {
			s.rawClaims, _ = coldClaims(s.cold)
			s.cold = nil
		}
		if len(s.rawClaims) > 0 {
			// UnmarshalJSON checks the JSON itself; json.Unmarshal
			// would scan it once more first.
			var c rp.Claims
			if c.UnmarshalJSON(s.rawClaims) == nil {
				s.claims = &c
			}
		}
		if s.claims == nil {
			s.claims = noClaims()
		}
	})
	return s.claims
}

// App returns the value the application kept in the session under key
// (SignInInfo.App, set by Hooks.BeforeSession), or "" when there is none
// or s is nil.
func (s *SessionInfo) App(key string) string {
	if s == nil {
		return ""
	}
	return s.app[key]
}

// AppData returns a copy of all the data the application kept in the
// session (SignInInfo.App); nil when there is none or s is nil.
func (s *SessionInfo) AppData() map[string]string {
	if s == nil || len(s.app) == 0 {
		return nil
	}
	return maps.Clone(s.app)
}

// noClaims returns empty Claims.
func noClaims() *rp.Claims { return &rp.Claims{Raw: map[string]any{}} }

type sessionKey struct{}

// SessionFrom returns the session of a request that passed Require or
// Identify, or nil when the user is not signed in: test it before reading
// its fields in a handler behind Identify.
func SessionFrom(ctx context.Context) *SessionInfo {
	s, _ := ctx.Value(sessionKey{}).(*SessionInfo)
	return s
}

// UserFrom returns the signed-in local account, or nil: when the user is
// not signed in, or signed in with a provider that has no Matcher.
func UserFrom(ctx context.Context) *rp.User {
	if s := SessionFrom(ctx); s != nil {
		return s.User
	}
	return nil
}

// ClaimsFrom returns the signed-in user's verified claims. It never
// returns nil: for a password sign-in or a request that is not signed in
// the Claims are empty (see SessionInfo.Claims), so
// ClaimsFrom(ctx).Name is safe in any handler.
func ClaimsFrom(ctx context.Context) *rp.Claims {
	return SessionFrom(ctx).Claims()
}

// startSession replaces any session r carries by a new one holding data,
// with a new ID, so a session identifier never survives a sign-in.
func (w *Site) startSession(rw http.ResponseWriter, r *http.Request, data *sessionData) error {
	if old, ok := w.sessions.Load(r); ok {
		if err := w.endSession(rw, r, old); err != nil {
			w.log.WarnContext(r.Context(), "rp: the previous session could not be deleted from the store", "error_kind", errorKindOf(err), "error", err.Error())
		}
	}
	payload, err := data.encode()
	if err != nil {
		return err
	}
	s := w.sessions.New(payload)
	if w.cfg.SessionStore != nil {
		s.Index = w.belongsKeys(data) // for the logouts and EndSessionsOf
	}
	return w.sessions.Save(rw, r, s)
}

// endSession destroys s and deletes r's session cookies. It records s as
// ended (a revocation record) in cookie mode, where nothing else revokes
// it, and when the Store failed to delete it. It returns the error of the
// Store or of the SharedStore: the browser's cookies are gone, but a copy
// of them may still be signed in.
func (w *Site) endSession(rw http.ResponseWriter, r *http.Request, s *session.Session) error {
	err := w.sessions.Destroy(rw, r, s)
	if s != nil && (w.cfg.SessionStore == nil || err != nil) {
		if rerr := w.endSessionRecord(r.Context(), s); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// SignIn starts a session for user without a provider: the application's
// own password sign-in (a fallback when the provider is down, or for
// administrators) creates the same kind of session, which Require and
// logout then treat like any other. Deciding who may use the fallback (for
// example refusing it to administrators) is the application's business.
// It fails when user is nil or the session cannot be saved.
func (w *Site) SignIn(rw http.ResponseWriter, r *http.Request, user *rp.User) error {
	if user == nil {
		return rp.ErrNoLocalAccount
	}
	return w.startSession(rw, r, &sessionData{User: user})
}

// identify loads r's session, refreshing its tokens when due and sliding
// its idle timeout. It returns nil when r is not signed in.
//
// A session that was ended (by a logout, even one that happened while this
// request was running) is not signed in, and its cookie is not written
// again. A refresh the provider refused (refreshRefused) ends the session.
// A refresh that did not happen (this request was cancelled while waiting
// for it, the provider could not be reached or failed) leaves the session
// alone: the request is still signed in while the access token has not
// expired, and not signed in after that, until a later request refreshes.
func (w *Site) identify(rw http.ResponseWriter, r *http.Request) *SessionInfo {
	s, err := w.sessions.Lookup(r)
	if err != nil {
		// Fail closed, and say so: the store could not tell whether this
		// browser is signed in.
		w.log.ErrorContext(r.Context(), "rp: session store failed; request treated as not signed in",
			"error_kind", errorKindOf(err), "error", err.Error())
		return nil
	}
	if s == nil {
		return nil
	}
	data, cold, err := decodeHot(s.Data)
	if err != nil {
		// Unreadable by every instance: no revocation record needed.
		_ = w.sessions.Destroy(rw, r, s)
		return nil
	}
	if !w.stillSignedIn(rw, r, s, data) {
		return nil
	}
	if !w.live(r.Context(), data.Provider) {
		return nil // its connection was disabled or deleted: the cookie may come back if it is enabled again
	}
	if w.refreshDue(data) {
		// A refresh needs the claims (the sign-in's, which the refreshed
		// ID token must match) and keeps the ID token.
		if err := data.decodeCold(cold); err != nil {
			_ = w.sessions.Destroy(rw, r, s)
			return nil
		}
		cold = nil
		refreshed, err := w.refresh(r.Context(), s.ID, data)
		switch {
		case err != nil && refreshRefused(err):
			if err := w.endSession(rw, r, s); err != nil {
				w.log.ErrorContext(r.Context(), "rp: ending the session of a refused refresh failed; a copy of its cookie may stay signed in",
					"provider", data.Provider, "error_kind", errorKindOf(err), "error", err.Error())
			}
			return nil
		case err != nil && w.now().Unix() >= data.Expiry:
			return nil
		case err != nil:
			// The access token is still valid: keep going with it.
		case !w.stillSignedIn(rw, r, s, data):
			return nil // ended while the refresh ran; do not bring it back
		default:
			data = refreshed
			if payload, err := data.encode(); err == nil {
				s.Data = payload
				err := w.sessions.Save(rw, r, s)
				if errors.Is(err, session.ErrNotFound) {
					return nil // destroyed in the store while the refresh ran
				}
				if err != nil {
					w.log.WarnContext(r.Context(), "rp: saving the refreshed session failed", "error_kind", errorKindOf(err), "error", err.Error())
				}
			}
		}
	} else if err := w.sessions.Touch(rw, r, s); err != nil {
		w.log.WarnContext(r.Context(), "rp: extending the session failed", "error_kind", errorKindOf(err), "error", err.Error())
	}
	info := &SessionInfo{Provider: data.Provider, User: data.User, AccessToken: rp.Secret(data.AccessToken), rawClaims: data.Claims, cold: cold, app: data.App,
		dpopKey: data.DPoPKey, now: w.now}
	if data.Expiry != 0 {
		info.AccessTokenExpiry = time.Unix(data.Expiry, 0)
	}
	return info
}

// stillSignedIn reports whether no revocation record ends s (of data),
// deleting the browser's session cookies when one does. When the
// SharedStore cannot tell, it logs that at Error and reports false, the
// session kept for a later request (fail closed).
func (w *Site) stillSignedIn(rw http.ResponseWriter, r *http.Request, s *session.Session, data *sessionData) bool {
	ended, err := w.sessionEnded(r.Context(), s, data)
	if err != nil {
		w.log.ErrorContext(r.Context(), "rp: shared store failed; request treated as not signed in",
			"provider", data.Provider, "error_kind", errorKindOf(err), "error", err.Error())
		return false
	}
	if ended {
		_ = w.sessions.Destroy(rw, r, nil)
		return false
	}
	return true
}

// Require lets signed-in requests through to next with the session in the
// context (SessionFrom, UserFrom, ClaimsFrom). Other requests are sent to
// LoginPage with a return_to of the requested path (303 See Other) when
// they are page loads: a GET or HEAD with Sec-Fetch-Mode: navigate, or
// without that header but with an Accept header containing text/html.
// Everything else (API calls, scripts, other methods, requests without an
// Accept header) is answered 401 Unauthorized with a
// WWW-Authenticate: Cookie challenge naming LoginPage in its login
// parameter.
//
// When the access token is due for a refresh, Require (and Identify)
// refresh it first, once for all concurrent requests of the session. A
// refresh the provider refused (an OAuth error such as invalid_grant, a
// refreshed ID token that fails verification) ends the session. A refresh
// that did not happen (the request was cancelled while waiting for
// another's refresh, the provider could not be reached or answered 5xx)
// does not: the request is still signed in while the current access token
// has not expired, and treated as not signed in, with the session kept for
// a later request, once it has. A session that was signed out while its
// refresh ran is not signed in and its cookie is not written again.
func (w *Site) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		info := w.identify(rw, r)
		if info == nil {
			rw.Header().Set("Cache-Control", "no-store")
			if isNavigation(r) {
				http.Redirect(rw, r, w.loginRedirect(r), http.StatusSeeOther)
				return
			}
			rw.Header().Set("WWW-Authenticate", `Cookie login="`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w.cfg.LoginPage)+`"`)
			http.Error(rw, "not signed in", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), sessionKey{}, info)))
	})
}

// Identify puts the session in the context when the request has one and
// calls next either way: for pages that look different to signed-in users
// but are open to everyone.
func (w *Site) Identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if info := w.identify(rw, r); info != nil {
			r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, info))
		}
		next.ServeHTTP(rw, r)
	})
}
