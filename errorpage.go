package rp

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/oidcrp/rp/session"
)

// ErrorKind names the kind of a sign-in or logout error in a few words
// fit for a user, without any detail from the provider or the tokens.
func ErrorKind(err error) string {
	switch {
	case errors.Is(err, ErrState):
		return "This sign-in link expired or was already used. Please sign in again."
	case errors.Is(err, ErrAuthorization):
		return "The identity provider did not sign you in."
	case errors.Is(err, ErrIssuerMismatch), errors.Is(err, ErrInvalidIDToken), errors.Is(err, ErrMissingIDToken),
		errors.Is(err, ErrUserInfoSubjectMismatch):
		return "The identity provider's answer could not be verified."
	case errors.Is(err, ErrTokenExchange), errors.Is(err, ErrUserInfo):
		return "The identity provider could not be reached or refused the sign-in."
	case errors.Is(err, ErrNoLocalAccount), errors.Is(err, ErrAmbiguousUser):
		return "There is no account here for this identity."
	case errors.Is(err, ErrUnverifiedEmail):
		return "Your email address is not verified by the identity provider, so it cannot be linked to an account."
	case errors.Is(err, ErrSubjectConflict):
		return "This account is already linked to another identity at this provider."
	case errors.Is(err, ErrAdminRefused):
		return "Administrators must sign in with their password."
	case errors.Is(err, ErrUserExists):
		return "An account with this username or email already exists."
	case errors.Is(err, session.ErrTooLarge):
		return "The sign-in is too large to keep in a cookie; the site needs a server-side session store."
	case errors.Is(err, ErrLogoutIncomplete):
		return "You are signed out in this browser, but the sign-out may not have reached every device: the site could not end your session everywhere. Please try again in a few minutes."
	case errors.Is(err, ErrLogoutState):
		return "This sign-out link expired or was already used."
	case errors.Is(err, ErrUnsafeReturnTo), errors.Is(err, ErrInvalidLoginOption), errors.Is(err, ErrMalformedResponse):
		return "The sign-in request was not valid."
	}
	return "Sign-in failed."
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in problem</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Sign-in problem</h1>
<p>{{.Kind}}</p>
{{with .Code}}<p>The provider said: <code>{{.}}</code>{{with $.Description}}: {{.}}{{end}}</p>{{end}}
{{with .Ref}}<p>If you contact support, quote this reference: <code>{{.}}</code></p>{{end}}
<p><a href="/">Back to the start page</a></p>
</body></html>
`))

// renderError writes the default error page: the error's kind, its
// reference (ErrorRef) and, for a provider error, its sanitized code and
// description, HTML-escaped.
func renderError(w http.ResponseWriter, status int, err error) {
	data := struct{ Kind, Code, Description, Ref string }{Kind: ErrorKind(err), Ref: ErrorRef(err)}
	var pe *AuthorizationError
	if errors.As(err, &pe) {
		data.Code, data.Description = pe.Code, pe.Description
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_ = errorPage.Execute(w, data)
}
