package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// indexScript files a session in one index (KEYS[1]): it drops the members
// whose expiry (ARGV[3], now in Unix ms) has passed, adds ARGV[1] with
// expiry ARGV[2] (keeping a later expiry it had), and has the index
// expire with its latest member, so that it never outlives its sessions.
// It touches one key only.
var indexScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
`)

// deleteBatch is the number of sessions DeleteIndexed reads and deletes
// per round trip.
const deleteBatch = 512

// Index files session id in the index of each of keys until expiry: a
// sorted set per key, holding id with its expiry (Unix ms) as the score.
// Each set is updated by a script on that one key, which also drops the
// members already expired and has the set expire with its latest member;
// the scripts for several keys go in one pipeline. An expiry that is not
// after the current time files nothing, as do empty keys. Errors of Redis
// are returned wrapped; id may then be filed under some of keys only.
func (s *Store) Index(ctx context.Context, id string, keys []string, expiry time.Time) error {
	if err := ctxErr(ctx, "indexing a session"); err != nil {
		return err
	}
	if len(keys) == 0 || expired(expiry) {
		return nil
	}
	exp, now := unixMilli(expiry), time.Now().UnixMilli()
	run := func(eval func(context.Context, redis.Scripter, []string, ...any) *redis.Cmd) ([]redis.Cmder, error) {
		pipe := s.client.Pipeline()
		for _, k := range keys {
			eval(ctx, pipe, []string{s.indexKey(k)}, id, exp, now)
		}
		return pipe.Exec(ctx)
	}
	cmds, err := run(indexScript.EvalSha)
	if err != nil && noScript(cmds) {
		// A server that has not seen the script yet (or was restarted)
		// gets it in full; filing twice is harmless.
		_, err = run(indexScript.Eval)
	}
	if err != nil {
		return failed("indexing a session", err)
	}
	return nil
}

// noScript reports whether one of cmds failed because the server did not
// know the script.
func noScript(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			return true
		}
	}
	return false
}

// DeleteIndexed deletes every session filed in the index of key and
// returns how many it deleted (sessions already gone are not counted). It
// reads the members of the index (in batches of 512), deletes their
// session keys in a pipeline, then removes those members from the index,
// whose key goes with its last member; sessions filed meanwhile stay
// filed. A Redis error is returned wrapped with the count so far: some
// sessions may be left, and the index still lists them, so that calling
// DeleteIndexed again finishes the work.
func (s *Store) DeleteIndexed(ctx context.Context, key string) (int, error) {
	ikey := s.indexKey(key)
	n := 0
	for {
		ids, err := s.client.ZRange(ctx, ikey, 0, deleteBatch-1).Result()
		if err != nil {
			return n, failed("reading an index", err)
		}
		if len(ids) == 0 {
			return n, nil
		}
		pipe := s.client.Pipeline()
		dels := make([]*redis.IntCmd, len(ids))
		members := make([]any, len(ids))
		for i, id := range ids {
			dels[i] = pipe.Del(ctx, s.sessionKey(id))
			members[i] = id
		}
		_, err = pipe.Exec(ctx)
		for _, d := range dels {
			if d.Err() == nil {
				n += int(d.Val())
			}
		}
		if err != nil {
			return n, failed("deleting the sessions of an index", err)
		}
		if err := s.client.ZRem(ctx, ikey, members...).Err(); err != nil {
			return n, failed("removing deleted sessions from an index", err)
		}
		if len(ids) < deleteBatch {
			return n, nil
		}
	}
}
