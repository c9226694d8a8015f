package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
)

// contentSecurityPolicy allows the page's own stylesheet and script and
// nothing else; forms post to this origin only.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setHeaders sets the headers of every answer: never cached, never
// framed, nothing loaded from elsewhere.
func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// Messages of the refused POSTs.
const (
	msgCrossOrigin = "This form was sent from another site, so it was refused and nothing was changed. Open the settings page of this application and submit the form from there."
	msgTokenAbsent = "The form's security token is missing, so it was refused and nothing was changed. Reload the page (your browser must accept cookies from this site) and submit the form again."
	msgTokenWrong  = "The form's security token does not match this browser's, so it was refused and nothing was changed. Reload the page and submit the form again."
)

// crossOrigin refuses cross-origin POSTs by Sec-Fetch-Site and Origin.
var crossOrigin = http.NewCrossOriginProtection()

// checkPost checks a POST: same origin, a bounded body that parses, and
// the form token equal to the token cookie's. It answers the refusal
// itself and reports false then.
func (h *Handler) checkPost(w http.ResponseWriter, r *http.Request) bool {
	if err := crossOrigin.Check(r); err != nil {
		h.message(w, http.StatusForbidden, "Request refused", msgCrossOrigin)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.message(w, http.StatusRequestEntityTooLarge, "Form too large", "The form is larger than 64 KiB and was not read. Shorten the longest fields and try again.")
			return false
		}
		h.message(w, http.StatusBadRequest, "Form not readable", "The form could not be read. Reload the page and try again.")
		return false
	}
	c, err := r.Cookie(h.cookieName(csrfCookie))
	form := r.PostForm.Get("csrf")
	switch {
	case err != nil || !validToken(c.Value) || form == "":
		h.message(w, http.StatusForbidden, "Request refused", msgTokenAbsent)
		return false
	case subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1:
		h.message(w, http.StatusForbidden, "Request refused", msgTokenWrong)
		return false
	}
	return true
}

// Cookie base names.
const (
	csrfCookie  = "rp_admin_csrf"  // the double-submit token, SameSite=Strict
	trialCookie = "rp_admin_trial" // binds test sign-ins to a browser, SameSite=Lax
)

// cookieName is the cookie's name: with the __Host- prefix (Secure,
// Path=/, no Domain) when the application is on https.
func (h *Handler) cookieName(base string) string {
	if h.secure {
		return "__Host-" + base
	}
	return base
}

// browserToken returns the value of this browser's cookie base, setting a
// new random one when it has none (or a malformed one).
func (h *Handler) browserToken(w http.ResponseWriter, r *http.Request, base string, site http.SameSite) string {
	if c, err := r.Cookie(h.cookieName(base)); err == nil && validToken(c.Value) {
		return c.Value
	}
	v := randomToken()
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(base), Value: v, Path: "/", HttpOnly: true,
		Secure: h.secure, SameSite: site, MaxAge: 12 * 3600})
	return v
}

// csrfToken returns the form token of this browser, setting its cookie
// when needed.
func (h *Handler) csrfToken(q *request) string {
	return h.browserToken(q.w, q.r, csrfCookie, http.SameSiteStrictMode)
}

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// validToken reports whether v is a token randomToken could have made.
func validToken(v string) bool { return tokenPattern.MatchString(v) }

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomID returns a trial ID: 24 random letters and digits.
func randomID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// validName reports whether name can be a connection's name.
func validName(name string) bool { return namePattern.MatchString(name) }

// serveStatic writes a stylesheet or script.
func serveStatic(w http.ResponseWriter, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write([]byte(body))
}
