package rp

import (
	"context"
	"errors"
	"net/http"

	"github.com/oidcrp/rp/internal/netlimit"
)

// Observer receives the library's measurable events, for metrics and
// traces: every request to the provider, every sign-in, and (from package
// web) every token refresh and logout. Package
// github.com/oidcrp/rp/otelrp implements it with OpenTelemetry; a nil
// Observer (the default) costs nothing.
//
// Its methods are called on the goroutine of the request they describe,
// must be safe for concurrent use, and must return quickly. They never
// receive a token, a code, a secret, a URL or a claim: only names from the
// configuration (providers, issuers, endpoint hosts), words from fixed
// lists (endpoints, logout kinds, the error kinds of ErrorCode) and HTTP
// methods and status codes, so every value can be a metric label without
// letting a browser or a provider make up new ones.
type Observer interface {
	// ProviderCall is called as a request to the provider is sent. It
	// returns the context to send it with (to carry a span, say) and a
	// function that the library calls exactly once, when the response's
	// body is read or closed or the request failed.
	ProviderCall(ctx context.Context, call ProviderCall) (context.Context, func(ProviderCallEnd))
	// SignIn is called as a callback (the provider's authorization
	// response) arrives. It returns the context to complete the sign-in
	// with, in which the provider calls of the sign-in are made, and a
	// function that the library calls exactly once with the outcome.
	SignIn(ctx context.Context, provider, issuer string) (context.Context, func(SignInEnd))
	// Refresh is called once per token refresh, after it ended: by
	// RP.Refresh, or by package web for the refreshes it makes.
	Refresh(ctx context.Context, e RefreshEvent)
	// Logout is called once per logout, after it ended.
	Logout(ctx context.Context, e LogoutEvent)
	// KeyRefetchRefused is called when a token with an unknown key would
	// have made the library fetch the provider's keys again, but the
	// refetch budget (one per minute for tokens that do not come from
	// the token endpoint) was used up, so the token was refused without
	// a fetch. Many of these are a flood of forged tokens.
	KeyRefetchRefused(ctx context.Context, issuer string)
}

// The endpoints of ProviderCall.Endpoint. The library calls no other:
// RP-initiated logout sends the browser to the end-session endpoint (a
// LogoutEvent of kind LogoutRPInitiated), it does not call it itself.
const (
	EndpointDiscovery = "discovery" // the discovery document (rp.New)
	EndpointJWKS      = "jwks"      // the provider's signing keys
	EndpointToken     = "token"     // code exchange and refresh
	EndpointUserInfo  = "userinfo"  // the userinfo endpoint
	// EndpointWebFinger is a domain's WebFinger service
	// (WebFinger.DiscoverIssuer), reported with Issuer and ServerAddress
	// empty.
	EndpointWebFinger = "webfinger"
	// EndpointClaimSource is a distributed claims endpoint
	// (Config.ResolveClaimSources), reported with the login's issuer and
	// ServerAddress empty: the token names the endpoint, not the
	// configuration.
	EndpointClaimSource = "claim_source"
	// EndpointGraph is Microsoft Graph's getMemberGroups
	// (Config.EntraGroupOverage), reported with the login's issuer and
	// Config.GraphBaseURL's host.
	EndpointGraph = "graph"
)

// ProviderCall describes a request to the provider.
type ProviderCall struct {
	Endpoint      string // one of the Endpoint* words
	Issuer        string // the provider's issuer, as configured or discovered; "" for EndpointWebFinger
	Method        string // the HTTP method, "GET" or "POST"
	ServerAddress string // the endpoint's host name, without port or path; "" for a host the configuration does not name (EndpointWebFinger, EndpointClaimSource)
}

// The error kinds of ProviderCallEnd.ErrorKind.
const (
	CallTimeout      = "timeout"            // the request ran out of time (Config.HTTPTimeout)
	CallCanceled     = "canceled"           // the request's context was canceled
	CallTooLarge     = "response_too_large" // the body exceeded Config.ResponseSizeLimit
	CallUnreachable  = "unreachable"        // any other transport or read error
	CallStatusFailed = "http_status"        // the provider answered with a status of 400 or more
)

// ProviderCallEnd is the outcome of a request to the provider.
type ProviderCallEnd struct {
	// StatusCode is the response's HTTP status, 0 when none arrived.
	StatusCode int
	// ErrorKind is "" for a response of status below 400 read to the end,
	// else one of the Call* words.
	ErrorKind string
}

// SignInEnd is the outcome of a sign-in.
type SignInEnd struct {
	// ErrorKind is "" for a completed sign-in, else the kind of its
	// error: ErrorCode's word, or one of package web's own (such as
	// "session_store").
	ErrorKind string
}

// RefreshEvent is the outcome of a token refresh.
type RefreshEvent struct {
	Provider string // the provider's name in web.Config; "" from RP.Refresh
	Issuer   string // the provider's issuer; "" from package web, which names the Provider
	// ErrorKind is "" for a refresh that worked, else the kind of its
	// error (see SignInEnd.ErrorKind).
	ErrorKind string
	// SessionEnded reports a refresh by package web that the provider
	// refused (invalid_grant, a refreshed ID token that does not verify):
	// the session ended. A failure without it (the provider unreachable)
	// kept the session.
	SessionEnded bool
}

// The kinds of LogoutEvent.Kind.
const (
	LogoutLocal        = "local"        // the application's logout; the session ended here only
	LogoutRPInitiated  = "rp_initiated" // the application's logout, going on to the provider's end-session endpoint
	LogoutBackchannel  = "backchannel"  // a logout token from the provider
	LogoutFrontchannel = "frontchannel" // the provider's front-channel logout page
)

// LogoutEvent is the outcome of a logout by package web.
type LogoutEvent struct {
	Provider string // the provider's name in web.Config; "" when the session named none
	Kind     string // one of the Logout* words
	// ErrorKind is "" for a logout that ended the sessions, else the kind
	// of its error (see SignInEnd.ErrorKind).
	ErrorKind string
}

// errorKindOrNone is ErrorCode(err), or "" for no error.
func errorKindOrNone(err error) string {
	if err == nil {
		return ""
	}
	return ErrorCode(err)
}

// observed returns ctx for a request to endpoint of the provider issuer,
// told to o as it is sent; ctx itself when o is nil.
func observed(ctx context.Context, o Observer, endpoint, issuer string) context.Context {
	return observe(ctx, o, endpoint, issuer, true)
}

// observedNoHost is observed for a request to a host that is not the
// configuration's (a WebFinger domain a browser typed, a distributed
// claims endpoint a token named): its ServerAddress is left empty, so that
// no browser or provider makes up a label value. issuer may be "".
func observedNoHost(ctx context.Context, o Observer, endpoint, issuer string) context.Context {
	return observe(ctx, o, endpoint, issuer, false)
}

func observe(ctx context.Context, o Observer, endpoint, issuer string, host bool) context.Context {
	if o == nil {
		return ctx
	}
	return netlimit.WithProbe(ctx, func(req *http.Request) (context.Context, func(int, error)) {
		call := ProviderCall{Endpoint: endpoint, Issuer: issuer, Method: req.Method}
		if host {
			call.ServerAddress = req.URL.Hostname()
		}
		c, end := o.ProviderCall(req.Context(), call)
		return c, func(status int, err error) {
			end(ProviderCallEnd{StatusCode: status, ErrorKind: callErrorKind(status, err)})
		}
	})
}

// callErrorKind names the outcome of a provider call.
func callErrorKind(status int, err error) string {
	switch {
	case err == nil && status >= 400:
		return CallStatusFailed
	case err == nil:
		return ""
	case errors.Is(err, netlimit.ErrTooLarge):
		return CallTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		return CallTimeout
	case errors.Is(err, context.Canceled):
		return CallCanceled
	}
	return CallUnreachable
}
