package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// msgConflict is said when the version edited is no longer the latest.
const msgConflict = "Someone else saved this connection meanwhile; reload to see their version. Your changes are still in the form below, but were not saved."

// listView is the data of list.html.
type listView struct {
	page
	Notice  string
	Rows    []listRow
	Presets []preset
}

// listRow is one connection of the list.
type listRow struct {
	Name, Title, Href string
	Enabled           bool
	Kind, LooksLike   string
	LastTest          string // "" when not tested by this process
	LastTestOK        bool
	LastSignIn        string // "" when nobody signed in here since the start
}

// list serves the list of connections.
func (h *Handler) list(q *request) {
	conns, err := h.cfg.Store.List(q.ctx())
	if err != nil {
		h.storeFailed(q, "List", err)
		return
	}
	v := listView{page: h.page(q, "OpenID Connect"), Presets: presets}
	query := q.r.URL.Query()
	if n := query.Get("saved"); validName(n) {
		v.Notice = fmt.Sprintf("Saved the connection %s.", n)
	} else if n := query.Get("deleted"); validName(n) {
		v.Notice = fmt.Sprintf("Deleted the connection %s.", n)
	}
	h.mu.Lock()
	tests := make(map[string]testSummary, len(h.tests))
	for k, t := range h.tests {
		tests[k] = t
	}
	h.mu.Unlock()
	for i := range conns {
		s := &conns[i]
		row := listRow{Name: s.Name, Title: s.Title, Href: h.cfg.Path + "connections/" + s.Name, Enabled: s.Enabled,
			Kind: kindOf(s), LooksLike: looksLike(s)}
		if row.Title == "" {
			row.Title = s.Name
		}
		if t, ok := tests[s.Name]; ok {
			row.LastTest = t.Summary + ", " + t.At.UTC().Format("2006-01-02 15:04 UTC")
			row.LastTestOK = t.OK
		}
		if at := h.cfg.Site.LastSignIn(s.Name); !at.IsZero() {
			row.LastSignIn = at.UTC().Format("2006-01-02 15:04 UTC")
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(q.w, http.StatusOK, "list.html", v)
}

// newForm serves the form of a new connection, prefilled by a preset.
func (h *Handler) newForm(q *request) {
	id := q.r.URL.Query().Get("preset")
	if id == "" {
		id = "generic"
	}
	p := presetByID(id)
	if p == nil {
		h.notFound(q.w)
		return
	}
	s := p.Settings.Clone()
	v := h.editView(q, &s, true, nil)
	v.Preset = p
	h.render(q.w, http.StatusOK, "edit.html", v)
}

// editForm serves the form of the saved connection name.
func (h *Handler) editForm(q *request, name string) {
	s, err := h.cfg.Store.Get(q.ctx(), name)
	switch {
	case isNotFound(err):
		h.notFound(q.w)
		return
	case err != nil:
		h.storeFailed(q, "Get", err)
		return
	}
	h.render(q.w, http.StatusOK, "edit.html", h.editView(q, &s, false, nil))
}

// post runs the action of a submitted edit form: save, test, trial or
// delete. name is "" for a new connection.
func (h *Handler) post(q *request, name string, isNew bool) {
	form := q.r.PostForm
	var stored *connection.Settings
	if !isNew {
		s, err := h.cfg.Store.Get(q.ctx(), name)
		switch {
		case isNotFound(err):
			h.message(q.w, http.StatusNotFound, "Connection deleted", fmt.Sprintf("The connection %s no longer exists: someone deleted it meanwhile. Nothing was changed.", name))
			return
		case err != nil:
			h.storeFailed(q, "Get", err)
			return
		}
		stored = &s
	}
	action := form.Get("action")
	if action == "delete" && !isNew {
		version, err := strconv.ParseInt(form.Get("version"), 10, 64)
		if err != nil || version <= 0 {
			h.message(q.w, http.StatusBadRequest, "Form damaged", "The form's version is missing. Reload the page and try again.")
			return
		}
		h.delete(q, name, version, form.Get("confirm") == "yes")
		return
	}
	p := parseForm(form, name, stored)
	if stored != nil {
		p.s.ClientSecret.IsSet = stored.ClientSecret.IsSet
	}
	switch action {
	case "save":
		h.save(q, p, isNew)
	case "test":
		h.test(q, p, isNew, stored)
	case "trial":
		h.startTrial(q, p, isNew, stored)
	default:
		h.message(q.w, http.StatusBadRequest, "No action", "Choose Save, Test settings, Test sign-in or Delete.")
	}
}

// problemsOf returns the problems of the form and of its settings.
func problemsOf(p *parsed) []rp.ConfigProblem {
	problems := p.problems
	unread := map[string]bool{} // fields too long to read: Validate saw them empty
	for _, pr := range p.problems {
		unread[formField(pr.Field)] = true
	}
	var ce *rp.ConfigError
	if errors.As(p.s.Validate(), &ce) {
		for _, pr := range ce.Problems {
			if f := formField(pr.Field); f == "" || !unread[f] {
				problems = append(problems, pr)
			}
		}
	}
	return problems
}

// save stores the settings of the form as a new version.
func (h *Handler) save(q *request, p *parsed, isNew bool) {
	if problems := problemsOf(p); len(problems) > 0 {
		h.audit(q.ctx(), "admin: connection save refused", q.admin, p.s.Name, "version", p.s.Version, "outcome", "invalid")
		h.renderForm(q, http.StatusUnprocessableEntity, p, isNew, problems, "")
		return
	}
	saved, err := h.cfg.Store.Put(q.ctx(), p.s, q.admin)
	var ce *rp.ConfigError
	switch {
	case err == nil:
		h.audit(q.ctx(), "admin: connection saved", q.admin, saved.Name, "version", saved.Version, "outcome", "saved",
			"enabled", saved.Enabled, "secret", secretOutcome(p.s.ClientSecret.Action))
		http.Redirect(q.w, q.r, h.cfg.Path+"?"+url.Values{"saved": {saved.Name}}.Encode(), http.StatusSeeOther)
	case errors.As(err, &ce):
		h.audit(q.ctx(), "admin: connection save refused", q.admin, p.s.Name, "version", p.s.Version, "outcome", "invalid")
		h.renderForm(q, http.StatusUnprocessableEntity, p, isNew, ce.Problems, "")
	case errors.Is(err, connection.ErrConflict) && isNew:
		h.audit(q.ctx(), "admin: connection save refused", q.admin, p.s.Name, "version", 0, "outcome", "conflict")
		h.renderForm(q, http.StatusConflict, p, isNew, []rp.ConfigProblem{{Field: "name",
			Message: fmt.Sprintf("a connection named %s exists already; choose another name, or edit that connection", p.s.Name)}}, "")
	case errors.Is(err, connection.ErrConflict), errors.Is(err, connection.ErrNotFound):
		h.audit(q.ctx(), "admin: connection save refused", q.admin, p.s.Name, "version", p.s.Version, "outcome", "conflict")
		h.renderForm(q, http.StatusConflict, p, isNew, nil, msgConflict)
	case errors.Is(err, connection.ErrDomainTaken):
		h.audit(q.ctx(), "admin: connection save refused", q.admin, p.s.Name, "version", p.s.Version, "outcome", "domain_taken")
		msg := "an email domain listed here belongs to another connection; remove it from one of the two"
		if d := strings.TrimPrefix(err.Error(), connection.ErrDomainTaken.Error()+": "); strings.HasPrefix(d, `"`) && len(d) < 300 {
			msg = d + " belongs to another connection; remove it from one of the two"
		}
		h.renderForm(q, http.StatusUnprocessableEntity, p, isNew, []rp.ConfigProblem{{Field: "email_domains", Message: msg}}, "")
	default:
		h.audit(q.ctx(), "admin: connection save failed", q.admin, p.s.Name, "version", p.s.Version, "outcome", "error")
		h.storeFailed(q, "Put", err)
	}
}

// secretOutcome says, for the audit log, what a save did with the secret.
func secretOutcome(a connection.SecretAction) string {
	switch a {
	case connection.SecretSet:
		return "replaced"
	case connection.SecretRemove:
		return "removed"
	}
	return "kept"
}

// renderForm renders the submitted form again, with its problems and an
// alert.
func (h *Handler) renderForm(q *request, status int, p *parsed, isNew bool, problems []rp.ConfigProblem, alert string) *editView {
	v := h.editView(q, &p.s, isNew, problems)
	v.SecretTyped = p.typed
	v.Alert = alert
	h.render(q.w, status, "edit.html", v)
	return v
}

// deleteView is the data of delete.html.
type deleteView struct {
	page
	Name    string
	Version int64
	Action  string
	Back    string
}

// delete asks for confirmation, and with it deletes the connection.
func (h *Handler) delete(q *request, name string, version int64, confirmed bool) {
	if !confirmed {
		h.render(q.w, http.StatusOK, "delete.html", deleteView{page: h.page(q, "Delete "+name), Name: name,
			Version: version, Action: h.cfg.Path + "connections/" + name, Back: h.cfg.Path + "connections/" + name})
		return
	}
	err := h.cfg.Store.Delete(q.ctx(), name, version)
	switch {
	case err == nil:
		h.audit(q.ctx(), "admin: connection deleted", q.admin, name, "version", version, "outcome", "deleted")
		h.mu.Lock()
		delete(h.tests, name)
		h.mu.Unlock()
		http.Redirect(q.w, q.r, h.cfg.Path+"?"+url.Values{"deleted": {name}}.Encode(), http.StatusSeeOther)
	case errors.Is(err, connection.ErrConflict):
		h.audit(q.ctx(), "admin: connection delete refused", q.admin, name, "version", version, "outcome", "conflict")
		h.message(q.w, http.StatusConflict, "Not deleted", "Someone else saved this connection meanwhile; reload to see their version before you delete it. Nothing was deleted.")
	case isNotFound(err):
		h.message(q.w, http.StatusNotFound, "Connection deleted", fmt.Sprintf("The connection %s no longer exists.", name))
	default:
		h.audit(q.ctx(), "admin: connection delete failed", q.admin, name, "version", version, "outcome", "error")
		h.storeFailed(q, "Delete", err)
	}
}

// testSummary is the last Test settings of a connection.
type testSummary struct {
	At      time.Time
	OK      bool
	Summary string
}
