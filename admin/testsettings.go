package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// checkTimeout bounds a Test settings run.
const checkTimeout = 30 * time.Second

// maxTests bounds the results kept of tests of connections not saved.
const maxTests = 1000

// checkView is the result of Test settings.
type checkView struct {
	OK       bool
	Summary  string
	Findings []findingView
}

// findingView is one finding in plain words.
type findingView struct {
	Class, Status, What, Message string
}

// checkNames words the checks of rp.Finding.Check.
var checkNames = map[string]string{
	"config": "Settings", "discovery": "Discovery document", "issuer": "Issuer", "jwks": "Signing keys",
	"signing_algs": "Signing algorithms", "response_type": "Response type", "response_mode": "Response mode",
	"scopes": "Scopes", "pkce": "PKCE", "client_auth": "Client authentication",
	"backchannel_logout": "Back-channel logout", "frontchannel_logout": "Front-channel logout",
	"redirect_url": "Redirect URI", "credentials": "Client ID and secret",
	"post_logout_redirect_url": "Post-logout redirect URI",
}

// fieldWords replaces rp.Config's field names in messages by the form's
// labels.
var fieldWords = strings.NewReplacer(
	"ClientSecret", "Client secret", "ClientID", "Client ID", "MetadataURL", "Configuration URL",
	"ResponseType", "Response type", "DisablePKCE", "Turn PKCE off", "UsernameClaim", "Username claim",
	"EmailClaim", "Email claim", "RedirectURL", "Redirect URI", "PostLogoutRedirectURL", "Post-logout redirect URI")

// withSecret returns a copy of the form's settings carrying the client
// secret to try: the typed one, none, or, when the form keeps the secret,
// the stored one of the version being edited. It answers the request
// itself and returns false when that version is gone or the store fails.
func (h *Handler) withSecret(q *request, p *parsed, stored *connection.Settings) (connection.Settings, bool) {
	s := p.s.Clone()
	switch s.ClientSecret.Action {
	case connection.SecretSet:
		return s, true
	case connection.SecretRemove:
		s.ClientSecret.Value = ""
		return s, true
	}
	if stored == nil {
		return s, true // a new connection has no secret to keep
	}
	from := stored
	if stored.Version != s.Version {
		v, err := h.cfg.Store.GetVersion(q.ctx(), s.Name, s.Version)
		switch {
		case isNotFound(err):
			h.renderForm(q, http.StatusConflict, p, false, nil, msgConflict)
			return s, false
		case err != nil:
			h.storeFailed(q, "GetVersion", err)
			return s, false
		}
		from = &v
	}
	s.ClientSecret.Value = from.ClientSecret.Value
	return s, true
}

// test runs rp.Check on the form's unsaved settings and shows the
// findings above the form.
func (h *Handler) test(q *request, p *parsed, isNew bool, stored *connection.Settings) {
	if len(p.problems) > 0 {
		h.renderForm(q, http.StatusUnprocessableEntity, p, isNew, p.problems, "")
		return
	}
	s, ok := h.withSecret(q, p, stored)
	if !ok {
		return
	}
	cfg, err := h.cfg.Site.ConnectionConfig(&s)
	if h.configFailed(q, p, isNew, &s, err, "admin: connection tested", "The settings could not be tested: ") {
		return
	}
	opts := rp.CheckOptions{}
	if links, ok := h.cfg.Site.ConnectionURLs(s.Name); ok {
		opts.PostLogoutRedirectURL = links.PostLogoutRedirectURL
	}
	ctx, cancel := context.WithTimeout(q.ctx(), checkTimeout)
	defer cancel()
	report := rp.Check(ctx, cfg, opts)
	cv := &checkView{OK: report.OK()}
	var fails, warns int
	for _, f := range report.Findings {
		fv := findingView{What: checkNames[f.Check], Message: fieldWords.Replace(f.Message)}
		if fv.What == "" {
			fv.What = f.Check
		}
		fv.Message = redact(fv.Message, string(cfg.ClientSecret))
		switch f.Status {
		case rp.CheckOK:
			fv.Class, fv.Status = "ok", "OK"
		case rp.CheckWarn:
			fv.Class, fv.Status = "warn", "Warning"
			warns++
		default:
			fv.Class, fv.Status = "fail", "Failure"
			fails++
		}
		cv.Findings = append(cv.Findings, fv)
	}
	cv.Summary = fmt.Sprintf("%d %s, %d %s", fails, plural(fails, "failure", "failures"), warns, plural(warns, "warning", "warnings"))
	outcome := "ok"
	if !cv.OK {
		outcome = "failed"
	}
	h.audit(q.ctx(), "admin: connection tested", q.admin, s.Name, "version", s.Version, "outcome", outcome,
		"failures", fails, "warnings", warns)
	h.mu.Lock()
	if !isNew || len(h.tests) < maxTests {
		h.tests[s.Name] = testSummary{At: h.now(), OK: cv.OK, Summary: cv.Summary}
	}
	h.mu.Unlock()
	v := h.editView(q, &p.s, isNew, nil)
	v.SecretTyped = p.typed
	v.Check = cv
	h.render(q.w, http.StatusOK, "edit.html", v)
}

// configFailed answers the form when the settings s did not make an
// rp.Config (err not nil) and reports whether it did: invalid settings are
// audited under event and shown as problems of the form (422); any other
// error is shown, after prefix, above the form (500).
func (h *Handler) configFailed(q *request, p *parsed, isNew bool, s *connection.Settings, err error, event, prefix string) bool {
	var ce *rp.ConfigError
	switch {
	case errors.As(err, &ce):
		h.audit(q.ctx(), event, q.admin, s.Name, "version", s.Version, "outcome", "invalid")
		h.renderForm(q, http.StatusUnprocessableEntity, p, isNew, ce.Problems, "")
	case err != nil:
		h.renderForm(q, http.StatusInternalServerError, p, isNew, nil, prefix+err.Error())
	default:
		return false
	}
	return true
}

// redact replaces the client secret, when there is one, in msg.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[secret]")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
