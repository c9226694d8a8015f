package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// TrialHandler completes the sign-ins an administrator starts to try
// settings that are not saved (the "Test sign-in" of package
// github.com/oidcrp/rp/admin). Such a login's RP has the Config of
// Site.TrialConfig, so it comes back to the connection's own redirect URL,
// the one registered at the provider, with a state whose tag names the
// connection and the trial; the Site hands that callback to ServeTrial
// instead of to any version of the connection. ServeTrial must check the
// response with the trial's RP (whose Callback refuses a state it did not
// send) and must not start a session.
type TrialHandler interface {
	ServeTrial(w http.ResponseWriter, r *http.Request, name, trial string)
}

// trialMark separates a connection's name from a trial's ID in a tag.
const trialMark = ".trial-"

// HandleTrials makes h complete the trial sign-ins of the Site's
// Connections (see TrialHandler). Without one, such callbacks are
// refused like those of an unknown connection. A Site without
// Connections ignores it.
func (w *Site) HandleTrials(h TrialHandler) {
	if w.conns != nil {
		w.conns.trials.Store(&h)
	}
}

// ConnectionURLs returns the URLs of the connection name, saved or not, to
// show an administrator what to register at the provider: RedirectURL,
// PostLogoutRedirectURL, BackchannelLogoutURL and FrontchannelLogoutURL
// are computed from Connections.ExternalURL, never from a request. It
// reports false when the Site has no Connections or name is not a valid
// connection name.
func (w *Site) ConnectionURLs(name string) (LoginLink, bool) {
	if w.conns == nil || !providerName.MatchString(name) {
		return LoginLink{}, false
	}
	c := w.conns
	return LoginLink{Name: name, Title: name, LoginURL: c.prefix + name + "/login",
		RedirectURL: c.url(name, "callback"), PostLogoutRedirectURL: c.origin(w.cfg.PostLogoutPath),
		BackchannelLogoutURL: c.url(name, "backchannel-logout"), FrontchannelLogoutURL: c.url(name, "frontchannel-logout"),
		InitiateLoginURL: c.url(name, "initiate-login")}, true
}

// ConnectionConfig returns the rp.Config the Site would build the RP of s
// with (Connections.RP with s's settings, s's redirect URL, the matcher
// over Connections.Users), without building it: for a "Test settings"
// button that runs rp.Check on settings before they are saved. It fails
// with s's problems (a *rp.ConfigError naming the JSON fields), or
// connection.ErrDisabled when the Site has no Connections.
func (w *Site) ConnectionConfig(s *connection.Settings) (rp.Config, error) {
	if w.conns == nil {
		return rp.Config{}, connection.ErrDisabled
	}
	return w.conns.config(s, s.Name+"."+strconv.FormatInt(s.Version, 10))
}

// TrialConfig is ConnectionConfig for a trial sign-in with the ID trial
// (1 to 40 letters and digits, made up by the caller, e.g. random): its
// TransactionTag sends the provider's answer to the TrialHandler, and it
// has no Matcher (the caller decides what matching it previews). Build
// the RP with rp.New; the caller serves its Login and, in ServeTrial, its
// Callback.
func (w *Site) TrialConfig(s *connection.Settings, trial string) (rp.Config, error) {
	if w.conns == nil {
		return rp.Config{}, connection.ErrDisabled
	}
	if !validTrialID(trial) {
		return rp.Config{}, errors.New("web: a trial ID is 1 to 40 letters and digits")
	}
	cfg, err := w.conns.config(s, s.Name+trialMark+trial)
	cfg.Matcher = nil
	return cfg, err
}

func validTrialID(id string) bool {
	if len(id) == 0 || len(id) > 40 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// trialOf returns the trial ID of a callback of the connection name whose
// state's tag is a trial's, or "".
func trialOf(tag, name string) string {
	id, ok := strings.CutPrefix(tag, name+trialMark)
	if !ok || !validTrialID(id) {
		return ""
	}
	return id
}

// serveTrial hands a trial's callback to the TrialHandler, or refuses it.
func (c *conns) serveTrial(rw http.ResponseWriter, r *http.Request, name, trial string) {
	h := c.trials.Load()
	if h == nil {
		c.refuse(rw, r, connection.ErrDisabled, evSignInRefused)
		return
	}
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Referrer-Policy", "no-referrer")
	(*h).ServeTrial(rw, r, name, trial)
}
