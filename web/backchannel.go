package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/oidcrp/rp"
)

// Limits of a back-channel logout request.
const (
	maxBackchannelBody = 64 << 10
	backchannelTimeout = 15 * time.Second // reading the body, verifying, ending the sessions
)

// errBackchannelRequest is matched by the errors of back-channel logout
// requests that are not a form with one logout_token, in log lines.
var errBackchannelRequest = errors.New("rp: malformed back-channel logout request")

// backchannelError is a refused back-channel logout: the status and the
// error_description of the answer, and the error for the log line.
type backchannelError struct {
	status      int
	description string
	err         error
}

// backchannelLogout serves p's BackchannelLogoutPath (OpenID Connect
// Back-Channel Logout 1.0): the provider POSTs a form with a logout_token;
// once p.RP verified it, the sessions of its sid (or, without one, of its
// sub) at p end on every instance, and the answer is 200 with an empty
// body. Any failure is answered 400 with a JSON error body
// ({"error":"invalid_request","error_description":...}, a short fixed
// phrase) and ends nothing; a method other than POST gets 405. Sessions
// that cannot be ended (a store is down) are a 400 too, so that the
// provider may try again. The provider's server calls it without cookies:
// it is not behind the same-origin check of LogoutPath. Each request is
// one log line, with provider, iss, sub and a short hash of sid, never the
// token.
func (w *Site) backchannelLogout(p *Provider) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "no-store")
		ctx, cancel := context.WithTimeout(r.Context(), backchannelTimeout)
		defer cancel()
		attrs := []any{"provider", p.Name, "iss", p.RP.Metadata().Issuer}
		raw, berr := readLogoutToken(rw, r)
		if berr != nil {
			w.observeLogout(ctx, p.Name, rp.LogoutBackchannel, berr.err)
			w.refuseBackchannel(ctx, rw, berr, attrs)
			return
		}
		tok, err := p.RP.VerifyLogoutToken(ctx, raw)
		if err != nil {
			description := "invalid logout token"
			if errors.Is(err, rp.ErrReplayStore) {
				description = "the logout token could not be checked; try again"
			}
			w.observeLogout(ctx, p.Name, rp.LogoutBackchannel, err)
			w.refuseBackchannel(ctx, rw, &backchannelError{http.StatusBadRequest, description, err}, attrs)
			return
		}
		attrs = []any{"provider", p.Name, "iss", tok.Issuer, "sub", tok.Subject, "sid_hash", sidHash(tok.SessionID)}
		n, err := w.endProviderSessions(ctx, p.Name, tok.SessionID, tok.Subject)
		if err != nil {
			w.observeLogout(ctx, p.Name, rp.LogoutBackchannel, err)
			w.refuseBackchannel(ctx, rw, &backchannelError{http.StatusBadRequest, "the sessions could not be ended; try again", err}, attrs)
			return
		}
		if n >= 0 {
			attrs = append(attrs, "sessions", n)
		}
		w.observeLogout(ctx, p.Name, rp.LogoutBackchannel, nil)
		w.log.InfoContext(ctx, evBackchannelLogout, attrs...)
		w.afterLogout(ctx, &LogoutInfo{Kind: LogoutBackchannel, Provider: p.Name, Issuer: tok.Issuer, Subject: tok.Subject, Sessions: n})
		rw.WriteHeader(http.StatusOK)
	})
}

// readLogoutToken reads the one logout_token of a back-channel logout
// request: a POST of a form, its body at most maxBackchannelBody bytes,
// read under a deadline.
func readLogoutToken(rw http.ResponseWriter, r *http.Request) (string, *backchannelError) {
	fail := func(status int, description string) (string, *backchannelError) {
		return "", &backchannelError{status, description, errBackchannelRequest}
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		return fail(http.StatusMethodNotAllowed, "the method must be POST")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return fail(http.StatusBadRequest, "the content type must be application/x-www-form-urlencoded")
	}
	// A slow sender must not hold the handler: a deadline on the body (a
	// ResponseWriter that cannot set one, as in tests, has the context's).
	_ = http.NewResponseController(rw).SetReadDeadline(time.Now().Add(backchannelTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxBackchannelBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return fail(http.StatusBadRequest, "the request body is too large")
	case err != nil:
		return fail(http.StatusBadRequest, "the request body could not be read")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fail(http.StatusBadRequest, "the request body is not a valid form")
	}
	switch tokens := form["logout_token"]; {
	case len(tokens) > 1:
		return fail(http.StatusBadRequest, "more than one logout_token")
	case len(tokens) == 0 || tokens[0] == "":
		return fail(http.StatusBadRequest, "missing logout_token")
	default:
		return tokens[0], nil
	}
}

// refuseBackchannel answers a refused back-channel logout and logs it:
// at Error when a store failed, at Warn for a token that failed
// verification, at Info for a malformed request.
func (w *Site) refuseBackchannel(ctx context.Context, rw http.ResponseWriter, e *backchannelError, attrs []any) {
	level := levelOf(e.err)
	if errors.Is(e.err, errBackchannelRequest) {
		level = slog.LevelInfo
	}
	attrs = append(attrs, "status", e.status, "error_kind", errorKindOf(e.err), "error", e.err.Error())
	w.log.Log(ctx, level, evBackchannelFailed, attrs...)
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{"invalid_request", e.description})
	h := rw.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(e.status)
	_, _ = rw.Write(body)
}

// sidHash is a short hash of a provider's session ID for log lines, which
// tells log lines of one session apart without holding the sid; "" for
// none.
func sidHash(sid string) string {
	if sid == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("rp sid\x00" + sid))
	return hex.EncodeToString(sum[:6])
}
