package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"
)

// errRefreshRefusedElsewhere is the refusal of a refresh that another
// instance made for the session: it ends the session here too.
var errRefreshRefusedElsewhere = errors.New("rp: token refresh refused (at another instance)")

// errRefreshUnavailable: another instance refreshed the session's tokens
// but its result cannot be used here (too large to share, sealed with
// other secrets, or not written in time). The session stays.
var errRefreshUnavailable = errors.New("rp: token refresh done by another instance, but its result is not available")

// The kinds of a shared refresh result, its first byte once opened.
const (
	resultTokens  byte = 't' // then the encoded sessionData
	resultRefused byte = 'r' // the provider refused the refresh
	resultMissing byte = 'm' // refreshed, but too large to share
)

// The back-off of an instance waiting for another's refresh.
const (
	refreshPollFirst = 10 * time.Millisecond
	refreshPollMax   = 200 * time.Millisecond
)

// sharedRefresh refreshes data's tokens once across the instances sharing
// the SharedStore, behind the in-process refresher. The instance that
// claims the refresh (Add of the claim key, with a random token) refreshes
// at the provider and shares the result (sealed, bound to its key) until
// the claim expires; it keeps the claim, so that no instance uses the old
// refresh token again while it lasts. The others wait for the result and
// use it, or claim the refresh themselves when the claim disappears
// without one (its holder failed and gave it up). It reports whether the
// result came from another instance. A SharedStore failure is an error
// matching ErrSharedStore, which is not a refusal: the session stays.
func (w *Site) sharedRefresh(ctx context.Context, sessionID string, data *sessionData) (*sessionData, bool, error) {
	sum := sha256.Sum256([]byte(w.keyPrefix + "\x00" + sessionID + "\x00" + data.RefreshToken))
	id := base64.RawURLEncoding.EncodeToString(sum[:])
	claimKey, resultKey := "rp/refresh/claim/"+id, "rp/refresh/result/"+id
	token := []byte(randomState())
	giveUp := time.Now().Add(refreshReuse) // real time: the wait is real
	ctx, cancel := context.WithTimeout(ctx, refreshReuse+sharedTimeout)
	defer cancel()
	for {
		if time.Now().After(giveUp) {
			return nil, true, errRefreshUnavailable
		}
		won, err := w.shared.Add(ctx, claimKey, token, w.now().Add(refreshReuse))
		if err != nil {
			return nil, false, sharedError("claiming the refresh in", err)
		}
		if won {
			next, err := w.refreshClaimed(ctx, claimKey, resultKey, token, data)
			return next, false, err
		}
		next, retry, err := w.awaitRefresh(ctx, claimKey, resultKey, giveUp)
		if !retry {
			return next, true, err
		}
	}
}

// refreshClaimed refreshes data at the provider for the claim it holds,
// and shares the result: the refreshed session, or the refusal. On any
// other failure it gives up the claim, so that a later request may try.
func (w *Site) refreshClaimed(ctx context.Context, claimKey, resultKey string, token []byte, data *sessionData) (*sessionData, error) {
	next, err := w.doRefresh(ctx, data)
	var result []byte
	switch {
	case err == nil:
		payload, eerr := next.encode()
		if eerr != nil {
			return nil, eerr
		}
		result = w.sealResult(resultKey, resultTokens, payload)
		if len(result) > maxSharedValue {
			result = w.sealResult(resultKey, resultMissing, nil)
		}
	case refreshRefused(err):
		result = w.sealResult(resultKey, resultRefused, nil)
	default:
		if rerr := w.shared.Remove(ctx, claimKey, token); rerr != nil {
			w.log.ErrorContext(ctx, "rp: giving up a refresh claim failed; other instances wait for it to expire",
				"provider", data.Provider, "error_kind", "shared_store", "error", rerr.Error())
		}
		return nil, err
	}
	if perr := w.shared.Put(ctx, resultKey, result, w.now().Add(refreshReuse)); perr != nil {
		w.log.ErrorContext(ctx, "rp: sharing a refresh result failed; other instances do not see it",
			"provider", data.Provider, "error_kind", "shared_store", "error", perr.Error())
	}
	return next, err
}

// awaitRefresh waits for the result of another instance's refresh,
// polling with a growing back-off until giveUp or ctx is done. It reports
// retry when the claim disappeared without a result.
func (w *Site) awaitRefresh(ctx context.Context, claimKey, resultKey string, giveUp time.Time) (next *sessionData, retry bool, err error) {
	wait := refreshPollFirst
	for {
		vals, err := w.shared.Get(ctx, resultKey, claimKey)
		if err == nil && len(vals) != 2 {
			err = errors.New("Get returned a wrong number of values")
		}
		if err != nil {
			return nil, false, sharedError("reading a refresh result from", err)
		}
		if vals[0] != nil {
			next, err := w.openResult(resultKey, vals[0])
			return next, false, err
		}
		if vals[1] == nil {
			return nil, true, nil
		}
		if !time.Now().Add(wait).Before(giveUp) {
			return nil, false, errRefreshUnavailable
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		}
		wait = min(2*wait, refreshPollMax)
	}
}

// sealResult seals a refresh result of kind for resultKey.
func (w *Site) sealResult(resultKey string, kind byte, payload []byte) []byte {
	return []byte(w.resultSeal.Seal(append([]byte{kind}, payload...), []byte(resultKey)))
}

// openResult opens a result that sealResult made for resultKey.
func (w *Site) openResult(resultKey string, sealed []byte) (*sessionData, error) {
	plain, err := w.resultSeal.Open(string(sealed), []byte(resultKey))
	if err != nil || len(plain) == 0 {
		return nil, errRefreshUnavailable
	}
	switch plain[0] {
	case resultTokens:
		next, err := decodeSession(plain[1:])
		if err != nil {
			return nil, errRefreshUnavailable
		}
		return next, nil
	case resultRefused:
		return nil, errRefreshRefusedElsewhere
	}
	return nil, errRefreshUnavailable
}
