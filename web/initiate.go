package web

import (
	"errors"
	"fmt"
	"net/http"
	"unicode"

	"github.com/oidcrp/rp"
)

// ErrInitiateIssuer: a third-party-initiated login (OpenID Connect Core
// 1.0 section 4) named an issuer other than the provider's, or none. No
// login is started.
var ErrInitiateIssuer = errors.New("web: the sign-in was started for another identity provider")

// maxLoginHint is the longest login_hint an initiated login passes on; a
// longer one is dropped, not cut, since a cut hint names nobody.
const maxLoginHint = 256

// maxInitiateForm bounds the body of a POSTed initiated login.
const maxInitiateForm = 16 << 10

// initiateHandler serves a provider's initiate_login_uri: a dashboard
// ("app tiles" in Okta or Entra) or the provider itself sends the browser
// here, by GET or form POST, with iss (which must equal the provider's
// issuer exactly), login_hint (optional, passed on when at most
// maxLoginHint bytes of printable text) and target_link_uri (where to land
// after signing in: a location on this site, else "/"). It then starts a
// normal login, protected by state, nonce and PKCE as any other. A wrong
// or missing iss is refused with 400 and ErrInitiateIssuer, before any
// cookie is set.
func (w *Site) initiateHandler(p *Provider) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(rw, r.Body, maxInitiateForm)
		}
		if err := r.ParseForm(); err != nil {
			w.refuse(rw, r, http.StatusBadRequest, fmt.Errorf("%w: the request's parameters cannot be read", ErrInitiateIssuer), evLoginNotStarted, "provider", p.Name)
			return
		}
		form := r.Form
		if len(form["iss"]) != 1 || form.Get("iss") != p.RP.Metadata().Issuer {
			w.refuse(rw, r, http.StatusBadRequest, ErrInitiateIssuer, evLoginNotStarted, "provider", p.Name)
			return
		}
		opts := rp.LoginOptions{ReturnTo: "/"}
		if target, ok := p.RP.SafeReturnTo(form.Get("target_link_uri")); ok {
			opts.ReturnTo = target
		}
		if hint := form.Get("login_hint"); len(hint) <= maxLoginHint && printable(hint) {
			opts.LoginHint = hint
		}
		if err := p.RP.Login(rw, r, opts); err != nil {
			w.refuse(rw, r, http.StatusBadRequest, err, evLoginNotStarted, "provider", p.Name)
		}
	})
}

// printable reports whether s holds only printable characters (no
// control characters), so a hint from the browser is a plain string.
func printable(s string) bool {
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}
