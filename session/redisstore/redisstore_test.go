package redisstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/oidcrp/rp/session"
	"github.com/redis/go-redis/v9"
)

// newClient returns a client for the Redis at $RP_REDIS_ADDR, closed when
// the test ends. Without RP_REDIS_ADDR the test is skipped, unless CI is
// set: there a missing Redis must not pass silently.
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("RP_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("RP_REDIS_ADDR is not set, and CI is: the Redis tests must run in CI")
		}
		t.Skip("RP_REDIS_ADDR is not set; set it to a Redis address (like 127.0.0.1:6379) to run the Redis tests")
	}
	client := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = client.Close() })
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at RP_REDIS_ADDR=%s does not answer: %v", addr, err)
	}
	return client
}

// newStore returns a Store under a random key prefix of its own, whose
// keys are deleted when the test ends, and the client it uses.
func newStore(t *testing.T) (*Store, *redis.Client) {
	t.Helper()
	client := newClient(t)
	prefix := "rptest:" + randomHex(8) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			_ = client.Del(ctx, iter.Val()).Err()
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleaning up %s*: %v", prefix, err)
		}
	})
	return New(client, prefix), client
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sessionID returns a random id of base64url characters, as session ids are.
func sessionID() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestRoundTrip(t *testing.T) {
	s, client := newStore(t)
	ctx := t.Context()
	id := sessionID()
	data := []byte("sealed\x00data\xff")
	if err := s.Set(ctx, id, data, time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := s.Get(ctx, id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v; want %q", got, err, data)
	}
	if raw, err := client.Get(ctx, s.prefix+id).Bytes(); err != nil || !bytes.Equal(raw, data) {
		t.Fatalf("Redis key %s = %q, %v; want the data", s.prefix+id, raw, err)
	}

	// Set replaces.
	if err := s.Set(ctx, id, []byte("v2"), time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if got, err := s.Get(ctx, id); err != nil || string(got) != "v2" {
		t.Fatalf("Get after a second Set = %q, %v; want v2", got, err)
	}

	// Empty data is data.
	if err := s.Set(ctx, id, nil, time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if got, err := s.Get(ctx, id); err != nil || len(got) != 0 {
		t.Fatalf("Get of empty data = %q, %v", got, err)
	}
}

func TestGetMissing(t *testing.T) {
	s, _ := newStore(t)
	if got, err := s.Get(t.Context(), sessionID()); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get of an unknown id = %q, %v; want ErrNotFound", got, err)
	}
}

func TestDelete(t *testing.T) {
	s, client := newStore(t)
	ctx := t.Context()
	id := sessionID()
	if err := s.Set(ctx, id, []byte("x"), time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get after Delete = %v; want ErrNotFound", err)
	}
	if n, err := client.Exists(ctx, s.prefix+id).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after Delete = %d, %v; want 0", n, err)
	}
	if err := s.Delete(ctx, sessionID()); err != nil {
		t.Fatalf("Delete of an unknown id: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	s, client := newStore(t)
	ctx := t.Context()
	id := sessionID()
	ahead := 1500 * time.Millisecond
	if err := s.Set(ctx, id, []byte("x"), time.Now().Add(ahead)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	ttl, err := client.PTTL(ctx, s.prefix+id).Result()
	if err != nil {
		t.Fatalf("PTTL: %v", err)
	}
	if ttl <= 0 || ttl > ahead {
		t.Fatalf("PTTL = %v; want in (0, %v]", ttl, ahead)
	}

	// An expiry in the past removes a stored id...
	if err := s.Set(ctx, id, []byte("y"), time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("Set with a past expiry: %v", err)
	}
	if n, err := client.Exists(ctx, s.prefix+id).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after Set with a past expiry = %d, %v; want 0", n, err)
	}
	if _, err := s.Get(ctx, id); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get after Set with a past expiry = %v; want ErrNotFound", err)
	}
	// ... and stores nothing for a new one, as does the zero time.
	for _, expiry := range []time.Time{time.Now().Add(-time.Millisecond), {}} {
		other := sessionID()
		if err := s.Set(ctx, other, []byte("z"), expiry); err != nil {
			t.Fatalf("Set with expiry %v: %v", expiry, err)
		}
		if n, err := client.Exists(ctx, s.prefix+other).Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS after Set with expiry %v = %d, %v; want 0", expiry, n, err)
		}
	}
}

func TestDefaultPrefix(t *testing.T) {
	client := newClient(t)
	s := New(client, "")
	ctx := t.Context()
	id := sessionID()
	key := DefaultPrefix + id
	t.Cleanup(func() { _ = client.Del(context.Background(), key).Err() })
	if err := s.Set(ctx, id, []byte("x"), time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if got, err := client.Get(ctx, key).Result(); err != nil || got != "x" {
		t.Fatalf("Redis key %s = %q, %v; want x", key, got, err)
	}
}

// TestRedisDown needs no Redis: it points a client at a port nothing
// listens on, and every call must fail with an error that is not
// ErrNotFound.
func TestRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, DialerRetries: 1, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	s := New(client, "")
	ctx := t.Context()
	id := sessionID()

	check := func(op string, err error) {
		t.Helper()
		if err == nil || errors.Is(err, session.ErrNotFound) {
			t.Errorf("%s with Redis down = %v; want an error other than ErrNotFound", op, err)
		}
	}
	_, err = s.Get(ctx, id)
	check("Get", err)
	check("Set", s.Set(ctx, id, []byte("x"), time.Now().Add(time.Minute)))
	check("Set with a past expiry", s.Set(ctx, id, []byte("x"), time.Now().Add(-time.Minute)))
	check("Delete", s.Delete(ctx, id))
}

// TestManager runs a session.Manager on the Store: sign-in, a later
// request, and sign-out, which must revoke copies of the cookie.
func TestManager(t *testing.T) {
	s, client := newStore(t)
	m, err := session.New(session.Config{
		Secrets: [][]byte{bytes.Repeat([]byte{7}, 32)},
		Store:   s,
	})
	if err != nil {
		t.Fatalf("session.New: %v", err)
	}
	payload := []byte(`{"sub":"alice","name":"Alice"}`)

	sess := m.New(payload)
	rec := httptest.NewRecorder()
	if err := m.Save(rec, nil, sess); err != nil {
		t.Fatalf("Save: %v", err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != m.CookieName() {
		t.Fatalf("Save set cookies %v; want one named %s", cookies, m.CookieName())
	}
	stored, err := client.Get(t.Context(), s.prefix+sess.ID).Bytes()
	if err != nil {
		t.Fatalf("Redis has no key for the session: %v", err)
	}
	if bytes.Contains(stored, []byte("alice")) || bytes.Contains([]byte(cookies[0].Value), []byte("alice")) {
		t.Fatal("the payload is in the clear in Redis or in the cookie")
	}
	if ttl, err := client.PTTL(t.Context(), s.prefix+sess.ID).Result(); err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("PTTL of the session = %v, %v; want in (0, 1h] (the default idle timeout)", ttl, err)
	}

	request := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://app.example.com/", nil)
		for _, c := range cookies {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		return r
	}
	got, ok := m.Load(request())
	if !ok {
		t.Fatal("Load found no session")
	}
	if got.ID != sess.ID || !bytes.Equal(got.Data, payload) || !got.Created.Equal(sess.Created) {
		t.Fatalf("Load = %+v; want %+v", got, sess)
	}

	// Saving the loaded session again keeps it.
	rec = httptest.NewRecorder()
	if err := m.Save(rec, request(), got); err != nil {
		t.Fatalf("Save of the loaded session: %v", err)
	}

	rec = httptest.NewRecorder()
	m.Destroy(rec, request(), got)
	if n, err := client.Exists(t.Context(), s.prefix+sess.ID).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after Destroy = %d, %v; want 0", n, err)
	}
	if _, ok := m.Load(request()); ok {
		t.Fatal("a copy of the cookie still loads the session after Destroy")
	}
	if err := m.Save(httptest.NewRecorder(), request(), got); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Save of a destroyed session = %v; want ErrNotFound", err)
	}
}

// TestManagerRedisDown: a genuine session cookie whose Redis is down is a
// store failure for Lookup and Destroy, not "no session" or a sign-out.
func TestManagerRedisDown(t *testing.T) {
	secrets := [][]byte{bytes.Repeat([]byte{7}, 32)}
	up, _ := newStore(t)
	live, err := session.New(session.Config{Secrets: secrets, Store: up})
	if err != nil {
		t.Fatal(err)
	}
	sess := live.New([]byte("x"))
	rec := httptest.NewRecorder()
	if err := live.Save(rec, nil, sess); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, DialerRetries: 1, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	down, err := session.New(session.Config{Secrets: secrets, Store: New(client, "")})
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
	if err := down.Destroy(httptest.NewRecorder(), r, sess); !errors.Is(err, session.ErrStore) {
		t.Fatalf("Destroy with Redis down = %v; want ErrStore", err)
	}
}
