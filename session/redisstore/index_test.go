package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oidcrp/rp/session"
)

// TestIndexKeys: the index of a key is a sorted set under
// prefix + "index:{hex SHA-256 of the key}", holding each session ID with
// its expiry in Unix ms, kept at the latest expiry filed, and expiring
// with its latest member; on a cluster each index is in the slot of its
// hash.
func TestIndexKeys(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		ctx := t.Context()
		indexKey := func(k string) string {
			h := sha256.Sum256([]byte(k))
			return s.prefix + "index:{" + hex.EncodeToString(h[:]) + "}"
		}
		score := func(key, id string) float64 {
			t.Helper()
			v, err := client.ZScore(ctx, key, id).Result()
			if err != nil {
				t.Fatalf("ZSCORE of %s: %v", id, err)
			}
			return v
		}
		expireAt := func(key string) time.Duration {
			t.Helper()
			at, err := client.PExpireTime(ctx, key).Result()
			if err != nil {
				t.Fatalf("PEXPIRETIME: %v", err)
			}
			return at
		}
		ms := func(t time.Time) time.Duration { return time.Duration(t.UnixMilli()) * time.Millisecond }

		now := time.UnixMilli(time.Now().UnixMilli())
		in1h, in2h, in3h := now.Add(time.Hour), now.Add(2*time.Hour), now.Add(3*time.Hour)
		a, c := sessionID(), sessionID()
		keys := []string{"sub:op:alice", "sid:op:{s1}"}
		if err := s.Index(ctx, a, keys, in2h.Add(400*time.Microsecond)); err != nil {
			t.Fatalf("Index: %v", err)
		}
		for _, k := range keys {
			key := indexKey(k)
			if got := score(key, a); got != float64(in2h.UnixMilli()+1) {
				t.Fatalf("score of the session = %v; want its expiry rounded up, %d", got, in2h.UnixMilli()+1)
			}
			if got := expireAt(key); got != ms(in2h)+time.Millisecond {
				t.Fatalf("PEXPIRETIME of the index = %v; want the expiry of its member", got)
			}
		}
		if got := len(keysOf(t, client, s.prefix)); got != 2 {
			t.Fatalf("Index made %d keys; want one per index key", got)
		}

		// A later member moves the index's expiry; an earlier one does
		// not, nor does filing a member again with an earlier expiry.
		key := indexKey(keys[0])
		if err := s.Index(ctx, c, keys[:1], in3h); err != nil {
			t.Fatal(err)
		}
		if got := expireAt(key); got != ms(in3h) {
			t.Fatalf("PEXPIRETIME after a later member = %v; want %v", got, ms(in3h))
		}
		if err := s.Index(ctx, sessionID(), keys[:1], in1h); err != nil {
			t.Fatal(err)
		}
		if err := s.Index(ctx, c, keys[:1], in1h); err != nil {
			t.Fatal(err)
		}
		if got := expireAt(key); got != ms(in3h) {
			t.Fatalf("PEXPIRETIME after earlier members = %v; want %v", got, ms(in3h))
		}
		if got := score(key, c); got != float64(in3h.UnixMilli()) {
			t.Fatalf("score after filing again with an earlier expiry = %v; want the later one", got)
		}

		// Members already expired are dropped when the index is next
		// written.
		stale := sessionID()
		if err := client.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(-time.Second).UnixMilli()), Member: stale}).Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.Index(ctx, sessionID(), keys[:1], in1h); err != nil {
			t.Fatal(err)
		}
		if _, err := client.ZScore(ctx, key, stale).Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("ZSCORE of an expired member after Index = %v; want it dropped", err)
		}

		// An expiry already passed files nothing.
		if err := s.Index(ctx, sessionID(), []string{"sub:op:bob"}, now.Add(-time.Millisecond)); err != nil {
			t.Fatalf("Index with a past expiry: %v", err)
		}
		if n, err := client.Exists(ctx, indexKey("sub:op:bob")).Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS of an index filed with a past expiry = %d, %v; want 0", n, err)
		}

		if !b.cluster {
			return
		}
		for _, k := range keys {
			h := sha256.Sum256([]byte(k))
			if got, want := keySlot(t, client, indexKey(k)), keySlot(t, client, hex.EncodeToString(h[:])); got != want {
				t.Fatalf("index of %q in slot %d; want the slot of its hash, %d", k, got, want)
			}
		}
		if keySlot(t, client, indexKey(keys[0])) == keySlot(t, client, indexKey(keys[1])) {
			t.Fatal("two index keys share a slot; want each in the slot of its own hash")
		}
	})
}

// TestIndexNewServerScript: Index works on a server that does not know the
// script yet (after SCRIPT FLUSH, as after a restart).
func TestIndexNewServerScript(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		ctx := t.Context()
		flush := func() {
			t.Helper()
			var err error
			switch c := client.(type) {
			case *redis.ClusterClient:
				err = c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.ScriptFlush(ctx).Err() })
			case *redis.Client:
				err = c.ScriptFlush(ctx).Err()
			}
			if err != nil {
				t.Fatalf("SCRIPT FLUSH: %v", err)
			}
		}
		flush()
		id := sessionID()
		if err := s.Index(ctx, id, []string{"a", "b", "c", "d"}, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Index after SCRIPT FLUSH: %v", err)
		}
		if err := s.Set(ctx, id, []byte("x"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"a", "b", "c", "d"} {
			if n, err := client.Exists(ctx, s.indexKey(k)).Result(); err != nil || n != 1 {
				t.Fatalf("index %s after Index = %d, %v; want it", k, n, err)
			}
		}
		flush()
		if err := s.Shared().Put(ctx, "k", []byte("v"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Shared().Remove(ctx, "k", []byte("v")); err != nil {
			t.Fatalf("Remove after SCRIPT FLUSH: %v", err)
		}
		if v, err := s.Shared().Get(ctx, "k"); err != nil || v[0] != nil {
			t.Fatalf("Get after Remove = %q, %v; want nil", v, err)
		}
	})
}

// TestDeleteIndexedMany: an index of more sessions than one batch is
// emptied and goes away, and the count is the number of sessions
// deleted.
func TestDeleteIndexedMany(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		ctx := t.Context()
		const n, gone = 2*deleteBatch + 100, 40
		exp := time.Now().Add(time.Hour)
		ids := make([]string, n)
		pipe := client.Pipeline()
		for i := range ids {
			ids[i] = sessionID()
			pipe.ZAdd(ctx, s.indexKey("sub:op:busy"), redis.Z{Score: float64(exp.UnixMilli()), Member: ids[i]})
			if i >= gone {
				pipe.Set(ctx, s.sessionKey(ids[i]), "x", time.Hour)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := s.DeleteIndexed(ctx, "sub:op:busy"); got != n-gone || err != nil {
			t.Fatalf("DeleteIndexed = %d, %v; want %d (the sessions that existed), nil", got, err, n-gone)
		}
		if keys := keysOf(t, client, s.prefix); len(keys) != 0 {
			t.Fatalf("%d keys left after DeleteIndexed, like %q; want none", len(keys), keys[0])
		}
		for _, id := range ids[:3] {
			if _, err := s.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("Get after DeleteIndexed = %v; want ErrNotFound", err)
			}
		}
	})
}

// TestDeleteIndexedKeepsLaterFilings: DeleteIndexed removes from the index
// the sessions it deleted only, so a session filed after it read the index
// stays filed.
func TestDeleteIndexedKeepsLaterFilings(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		ctx := t.Context()
		exp := time.Now().Add(time.Hour)
		// A hook between the read of the index and the removal of its
		// members files a new session, as a concurrent sign-in would.
		late := sessionID()
		hooked := &filingHook{key: s.indexKey("sub:op:alice"), file: func() {
			if err := client.ZAdd(ctx, s.indexKey("sub:op:alice"), redis.Z{Score: float64(exp.UnixMilli()), Member: late}).Err(); err != nil {
				t.Errorf("filing the late session: %v", err)
			}
		}}
		client.AddHook(hooked)
		for range 3 {
			id := sessionID()
			if err := s.Index(ctx, id, []string{"sub:op:alice"}, exp); err != nil {
				t.Fatal(err)
			}
			if err := s.Set(ctx, id, []byte("x"), exp); err != nil {
				t.Fatal(err)
			}
		}
		hooked.armed = true
		if n, err := s.DeleteIndexed(ctx, "sub:op:alice"); n != 3 || err != nil {
			t.Fatalf("DeleteIndexed = %d, %v; want 3, nil", n, err)
		}
		if !hooked.fired {
			t.Fatal("the hook did not run between the read and the removal")
		}
		members, err := client.ZRange(ctx, s.indexKey("sub:op:alice"), 0, -1).Result()
		if err != nil || len(members) != 1 || members[0] != late {
			t.Fatalf("index after DeleteIndexed = %q, %v; want only the session filed meanwhile", members, err)
		}
	})
}

// filingHook runs file once, when armed, after a ZRANGE of key: between
// DeleteIndexed's read of an index and its removal of the members.
type filingHook struct {
	key          string
	file         func()
	armed, fired bool
}

func (h *filingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *filingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if h.armed && !h.fired && cmd.Name() == "zrange" && fmt.Sprint(cmd.Args()[1]) == h.key {
			h.fired = true
			h.file()
		}
		return err
	}
}

func (h *filingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
