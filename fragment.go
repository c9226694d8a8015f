package rp

import (
	"html/template"
	"net/http"
)

// RelayFragment serves, when needed, the page that hands a fragment-mode
// authorization response to the server: browsers never send the part of a
// URL after '#', so with response_mode=fragment the provider's redirect
// arrives as a bare GET of the redirect URL. The page POSTs the fragment's
// parameters back to the same URL, where Callback reads them as a form.
//
// It writes the page and returns true for a GET with no query when this RP
// uses fragment mode (or JARM's fragment.jwt, or "jwt" for a response type
// that returns tokens); otherwise it writes nothing and returns false. Call
// it before Callback in the redirect URL's handler (package web does).
func (r *RP) RelayFragment(w http.ResponseWriter, req *http.Request) bool {
	if r.cfg.responseDelivery() != "fragment" || req.Method != http.MethodGet || req.URL.RawQuery != "" {
		return false
	}
	nonce := randomString()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action 'self'")
	_ = fragmentPage.Execute(w, struct{ Nonce, Action string }{nonce, r.redirect.Path})
	return true
}

// fragmentPage moves the fragment's parameters into a form POSTed to the
// redirect URL, and removes the fragment from the address bar and history.
var fragmentPage = template.Must(template.New("fragment").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing in…</title></head>
<body><noscript>JavaScript is needed to finish signing in.</noscript>
<form method="post" action="{{.Action}}" id="f"></form>
<script nonce="{{.Nonce}}">
(function () {
  var params = new URLSearchParams(window.location.hash.slice(1));
  history.replaceState(null, "", window.location.pathname);
  var form = document.getElementById("f");
  params.forEach(function (value, name) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.appendChild(input);
  });
  form.submit();
})();
</script></body></html>
`))
