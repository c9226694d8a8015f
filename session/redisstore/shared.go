package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Shared is the web.SharedStore of a Store, with its client and prefix:
// the key KEY is kept in Redis as prefix + "shared:" + KEY, a string value
// that Redis expires at its expiry. (A type of its own because
// web.SharedStore's Get, of several keys, is not session.Store's.) It is
// safe for concurrent use.
type Shared struct {
	s *Store
}

// Shared returns the web.SharedStore of s.
func (s *Store) Shared() *Shared {
	return s.shared
}

// checkShared returns ErrInvalid unless key and value are within the
// limits of web.SharedStore.
func checkShared(key string, value []byte) error {
	if !printable(key, maxSharedKey) || len(value) > maxSharedValue {
		return ErrInvalid
	}
	return nil
}

// Add sets key to value until expiry when key holds nothing (SET NX PXAT),
// and reports whether it did: true for one caller only, across instances.
// An expiry that is not after the current time sets nothing and reports
// false. A key or value outside the interface's limits fails with
// ErrInvalid; a Redis error is returned wrapped, with false.
func (h *Shared) Add(ctx context.Context, key string, value []byte, expiry time.Time) (bool, error) {
	if err := checkShared(key, value); err != nil {
		return false, err
	}
	if err := ctxErr(ctx, "adding a shared key"); err != nil {
		return false, err
	}
	if expired(expiry) {
		return false, nil
	}
	return h.s.setNX(ctx, h.s.sharedKey(key), value, expiry, "adding a shared key")
}

// Put sets key to value until expiry (SET PXAT), replacing what it held;
// an expiry that is not after the current time deletes key instead. A key
// or value outside the interface's limits fails with ErrInvalid; a Redis
// error is returned wrapped, and key may then hold its former value.
func (h *Shared) Put(ctx context.Context, key string, value []byte, expiry time.Time) error {
	if err := checkShared(key, value); err != nil {
		return err
	}
	if expired(expiry) {
		if err := h.s.client.Del(ctx, h.s.sharedKey(key)).Err(); err != nil {
			return failed("deleting a shared key put with a past expiry", err)
		}
		return nil
	}
	if err := h.s.client.Do(ctx, "SET", h.s.sharedKey(key), value, "PXAT", unixMilli(expiry)).Err(); err != nil {
		return failed("putting a shared key", err)
	}
	return nil
}

// Get returns the values of keys, in order, nil for a key that holds
// nothing, with one GET per key in a pipeline (which a ClusterClient
// splits by node). A key outside the interface's limits fails with
// ErrInvalid; a Redis error on any key fails the whole call, wrapped,
// with no values.
func (h *Shared) Get(ctx context.Context, keys ...string) ([][]byte, error) {
	for _, k := range keys {
		if err := checkShared(k, nil); err != nil {
			return nil, err
		}
	}
	if err := ctxErr(ctx, "reading shared keys"); err != nil {
		return nil, err
	}
	values := make([][]byte, len(keys))
	if len(keys) == 0 {
		return values, nil
	}
	pipe := h.s.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Get(ctx, h.s.sharedKey(k))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, failed("reading shared keys", err)
	}
	for i, c := range cmds {
		v, err := c.Bytes()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return nil, failed("reading shared keys", err)
		case v == nil:
			values[i] = []byte{}
		default:
			values[i] = v
		}
	}
	return values, nil
}

// removeScript deletes KEYS[1] if it holds ARGV[1]: one key, atomically.
var removeScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Remove deletes key if it holds value, atomically (a script on that one
// key); otherwise it does nothing. A key or value outside the interface's
// limits fails with ErrInvalid; a Redis error is returned wrapped, and key
// may then still hold value.
func (h *Shared) Remove(ctx context.Context, key string, value []byte) error {
	if err := checkShared(key, value); err != nil {
		return err
	}
	if err := removeScript.Run(ctx, h.s.client, []string{h.s.sharedKey(key)}, value).Err(); err != nil {
		return failed("removing a shared key", err)
	}
	return nil
}
