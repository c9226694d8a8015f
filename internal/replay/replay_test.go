package replay

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestUse(t *testing.T) {
	c := New(10)
	now := time.Unix(1000, 0)
	exp := now.Add(time.Minute)
	if c.Use("a", now, exp) {
		t.Fatal("first use reported as reuse")
	}
	if !c.Use("a", now.Add(30*time.Second), exp) {
		t.Fatal("second use before expiry not reported")
	}
	if c.Use("a", exp, exp.Add(time.Minute)) {
		t.Fatal("use after expiry reported as reuse")
	}
}

func TestBounded(t *testing.T) {
	c := New(5)
	now := time.Unix(1000, 0)
	for i := range 100 {
		c.Use(fmt.Sprint(i), now, now.Add(time.Hour))
	}
	if n := c.len(); n > 5 {
		t.Fatalf("cache holds %d keys; limit 5", n)
	}
	if !c.Use("99", now, now.Add(time.Hour)) {
		t.Fatal("the newest key was evicted")
	}
}

func TestExpiryIsExact(t *testing.T) {
	c := New(100)
	now := time.Unix(1000, 0)
	short, long := now.Add(time.Second), now.Add(time.Hour)
	c.Use("short", now, short)
	c.Use("long", now, long)
	if !c.Use("short", short.Add(-time.Nanosecond), short) {
		t.Error("reuse a nanosecond before expiry not reported")
	}
	if c.Use("short", short, short.Add(time.Minute)) {
		t.Error("use at the expiry reported as reuse")
	}
	if !c.Use("short", short.Add(time.Second), short) {
		t.Error("a key used again after its expiry is not remembered anew")
	}
	if !c.Use("long", short.Add(time.Minute), long) {
		t.Error("a long-lived key was forgotten when a short-lived one expired")
	}
}

func TestAlreadyExpiredNotRecorded(t *testing.T) {
	c := New(100)
	now := time.Unix(1000, 0)
	if c.Use("a", now, now) || c.Use("b", now, now.Add(-time.Second)) {
		t.Fatal("a new key reported as reused")
	}
	if n := c.len(); n != 0 {
		t.Fatalf("keys already expired were recorded (%d keys held)", n)
	}
}

func TestFullDropsOldestFirst(t *testing.T) {
	c := newCache(8, 1)
	now := time.Unix(1000, 0)
	for i := range 20 {
		if c.Use(fmt.Sprint(i), now.Add(time.Duration(i)), now.Add(time.Hour)) {
			t.Fatalf("new key %d reported as reused", i)
		}
	}
	if n := c.len(); n != 8 {
		t.Fatalf("cache holds %d keys; want 8", n)
	}
	for i := range 20 {
		if got, want := c.Seen(fmt.Sprint(i), now), i >= 12; got != want {
			t.Errorf("key %d remembered: %v, want %v", i, got, want)
		}
	}
}

func TestShardedFullKeepsNewest(t *testing.T) {
	c := New(1000)
	if len(c.shards) != maxShards {
		t.Fatalf("%d shards; want %d", len(c.shards), maxShards)
	}
	now := time.Unix(1000, 0)
	for i := range 5000 {
		c.Use(fmt.Sprint(i), now, now.Add(time.Hour))
	}
	if n := c.len(); n > 1000 {
		t.Fatalf("cache holds %d keys; limit 1000", n)
	}
	// Each shard keeps its newest keys. The newest 100 keys are spread over
	// 64 shards of 15, the oldest 2000 are followed by 3000 newer ones:
	// with a random seed, either check fails with a probability below 1e-8.
	for i := range 5000 {
		switch has := c.Seen(fmt.Sprint(i), now); {
		case i >= 4900 && !has:
			t.Errorf("key %d, among the newest, was forgotten", i)
		case i < 2000 && has:
			t.Errorf("key %d, among the oldest, is still remembered", i)
		}
	}
}

func TestExpiredForgottenBeforeLive(t *testing.T) {
	c := newCache(4, 1)
	now := time.Unix(1000, 0)
	c.Use("a", now, now.Add(time.Second))
	c.Use("b", now, now.Add(time.Second))
	c.Use("c", now, now.Add(time.Hour))
	c.Use("d", now, now.Add(time.Hour))
	later := now.Add(time.Minute)
	c.Use("e", later, later.Add(time.Hour))
	for _, k := range []string{"c", "d", "e"} {
		if !c.Seen(k, later) {
			t.Errorf("live key %s was forgotten while expired ones could go", k)
		}
	}
	if n := c.len(); n != 3 {
		t.Errorf("cache holds %d keys; want the 3 live ones", n)
	}
}

func TestReusedSlotDoesNotForgetNewerEntry(t *testing.T) {
	c := newCache(3, 1)
	now := time.Unix(1000, 0)
	c.Use("a", now, now.Add(time.Second))
	c.Use("x", now, now.Add(time.Hour))
	later := now.Add(time.Minute)
	// "a" expired; used again, it gets a new slot while its old one still
	// sits at the old end of the ring.
	c.Use("a", later, later.Add(time.Hour))
	c.Use("y", later, later.Add(time.Hour)) // drops the old "a" slot
	if !c.Use("a", later, later.Add(time.Hour)) {
		t.Fatal("dropping a stale slot forgot the key's newer entry")
	}
}

// TestFullUseIsConstantWork checks, on the ring itself, that a Use on a full
// shard whose keys expire out of order forgets at most expiredPerUse+1 keys
// and never walks the ring.
func TestFullUseIsConstantWork(t *testing.T) {
	c := newCache(1000, 1)
	s := &c.shards[0]
	now := time.Unix(1000, 0)
	for i := range 1000 {
		// Alternately short and long lives: expiry order differs from the
		// order of arrival.
		life := time.Hour
		if i%2 == 0 {
			life = time.Second
		}
		c.Use(fmt.Sprint("fill", i), now, now.Add(life))
	}
	later := now.Add(time.Minute)
	for i := range 5000 {
		head, n := s.head, s.n
		c.Use(fmt.Sprint("new", i), later, later.Add(time.Hour))
		steps := (s.head - head + len(s.ring)) % len(s.ring)
		if steps > expiredPerUse+1 || s.n > s.limit || s.n < n-expiredPerUse {
			t.Fatalf("Use %d moved the ring's old end %d steps (n %d -> %d)", i, steps, n, s.n)
		}
		if !c.Seen(fmt.Sprint("new", i), later) {
			t.Fatalf("key new%d not recorded", i)
		}
	}
}

func TestConcurrentUseReportsEachKeyOnce(t *testing.T) {
	c := New(100_000)
	now := time.Unix(1000, 0)
	const keys, goroutines = 2000, 64
	var firsts [keys]atomic.Int32
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range keys {
				k := (i + g*31) % keys
				if !c.Use(fmt.Sprint(k), now, now.Add(time.Hour)) {
					firsts[k].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for k := range keys {
		if n := firsts[k].Load(); n != 1 {
			t.Errorf("key %d was accepted %d times; want once", k, n)
		}
	}
}

func TestFarTimes(t *testing.T) {
	c := New(10)
	now := time.Unix(1000, 0)
	far := time.Unix(math.MaxInt64/2, 0)
	if c.Use("a", now, far) || !c.Use("a", now.Add(1000*time.Hour), far) {
		t.Fatal("a key expiring beyond the nanosecond range is not remembered")
	}
	if c.Use("b", time.Time{}, now) || !c.Use("b", now.Add(-time.Hour), now) {
		t.Fatal("a use at the zero time is mishandled")
	}
	if stamp(time.Time{}) >= stamp(time.Unix(0, 0)) || stamp(far) <= stamp(time.Unix(1<<32, 0)) {
		t.Fatal("clamping does not keep order")
	}
}

func TestTinyCapacity(t *testing.T) {
	for _, size := range []int{-1, 0, 1} {
		c := New(size)
		now := time.Unix(1000, 0)
		c.Use("a", now, now.Add(time.Hour))
		c.Use("b", now, now.Add(time.Hour))
		if n := c.len(); n != 1 || !c.Seen("b", now) {
			t.Errorf("New(%d) holds %d keys, b remembered %v; want just b", size, n, c.Seen("b", now))
		}
	}
}

// TestSeenRecordsNothing: Seen tells a used, unexpired key from others and
// records nothing, so a key only looked at is not taken as used.
func TestSeenRecordsNothing(t *testing.T) {
	c := New(10)
	now := time.Unix(1000, 0)
	if c.Seen("k", now) {
		t.Fatal("Seen before Use")
	}
	if c.Use("k", now, now.Add(time.Minute)) {
		t.Fatal("first Use reported a reuse")
	}
	if !c.Seen("k", now) || c.Seen("k", now.Add(time.Minute)) {
		t.Fatal("Seen does not follow the key's expiry")
	}
	if c.Seen("other", now) || c.Use("other", now, now.Add(time.Minute)) {
		t.Fatal("Seen recorded a key it only looked at")
	}
}
