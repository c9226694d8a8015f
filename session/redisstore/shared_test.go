package redisstore

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFirstUse: the first use of a key reports true, every later one
// false; the mark is prefix + "replay:KEY", "1", expiring at the expiry
// rounded up to the millisecond; an expiry already passed stores nothing.
func TestFirstUse(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		ctx := t.Context()
		expiry := time.UnixMilli(time.Now().Add(10 * time.Minute).UnixMilli()).Add(time.Microsecond)
		for i, want := range []bool{true, false, false} {
			if first, err := s.FirstUse(ctx, "state:abc", expiry); first != want || err != nil {
				t.Fatalf("FirstUse #%d = %v, %v; want %v, nil", i+1, first, err, want)
			}
		}
		key := s.prefix + "replay:state:abc"
		if v, err := client.Get(ctx, key).Result(); err != nil || v != "1" {
			t.Fatalf("GET %s = %q, %v; want 1", key, v, err)
		}
		if at, err := client.PExpireTime(ctx, key).Result(); err != nil || at != time.Duration(expiry.UnixMilli()+1)*time.Millisecond {
			t.Fatalf("PEXPIRETIME = %v, %v; want the expiry rounded up", at, err)
		}
		if first, err := s.FirstUse(ctx, "state:abd", expiry); !first || err != nil {
			t.Fatalf("FirstUse of another key = %v, %v; want true", first, err)
		}

		for range 2 {
			if first, err := s.FirstUse(ctx, "state:old", time.Now().Add(-time.Millisecond)); !first || err != nil {
				t.Fatalf("FirstUse with a past expiry = %v, %v; want true, nil", first, err)
			}
		}
		if n, err := client.Exists(ctx, s.prefix+"replay:state:old").Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS after FirstUse with a past expiry = %d, %v; want 0", n, err)
		}
	})
}

// TestFirstUseAndAddAtomic: 64 goroutines using one key at once: exactly
// one FirstUse, and exactly one Add, reports true.
func TestFirstUseAndAddAtomic(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		const n = 64
		exp := time.Now().Add(time.Minute)
		var firsts, adds, winner int
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range n {
			wg.Go(func() {
				<-start
				first, err := s.FirstUse(t.Context(), "jti:race", exp)
				if err != nil {
					t.Errorf("FirstUse: %v", err)
				}
				added, err := s.Shared().Add(t.Context(), "lock:race", []byte(fmt.Sprint(g)), exp)
				if err != nil {
					t.Errorf("Add: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				if first {
					firsts++
				}
				if added {
					adds++
					winner = g
				}
			})
		}
		close(start)
		wg.Wait()
		if firsts != 1 || adds != 1 {
			t.Fatalf("of %d goroutines, %d saw a first use and %d added; want exactly 1 each", n, firsts, adds)
		}
		if v, err := client.Get(t.Context(), s.prefix+"shared:lock:race").Result(); err != nil || v != fmt.Sprint(winner) {
			t.Fatalf("the key holds %q, %v; want the value of the goroutine whose Add won, %d", v, err, winner)
		}
	})
}

// TestShared: Add, Put, Get and Remove of the web.SharedStore.
func TestShared(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		s, client := newStore(t, b)
		h := s.Shared()
		ctx := t.Context()
		later := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli()).Add(time.Microsecond)
		expireAt := func(key string) time.Duration {
			t.Helper()
			at, err := client.PExpireTime(ctx, s.prefix+"shared:"+key).Result()
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
		get := func(keys ...string) [][]byte {
			t.Helper()
			v, err := h.Get(ctx, keys...)
			if err != nil || len(v) != len(keys) {
				t.Fatalf("Get(%q) = %q, %v; want %d values", keys, v, err, len(keys))
			}
			return v
		}

		// Add claims a key once; the value stays the first one.
		if ok, err := h.Add(ctx, "refresh:s1", []byte("holder-1"), later); !ok || err != nil {
			t.Fatalf("Add = %v, %v; want true", ok, err)
		}
		if ok, err := h.Add(ctx, "refresh:s1", []byte("holder-2"), later.Add(time.Hour)); ok || err != nil {
			t.Fatalf("second Add = %v, %v; want false, nil", ok, err)
		}
		if v := get("refresh:s1"); string(v[0]) != "holder-1" {
			t.Fatalf("value after two Adds = %q; want holder-1", v[0])
		}
		if at := expireAt("refresh:s1"); at != time.Duration(later.UnixMilli()+1)*time.Millisecond {
			t.Fatalf("PEXPIRETIME after Add = %v; want the first Add's expiry rounded up", at)
		}
		if ok, err := h.Add(ctx, "refresh:s2", []byte("x"), time.Now().Add(-time.Millisecond)); ok || err != nil {
			t.Fatalf("Add with a past expiry = %v, %v; want false, nil", ok, err)
		}

		// Remove removes only its own value.
		if err := h.Remove(ctx, "refresh:s1", []byte("holder-2")); err != nil {
			t.Fatalf("Remove of another value: %v", err)
		}
		if v := get("refresh:s1"); string(v[0]) != "holder-1" {
			t.Fatalf("value after Remove of another value = %q; want holder-1 kept", v[0])
		}
		if err := h.Remove(ctx, "refresh:s1", []byte("holder-1")); err != nil {
			t.Fatalf("Remove: %v", err)
		}
		if v := get("refresh:s1"); v[0] != nil {
			t.Fatalf("value after Remove = %q; want nil", v[0])
		}
		if err := h.Remove(ctx, "refresh:never", []byte("x")); err != nil {
			t.Fatalf("Remove of a key never set: %v", err)
		}
		if ok, err := h.Add(ctx, "refresh:s1", []byte("holder-3"), later); !ok || err != nil {
			t.Fatalf("Add after Remove = %v, %v; want true", ok, err)
		}

		// Put replaces, and a past expiry deletes.
		for i, v := range []string{"v1", "v2", ""} {
			if err := h.Put(ctx, "ended:s1", []byte(v), later.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatalf("Put: %v", err)
			}
		}
		if v := get("ended:s1"); v[0] == nil || len(v[0]) != 0 {
			t.Fatalf("value after Put of an empty value = %#v; want empty, not nil", v[0])
		}
		if at := expireAt("ended:s1"); at != time.Duration(later.Add(2*time.Hour).UnixMilli()+1)*time.Millisecond {
			t.Fatalf("PEXPIRETIME after Put = %v; want the last Put's expiry", at)
		}
		if err := h.Put(ctx, "ended:s1", []byte("v"), time.Now().Add(-time.Millisecond)); err != nil {
			t.Fatalf("Put with a past expiry: %v", err)
		}
		if n, err := client.Exists(ctx, s.prefix+"shared:ended:s1").Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS after Put with a past expiry = %d, %v; want 0", n, err)
		}

		// Get of many keys, in order, across slots, with nil for those
		// holding nothing.
		var keys []string
		for i := range 50 {
			keys = append(keys, fmt.Sprintf("ended:%d", i))
			if i%2 == 0 {
				if err := h.Put(ctx, keys[i], []byte(fmt.Sprint("value ", i)), later); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, v := range get(keys...) {
			if i%2 == 0 && string(v) != fmt.Sprint("value ", i) || i%2 == 1 && v != nil {
				t.Fatalf("Get value %d = %q; want %q", i, v, map[bool]string{true: fmt.Sprint("value ", i)}[i%2 == 0])
			}
		}
		if v, err := h.Get(ctx); err != nil || len(v) != 0 {
			t.Fatalf("Get of no keys = %q, %v; want none, nil", v, err)
		}

		// A 64 KiB value goes through whole.
		big := bytes.Repeat([]byte{0, 1, 0xff}, maxSharedValue/3)
		if err := h.Put(ctx, "big", big, later); err != nil {
			t.Fatal(err)
		}
		if v := get("big"); !bytes.Equal(v[0], big) {
			t.Fatalf("Get of a big value returned %d bytes; want %d", len(v[0]), len(big))
		}
	})
}

// TestLimits: keys and values outside the interfaces' limits fail with
// ErrInvalid, without a call to Redis; those at the limits work.
func TestLimits(t *testing.T) {
	s := New(deadClient(t), "")
	h := s.Shared()
	ctx := t.Context()
	later := time.Now().Add(time.Minute)
	badKeys := []string{"", "a\nb", "tab\t", "\x00", "é", "\x7f", strings.Repeat("k", maxSharedKey+1)}
	for _, k := range badKeys {
		if _, err := h.Add(ctx, k, nil, later); !errors.Is(err, ErrInvalid) {
			t.Errorf("Add(%q) = %v; want ErrInvalid", k, err)
		}
		if err := h.Put(ctx, k, nil, later); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(%q) = %v; want ErrInvalid", k, err)
		}
		if _, err := h.Get(ctx, "ok", k); !errors.Is(err, ErrInvalid) {
			t.Errorf("Get(%q) = %v; want ErrInvalid", k, err)
		}
		if err := h.Remove(ctx, k, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Remove(%q) = %v; want ErrInvalid", k, err)
		}
	}
	for _, k := range append(badKeys, strings.Repeat("k", maxReplayKey+1)) {
		if first, err := s.FirstUse(ctx, k, later); first || !errors.Is(err, ErrInvalid) {
			t.Errorf("FirstUse(%q) = %v, %v; want false, ErrInvalid", k, first, err)
		}
	}
	big := make([]byte, maxSharedValue+1)
	if _, err := h.Add(ctx, "k", big, later); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add of %d bytes = %v; want ErrInvalid", len(big), err)
	}
	if err := h.Put(ctx, "k", big, later); !errors.Is(err, ErrInvalid) {
		t.Errorf("Put of %d bytes = %v; want ErrInvalid", len(big), err)
	}
	if err := h.Remove(ctx, "k", big); !errors.Is(err, ErrInvalid) {
		t.Errorf("Remove of %d bytes = %v; want ErrInvalid", len(big), err)
	}
	// At the limits, the calls reach Redis (which is down here).
	if _, err := s.FirstUse(ctx, strings.Repeat("k", maxReplayKey)+"", later); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("FirstUse of a %d-byte key = %v; want a Redis error", maxReplayKey, err)
	}
	if err := h.Put(ctx, strings.Repeat("~", maxSharedKey), big[:maxSharedValue], later); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("Put at the limits = %v; want a Redis error", err)
	}
}
