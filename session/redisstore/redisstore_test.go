package redisstore

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oidcrp/rp/session"
)

// TestSessionKeys: a session is one string key, prefix + "session:{ID}",
// holding exactly the data, expiring at the expiry rounded up to the
// millisecond; on a cluster the key is in the slot of the session ID.
func TestSessionKeys(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		ctx := t.Context()
		id := sessionID()
		data := []byte("sealed\x00data\xff")
		expiry := time.UnixMilli(time.Now().Add(90 * time.Second).UnixMilli()).Add(300 * time.Microsecond)
		if err := s.Set(ctx, id, data, expiry); err != nil {
			t.Fatalf("Set: %v", err)
		}
		key := s.prefix + "session:{" + id + "}"
		if keys := keysOf(t, client, s.prefix); len(keys) != 1 || keys[0] != key {
			t.Fatalf("keys after Set = %q; want only %q", keys, key)
		}
		if raw, err := client.Get(ctx, key).Bytes(); err != nil || !bytes.Equal(raw, data) {
			t.Fatalf("GET %s = %q, %v; want the data", key, raw, err)
		}
		if at, err := client.PExpireTime(ctx, key).Result(); err != nil || at != time.Duration(expiry.UnixMilli()+1)*time.Millisecond {
			t.Fatalf("PEXPIRETIME = %v, %v; want the expiry rounded up to the millisecond, %d ms", at, err, expiry.UnixMilli()+1)
		}
		if ttl, err := client.PTTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > 91*time.Second {
			t.Fatalf("PTTL = %v, %v; want in (0, 91s]", ttl, err)
		}
		if !b.cluster {
			return
		}
		slot := keySlot(t, client, key)
		if want := keySlot(t, client, id); slot != want {
			t.Fatalf("the session key is in slot %d, its ID in slot %d; want the same", slot, want)
		}
		// Sessions spread over the slots.
		slots := map[int64]bool{}
		for range 16 {
			slots[keySlot(t, client, s.sessionKey(sessionID()))] = true
		}
		if len(slots) < 8 {
			t.Fatalf("16 sessions fell in %d slots; want them spread", len(slots))
		}
	})
}

// keySlot returns CLUSTER KEYSLOT of key.
func keySlot(t *testing.T, client redis.UniversalClient, key string) int64 {
	t.Helper()
	slot, err := client.ClusterKeySlot(t.Context(), key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT: %v", err)
	}
	return slot
}

// TestPastExpiryDeletes: Set with an expiry already passed deletes the key
// and stores nothing.
func TestPastExpiryDeletes(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		ctx := t.Context()
		id := sessionID()
		if err := s.Set(ctx, id, []byte("x"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, id, []byte("y"), time.Now().Add(-time.Millisecond)); err != nil {
			t.Fatalf("Set with a past expiry: %v", err)
		}
		if n, err := client.Exists(ctx, s.sessionKey(id)).Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS after Set with a past expiry = %d, %v; want 0", n, err)
		}
		for _, expiry := range []time.Time{time.Now().Add(-time.Millisecond), {}} {
			if err := s.Set(ctx, sessionID(), []byte("z"), expiry); err != nil {
				t.Fatal(err)
			}
		}
		if keys := keysOf(t, client, s.prefix); len(keys) != 0 {
			t.Fatalf("keys after Sets with past expiries = %q; want none", keys)
		}
	})
}

// TestDefaultPrefix: New with an empty prefix keeps keys under "rp:".
func TestDefaultPrefix(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		client := b.client(t)
		s := New(client, "")
		ctx := t.Context()
		id := sessionID()
		key := "rp:session:{" + id + "}"
		t.Cleanup(func() { _ = client.Del(context.Background(), key).Err() })
		if err := s.Set(ctx, id, []byte("x"), time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("Set: %v", err)
		}
		if got, err := client.Get(ctx, key).Result(); err != nil || got != "x" {
			t.Fatalf("Redis key %s = %q, %v; want x", key, got, err)
		}
	})
}

// TestNewRefuses: New panics on a nil client and on a prefix with braces.
func TestNewRefuses(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		prefix string
		panic  string
	}{
		{"nil client", nil, "", "nil client"},
		{"opening brace", client, "app{1:", "'{' or '}'"},
		{"closing brace", client, "app}:", "'{' or '}'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.panic) {
					t.Fatalf("New panicked with %v; want a message about %s", r, tc.panic)
				}
			}()
			New(tc.client, tc.prefix)
		})
	}
	if s := New(client, "app:"); s.prefix != "app:" || s.Shared() == nil || s.Shared().s != s {
		t.Fatalf("New(client, app:) = prefix %q, Shared %p; want app: and the Store's Shared", s.prefix, s.Shared())
	}
}

// deadClient returns a client of a loopback port nothing listens on.
func deadClient(t *testing.T) *redis.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, DialerRetries: 1, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// TestRedisDown needs no Redis: every method of a Store whose Redis does
// not answer fails, with an error that is not ErrNotFound, reports no
// first use, no claim and no value, and says nothing of its keys.
func TestRedisDown(t *testing.T) {
	s := New(deadClient(t), "")
	checkAllFail(t, s, context.Background(), nil)
}

// checkAllFail calls every method of s and fails t unless each returns an
// error (matching want, when not nil) and no success.
func checkAllFail(t *testing.T, s *Store, ctx context.Context, want error) {
	t.Helper()
	id := sessionID()
	check := func(op string, err error) {
		t.Helper()
		if err == nil || errors.Is(err, session.ErrNotFound) || (want != nil && !errors.Is(err, want)) {
			t.Errorf("%s = %v; want an error (matching %v) other than ErrNotFound", op, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), id) || strings.Contains(err.Error(), "secret-key")) {
			t.Errorf("%s: the error %q holds a key", op, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "redisstore: ") {
			t.Errorf("%s: the error %q does not say it is the Redis store's", op, err)
		}
	}
	later := time.Now().Add(time.Minute)
	data, err := s.Get(ctx, id)
	check("Get", err)
	if data != nil {
		t.Errorf("Get returned data %q with its error", data)
	}
	check("Set", s.Set(ctx, id, []byte("x"), later))
	check("Set with a past expiry", s.Set(ctx, id, []byte("x"), time.Now().Add(-time.Minute)))
	check("Delete", s.Delete(ctx, id))
	check("Index", s.Index(ctx, id, []string{"secret-key"}, later))
	n, err := s.DeleteIndexed(ctx, "secret-key")
	check("DeleteIndexed", err)
	if n != 0 {
		t.Errorf("DeleteIndexed counted %d sessions with its error", n)
	}
	first, err := s.FirstUse(ctx, "secret-key", later)
	check("FirstUse", err)
	if first {
		t.Error("FirstUse reported a first use with its error")
	}
	h := s.Shared()
	added, err := h.Add(ctx, "secret-key", []byte("v"), later)
	check("Shared.Add", err)
	if added {
		t.Error("Shared.Add reported a claim with its error")
	}
	check("Shared.Put", h.Put(ctx, "secret-key", []byte("v"), later))
	check("Shared.Put with a past expiry", h.Put(ctx, "secret-key", []byte("v"), time.Now().Add(-time.Minute)))
	values, err := h.Get(ctx, "secret-key", id)
	check("Shared.Get", err)
	if values != nil {
		t.Errorf("Shared.Get returned values %q with its error", values)
	}
	check("Shared.Remove", h.Remove(ctx, "secret-key", []byte("v")))
}

// TestContextDone: with a cancelled context, or one past its deadline,
// every method fails with the context's error and changes nothing.
func TestContextDone(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		cancelled, cancel := context.WithCancel(t.Context())
		cancel()
		checkAllFail(t, s, cancelled, context.Canceled)
		past, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
		defer cancel()
		checkAllFail(t, s, past, context.DeadlineExceeded)
		if keys := keysOf(t, client, s.prefix); len(keys) != 0 {
			t.Fatalf("keys after calls with a done context = %q; want none", keys)
		}
	})
}

// TestManager runs a session.Manager on the Store: sign-in with an index,
// a later request, revocation through the index, and sign-out, which must
// revoke copies of the cookie.
func TestManager(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		m, err := session.New(session.Config{Secrets: [][]byte{bytes.Repeat([]byte{7}, 32)}, Store: s})
		if err != nil {
			t.Fatalf("session.New: %v", err)
		}
		payload := []byte(`{"sub":"alice","name":"Alice"}`)
		signIn := func(index ...string) (*session.Session, func() *http.Request) {
			t.Helper()
			sess := m.New(payload)
			sess.Index = index
			rec := httptest.NewRecorder()
			if err := m.Save(rec, nil, sess); err != nil {
				t.Fatalf("Save: %v", err)
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 || cookies[0].Name != m.CookieName() || strings.Contains(cookies[0].Value, "alice") {
				t.Fatalf("Save set cookies %v; want one named %s, without the payload", cookies, m.CookieName())
			}
			return sess, func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "https://app.example.com/", nil)
				r.AddCookie(&http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value})
				return r
			}
		}

		sess, request := signIn("sub:op:alice", "sid:op:s1")
		stored, err := client.Get(t.Context(), s.sessionKey(sess.ID)).Bytes()
		if err != nil || bytes.Contains(stored, []byte("alice")) {
			t.Fatalf("Redis holds %q, %v for the session; want it sealed", stored, err)
		}
		if ttl, err := client.PTTL(t.Context(), s.sessionKey(sess.ID)).Result(); err != nil || ttl <= 0 || ttl > time.Hour {
			t.Fatalf("PTTL of the session = %v, %v; want in (0, 1h] (the default idle timeout)", ttl, err)
		}
		got, ok := m.Load(request())
		if !ok || got.ID != sess.ID || !bytes.Equal(got.Data, payload) {
			t.Fatalf("Load = %+v, %v; want the session", got, ok)
		}
		if err := m.Save(httptest.NewRecorder(), request(), got); err != nil {
			t.Fatalf("Save of the loaded session: %v", err)
		}

		// A logout of the provider's session ends it, and the other
		// key finds nothing more.
		other, otherRequest := signIn("sub:op:alice", "sid:op:s2")
		if n, err := s.DeleteIndexed(t.Context(), "sid:op:s1"); n != 1 || err != nil {
			t.Fatalf("DeleteIndexed(sid) = %d, %v; want 1, nil", n, err)
		}
		if _, ok := m.Load(request()); ok {
			t.Fatal("the session loads after DeleteIndexed of its provider session")
		}
		if _, ok := m.Load(otherRequest()); !ok {
			t.Fatal("the user's other session was ended by DeleteIndexed of another provider session")
		}
		if n, err := s.DeleteIndexed(t.Context(), "sub:op:alice"); n != 1 || err != nil {
			t.Fatalf("DeleteIndexed(sub) = %d, %v; want 1, nil", n, err)
		}
		if _, ok := m.Load(otherRequest()); ok {
			t.Fatal("a session loads after DeleteIndexed of its user")
		}
		if err := m.Save(httptest.NewRecorder(), otherRequest(), other); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Save of a revoked session = %v; want ErrNotFound", err)
		}

		// Sign-out revokes copies of the cookie.
		third, thirdRequest := signIn()
		if err := m.Destroy(httptest.NewRecorder(), thirdRequest(), third); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
		if _, ok := m.Load(thirdRequest()); ok {
			t.Fatal("a copy of the cookie still loads the session after Destroy")
		}
		// What is left is the index of the second provider session,
		// which expires with the session it listed.
		if keys := keysOf(t, client, s.prefix); len(keys) != 1 || keys[0] != s.indexKey("sid:op:s2") {
			t.Fatalf("keys left after every session ended = %q; want only the index of sid:op:s2", keys)
		}
		ttl, err := client.PTTL(t.Context(), s.indexKey("sid:op:s2")).Result()
		if err != nil || ttl <= 0 || ttl > 8*time.Hour {
			t.Fatalf("PTTL of the index left = %v, %v; want in (0, 8h] (the default absolute timeout)", ttl, err)
		}
	})
}

// TestManagerRedisDown: a genuine session cookie whose Redis is down is a
// store failure for Lookup, Save and Destroy, not "no session" or a
// sign-out.
func TestManagerRedisDown(t *testing.T) {
	secrets := [][]byte{bytes.Repeat([]byte{7}, 32)}
	up, _ := newStore(t, backends[0])
	live, err := session.New(session.Config{Secrets: secrets, Store: up})
	if err != nil {
		t.Fatal(err)
	}
	sess := live.New([]byte("x"))
	rec := httptest.NewRecorder()
	if err := live.Save(rec, nil, sess); err != nil {
		t.Fatal(err)
	}
	down, err := session.New(session.Config{Secrets: secrets, Store: New(deadClient(t), "")})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "https://app.example.com/", nil)
	for _, c := range rec.Result().Cookies() {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	if got, err := down.Lookup(r); got != nil || !errors.Is(err, session.ErrStore) {
		t.Fatalf("Lookup with Redis down = %v, %v; want ErrStore", got, err)
	}
	fresh := down.New([]byte("y"))
	fresh.Index = []string{"sub:op:alice"}
	if err := down.Save(httptest.NewRecorder(), nil, fresh); !errors.Is(err, session.ErrStore) {
		t.Fatalf("Save of an indexed session with Redis down = %v; want ErrStore", err)
	}
	if err := down.Destroy(httptest.NewRecorder(), r, sess); !errors.Is(err, session.ErrStore) {
		t.Fatalf("Destroy with Redis down = %v; want ErrStore", err)
	}
}
