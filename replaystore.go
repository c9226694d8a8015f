package rp

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ReplayStore remembers single-use values, such as the state of a login
// and the ID (jti) of a back-channel logout token, so that each is
// accepted once. The default, an RP's own memory, is per process: a login
// state replayed to another instance of the application would be
// accepted there once more. Applications on several instances share one,
// such as the Redis one of the module github.com/oidcrp/rp/session/redisstore.
//
// Implementations must be safe for concurrent use.
type ReplayStore interface {
	// FirstUse records key as used until expiry and reports whether this
	// was its first use: true once, false for every later call before
	// expiry, from any instance. Keys are printable ASCII, at most 128
	// bytes, and already name what they are for. An error means the
	// store could not tell, and the caller refuses the value (it fails
	// closed): it must not be returned with true.
	FirstUse(ctx context.Context, key string, expiry time.Time) (bool, error)
}

// ErrReplayStore is matched by the error of a callback or a logout token
// whose single use could not be checked because the ReplayStore failed.
// Nothing was accepted; the user can try again once the store is back.
var ErrReplayStore = errors.New("rp: the replay store failed")

// firstUseFunc is ReplayStore.FirstUse as a value: Config.ReplayStore's,
// or the one a web Site shares (see adopt).
type firstUseFunc = func(ctx context.Context, key string, expiry time.Time) (bool, error)

// firstUse records key until expiry in the RP's replay store and reports
// whether this was its first use: through Config.ReplayStore or the one a
// web Site gave the RP, else in the RP's own bounded memory. A store's
// call is bounded by Config.HTTPTimeout; its error is returned as is, to be
// wrapped by replayStoreError.
func (r *RP) firstUse(ctx context.Context, key string, expiry time.Time) (bool, error) {
	f := r.replay.Load()
	if f == nil {
		return !r.used.Use(key, r.now(), expiry), nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.HTTPTimeout)
	defer cancel()
	first, err := (*f)(ctx, key, expiry)
	if err != nil {
		return false, err
	}
	return first, nil
}

// replayStoreError is the error of a value refused because the replay
// store failed: it matches ErrReplayStore and wraps err.
func replayStoreError(err error) error {
	return fmt.Errorf("%w: %w", ErrReplayStore, err)
}
