package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oidcrp/rp"
)

// ErrLogoutState: the provider's return from RP-initiated logout does not
// carry the state this browser's logout was started with.
var ErrLogoutState = errors.New("rp: logout response does not match a logout of this browser")

// ErrLogoutIncomplete: a logout deleted the browser's session cookies but
// the SessionStore failed, reading the session or deleting it (a store
// that is down, a read-only replica after a failover). A copy of the
// cookie may still be signed in on another device until the session times
// out, and the provider's end-session was skipped. Site answers it with 503
// through the ErrorHandler and logs it at Error; the error also wraps the
// store's error (session.ErrStore).
var ErrLogoutIncomplete = errors.New("rp: sign-out incomplete: the session store failed")

type logoutState struct {
	State  string `json:"s"`
	Expiry int64  `json:"e"`
	To     string `json:"t,omitempty"` // the provider's own LoggedOutURL
}

// logoutCookieName is the name of the cookie holding a logout's state, of
// the same prefix and path as the session cookies: "rp_logout" beside the
// default session cookie, SessionCookieName + "_logout" otherwise, so that
// the logouts of two Webs on one host do not mix.
func (w *Site) logoutCookieName() string {
	name := "rp_logout"
	if n := w.cfg.SessionCookieName; n != "" && n != "rp_session" {
		name = n + "_logout"
	}
	return strings.TrimSuffix(w.sessions.CookieName(), w.cfg.sessionBaseName()) + name
}

// sessionBaseName is the session cookie's name without a prefix.
func (c *Config) sessionBaseName() string {
	if c.SessionCookieName == "" {
		return "rp_session"
	}
	return c.SessionCookieName
}

// logoutStateCookie returns the cookie holding a sealed logout state for
// maxAge seconds, or deleting it when maxAge is negative.
func (w *Site) logoutStateCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: w.logoutCookieName(), Value: value, Path: w.sessions.CookiePath(), MaxAge: maxAge,
		Secure: w.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// logout ends the session (POST LogoutPath). When the session's provider
// has an end_session_endpoint and the session holds an ID token, the
// browser goes on to the provider (RP-initiated logout) with id_token_hint,
// client_id, post_logout_redirect_uri and a state checked on the way back;
// otherwise straight to LoggedOutURL.
//
// The browser's session cookies are deleted whatever happens. When the
// SessionStore fails (the session cannot be read, or cannot be deleted),
// the logout does not pretend to have worked: it answers 503 with an error
// matching ErrLogoutIncomplete and does not go on to the provider.
func (w *Site) logout(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cache-Control", "no-store")
	s, err := w.sessions.Lookup(r)
	if err != nil {
		if derr := w.endSession(rw, r, nil); derr != nil {
			err = errors.Join(err, derr)
		}
		err = fmt.Errorf("%w: %w", ErrLogoutIncomplete, err)
		w.observeLogout(r.Context(), "", rp.LogoutLocal, err)
		w.refuse(rw, r, http.StatusServiceUnavailable, err, evLogoutFailed)
		return
	}
	if s == nil {
		_ = w.sessions.Destroy(rw, r, nil) // an expired or foreign cookie: just drop it
		http.Redirect(rw, r, w.cfg.LoggedOutURL, http.StatusSeeOther)
		return
	}
	data, err := decodeSession(s.Data)
	if err != nil { // an unreadable session just ends locally
		data = &sessionData{}
	}
	iss, sub := sessionSubject(data)
	if err := w.endSession(rw, r, s); err != nil {
		err = fmt.Errorf("%w: %w", ErrLogoutIncomplete, err)
		w.observeLogout(r.Context(), data.Provider, rp.LogoutLocal, err)
		w.refuse(rw, r, http.StatusServiceUnavailable, err, evLogoutFailed,
			"provider", data.Provider, "iss", iss, "sub", sub)
		return
	}
	w.log.InfoContext(r.Context(), evLogout, "provider", data.Provider, "iss", iss, "sub", sub)
	p, _ := w.lookup(r.Context(), data.Provider) // a provider gone or down: logged out here only
	loggedOut := w.cfg.LoggedOutURL
	if p != nil && p.loggedOut != "" {
		loggedOut = p.loggedOut
	}
	ended := &LogoutInfo{Kind: LogoutLocal, Provider: data.Provider, Issuer: iss, Subject: sub, User: data.User, Sessions: 1}
	if p == nil || p.RP.Metadata().EndSessionEndpoint == "" || data.IDToken == "" {
		w.observeLogout(r.Context(), data.Provider, rp.LogoutLocal, nil)
		w.afterLogout(r.Context(), ended)
		http.Redirect(rw, r, loggedOut, http.StatusSeeOther)
		return
	}
	end, err := url.Parse(p.RP.Metadata().EndSessionEndpoint)
	if err != nil {
		w.observeLogout(r.Context(), data.Provider, rp.LogoutLocal, nil)
		w.afterLogout(r.Context(), ended)
		http.Redirect(rw, r, loggedOut, http.StatusSeeOther)
		return
	}
	w.observeLogout(r.Context(), data.Provider, rp.LogoutRPInitiated, nil)
	ended.Kind = LogoutRPInitiated
	w.afterLogout(r.Context(), ended)
	st := logoutState{State: randomState(), Expiry: w.now().Add(10 * time.Minute).Unix(), To: p.loggedOut}
	plain, _ := json.Marshal(st)
	name := w.logoutCookieName()
	http.SetCookie(rw, w.logoutStateCookie(w.logoutSeal.Seal(plain, []byte(name)), 600))
	q := end.Query()
	q.Set("id_token_hint", data.IDToken)
	q.Set("client_id", p.RP.ClientID())
	q.Set("post_logout_redirect_uri", w.postLogoutURI(p))
	q.Set("state", st.State)
	end.RawQuery = q.Encode()
	http.Redirect(rw, r, end.String(), http.StatusSeeOther)
}

// postLogoutURI is the absolute URL the provider returns to after logout:
// the provider's redirect URL origin with PostLogoutPath.
func (w *Site) postLogoutURI(p *Provider) string { return w.originURL(p, w.cfg.PostLogoutPath) }

// originURL is the absolute URL of path at the origin of p's redirect URL.
func (w *Site) originURL(p *Provider, path string) string {
	u := url.URL{Scheme: p.redirect.Scheme, Host: p.redirect.Host, Path: path}
	return u.String()
}

// postLogout receives the browser back from the provider's logout, checks
// the state, and goes on to LoggedOutURL.
func (w *Site) postLogout(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cache-Control", "no-store")
	name := w.logoutCookieName()
	c, err := r.Cookie(name)
	http.SetCookie(rw, w.logoutStateCookie("", -1))
	if err != nil {
		w.refuse(rw, r, http.StatusBadRequest, ErrLogoutState, evLogoutReturn)
		return
	}
	var st logoutState
	plain, err := w.logoutSeal.Open(c.Value, []byte(name))
	if err != nil || json.Unmarshal(plain, &st) != nil || w.now().Unix() > st.Expiry ||
		subtle.ConstantTimeCompare([]byte(st.State), []byte(r.URL.Query().Get("state"))) != 1 {
		w.refuse(rw, r, http.StatusBadRequest, ErrLogoutState, evLogoutReturn)
		return
	}
	to := w.cfg.LoggedOutURL
	if st.To != "" {
		to = st.To // sealed by this Site: the connection's PostLogoutURL
	}
	http.Redirect(rw, r, to, http.StatusSeeOther)
}

// randomState returns 256 random bits, base64url-encoded.
func randomState() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b)
}
