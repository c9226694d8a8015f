package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

var chooserPage = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<main>
<h1>Sign in</h1>
{{with .Message}}<p role="alert" id="email-message">{{.}}</p>{{end}}
{{if .EmailFirst}}<form method="get" action="{{.Action}}">
<label for="email">Work email address</label><br>
<input id="email" name="email" type="email" autocomplete="email" required value="{{.Email}}"{{if .Message}} aria-describedby="email-message"{{end}} style="padding: 0.4rem; width: 20rem">
{{with .ReturnTo}}<input type="hidden" name="return_to" value="{{.}}">{{end}}
<button type="submit" style="padding: 0.4rem 1rem">Continue</button>
</form>
<p>Or choose a sign-in option:</p>{{end}}
<nav aria-label="Sign-in providers">
<ul style="list-style: none; padding: 0">
{{range .Links}}<li style="margin: 0.5rem 0">{{if .URL}}<a href="{{.URL}}" style="display: inline-block; padding: 0.6rem 1rem; border: 1px solid; border-radius: 0.3rem">Sign in with {{.Title}}</a>{{else}}<span aria-disabled="true" style="display: inline-block; padding: 0.6rem 1rem; border: 1px dashed; border-radius: 0.3rem; color: GrayText">{{.Title}} is unavailable right now</span>{{end}}</li>
{{end}}</ul>
</nav>
</main>
</body></html>
`))

// chooserLink is one button of the chooser; an empty URL is an
// unavailable connection.
type chooserLink struct{ Title, URL string }

// chooserPage serves the default LoginPage of a Site with several providers
// (or Connections) and no LoginPage of the application's: a link per
// provider, in configuration order, then one per enabled connection,
// carrying the request's return_to on when it is a path on this site (and
// dropping it otherwise). With Connections.EmailFirst it asks for the
// email address first, and a request with an email parameter is routed
// to the connection owning its domain (see RouteEmail).
func (w *Site) chooserPage(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	returnTo := q.Get("return_to")
	data := struct {
		Links                            []chooserLink
		EmailFirst                       bool
		Action, Email, ReturnTo, Message string
	}{Action: defaultLoginPage}
	if returnTo != "" && safePath(returnTo) {
		data.ReturnTo = returnTo
	}
	if w.conns != nil && w.conns.cfg.EmailFirst {
		data.EmailFirst = true
		if q.Has("email") {
			data.Email = q.Get("email")
			var handled bool
			if handled, data.Message = w.routeFromChooser(rw, r, data.Email, returnTo); handled {
				return
			}
		}
	}
	for _, p := range w.order {
		u := p.LoginPath
		if returnTo != "" {
			if _, ok := p.RP.SafeReturnTo(returnTo); ok {
				u += "?" + url.Values{"return_to": {returnTo}}.Encode()
			}
		}
		data.Links = append(data.Links, chooserLink{Title: p.Title, URL: u})
	}
	if w.conns != nil {
		for _, l := range w.conns.links(r.Context()) {
			u := l.LoginURL
			if data.ReturnTo != "" {
				u += "?" + url.Values{"return_to": {data.ReturnTo}}.Encode()
			}
			if l.Unavailable {
				u = ""
			}
			data.Links = append(data.Links, chooserLink{Title: l.Title, URL: u})
		}
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'")
	_ = chooserPage.Execute(rw, data)
}

// safePath is a first filter of a return_to carried on to a connection's
// login, which checks it again (rp.RP.SafeReturnTo) before using it.
func safePath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n\t")
}
