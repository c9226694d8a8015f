package rptest

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"sort"
)

// chosenUserParam is the login page's form field naming the chosen user.
// It is read only from a POST body, so a plain authorization request
// cannot use it to skip the page.
const chosenUserParam = "rptest_user"

// interactiveUser decides who signs in when Config.LoginPage is set: the
// user chosen on the login page, else the user login_hint names. When
// neither applies it answers the request itself, with the login page or
// an error response, and reports done.
func (s *Server) interactiveUser(w http.ResponseWriter, r *http.Request, params url.Values, resp authzResponder) (sub string, done bool) {
	if chosen := r.PostForm.Get(chosenUserParam); chosen != "" {
		if _, ok := s.user(chosen); !ok {
			resp.fail("login_required", "the chosen user does not exist")
			return "", true
		}
		return chosen, false
	}
	if sub, ok := s.hintedUser(params.Get("login_hint")); ok {
		return sub, false
	}
	if hasScope(params.Get("prompt"), "none") { // a space-separated list, like scope
		resp.fail("login_required", "the user must choose an account")
		return "", true
	}
	choices := s.loginChoices()
	if len(choices) == 0 {
		resp.fail("login_required", "no user is signed in")
		return "", true
	}
	s.writeLoginPage(w, params, choices)
	return "", true
}

// loginChoice is one user on the login page.
type loginChoice struct {
	Subject string
	Label   string // name, preferred_username or email; "" when none
	Email   string
}

// loginChoices lists the users, sorted by subject.
func (s *Server) loginChoices() []loginChoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]loginChoice, 0, len(s.users))
	for sub, u := range s.users {
		c := loginChoice{Subject: sub}
		c.Email, _ = u.Claims["email"].(string)
		for _, claim := range []string{"name", "preferred_username"} {
			if v, ok := u.Claims[claim].(string); ok && v != "" {
				c.Label = v
				break
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subject < out[j].Subject })
	return out
}

// hiddenField is one authorization request parameter carried by the page.
type hiddenField struct{ Name, Value string }

// loginPageTemplate is the login page; html/template escapes every value.
var loginPageTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rptest: choose a user</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 30rem; margin: 3rem auto; padding: 0 1rem; }
button { display: block; width: 100%; margin: .5rem 0; padding: .6rem 1rem; font: inherit; text-align: left; cursor: pointer; }
small { color: #555; }
</style></head>
<body>
<h1>Sign in to the mock provider</h1>
<p><small>{{.Issuer}} · client <code>{{.ClientID}}</code></small></p>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}{{range .Users}}<button type="submit" name="` + chosenUserParam + `" value="{{.Subject}}" data-sub="{{.Subject}}">
<strong>{{if .Label}}{{.Label}}{{else}}{{.Subject}}{{end}}</strong><br>
<small>sub <code>{{.Subject}}</code>{{with .Email}} · {{.}}{{end}}</small></button>
{{end}}</form>
</body></html>
`))

// writeLoginPage answers the login page for the authorization request
// params, listing choices.
func (s *Server) writeLoginPage(w http.ResponseWriter, params url.Values, choices []loginChoice) {
	names := make([]string, 0, len(params))
	for name := range params {
		if name != chosenUserParam {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var hidden []hiddenField
	for _, name := range names {
		for _, v := range params[name] {
			hidden = append(hidden, hiddenField{Name: name, Value: v})
		}
	}
	data := struct {
		Issuer, ClientID, Action string
		Hidden                   []hiddenField
		Users                    []loginChoice
	}{Issuer: s.URL, ClientID: s.clientID, Action: s.URL + PathAuthorize, Hidden: hidden, Users: choices}
	var buf bytes.Buffer
	if err := loginPageTemplate.Execute(&buf, data); err != nil {
		writeErrorPage(w, http.StatusInternalServerError, "server_error", "cannot render the login page")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// No form-action: browsers apply it to the redirect that follows the
	// form, which leaves for the client's redirect_uri.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w)
}
