package web

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/session"
)

// ErrorMessage says what went wrong with a sign-in or a logout in a
// sentence fit for the user, without any detail from the provider or the
// tokens: rp.ErrorMessage, and the web layer's own errors.
func ErrorMessage(err error) string {
	switch {
	case errors.Is(err, session.ErrTooLarge):
		return "The sign-in is too large to keep in a cookie; the site needs a server-side session store."
	case errors.Is(err, ErrLogoutIncomplete):
		return "You are signed out in this browser, but the sign-out may not have reached every device: the site could not end your session everywhere. Please try again in a few minutes."
	case errors.Is(err, ErrLogoutState):
		return "This sign-out link expired or was already used."
	case errors.Is(err, connection.ErrDisabled):
		return "This sign-in option is not available. Please choose another way to sign in, or ask your administrator."
	case errors.Is(err, ErrSettingsChanged):
		return "The sign-in settings changed while you were signing in. Please sign in again."
	case errors.Is(err, ErrInitiateIssuer):
		return "This sign-in link was made for another identity provider, so it was not followed. Please sign in from this site's sign-in page."
	case errors.Is(err, ErrConnectionUnavailable):
		return "This sign-in option is unavailable right now. Please try again in a few minutes, or choose another way to sign in."
	case errors.Is(err, rp.ErrReplayStore):
		return "The sign-in could not be checked just now, so it was not completed. Please try again in a moment."
	}
	return rp.ErrorMessage(err)
}

// NextStep says, in a sentence for the user, what they can do about the
// failed sign-in or logout err: sign in again, use another account, try
// again later, or contact the administrator with the reference that the
// page shows (rp.ErrorRef). Like ErrorMessage, it reveals no detail.
func NextStep(err error) string {
	switch {
	case errors.Is(err, rp.ErrState), errors.Is(err, ErrSettingsChanged), errors.Is(err, ErrLogoutState),
		errors.Is(err, rp.ErrUnsafeReturnTo), errors.Is(err, rp.ErrMalformedResponse):
		return "Sign in again from the start."
	case errors.Is(err, rp.ErrReplayStore), errors.Is(err, ErrConnectionUnavailable), errors.Is(err, ErrLogoutIncomplete),
		errors.Is(err, rp.ErrTokenExchange), errors.Is(err, rp.ErrUserInfo), errors.Is(err, rp.ErrStore):
		return "Try again in a few minutes. If it keeps happening, contact your administrator with the reference below."
	case errors.Is(err, rp.ErrNoLocalAccount), errors.Is(err, rp.ErrAmbiguousUser), errors.Is(err, rp.ErrSubjectConflict),
		errors.Is(err, rp.ErrUserExists):
		return "If you have another account at your identity provider, sign in with it; otherwise ask your administrator for access, quoting the reference below."
	case errors.Is(err, rp.ErrUnverifiedEmail):
		return "Verify your email address at your identity provider, or ask your administrator to link your account, quoting the reference below."
	case errors.Is(err, rp.ErrAdminRefused):
		return "Use the password sign-in for administrators."
	case errors.Is(err, rp.ErrAuthorization):
		return "Sign in again, or choose another account. If the provider keeps refusing, contact your administrator with the reference below."
	case errors.Is(err, connection.ErrDisabled):
		return "Choose another way to sign in."
	}
	return "Sign in again. If it keeps failing, contact your administrator with the reference below."
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in problem</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Sign-in problem</h1>
<p>{{.Kind}}</p>
{{with .Code}}<p>The provider said: <code>{{.}}</code>{{with $.Description}}: {{.}}{{end}}</p>{{end}}
<p>{{.Next}}</p>
{{with .Ref}}<p>Reference: <code>{{.}}</code></p>{{end}}
<p>{{with .Again}}<a href="{{.}}">Sign in again</a> · {{end}}<a href="/">Back to the start page</a></p>
</body></html>
`))

// renderError writes the default error page: what happened (ErrorMessage),
// for a provider error its sanitized code and description, HTML-escaped,
// what the user can do (NextStep), the reference (rp.ErrorRef), and a link
// to sign in again at again when it is not empty.
func renderError(w http.ResponseWriter, status int, err error, again string) {
	data := struct{ Kind, Code, Description, Next, Ref, Again string }{Kind: ErrorMessage(err), Next: NextStep(err), Ref: rp.ErrorRef(err), Again: again}
	var pe *rp.AuthorizationError
	if errors.As(err, &pe) {
		data.Code, data.Description = pe.Code, pe.Description
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = errorPage.Execute(w, data)
}
