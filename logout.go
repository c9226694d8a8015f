package rp

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// ErrLogoutState: the provider's return from RP-initiated logout does not
// carry the state this browser's logout was started with.
var ErrLogoutState = errors.New("rp: logout response does not match a logout of this browser")

const logoutCookie = "rp_logout"

type logoutState struct {
	State  string `json:"s"`
	Expiry int64  `json:"e"`
}

func (w *Web) logoutCookieName() string {
	if w.secure {
		return "__Host-" + logoutCookie
	}
	return logoutCookie
}

// logoutStateCookie returns the cookie holding a sealed logout state for
// maxAge seconds, or deleting it when maxAge is negative.
func (w *Web) logoutStateCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: w.logoutCookieName(), Value: value, Path: "/", MaxAge: maxAge,
		Secure: w.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// logout ends the session (POST LogoutPath). When the session's provider
// has an end_session_endpoint and the session holds an ID token, the
// browser goes on to the provider (RP-initiated logout) with id_token_hint,
// client_id, post_logout_redirect_uri and a state checked on the way back;
// otherwise straight to LoggedOutURL.
func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cache-Control", "no-store")
	s, ok := w.sessions.Load(r)
	if !ok {
		http.Redirect(rw, r, w.cfg.LoggedOutURL, http.StatusSeeOther)
		return
	}
	w.sessions.Destroy(rw, r, s)
	data, err := decodeSession(s.Data)
	if err != nil { // an unreadable session just ends locally
		data = &sessionData{}
	}
	p := w.providers[data.Provider]
	if p == nil || p.RP.md.EndSessionEndpoint == "" || data.IDToken == "" {
		http.Redirect(rw, r, w.cfg.LoggedOutURL, http.StatusSeeOther)
		return
	}
	end, err := url.Parse(p.RP.md.EndSessionEndpoint)
	if err != nil {
		http.Redirect(rw, r, w.cfg.LoggedOutURL, http.StatusSeeOther)
		return
	}
	st := logoutState{State: randomString(), Expiry: w.now().Add(10 * time.Minute).Unix()}
	plain, _ := json.Marshal(st)
	name := w.logoutCookieName()
	http.SetCookie(rw, w.logoutStateCookie(w.logoutSeal.Seal(plain, []byte(name)), 600))
	q := end.Query()
	q.Set("id_token_hint", data.IDToken)
	q.Set("client_id", p.RP.cfg.ClientID)
	q.Set("post_logout_redirect_uri", w.postLogoutURI(p))
	q.Set("state", st.State)
	end.RawQuery = q.Encode()
	http.Redirect(rw, r, end.String(), http.StatusSeeOther)
}

// postLogoutURI is the absolute URL the provider returns to after logout:
// the provider's redirect URL origin with PostLogoutPath.
func (w *Web) postLogoutURI(p *Provider) string {
	u := url.URL{Scheme: p.RP.redirect.Scheme, Host: p.RP.redirect.Host, Path: w.cfg.PostLogoutPath}
	return u.String()
}

// postLogout receives the browser back from the provider's logout, checks
// the state, and goes on to LoggedOutURL.
func (w *Web) postLogout(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cache-Control", "no-store")
	name := w.logoutCookieName()
	c, err := r.Cookie(name)
	http.SetCookie(rw, w.logoutStateCookie("", -1))
	if err != nil {
		w.fail(rw, r, http.StatusBadRequest, ErrLogoutState)
		return
	}
	var st logoutState
	plain, err := w.logoutSeal.Open(c.Value, []byte(name))
	if err != nil || json.Unmarshal(plain, &st) != nil || w.now().Unix() > st.Expiry ||
		subtle.ConstantTimeCompare([]byte(st.State), []byte(r.URL.Query().Get("state"))) != 1 {
		w.fail(rw, r, http.StatusBadRequest, ErrLogoutState)
		return
	}
	http.Redirect(rw, r, w.cfg.LoggedOutURL, http.StatusSeeOther)
}
