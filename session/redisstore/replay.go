package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// FirstUse records key as used until expiry and reports whether this was
// its first use, for rp.ReplayStore: SET NX with PXAT expiry sets the key
// for the first caller only, on whichever instance. An expiry that is not
// after the current time stores nothing and reports true: the value it
// guards has expired, and its caller refuses it for that. A key outside
// the interface's limits fails with ErrInvalid; a Redis error is returned
// wrapped, with false.
func (s *Store) FirstUse(ctx context.Context, key string, expiry time.Time) (bool, error) {
	if !printable(key, maxReplayKey) {
		return false, ErrInvalid
	}
	if err := ctxErr(ctx, "recording a single use"); err != nil {
		return false, err
	}
	if expired(expiry) {
		return true, nil
	}
	return s.setNX(ctx, s.replayKey(key), []byte("1"), expiry, "recording a single use")
}

// setNX sets the Redis key rkey to value until expiry when it holds
// nothing (SET NX PXAT), and reports whether it did. op names the
// operation in a wrapped Redis error, returned with false.
func (s *Store) setNX(ctx context.Context, rkey string, value []byte, expiry time.Time, op string) (bool, error) {
	err := s.client.Do(ctx, "SET", rkey, value, "NX", "PXAT", unixMilli(expiry)).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, failed(op, err)
	}
	return true, nil
}
