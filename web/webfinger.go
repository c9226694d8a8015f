package web

import (
	"context"
	"errors"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// routeByWebFinger asks the domain of email for its OpenID Connect issuer
// (rp.WebFinger, with Connections.RP's HTTPClient and HTTPTimeout and the
// Site's Observer) and returns the one enabled connection or static
// provider whose issuer is exactly that issuer: a connection's Authority
// (or hand-entered Endpoints.Issuer), or its built provider's discovered
// issuer, and a Provider's discovered issuer. A lookup that fails, or
// names an issuer that nothing here is configured for, is
// connection.ErrNoConnectionForDomain (the issuer is never used as a new
// provider); an issuer that several match is connection.ErrAmbiguousDomain.
func (w *Site) routeByWebFinger(ctx context.Context, email string, set *connSet) (LoginLink, error) {
	cfg := w.conns.cfg
	f := rp.WebFinger{HTTPClient: cfg.RP.HTTPClient, Timeout: cfg.RP.HTTPTimeout, Observer: w.cfg.Observer}
	issuer, err := f.DiscoverIssuer(ctx, email)
	if err != nil {
		w.log.InfoContext(ctx, "rp: WebFinger found no issuer for the email's domain", "error_kind", webFingerKind(err))
		return LoginLink{}, connection.ErrNoConnectionForDomain
	}
	var found []LoginLink
	for _, p := range w.order {
		if p.RP != nil && p.RP.Metadata().Issuer == issuer {
			found = append(found, LoginLink{Name: p.Name, Title: p.Title, LoginURL: p.LoginPath})
		}
	}
	names := map[string]bool{}
	for _, e := range set.order {
		s := &e.settings
		e.mu.Lock()
		built := e.p != nil && e.p.RP != nil && e.p.RP.Metadata().Issuer == issuer
		e.mu.Unlock()
		if s.Enabled && (built || s.Authority == issuer || s.Endpoints != nil && s.Endpoints.Issuer == issuer) {
			names[s.Name] = true
		}
	}
	for _, l := range w.conns.links(ctx) {
		if names[l.Name] {
			found = append(found, l)
		}
	}
	switch len(found) {
	case 0:
		w.log.InfoContext(ctx, "rp: WebFinger named an issuer that no provider or connection is configured for")
		return LoginLink{}, connection.ErrNoConnectionForDomain
	case 1:
		return found[0], nil
	}
	return LoginLink{}, connection.ErrAmbiguousDomain
}

// webFingerKind names the kind of a WebFinger failure for a log line.
func webFingerKind(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{
		{rp.ErrWebFingerAddress, "address"}, {rp.ErrWebFingerUnavailable, "unavailable"},
		{rp.ErrWebFingerTooLarge, "too_large"}, {rp.ErrWebFingerMalformed, "malformed"},
		{rp.ErrWebFingerNoIssuer, "no_issuer"}, {rp.ErrWebFingerInsecureIssuer, "insecure_issuer"},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}
