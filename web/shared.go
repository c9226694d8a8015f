package web

import (
	"context"
	"time"
)

// SharedStore is the small shared memory that lets several instances of
// an application act as one Site: the records of ended sessions that
// cookie sessions need (a logout on one instance is seen on all), the
// coordination of token refreshes (one refresh per session across
// instances), and, given to the providers' RPs, the single use of login
// states and logout tokens. The default keeps all of it in this process's
// memory, which is right for one process only. The Redis store of the
// module github.com/oidcrp/rp/session/redisstore implements it.
//
// Keys are printable ASCII of at most 200 bytes; values are at most
// 64 KiB. Implementations must be safe for concurrent use, and every
// method must fail (not guess) when the store cannot be reached: the Site
// then fails closed.
type SharedStore interface {
	// Add sets key to value until expiry when key holds nothing, and
	// reports whether it did, atomically across instances.
	Add(ctx context.Context, key string, value []byte, expiry time.Time) (bool, error)

	// Put sets key to value until expiry, replacing what it held.
	Put(ctx context.Context, key string, value []byte, expiry time.Time) error

	// Get returns the values of keys, in order, nil for a key that holds
	// nothing (never set, removed or expired).
	Get(ctx context.Context, keys ...string) ([][]byte, error)

	// Remove deletes key if it holds value, atomically; otherwise it does
	// nothing. It is how the holder of a claim made with Add gives it up
	// without removing a later holder's.
	Remove(ctx context.Context, key string, value []byte) error
}
