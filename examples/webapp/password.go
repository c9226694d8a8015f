package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/oidcrp/rp"
)

// passwordBook holds the password hashes of local accounts by user ID. It
// is filled before the app serves and only read afterwards.
//
// An unsalted SHA-256 compared in constant time is enough for an example
// with demo passwords. A real application stores a slow, salted hash
// (Argon2id, scrypt or bcrypt) and limits the rate of attempts.
type passwordBook map[string][sha256.Size]byte

// set stores the hash of password for the account with userID.
func (b passwordBook) set(userID, password string) {
	b[userID] = sha256.Sum256([]byte(password))
}

// check reports whether password is the one of the account with userID.
// It hashes and compares even for an unknown account, so that the answer
// takes about as long either way.
func (b passwordBook) check(userID, password string) bool {
	want, ok := b[userID]
	got := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1 && ok
}

// fallbackPolicy is the app's decision on who may use the password
// sign-in. web.Site.SignIn starts a session for any account; whom to let
// in this way is the application's business.
type fallbackPolicy struct {
	// AllowAdminFallback lets administrators sign in with their password.
	// On in this app: its matcher refuses administrators through OpenID
	// Connect, so that administrators keep a way in that does not depend
	// on the provider.
	AllowAdminFallback bool
	// AllowUserFallback lets the other accounts sign in with their
	// password, e.g. while the provider is down. -no-password-fallback
	// turns it off.
	AllowUserFallback bool
}

// allows reports whether u may sign in with a password.
func (p fallbackPolicy) allows(u *rp.User) bool {
	if u.Admin {
		return p.AllowAdminFallback
	}
	return p.AllowUserFallback
}

// maxFormBytes bounds the password form's body.
const maxFormBytes = 16 << 10

// handlePassword signs a user in with the fallback form's username and
// password, then goes on to the form's return_to.
func (a *app) handlePassword(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderError(w, http.StatusBadRequest, errorPage{Title: "The sign-in form could not be read"})
		return
	}
	returnTo := localPath(r.PostForm.Get("return_to"))
	u, err := a.users.UserByUsername(r.Context(), r.PostForm.Get("username"))
	switch {
	case errors.Is(err, rp.ErrUserNotFound) || errors.Is(err, rp.ErrAmbiguousUser):
		u = &rp.User{} // checked below like any account, and refused
	case err != nil:
		a.log.Error("user store failed", "error", err)
		a.renderError(w, http.StatusInternalServerError, errorPage{Title: "Sign-in failed"})
		return
	}
	if !a.passwords.check(u.ID, r.PostForm.Get("password")) {
		a.renderLogin(w, r, http.StatusUnauthorized, returnTo, "Wrong username or password.")
		return
	}
	if !a.fallback.allows(u) {
		a.renderLogin(w, r, http.StatusForbidden, returnTo, "This account signs in with its identity provider, not with a password.")
		return
	}
	if err := a.web.SignIn(w, r, u); err != nil {
		a.log.Error("cannot start a session", "error", err)
		a.renderError(w, http.StatusInternalServerError, errorPage{Title: "Sign-in failed"})
		return
	}
	a.log.Info("signed in with a password", "user", u.ID)
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// defaultReturnTo is where a sign-in goes when it names no page.
const defaultReturnTo = "/me"

// localPath returns p when it is a path on this site ("/reports?id=7"),
// else defaultReturnTo: never another site, such as "//evil.example" or
// "https://evil.example".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return defaultReturnTo
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return defaultReturnTo
	}
	return p
}
