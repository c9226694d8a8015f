// Package redisstore keeps the state that several instances of an
// application share in Redis: one Redis server, a Sentinel-managed one, or
// a Redis Cluster, through a redis.UniversalClient. One Store serves as
//
//   - the session.Store of a session.Manager (sessions, and the index that
//     back-channel and front-channel logout and "end all sessions of this
//     user" use to find them);
//   - the rp.ReplayStore of an rp.Config (login states and logout token IDs
//     accepted once across all instances);
//   - through Store.Shared, the web.SharedStore of a web Site (records of
//     ended sessions and the coordination of token refreshes).
//
// It is a module of its own, so that applications which do not use Redis
// do not depend on a Redis client. It needs Redis 6.2 or later.
//
// # Keys
//
// Every key starts with the prefix given to New (DefaultPrefix, "rp:",
// when empty), followed by one of:
//
//	session:{ID}       the sealed data of session ID (a string), expiring
//	                   with the session
//	index:{H}          a sorted set of the session IDs filed under one
//	                   index key, H being the hex SHA-256 of that key; each
//	                   member's score is its expiry in Unix milliseconds, and
//	                   the set expires with its latest member
//	shared:KEY         the value of KEY of the web.SharedStore (a string)
//	replay:KEY         the mark ("1") of KEY of the rp.ReplayStore
//
// The braces are Redis Cluster hash tags: everything about one session is
// in the slot of its ID, and each index in a slot of its own, so that no
// command ever needs two slots. Operations over several keys (Get of
// several shared keys, DeleteIndexed deleting the sessions of an index) are
// pipelines of single-key commands, which a ClusterClient sends to each
// key's node; there is no MULTI, MGET or script across keys.
//
// Earlier versions kept sessions under "rp:session:" + ID (that was
// DefaultPrefix), without hash tags: after upgrading, sessions stored
// before are not found, and their users sign in again.
//
// # Time, errors and contexts
//
// Expiries are absolute times (PXAT, PEXPIREAT), rounded up to the
// millisecond, which Redis applies by its own clock: keep the clocks of the
// Redis servers and of the application's hosts synchronised (NTP). A Redis
// clock ahead of the application's shortens what the Store remembers by
// the difference.
//
// Every error of Redis, including a context being done, is returned wrapped
// with what failed, and never holds a key or a value; no method reports a
// success, a first use or a value that Redis did not confirm. Contexts are
// passed to every command. For a context's deadline to also bound a read
// from a Redis that stopped answering, create the client with
// ContextTimeoutEnabled (otherwise its ReadTimeout, 3 seconds by default,
// bounds it). When Redis comes back after an outage, the same Store and
// client work again by themselves: after as many failed dials in a row as
// its PoolSize, go-redis fails calls at once and probes Redis once a
// second, so they recover within about a second.
//
// The data a session.Manager hands to the Store is already sealed, so
// Redis never holds a session payload in the clear; anyone who can write
// to Redis can still delete sessions, keep them from expiring there, undo
// a logout or replay a login state, so protect it as the sessions it holds.
package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/session"
	"github.com/oidcrp/rp/web"
)

// DefaultPrefix is the key prefix New uses when given an empty one.
const DefaultPrefix = "rp:"

// The sub-prefixes of the kinds of keys, after the prefix.
const (
	sessionKind = "session:"
	indexKind   = "index:"
	sharedKind  = "shared:"
	replayKind  = "replay:"
)

// The limits of keys and values that the interfaces state, and that the
// Store enforces.
const (
	maxReplayKey   = 128
	maxSharedKey   = 200
	maxSharedValue = 64 << 10
)

var (
	_ session.Store   = (*Store)(nil)
	_ rp.ReplayStore  = (*Store)(nil)
	_ web.SharedStore = (*Shared)(nil)
)

// ErrInvalid is matched by the error of a call whose key or value is
// outside the limits of the interface the method belongs to (an
// rp.ReplayStore key that is empty, longer than 128 bytes or not printable
// ASCII; a web.SharedStore key of more than 200 bytes or a value of more
// than 64 KiB). Nothing is sent to Redis.
var ErrInvalid = errors.New("redisstore: key or value outside the limits of the interface")

// Store keeps sessions, their index and single-use marks in Redis, for
// applications on several instances; Shared returns its web.SharedStore.
// The package documentation describes its keys. A Store is safe for
// concurrent use, as its client is.
type Store struct {
	client redis.UniversalClient
	prefix string
	shared *Shared
}

// New returns a Store that keeps its keys in client under prefix
// (DefaultPrefix, "rp:", when prefix is empty). Give each application, or
// each session.Manager cookie name, its own prefix when they share a Redis
// database. The Store does not close client.
//
// New panics if client is nil or if prefix holds a brace ('{' or '}'),
// which would defeat the hash tags that keep Redis Cluster commands in one
// slot.
func New(client redis.UniversalClient, prefix string) *Store {
	if client == nil {
		panic("redisstore: New called with a nil client")
	}
	if strings.ContainsAny(prefix, "{}") {
		panic("redisstore: New called with a prefix holding '{' or '}', which Redis Cluster would take for a hash tag")
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	s := &Store{client: client, prefix: prefix}
	s.shared = &Shared{s: s}
	return s
}

// sessionKey returns the Redis key of session id.
func (s *Store) sessionKey(id string) string {
	return s.prefix + sessionKind + "{" + id + "}"
}

// indexKey returns the Redis key of the index of key.
func (s *Store) indexKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return s.prefix + indexKind + "{" + hex.EncodeToString(h[:]) + "}"
}

// sharedKey returns the Redis key of a web.SharedStore key.
func (s *Store) sharedKey(key string) string {
	return s.prefix + sharedKind + key
}

// replayKey returns the Redis key of an rp.ReplayStore key.
func (s *Store) replayKey(key string) string {
	return s.prefix + replayKind + key
}

// failed wraps err, an error of Redis, with what failed.
func failed(what string, err error) error {
	return fmt.Errorf("redisstore: %s: %w", what, err)
}

// unixMilli returns t in Unix milliseconds, rounded up, so that a key
// never expires before t.
func unixMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}

// expired reports whether expiry is not after the current time.
func expired(expiry time.Time) bool {
	return !time.Now().Before(expiry)
}

// printable reports whether key is 1 to max bytes of printable ASCII.
func printable(key string, max int) bool {
	if key == "" || len(key) > max {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// ctxErr returns ctx's error wrapped, when ctx is done, so that a method
// with nothing to send still honours it.
func ctxErr(ctx context.Context, what string) error {
	if err := ctx.Err(); err != nil {
		return failed(what, err)
	}
	return nil
}
