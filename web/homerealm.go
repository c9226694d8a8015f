package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/oidcrp/rp/connection"
)

// RouteEmail returns the connection that owns the domain of email, for a
// sign-in page that asks for the address first (home-realm discovery):
// its LoginURL carries the address as login_hint. It fails with
// connection.ErrInvalidEmail, ErrConsumerDomain, ErrNoConnectionForDomain
// or ErrAmbiguousDomain (see connection.Route), never guessing; with
// Connections.WebFingerDiscovery, an address whose domain no connection
// owns is routed by its WebFinger issuer to the one provider or
// connection configured for that issuer (ErrNoConnectionForDomain when
// none is, or the lookup fails; ErrAmbiguousDomain when several are); with
// connection.ErrDisabled when the Site has no Connections; and with
// ErrConnectionUnavailable when the store cannot be read.
func (w *Site) RouteEmail(ctx context.Context, email string) (LoginLink, error) {
	if w.conns == nil {
		return LoginLink{}, connection.ErrDisabled
	}
	set, ok := w.conns.current(ctx)
	if !ok {
		return LoginLink{}, fmt.Errorf("%w: the connection store cannot be read", ErrConnectionUnavailable)
	}
	all := make([]connection.Settings, len(set.order))
	for i, e := range set.order {
		all[i] = e.settings
	}
	s, err := connection.Route(all, email, connection.RouteOptions{RequireVerified: w.conns.cfg.RequireVerifiedDomains})
	if errors.Is(err, connection.ErrNoConnectionForDomain) && w.conns.cfg.WebFingerDiscovery {
		l, err := w.routeByWebFinger(ctx, email, set)
		if err != nil {
			return LoginLink{}, err
		}
		l.LoginURL += "?" + url.Values{"login_hint": {email}}.Encode()
		return l, nil
	}
	if err != nil {
		return LoginLink{}, err
	}
	for _, l := range w.conns.links(ctx) {
		if l.Name == s.Name {
			l.LoginURL += "?" + url.Values{"login_hint": {email}}.Encode()
			return l, nil
		}
	}
	return LoginLink{}, connection.ErrDisabled
}

// routeFromChooser handles the chooser's email form: it redirects to the
// connection owning the address and reports true, or to NoMatchURL and
// reports true, or reports false with the message the chooser shows.
func (w *Site) routeFromChooser(rw http.ResponseWriter, r *http.Request, email, returnTo string) (handled bool, message string) {
	link, err := w.RouteEmail(r.Context(), email)
	if err == nil {
		u := link.LoginURL
		if returnTo != "" && safePath(returnTo) {
			u += "&" + url.Values{"return_to": {returnTo}}.Encode()
		}
		http.Redirect(rw, r, u, http.StatusSeeOther)
		return true, ""
	}
	w.log.InfoContext(r.Context(), "rp: email not routed to a connection", "error_kind", errorKindOf(err))
	if to := w.conns.cfg.NoMatchURL; to != "" {
		q := url.Values{"email": {email}}
		if returnTo != "" && safePath(returnTo) {
			q.Set("return_to", returnTo)
		}
		http.Redirect(rw, r, to+"?"+q.Encode(), http.StatusSeeOther)
		return true, ""
	}
	switch {
	case errors.Is(err, connection.ErrInvalidEmail):
		return false, "Enter your email address, such as name@example.com."
	case errors.Is(err, connection.ErrAmbiguousDomain):
		return false, "Several sign-in options match this address. Choose yours below."
	case errors.Is(err, ErrConnectionUnavailable):
		return false, "Sign-in by email address is unavailable right now. Choose a sign-in option below."
	}
	return false, "There is no single sign-on for this address. Choose a sign-in option below."
}
