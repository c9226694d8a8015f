package web

import (
	"html/template"
	"net/http"
	"net/url"
)

var chooserPage = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<main>
<h1>Sign in</h1>
<nav aria-label="Sign-in providers">
<ul style="list-style: none; padding: 0">
{{range .}}<li style="margin: 0.5rem 0"><a href="{{.URL}}" style="display: inline-block; padding: 0.6rem 1rem; border: 1px solid; border-radius: 0.3rem">Sign in with {{.Title}}</a></li>
{{end}}</ul>
</nav>
</main>
</body></html>
`))

// chooserPage serves the default LoginPage of a Site with several providers
// and no LoginPage of the application's: a link per provider, in
// configuration order, carrying the request's return_to on when it is a
// path on this site (and dropping it otherwise).
func (w *Site) chooserPage(rw http.ResponseWriter, r *http.Request) {
	returnTo := r.URL.Query().Get("return_to")
	type link struct{ Title, URL string }
	links := make([]link, 0, len(w.order))
	for _, p := range w.order {
		u := p.LoginPath
		if returnTo != "" {
			if _, ok := p.RP.SafeReturnTo(returnTo); ok {
				u += "?" + url.Values{"return_to": {returnTo}}.Encode()
			}
		}
		links = append(links, link{Title: p.Title, URL: u})
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'")
	_ = chooserPage.Execute(rw, links)
}
