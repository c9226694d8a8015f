package admin

import (
	"context"
	"crypto/subtle"
	"net/http"
	"sync"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// maxTrials bounds the test sign-ins kept at once; the oldest is
// forgotten first.
const maxTrials = 32

// trials are the test sign-ins in progress and their results.
type trials struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*trial
}

// trial is one test sign-in: bound to the administrator who started it
// and to their browser's trial cookie.
type trial struct {
	id, admin, bind string
	settings        connection.Settings // without the secret
	rp              *rp.RP
	preview         *preview
	timeout         time.Duration
	expires         time.Time
	done            bool
	result          *trialView
}

func newTrials(now func() time.Time) *trials {
	return &trials{now: now, m: map[string]*trial{}}
}

// add keeps t, forgetting expired trials and, beyond maxTrials, the one
// that expires first.
func (ts *trials) add(t *trial) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.now()
	for id, o := range ts.m {
		if !now.Before(o.expires) {
			delete(ts.m, id)
		}
	}
	for len(ts.m) >= maxTrials {
		var oldest *trial
		for _, o := range ts.m {
			if oldest == nil || o.expires.Before(oldest.expires) {
				oldest = o
			}
		}
		delete(ts.m, oldest.id)
	}
	ts.m[t.id] = t
}

// get returns the trial id while it has not expired, or nil.
func (ts *trials) get(id string) *trial {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := ts.m[id]
	if t == nil || !ts.now().Before(t.expires) {
		return nil
	}
	return t
}

// trialStartView is the data of trialstart.html.
type trialStartView struct {
	page
	Name, URL string
}

// startTrial builds an RP of the form's unsaved settings and sends the
// administrator to the provider with it (a link the script follows at
// once: form-action 'self' forbids redirecting a form to another origin).
func (h *Handler) startTrial(q *request, p *parsed, isNew bool, stored *connection.Settings) {
	if len(p.problems) > 0 {
		h.renderForm(q, http.StatusUnprocessableEntity, p, isNew, p.problems, "")
		return
	}
	s, ok := h.withSecret(q, p, stored)
	if !ok {
		return
	}
	id := randomID()
	cfg, err := h.cfg.Site.TrialConfig(&s, id)
	if h.configFailed(q, p, isNew, &s, err, "admin: test sign-in refused", "The sign-in could not be tested: ") {
		return
	}
	pv := &preview{rec: &dryRun{users: h.cfg.Users}}
	if h.cfg.Users != nil {
		pv.m, err = rp.NewMatcher(s.MatcherConfig(pv.rec))
		if err != nil {
			h.renderForm(q, http.StatusInternalServerError, p, isNew, nil, "The sign-in could not be tested: "+err.Error())
			return
		}
	}
	cfg.Matcher = pv
	timeout := cfg.LoginTimeout
	if timeout <= 0 {
		timeout = rp.DefaultLoginTimeout
	}
	ctx, cancel := context.WithTimeout(q.ctx(), checkTimeout)
	defer cancel()
	trialRP, err := rp.New(ctx, cfg)
	if err != nil {
		msg := redact(err.Error(), string(cfg.ClientSecret))
		h.audit(q.ctx(), "admin: test sign-in refused", q.admin, s.Name, "version", s.Version, "outcome", "provider_failed")
		h.renderForm(q, http.StatusBadGateway, p, isNew, nil, "The provider could not be used, so the sign-in was not started: "+msg+". Run Test settings for details.")
		return
	}
	bind := h.browserToken(q.w, q.r, trialCookie, http.SameSiteLaxMode)
	authURL, err := trialRP.AuthURL(q.w, q.r, rp.LoginOptions{ReturnTo: h.cfg.Path + "trials/" + id})
	if err != nil {
		h.renderForm(q, http.StatusInternalServerError, p, isNew, nil, "The sign-in could not be started: "+err.Error())
		return
	}
	kept := s.Clone()
	kept.ClientSecret = connection.ClientSecret{}
	h.trials.add(&trial{id: id, admin: q.admin, bind: bind, settings: kept, rp: trialRP, preview: pv,
		timeout: timeout, expires: h.now().Add(timeout)})
	h.audit(q.ctx(), "admin: test sign-in started", q.admin, s.Name, "version", s.Version, "outcome", "started", "trial", id)
	h.render(q.w, http.StatusOK, "trialstart.html", trialStartView{page: h.page(q, "Test sign-in"), Name: s.Name, URL: authURL})
}

// ServeTrial completes a test sign-in at the connection's redirect URL
// (web.TrialHandler): the trial's RP checks the provider's answer, with
// this browser's login cookie, and the connection's matcher runs over a
// dry run of Config.Users. No user is created, no subject linked, no
// session started. The browser is then sent to the result page under
// Config.Path, which only the administrator who started the trial, in the
// same browser, may see. An unknown, finished or expired trial is a 404
// page.
func (h *Handler) ServeTrial(w http.ResponseWriter, r *http.Request, name, trialID string) {
	setHeaders(w)
	t := h.trials.get(trialID)
	if t == nil || t.settings.Name != name {
		h.message(w, http.StatusNotFound, "Test sign-in unknown", "This test sign-in is unknown, finished or expired. Start it again from the connection's settings page.")
		return
	}
	h.trials.mu.Lock()
	done := t.done
	t.done = true
	h.trials.mu.Unlock()
	if done {
		h.message(w, http.StatusNotFound, "Test sign-in unknown", "This test sign-in is unknown, finished or expired. Start it again from the connection's settings page.")
		return
	}
	res, err := t.rp.Callback(w, r)
	result := h.trialOutcome(t, res, err)
	h.trials.mu.Lock()
	t.result = result
	t.expires = h.now().Add(t.timeout)
	h.trials.mu.Unlock()
	h.audit(r.Context(), "admin: test sign-in completed", t.admin, t.settings.Name, "trial", t.id, "outcome", result.Outcome)
	http.Redirect(w, r, h.cfg.Path+"trials/"+t.id, http.StatusSeeOther)
}

// msgTrialElsewhere refuses a trial's result to anyone but its starter.
const msgTrialElsewhere = "This test sign-in was started by another administrator or in another browser; its result is shown only there."

// trialResult shows the result of a test sign-in to the administrator
// who started it, in the browser it was started in.
func (h *Handler) trialResult(q *request, id string) {
	t := h.trials.get(id)
	if t == nil {
		h.message(q.w, http.StatusNotFound, "Test sign-in unknown", "This test sign-in is unknown or expired. Start it again from the connection's settings page.")
		return
	}
	c, err := q.r.Cookie(h.cookieName(trialCookie))
	if t.admin != q.admin || err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(t.bind)) != 1 {
		h.message(q.w, http.StatusForbidden, "Not yours", msgTrialElsewhere)
		return
	}
	h.trials.mu.Lock()
	result := t.result
	h.trials.mu.Unlock()
	if result == nil {
		h.message(q.w, http.StatusOK, "Test sign-in in progress", "The provider has not sent the browser back yet. Finish signing in at the provider, or start the test sign-in again.")
		return
	}
	v := *result
	v.page = h.page(q, "Test sign-in of "+t.settings.Name)
	h.render(q.w, http.StatusOK, "trial.html", v)
}
