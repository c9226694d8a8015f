package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/internal/events"
)

// refresher makes sure concurrent requests of one session refresh its
// tokens once: the first does the work, the others wait for its result,
// and requests that arrive shortly after with the old cookie reuse it.
type refresher struct {
	mu    sync.Mutex
	calls map[string]*refreshCall
}

type refreshCall struct {
	done    chan struct{}
	data    *sessionData
	err     error
	other   bool // done by another instance
	expires time.Time
}

// refreshReuse is how long a refresh's result serves requests that still
// carry the session's previous tokens.
const refreshReuse = time.Minute

// refreshDue reports whether data's access token expires within
// RefreshBefore and can be refreshed.
func (w *Site) refreshDue(data *sessionData) bool {
	if data.RefreshToken == "" || data.Expiry == 0 {
		return false
	}
	return w.now().Add(w.cfg.RefreshBefore).Unix() >= data.Expiry
}

// refresh returns data with refreshed tokens, doing the refresh once for
// all concurrent callers with the same session and refresh token in this
// process, and once across instances behind that (sharedRefresh). The
// caller that does it logs the outcome, once. A caller that stops waiting
// because ctx is done gets ctx's error, which refreshRefused does not count
// as a refusal. A result that is not a refusal is not kept for later
// requests, which try again.
func (w *Site) refresh(ctx context.Context, sessionID string, data *sessionData) (*sessionData, error) {
	sum := sha256.Sum256([]byte(sessionID + "\x00" + data.RefreshToken))
	key := string(sum[:])
	now := w.now()
	w.refresher.mu.Lock()
	for k, c := range w.refresher.calls {
		if c.expires.Before(now) && isDone(c) {
			delete(w.refresher.calls, k)
		}
	}
	c, ok := w.refresher.calls[key]
	if !ok {
		c = &refreshCall{done: make(chan struct{}), expires: now.Add(refreshReuse)}
		w.refresher.calls[key] = c
	}
	w.refresher.mu.Unlock()
	if ok {
		select {
		case <-c.done:
			return c.data, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// The refresh runs to completion even if this request goes away, as
	// other requests may be waiting for it.
	ctx = context.WithoutCancel(ctx)
	c.data, c.other, c.err = w.sharedRefresh(ctx, sessionID, data)
	if c.err != nil && !refreshRefused(c.err) {
		w.refresher.mu.Lock()
		if w.refresher.calls[key] == c {
			delete(w.refresher.calls, key)
		}
		w.refresher.mu.Unlock()
	}
	close(c.done)
	if w.cfg.Observer != nil && !c.other {
		w.cfg.Observer.Refresh(ctx, rp.RefreshEvent{Provider: data.Provider, ErrorKind: kindOrNone(c.err), SessionEnded: c.err != nil && refreshRefused(c.err)})
	}
	iss, sub := sessionSubject(data)
	switch {
	case c.err == nil && c.other:
		w.log.InfoContext(ctx, evRefreshReused, "provider", data.Provider, "iss", iss, "sub", sub)
	case c.err == nil:
		w.log.InfoContext(ctx, evRefresh, "provider", data.Provider, "iss", iss, "sub", sub)
	case refreshRefused(c.err):
		logRefusal(ctx, w.log, evRefreshRefused, c.err, "provider", data.Provider, "iss", iss, "sub", sub)
	default:
		logRefusal(ctx, w.log, evRefreshFailed, c.err, "provider", data.Provider, "iss", iss, "sub", sub)
	}
	if w.cfg.Hooks.AfterRefresh != nil && !c.other {
		info := &RefreshInfo{Provider: data.Provider, Issuer: iss, Subject: sub, User: data.User, Err: c.err, SessionEnded: c.err != nil && refreshRefused(c.err)}
		w.notify(ctx, "AfterRefresh", func() { w.cfg.Hooks.AfterRefresh(ctx, info) })
	}
	return c.data, c.err
}

// refreshRefused reports whether a refresh failed because the provider (or
// the session) says no, which ends the session: a token endpoint answer
// with an OAuth error code and a 4xx status (invalid_grant: the refresh
// token was revoked or expired), a refreshed ID token that fails
// verification, a provider no longer configured, an unreadable session,
// or such a refusal of the refresh another instance made.
// Anything else (a cancelled or timed-out wait, a transport error, a 5xx)
// says nothing about the session, which stays.
func refreshRefused(err error) bool {
	var te *rp.TokenError
	if errors.As(err, &te) {
		return te.Code != "" && te.StatusCode < 500
	}
	return errors.Is(err, rp.ErrInvalidIDToken) || errors.Is(err, rp.ErrNoLocalAccount) || errors.Is(err, errSessionFormat) ||
		errors.Is(err, errRefreshRefusedElsewhere)
}

// sessionSubject returns the iss and sub of data's claims, for logs.
func sessionSubject(data *sessionData) (iss, sub string) {
	var c struct {
		Issuer  string `json:"iss"`
		Subject string `json:"sub"`
	}
	if len(data.Claims) == 0 || json.Unmarshal(data.Claims, &c) != nil {
		return "", ""
	}
	return c.Issuer, c.Subject
}

func isDone(c *refreshCall) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (w *Site) doRefresh(ctx context.Context, data *sessionData) (*sessionData, error) {
	p, err := w.lookup(ctx, data.Provider)
	if errors.Is(err, connection.ErrDisabled) {
		return nil, rp.ErrNoLocalAccount // the provider is gone: the session ends
	}
	if err != nil {
		return nil, err // unavailable for now: the session is kept
	}
	signIn := &rp.Claims{}
	if len(data.Claims) > 0 {
		if err := json.Unmarshal(data.Claims, signIn); err != nil {
			return nil, errSessionFormat
		}
	}
	key, err := data.dpopKey()
	if err != nil {
		return nil, err
	}
	tok, claims, err := p.RP.RefreshDPoP(events.CallerLogs(ctx), rp.Secret(data.RefreshToken), key, signIn)
	if err != nil {
		return nil, err
	}
	next := *data
	next.DPoPKey = sessionDPoPKey(tok.DPoPKey)
	next.AccessToken = string(tok.AccessToken)
	next.RefreshToken = string(tok.RefreshToken)
	next.Expiry = 0
	if !tok.Expiry.IsZero() {
		next.Expiry = tok.Expiry.Unix()
	}
	if claims != nil {
		next.IDToken = string(tok.IDToken)
		if next.Claims, err = json.Marshal(claims); err != nil {
			return nil, err
		}
	}
	return &next, nil
}
