package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/web"
)

// homeData is what the home page shows.
type homeData struct {
	Name string // "" when nobody is signed in
}

// handleHome serves "/", open to everyone.
func (a *app) handleHome(w http.ResponseWriter, r *http.Request) {
	var data homeData
	if s := web.SessionFrom(r.Context()); s != nil {
		data.Name = displayName(s)
	}
	a.render(w, http.StatusOK, a.pages.home, data)
}

// loginData is what the sign-in page shows.
type loginData struct {
	Providers []providerButton
	ReturnTo  string
	Problem   string        // why the last password sign-in failed
	Demo      []demoAccount // demo accounts and passwords, in the demo only
}

// providerButton is a link that starts a sign-in with one provider.
type providerButton struct {
	Name, Title, URL string
}

// handleLogin serves the sign-in page: a button per provider and the
// password form, all returning to the page named by return_to.
func (a *app) handleLogin(w http.ResponseWriter, r *http.Request) {
	a.renderLogin(w, r, http.StatusOK, localPath(r.URL.Query().Get("return_to")), "")
}

// renderLogin writes the sign-in page with status, returning to returnTo
// (a local path) and explaining problem, if any.
func (a *app) renderLogin(w http.ResponseWriter, _ *http.Request, status int, returnTo, problem string) {
	data := loginData{ReturnTo: returnTo, Problem: problem, Demo: a.demo}
	for _, p := range a.web.Providers() {
		u := p.LoginURL + "?" + url.Values{"return_to": {returnTo}}.Encode()
		data.Providers = append(data.Providers, providerButton{Name: p.Name, Title: p.Title, URL: u})
	}
	a.render(w, status, a.pages.login, data)
}

// meData is what the account page shows.
type meData struct {
	Name     string
	Provider string // the provider's title, or "Password"
	Account  *rp.User
	Claims   []claimRow // none after a password sign-in
}

// claimRow is one claim: its name and JSON-encoded value.
type claimRow struct {
	Name, Value string
}

// handleMe serves the account page of the signed-in user.
func (a *app) handleMe(w http.ResponseWriter, r *http.Request) {
	s := web.SessionFrom(r.Context())
	data := meData{Name: displayName(s), Provider: "Password", Account: s.User}
	if s.Provider != "" {
		data.Provider = a.providerTitle(s.Provider)
	}
	c := s.Claims()
	data.Claims = claimRows(c.Raw)
	// The sign-out form is redirected on to the provider's logout page,
	// which is on its issuer's origin for the providers of this example.
	w.Header().Set("Content-Security-Policy", a.csp([]string{origin(c.Issuer)}))
	a.render(w, http.StatusOK, a.pages.me, data)
}

// providerTitle is the title of the provider or connection name.
func (a *app) providerTitle(name string) string {
	if t, ok := a.titles[name]; ok {
		return t
	}
	for _, l := range a.web.Providers() {
		if l.Name == name {
			return l.Title
		}
	}
	return name
}

// displayName is the name to greet the user of s with.
func displayName(s *web.SessionInfo) string {
	var names []string
	if u := s.User; u != nil {
		names = append(names, u.Name, u.Username)
	}
	if c := s.Claims(); c != nil {
		names = append(names, c.Name, c.PreferredUsername, c.Email, c.Subject)
	}
	for _, n := range names {
		if n != "" {
			return n
		}
	}
	return "(unnamed)"
}

// claimRows lists claims sorted by name, each value as JSON.
func claimRows(claims map[string]any) []claimRow {
	rows := make([]claimRow, 0, len(claims))
	for name, value := range claims {
		b, err := json.Marshal(value)
		s := string(b)
		if err != nil {
			s = "(cannot be shown)"
		}
		rows = append(rows, claimRow{Name: name, Value: s})
	}
	slices.SortFunc(rows, func(x, y claimRow) int { return strings.Compare(x.Name, y.Name) })
	return rows
}

// errorPage is what the error page shows; every field is text, escaped
// by the template.
type errorPage struct {
	Title               string
	Detail              string
	ProviderCode        string
	ProviderDescription string
	Ref                 string // rp.ErrorRef: also in the log line, for support
}

// webError is web.Site's ErrorHandler: failed sign-ins and sign-outs, shown
// by the kind of error only, and for a provider's refusal its sanitized
// code and description, with the reference that the log line carries.
func (a *app) webError(w http.ResponseWriter, _ *http.Request, status int, err error) {
	page := errorPage{Title: "Sign-in problem", Detail: web.ErrorMessage(err), Ref: rp.ErrorRef(err)}
	var pe *rp.AuthorizationError
	if errors.As(err, &pe) {
		page.ProviderCode, page.ProviderDescription = pe.Code, pe.Description
	}
	a.renderError(w, status, page)
}

// renderError writes the error page with status.
func (a *app) renderError(w http.ResponseWriter, status int, page errorPage) {
	a.render(w, status, a.pages.error, page)
}

// render executes t with data and writes the result with status. The page
// is rendered in full before anything is written, so a template error
// becomes a clean 500. Pages show who is signed in, so none is cached.
func (a *app) render(w http.ResponseWriter, status int, t pageTemplate, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		a.log.Error("cannot render page", "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
