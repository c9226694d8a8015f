package web

import (
	"context"
	"errors"
	"log/slog"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/internal/events"
	"github.com/oidcrp/rp/session"
)

// Log events. Each sign-in, refusal, logout and refresh is one line at
// Info, refusals that look like an attack at Warn and failures of the
// application's own stores at Error, with these messages and the
// attributes "provider", "iss", "sub", "error_kind" (see errorKindOf),
// "error" and "ref" where they apply. Tokens, codes and secrets never
// appear.
const (
	evSignIn          = "rp: sign-in"
	evSignInRefused   = "rp: sign-in refused"
	evLoginNotStarted = "rp: sign-in not started"
	evLogout          = "rp: logout"
	evLogoutFailed    = "rp: logout incomplete"
	evLogoutReturn    = "rp: logout return refused"
	evRefresh         = "rp: token refresh"
	evRefreshRefused  = "rp: token refresh refused; session ended"
	evRefreshFailed   = "rp: token refresh failed; session kept"
	evRefreshReused   = "rp: token refresh done by another instance"

	evSessionsEnded     = "rp: sessions ended"
	evSessionsNotEnded  = "rp: sessions not ended"
	evBackchannelLogout = "rp: back-channel logout"
	evBackchannelFailed = "rp: back-channel logout refused"
	evFrontchannel      = "rp: front-channel logout"
	evFrontchannelFail  = "rp: front-channel logout incomplete"
)

// webErrorKinds are the "error_kind" words of the web layer's own errors;
// every other error has rp.ErrorCode's.
var webErrorKinds = []struct {
	err  error
	kind string
}{
	{ErrLogoutIncomplete, "logout_incomplete"},
	{ErrLogoutState, "logout_state"},
	{ErrSessionsNotEnded, "sessions_not_ended"},
	{ErrSharedStore, "shared_store"},
	{rp.ErrReplayStore, "replay_store"},
	{errBackchannelRequest, "backchannel_request"},
	{errRefreshRefusedElsewhere, "refresh_refused_elsewhere"},
	{errRefreshUnavailable, "refresh_unavailable"},
	{session.ErrStore, "session_store"},
	{ErrConnectionUnavailable, "connection_unavailable"},
	{ErrSettingsChanged, "settings_changed"},
	{connection.ErrDisabled, "connection_disabled"},
	{connection.ErrStore, "connection_store"},
	{session.ErrTooLarge, "session_too_large"},
	{ErrAppDataTooLarge, "app_data_too_large"},
}

// errorKindOf returns the short, stable word naming err's kind in logs.
func errorKindOf(err error) string {
	for _, k := range webErrorKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return rp.ErrorCode(err)
}

// levelOf is the level of a refusal or failure: Error when a store of the
// application failed, Warn when it looks like an attack (rp.Suspicious, or
// a forged return from the provider's logout), Info otherwise.
func levelOf(err error) slog.Level {
	switch {
	case errors.Is(err, rp.ErrStore), errors.Is(err, session.ErrStore), errors.Is(err, ErrSharedStore),
		errors.Is(err, rp.ErrReplayStore), errors.Is(err, ErrSessionsNotEnded), errors.Is(err, rp.ErrHookPanicked), errors.Is(err, ErrAppDataTooLarge):
		return slog.LevelError
	case rp.Suspicious(err), errors.Is(err, ErrLogoutState), errors.Is(err, rp.ErrInvalidLogoutToken):
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// logRefusal writes the one log line about a refused or failed operation:
// at levelOf(err), with the error's kind, its text (which never carries a
// token, code or secret), its reference if any, and attrs.
func logRefusal(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) {
	attrs = append(attrs, "error_kind", errorKindOf(err), "error", events.Unref(err).Error())
	if ref := events.Ref(err); ref != "" {
		attrs = append(attrs, "ref", ref)
	}
	log.Log(ctx, levelOf(err), msg, attrs...)
}
