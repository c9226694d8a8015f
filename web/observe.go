package web

import (
	"context"
	"net/http"

	"github.com/oidcrp/rp"
)

// observeSignIn tells Config.Observer that a callback of p arrived. It
// returns r with the Observer's context, in which the sign-in's provider
// calls are made, and the function to call once with the sign-in's
// error (nil when it worked).
func (w *Site) observeSignIn(r *http.Request, p *Provider) (*http.Request, func(error)) {
	o := w.cfg.Observer
	if o == nil {
		return r, func(error) {}
	}
	ctx, end := o.SignIn(r.Context(), p.Name, p.RP.Metadata().Issuer)
	return r.WithContext(ctx), func(err error) { end(rp.SignInEnd{ErrorKind: kindOrNone(err)}) }
}

// observeLogout tells Config.Observer of a logout of the given kind (one
// of the rp.Logout* words) at the provider named provider, with its error.
func (w *Site) observeLogout(ctx context.Context, provider, kind string, err error) {
	if o := w.cfg.Observer; o != nil {
		o.Logout(ctx, rp.LogoutEvent{Provider: provider, Kind: kind, ErrorKind: kindOrNone(err)})
	}
}

// kindOrNone is errorKindOf(err), or "" for no error.
func kindOrNone(err error) string {
	if err == nil {
		return ""
	}
	return errorKindOf(err)
}
