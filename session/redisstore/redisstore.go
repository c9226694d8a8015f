// Package redisstore provides a session.Store that keeps sessions in Redis,
// so that several instances of an application share them and Destroy
// revokes a session everywhere at once.
//
// It is a module of its own, so that applications which do not use Redis
// do not depend on a Redis client. It needs Redis 6.2 or later (for the
// EXAT and PXAT options of SET).
//
// The data a session.Manager hands to the Store is already sealed, so
// Redis never holds a session payload in the clear; anyone who can write
// to Redis can still delete sessions or keep them from expiring there,
// though the Manager enforces its timeouts itself.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oidcrp/rp/session"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix New uses when given an empty one.
const DefaultPrefix = "rp:session:"

var _ session.Store = (*Store)(nil)

// Store keeps sessions in Redis, for applications on several instances.
// The session with id is kept under the key prefix+id, as a string value
// that Redis expires at the session's expiry. A Store is safe for
// concurrent use, as its client is.
type Store struct {
	client redis.UniversalClient
	prefix string
}

// New returns a Store that keeps sessions in client under keys starting
// with prefix (DefaultPrefix, "rp:session:", when prefix is empty). Give
// each application, or each session.Manager cookie name, its own prefix
// when they share a Redis database. New panics if client is nil. The
// Store does not close client.
func New(client redis.UniversalClient, prefix string) *Store {
	if client == nil {
		panic("redisstore: New called with a nil client")
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{client: client, prefix: prefix}
}

// key returns the Redis key of id. Session ids are base64url, so they
// need no escaping.
func (s *Store) key(id string) string {
	return s.prefix + id
}

// Get returns the data stored for id. It returns session.ErrNotFound when
// Redis has no such key (never set, deleted or expired). Any failure to
// reach Redis or any error it answers, including ctx being done, is
// returned wrapped and is never session.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	data, err := s.client.Get(ctx, s.key(id)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, session.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("redisstore: get: %w", err)
	}
	return data, nil
}

// Set stores data for id with SET, replacing what id held, and has Redis
// expire it at expiry (EXAT or PXAT, to the millisecond). An expiry that is
// not after the current time deletes id instead. Errors of Redis are
// returned wrapped; when Set fails, id may still hold its former data.
func (s *Store) Set(ctx context.Context, id string, data []byte, expiry time.Time) error {
	if !time.Now().Before(expiry) {
		if err := s.client.Del(ctx, s.key(id)).Err(); err != nil {
			return fmt.Errorf("redisstore: delete on a past expiry: %w", err)
		}
		return nil
	}
	if err := s.client.SetArgs(ctx, s.key(id), data, redis.SetArgs{ExpireAt: expiry}).Err(); err != nil {
		return fmt.Errorf("redisstore: set: %w", err)
	}
	return nil
}

// Delete removes id with DEL; deleting an unknown id is not an error.
// Errors of Redis are returned wrapped, and then id may still be stored.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := s.client.Del(ctx, s.key(id)).Err(); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}
