package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/events"
	"github.com/oidcrp/rp/internal/hookrun"
)

// Hooks are the application's functions at the steps of a Site
// (Config.Hooks): around the session a sign-in creates, after refreshes and
// logouts, and when a sign-in fails. Every field is optional; nil keeps the
// default behaviour. The provider's own steps (the authorization request,
// the tokens, the ID token, userinfo) have their hooks in rp.Config.Hooks.
//
// A hook that panics never crashes the server: the panic is logged at Error
// with the hook's name ("rp: hook panicked"); BeforeSession's fails the
// sign-in with an error matching rp.ErrHookPanicked, the others' are
// ignored (a failure hook's then shows the error page). Hooks run on the
// request's goroutine, many at once, and must be safe for concurrent use.
type Hooks struct {
	// BeforeSession runs after the provider's answer passed every check
	// and the user was matched (rp.Config.Matcher), before the session is
	// created: to veto the sign-in (a suspended account, a tenant the
	// application has not onboarded) by returning an error, which fails
	// the sign-in with an error matching it and rp.ErrHookRefused (status
	// 403) and creates no session, and to keep data of the application's
	// own in the session (SignInInfo.App).
	BeforeSession func(ctx context.Context, s *SignInInfo) error

	// AfterSignIn runs once the session is saved, before the browser is
	// sent to ReturnTo: for an audit trail or a last-login time.
	AfterSignIn func(ctx context.Context, s *SignInInfo)

	// AfterRefresh runs after every token refresh this instance made at
	// the provider, successful or not (RefreshInfo.Err), once per refresh
	// however many requests waited for it. A refresh another instance
	// made runs that instance's hook.
	AfterRefresh func(ctx context.Context, info *RefreshInfo)

	// AfterLogout runs after a logout ended sessions: the user's at
	// LogoutPath (LogoutLocal, or LogoutRPInitiated when the browser goes
	// on to the provider), or the provider's back-channel or front-channel
	// logout (LogoutBackchannel, LogoutFrontchannel). A logout that failed
	// (ErrLogoutIncomplete) or ended nothing does not run it.
	AfterLogout func(ctx context.Context, info *LogoutInfo)

	// SignInFailed runs when a sign-in fails at the callback (the
	// provider's answer refused, BeforeSession's veto, the session not
	// saved), after its log line, and chooses the answer: the error page
	// (the zero FailureResponse; Config.ErrorHandler when set), a redirect,
	// or a new sign-in with prompt=login. It also runs for access_denied
	// when AccessDenied is nil.
	SignInFailed func(ctx context.Context, f *SignInFailure) FailureResponse

	// AccessDenied runs instead of SignInFailed when the user declined at
	// the provider (the provider answered error=access_denied), with the
	// same choices.
	AccessDenied func(ctx context.Context, f *SignInFailure) FailureResponse
}

// SignInInfo is the data of Hooks.BeforeSession and Hooks.AfterSignIn.
type SignInInfo struct {
	// Request is the callback request.
	Request *http.Request
	// Provider is the Name of the provider (or connection) signing in.
	Provider string
	// Claims are the sign-in's verified claims and User the matched
	// account (nil without a Matcher). Read them; changing them changes
	// nothing the session keeps.
	Claims *rp.Claims
	User   *rp.User
	// ReturnTo is where the browser goes after signing in.
	ReturnTo string
	// App is data of the application's own to keep in the session, read
	// back with SessionInfo.App: BeforeSession may fill it; AfterSignIn
	// sees what was kept. At most MaxAppData bytes of keys and values,
	// keys not empty: more fails the sign-in with ErrAppDataTooLarge. It
	// counts towards MaxSessionSize in cookie mode, and travels in the
	// session's sealed cookie or its SessionStore entry, never in clear.
	App map[string]string
}

// MaxAppData bounds the application's data in a session (SignInInfo.App):
// the total length of its keys and values.
const MaxAppData = 2048

// ErrAppDataTooLarge: Hooks.BeforeSession put more than MaxAppData bytes
// (or an empty key) into SignInInfo.App. The sign-in fails; the error also
// matches rp.ErrHookRefused.
var ErrAppDataTooLarge = errors.New("rp: the application's session data is too large")

// RefreshInfo is the data of Hooks.AfterRefresh.
type RefreshInfo struct {
	// Provider is the session's provider; Issuer and Subject its user at
	// the provider, and User the local account (nil without a Matcher).
	Provider, Issuer, Subject string
	User                      *rp.User
	// Err is why the refresh failed, nil when it succeeded. SessionEnded
	// reports a refusal (an OAuth error such as invalid_grant, a refreshed
	// ID token that failed verification) that ends the session; other
	// failures leave it for a later request to refresh.
	Err          error
	SessionEnded bool
}

// LogoutKind says which logout ended sessions (LogoutInfo.Kind).
type LogoutKind int

const (
	// LogoutLocal: the user signed out at LogoutPath, here only (the
	// provider has no end-session endpoint, or the session no ID token).
	LogoutLocal LogoutKind = iota
	// LogoutRPInitiated: the user signed out at LogoutPath and the
	// browser goes on to the provider's end-session endpoint.
	LogoutRPInitiated
	// LogoutBackchannel: the provider POSTed a verified logout token.
	LogoutBackchannel
	// LogoutFrontchannel: the provider's front-channel logout page named
	// a provider session.
	LogoutFrontchannel
)

var logoutKindNames = []string{"local", "rp_initiated", "backchannel", "frontchannel"}

// String returns "local", "rp_initiated", "backchannel" or
// "frontchannel".
func (k LogoutKind) String() string {
	if k >= 0 && int(k) < len(logoutKindNames) {
		return logoutKindNames[k]
	}
	return fmt.Sprintf("LogoutKind(%d)", int(k))
}

// LogoutInfo is the data of Hooks.AfterLogout.
type LogoutInfo struct {
	Kind LogoutKind
	// Provider is the provider whose session ended ("" for a session of
	// SignIn); Issuer and Subject the user at the provider, when known
	// (a front-channel logout names only the provider's session).
	Provider, Issuer, Subject string
	// User is the signed-out local account, for the logouts at
	// LogoutPath; nil for the provider's logouts, which end sessions on
	// the server without reading them.
	User *rp.User
	// Sessions is how many sessions a back- or front-channel logout
	// ended, -1 when the store cannot tell (cookie mode), 1 at LogoutPath.
	Sessions int
}

// SignInFailure is the data of Hooks.SignInFailed and Hooks.AccessDenied.
type SignInFailure struct {
	// Request is the callback request.
	Request *http.Request
	// Provider is the Name of the provider (or connection).
	Provider string
	// Err is why the sign-in failed: test it with errors.Is and errors.As
	// (an *rp.AuthorizationError for the provider's refusals); it carries
	// the reference of the log line (rp.ErrorRef). Never show its text.
	Err error
	// Status is the status the error page would have.
	Status int
}

// FailureAction is what a failure hook chooses (FailureResponse.Action).
type FailureAction int

const (
	// ShowErrorPage, the zero value, renders the error page (or calls
	// Config.ErrorHandler).
	ShowErrorPage FailureAction = iota
	// RedirectTo sends the browser to FailureResponse.Location (303).
	RedirectTo
	// RetryLogin starts a new sign-in with the same provider with
	// prompt=login, which makes the user authenticate again, returning to
	// FailureResponse.Location ("/" when empty). Mind loops: retry only
	// for failures a new authentication can cure (ErrIDTokenAuthTime, an
	// acr the hook refused), not for every one.
	RetryLogin
)

// FailureResponse is a failure hook's choice.
type FailureResponse struct {
	Action FailureAction
	// Location is a path on this site, or an absolute URL of the
	// provider's redirect URL's origin (see rp.RP.SafeReturnTo): where
	// RedirectTo sends the browser, or where RetryLogin returns to. Any
	// other location is refused, logged at Error, and the error page shown.
	Location string
}

// runHook calls fn and returns nil, or, when it panicked, an error
// matching rp.ErrHookPanicked, the panic logged at Error.
func (w *Site) runHook(ctx context.Context, name string, fn func() error) error {
	panicked, value, err := hookrun.Call(fn)
	if panicked {
		w.log.ErrorContext(ctx, "rp: hook panicked", "hook", name, "panic", hookrun.Describe(value))
		return &rp.HookError{Hook: name, Panicked: true}
	}
	if err != nil {
		return &rp.HookError{Hook: name, Err: err}
	}
	return nil
}

// notify calls a hook that returns nothing, logging its panic.
func (w *Site) notify(ctx context.Context, name string, fn func()) {
	_ = w.runHook(ctx, name, func() error { fn(); return nil })
}

// beforeSession runs Hooks.BeforeSession for a sign-in and returns the
// application data to keep, or the error that fails the sign-in.
func (w *Site) beforeSession(ctx context.Context, info *SignInInfo) (map[string]string, error) {
	if w.cfg.Hooks.BeforeSession == nil {
		return nil, nil
	}
	info.App = map[string]string{}
	if err := w.runHook(ctx, "BeforeSession", func() error { return w.cfg.Hooks.BeforeSession(ctx, info) }); err != nil {
		return nil, err
	}
	n := 0
	for k, v := range info.App {
		n += len(k) + len(v)
		if k == "" || n > MaxAppData {
			return nil, &rp.HookError{Hook: "BeforeSession", Err: ErrAppDataTooLarge}
		}
	}
	if len(info.App) == 0 {
		return nil, nil
	}
	return info.App, nil
}

// afterLogout runs Hooks.AfterLogout.
func (w *Site) afterLogout(ctx context.Context, info *LogoutInfo) {
	if w.cfg.Hooks.AfterLogout != nil {
		w.notify(ctx, "AfterLogout", func() { w.cfg.Hooks.AfterLogout(ctx, info) })
	}
}

// failSignIn answers a failed callback of p: it logs the refusal and
// answers as the failure hook chooses (Hooks.AccessDenied for the user's
// access_denied, else Hooks.SignInFailed), by default with the error page.
func (w *Site) failSignIn(rw http.ResponseWriter, r *http.Request, p *Provider, status int, err error, attrs ...any) {
	hook, name := w.cfg.Hooks.SignInFailed, "SignInFailed"
	var ae *rp.AuthorizationError
	if errors.As(err, &ae) && ae.Code == "access_denied" && w.cfg.Hooks.AccessDenied != nil {
		hook, name = w.cfg.Hooks.AccessDenied, "AccessDenied"
	}
	if hook == nil {
		w.refuse(rw, r, status, err, evSignInRefused, attrs...)
		return
	}
	err = events.WithRef(err)
	var choice FailureResponse
	f := &SignInFailure{Request: r, Provider: p.Name, Err: err, Status: status}
	if w.runHook(r.Context(), name, func() error { choice = hook(r.Context(), f); return nil }) != nil {
		choice = FailureResponse{}
	}
	location := "/"
	if choice.Action != ShowErrorPage && (choice.Location != "" || choice.Action == RedirectTo) {
		var ok bool
		if location, ok = p.RP.SafeReturnTo(choice.Location); !ok {
			w.log.ErrorContext(r.Context(), "rp: a failure hook chose a location off this site; showing the error page", "hook", name)
			choice.Action = ShowErrorPage
		}
	}
	switch choice.Action {
	case RedirectTo, RetryLogin:
		logRefusal(r.Context(), w.log, evSignInRefused, err, append(attrs, "status", status, "then", choice.Action.String())...)
		if choice.Action == RedirectTo {
			http.Redirect(rw, r, location, http.StatusSeeOther)
			return
		}
		if lerr := p.RP.Login(rw, r, rp.LoginOptions{ReturnTo: location, Prompt: "login"}); lerr != nil {
			// The refusal is logged already: only the page is left to show.
			if w.cfg.ErrorHandler != nil {
				w.cfg.ErrorHandler(rw, r, status, err)
				return
			}
			renderError(rw, status, err, w.cfg.LoginPage)
		}
	default:
		w.refuse(rw, r, status, err, evSignInRefused, attrs...)
	}
}

var failureActionNames = []string{"page", "redirect", "retry_login"}

// String returns "page", "redirect" or "retry_login".
func (a FailureAction) String() string {
	if a >= 0 && int(a) < len(failureActionNames) {
		return failureActionNames[a]
	}
	return fmt.Sprintf("FailureAction(%d)", int(a))
}
