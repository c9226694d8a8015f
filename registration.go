package rp

// What an application needs to know of an RP beyond the flow: its
// registration at the provider, and where a login may return to.

// ClientID returns the client ID the RP was configured with.
func (r *RP) ClientID() string { return r.cfg.ClientID }

// RedirectURL returns the redirect URL the RP was configured with, to
// register at the provider (or show to an administrator who does).
func (r *RP) RedirectURL() string { return r.redirect.String() }

// SafeReturnTo resolves a return-to location as Login does: it returns the
// location as a path (with query) on the redirect URL's origin, or false
// when it would leave this site or is otherwise unsafe to redirect to, in
// which case Login refuses it with ErrUnsafeReturnTo. An empty location is
// "/".
func (r *RP) SafeReturnTo(location string) (string, bool) {
	return safeReturnTo(location, r.redirect)
}
