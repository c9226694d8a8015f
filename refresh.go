package rp

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshTokens trades a refresh token for new tokens. A new ID token, when
// the provider sends one, is verified against the sign-in's claims original
// (see verifyRefreshed) and must be issued after the request began, less
// the clock skew.
func (r *RP) refreshTokens(ctx context.Context, refreshToken string, original map[string]any) (*oauth2.Token, *verifiedIDToken, error) {
	began := r.now()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, r.tokenClient)
	tok, err := r.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, nil, tokenError(err, true)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return tok, nil, nil
	}
	id, err := r.ids.verifyRefreshed(ctx, rawID, original, began)
	if err != nil {
		return nil, nil, err
	}
	return tok, id, nil
}

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
	expires time.Time
}

// refreshReuse is how long a refresh's result serves requests that still
// carry the session's previous tokens.
const refreshReuse = time.Minute

// refreshDue reports whether data's access token expires within
// RefreshBefore and can be refreshed.
func (w *Web) refreshDue(data *sessionData) bool {
	if data.RefreshToken == "" || data.Expiry == 0 {
		return false
	}
	return w.now().Add(w.cfg.RefreshBefore).Unix() >= data.Expiry
}

// refresh returns data with refreshed tokens, doing the refresh once for
// all concurrent callers with the same session and refresh token. The
// caller that does it logs the outcome, once. A caller that stops waiting
// because ctx is done gets ctx's error, which refreshRefused does not count
// as a refusal. A result that is not a refusal is not kept for later
// requests, which try again.
func (w *Web) refresh(ctx context.Context, sessionID string, data *sessionData) (*sessionData, error) {
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
	c.data, c.err = w.doRefresh(ctx, data)
	if c.err != nil && !refreshRefused(c.err) {
		w.refresher.mu.Lock()
		if w.refresher.calls[key] == c {
			delete(w.refresher.calls, key)
		}
		w.refresher.mu.Unlock()
	}
	close(c.done)
	iss, sub := sessionSubject(data)
	switch {
	case c.err == nil:
		w.log.InfoContext(ctx, evRefresh, "provider", data.Provider, "iss", iss, "sub", sub)
	case refreshRefused(c.err):
		logRefusal(ctx, w.log, evRefreshRefused, c.err, "provider", data.Provider, "iss", iss, "sub", sub)
	default:
		logRefusal(ctx, w.log, evRefreshFailed, c.err, "provider", data.Provider, "iss", iss, "sub", sub)
	}
	return c.data, c.err
}

// refreshRefused reports whether a refresh failed because the provider (or
// the session) says no, which ends the session: a token endpoint answer
// with an OAuth error code and a 4xx status (invalid_grant: the refresh
// token was revoked or expired), a refreshed ID token that fails
// verification, a provider no longer configured, or an unreadable session.
// Anything else (a cancelled or timed-out wait, a transport error, a 5xx)
// says nothing about the session, which stays.
func refreshRefused(err error) bool {
	var te *TokenError
	if errors.As(err, &te) {
		return te.Code != "" && te.StatusCode < 500
	}
	return errors.Is(err, ErrInvalidIDToken) || errors.Is(err, ErrNoLocalAccount) || errors.Is(err, errSessionFormat)
}

// sessionSubject returns the iss and sub of data's claims, for logs.
func sessionSubject(data *sessionData) (iss, sub string) {
	if len(data.Claims) == 0 {
		return "", ""
	}
	m, err := decodeClaims(data.Claims)
	if err != nil {
		return "", ""
	}
	iss, _ = m["iss"].(string)
	sub, _ = m["sub"].(string)
	return iss, sub
}

func isDone(c *refreshCall) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (w *Web) doRefresh(ctx context.Context, data *sessionData) (*sessionData, error) {
	p, ok := w.providers[data.Provider]
	if !ok {
		return nil, ErrNoLocalAccount
	}
	original := map[string]any{}
	if len(data.Claims) > 0 {
		var err error
		if original, err = decodeClaims(data.Claims); err != nil {
			return nil, errSessionFormat
		}
	}
	tok, id, err := p.RP.refreshTokens(ctx, data.RefreshToken, original)
	if err != nil {
		return nil, err
	}
	next := *data
	next.AccessToken = tok.AccessToken
	next.RefreshToken = tok.RefreshToken
	next.Expiry = 0
	if exp := p.RP.tokenExpiry(tok); !exp.IsZero() {
		next.Expiry = exp.Unix()
	}
	if id != nil {
		rawID, _ := tok.Extra("id_token").(string)
		next.IDToken = rawID
		for k, v := range id.claims {
			original[k] = v
		}
		next.Claims = newClaims(original, nil).raw()
	}
	return &next, nil
}
