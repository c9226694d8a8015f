package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oidcrp/rp/session"
)

// Get returns the data stored for session id. It returns
// session.ErrNotFound when Redis has no such key (never set, deleted or
// expired). Any failure to reach Redis or any error it answers, including
// ctx being done, is returned wrapped and is never session.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	data, err := s.client.Get(ctx, s.sessionKey(id)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, session.ErrNotFound
	case err != nil:
		return nil, failed("reading a session", err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Set stores data for session id with SET, replacing what id held, and has
// Redis expire it at expiry (PXAT). An expiry that is not after the current
// time deletes id instead. Errors of Redis are returned wrapped; when Set
// fails, id may still hold its former data.
func (s *Store) Set(ctx context.Context, id string, data []byte, expiry time.Time) error {
	if expired(expiry) {
		if err := s.client.Del(ctx, s.sessionKey(id)).Err(); err != nil {
			return failed("deleting a session stored with a past expiry", err)
		}
		return nil
	}
	if err := s.client.Do(ctx, "SET", s.sessionKey(id), data, "PXAT", unixMilli(expiry)).Err(); err != nil {
		return failed("storing a session", err)
	}
	return nil
}

// Delete removes session id with DEL; deleting an unknown id is not an
// error. Its index entries are left to expire or to DeleteIndexed, which
// never brings a session back. Errors of Redis are returned wrapped, and
// then id may still be stored.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := s.client.Del(ctx, s.sessionKey(id)).Err(); err != nil {
		return failed("deleting a session", err)
	}
	return nil
}
