package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oidcrp/rp"
)

// maxFrontchannelSID bounds the sid a front-channel logout may name.
const maxFrontchannelSID = 255

// tenantPlaceholder marks an issuer template (Entra ID multi-tenant
// authorities): such an issuer is no provider's actual iss.
const tenantPlaceholder = "{tenantid}"

// The page of the front-channel logout, with its one line: the same
// whatever the request held.
const frontchannelPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%[1]s</title></head>
<body><p>%[1]s</p></body></html>
`

// framing sets X-Frame-Options: DENY and CSP frame-ancestors 'none' on
// every response of next except the front-channel logout pages, the only
// ones a provider may frame. Pages that set their own
// Content-Security-Policy keep frame-ancestors 'none' in it.
func (w *Site) framing(next http.Handler) http.Handler {
	framed := make(map[string]bool, len(w.order))
	for _, p := range w.order {
		framed[p.FrontchannelLogoutPath] = true
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !framed[r.URL.Path] && (w.conns == nil || !w.conns.isFrontchannelPath(r.URL.Path)) {
			h := rw.Header()
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		}
		next.ServeHTTP(rw, r)
	})
}

// frontchannelLogout serves p's FrontchannelLogoutPath (OpenID Connect
// Front-Channel Logout 1.0), which the provider loads in an iframe with
// iss and sid when the user signs out there. When iss is p's issuer and
// sid a non-empty string of at most 255 printable characters, the
// sessions of that provider session end on every instance, and this
// browser's session cookies are deleted if it sent a session of it.
// Browsers usually withhold SameSite cookies from a cross-site iframe,
// which is why the sessions are found by sid on the server rather than
// by the cookie. The answer is always the same small page, 200, which
// only the provider's origins (its issuer, authorization and end-session
// endpoints) may frame: parameters that do not match end nothing and
// reveal nothing. At a provider whose issuer is a tenant template (Entra
// ID multi-tenant) the request is always inert: the template is not an
// issuer the provider sends, and an unsigned request cannot tie a
// tenant's issuer to the provider's sessions; back-channel logout, whose
// tokens are signed, serves such providers. Only when the stores fail to end the sessions it
// answers 503, and logs that at Error.
func (w *Site) frontchannelLogout(p *Provider) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		md := p.RP.Metadata()
		h := rw.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors "+frameAncestors(md.Issuer, md.AuthorizationEndpoint, md.EndSessionEndpoint))
		h.Del("X-Frame-Options") // an application's own middleware may have set it
		q := r.URL.Query()
		iss, sid := q.Get("iss"), q.Get("sid")
		if md.Issuer == "" || strings.Contains(md.Issuer, tenantPlaceholder) || iss != md.Issuer || !printableASCII(sid, maxFrontchannelSID) || len(q["iss"]) != 1 || len(q["sid"]) != 1 {
			w.log.InfoContext(r.Context(), evFrontchannel, "provider", p.Name, "ended", false)
			_, _ = fmt.Fprintf(rw, frontchannelPage, "Signed out")
			return
		}
		attrs := []any{"provider", p.Name, "iss", iss, "sid_hash", sidHash(sid)}
		// This browser's session, if it sent one, read before the
		// store forgets it.
		s, lerr := w.sessions.Lookup(r)
		n, err := w.endProviderSessions(r.Context(), p.Name, sid, "")
		if lerr == nil && s != nil {
			if data, _, derr := decodeHot(s.Data); derr == nil && data.Provider == p.Name && data.SID == sid {
				_ = w.sessions.Destroy(rw, r, s)
			}
		}
		w.observeLogout(r.Context(), p.Name, rp.LogoutFrontchannel, err)
		if err != nil {
			logRefusal(r.Context(), w.log, evFrontchannelFail, err, append(attrs, "status", http.StatusServiceUnavailable)...)
			rw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(rw, frontchannelPage, "Sign-out incomplete")
			return
		}
		if n >= 0 {
			attrs = append(attrs, "sessions", n)
		}
		w.log.InfoContext(r.Context(), evFrontchannel, append(attrs, "ended", true)...)
		w.afterLogout(r.Context(), &LogoutInfo{Kind: LogoutFrontchannel, Provider: p.Name, Issuer: iss, Sessions: n})
		_, _ = fmt.Fprintf(rw, frontchannelPage, "Signed out")
	})
}

// frameAncestors returns the CSP frame-ancestors sources of the origins
// of urls (http and https only), or 'none' when there is none.
func frameAncestors(urls ...string) string {
	var origins []string
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(u.Host, " ;,'\"") {
			continue
		}
		o := u.Scheme + "://" + u.Host
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	if len(origins) == 0 {
		return "'none'"
	}
	return strings.Join(origins, " ")
}
