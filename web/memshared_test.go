package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMemSharedSemantics: Add sets only what holds nothing, Put replaces,
// Get returns nil for what holds nothing, Remove removes only the value
// it is given, and everything expires with the clock.
func TestMemSharedSemantics(t *testing.T) {
	clock := newFakeClock()
	s := newMemShared(clock.Now)
	ctx := context.Background()
	in := func(d time.Duration) time.Time { return clock.Now().Add(d) }

	if ok, err := s.Add(ctx, "k", []byte("a"), in(time.Minute)); !ok || err != nil {
		t.Fatalf("first Add = %v, %v; want true", ok, err)
	}
	if ok, err := s.Add(ctx, "k", []byte("b"), in(time.Minute)); ok || err != nil {
		t.Fatalf("second Add = %v, %v; want false", ok, err)
	}
	if err := s.Remove(ctx, "k", []byte("b")); err != nil {
		t.Fatal(err)
	}
	vals, err := s.Get(ctx, "k", "none")
	if err != nil || len(vals) != 2 || string(vals[0]) != "a" || vals[1] != nil {
		t.Fatalf("Get = %q, %v; want [a nil] (Remove of another value removes nothing)", vals, err)
	}
	vals[0][0] = 'x' // a caller changing what Get returned changes nothing
	if err := s.Remove(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Add(ctx, "k", []byte("c"), in(time.Minute)); !ok {
		t.Fatal("Add after Remove of the value held = false; want true")
	}
	if err := s.Put(ctx, "k", []byte{}, in(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if vals, _ := s.Get(ctx, "k"); vals[0] == nil || len(vals[0]) != 0 {
		t.Fatalf("Get of an empty value = %#v; want empty, not nil", vals[0])
	}
	clock.Advance(2 * time.Minute)
	if vals, _ := s.Get(ctx, "k"); vals[0] != nil {
		t.Fatalf("Get after expiry = %q; want nil", vals[0])
	}
	if ok, _ := s.Add(ctx, "k", []byte("d"), in(time.Minute)); !ok {
		t.Fatal("Add after expiry = false; want true")
	}
	if ok, _ := s.Add(ctx, "past", []byte("d"), in(-time.Second)); !ok || s.len() != 1 {
		t.Fatalf("Add with a past expiry = %v, %d entries; want true and nothing stored", ok, s.len())
	}
}

// TestMemSharedLimits: keys and values outside SharedStore's limits are
// refused with an error, not stored.
func TestMemSharedLimits(t *testing.T) {
	s := newMemShared(time.Now)
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	for _, tc := range []struct {
		name  string
		key   string
		value []byte
	}{
		{"empty key", "", nil},
		{"201-byte key", strings.Repeat("k", 201), nil},
		{"space in key", "a b", nil},
		{"non-ASCII key", "ключ", nil},
		{"value over 64 KiB", "k", make([]byte, 64<<10+1)},
	} {
		if _, err := s.Add(ctx, tc.key, tc.value, exp); !errors.Is(err, errSharedLimits) {
			t.Errorf("Add %s: %v; want errSharedLimits", tc.name, err)
		}
		if err := s.Put(ctx, tc.key, tc.value, exp); !errors.Is(err, errSharedLimits) {
			t.Errorf("Put %s: %v; want errSharedLimits", tc.name, err)
		}
	}
	if s.len() != 0 {
		t.Fatalf("%d entries stored; want none", s.len())
	}
	if err := s.Put(ctx, strings.Repeat("k", 200), make([]byte, 64<<10), exp); err != nil {
		t.Fatalf("Put at the limits: %v", err)
	}
}

// TestMemSharedBounded: a full store forgets its oldest entries first, in
// entries and in bytes, and never holds more than its bounds.
func TestMemSharedBounded(t *testing.T) {
	clock := newFakeClock()
	ctx := context.Background()
	exp := clock.Now().Add(time.Hour)

	s := newMemSharedLimits(clock.Now, memSharedShards*4, 1<<30)
	for i := range 10_000 {
		if err := s.Put(ctx, fmt.Sprintf("k%d", i), []byte("v"), exp); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.len(); n > memSharedShards*4 || n < memSharedShards*3 {
		t.Fatalf("%d entries after 10000 writes; want at most %d, about that many", n, memSharedShards*4)
	}
	if vals, _ := s.Get(ctx, "k0", "k9999"); vals[0] != nil || vals[1] == nil {
		t.Fatalf("oldest entry kept or newest forgotten: %q", vals)
	}

	big := bytes.Repeat([]byte("b"), 64<<10)
	s = newMemSharedLimits(clock.Now, 1<<20, memSharedShards*200<<10) // about 3 big values a shard
	for i := range 2000 {
		if err := s.Put(ctx, fmt.Sprintf("big%d", i), big, exp); err != nil {
			t.Fatal(err)
		}
	}
	for i := range s.shards {
		if b := s.shards[i].bytes; b > 200<<10 {
			t.Fatalf("shard %d holds %d bytes; want at most %d", i, b, 200<<10)
		}
	}
	if vals, _ := s.Get(ctx, "big1999"); vals[0] == nil {
		t.Fatal("the newest big value was forgotten")
	}
}

// TestMemSharedForgetsExpired: writes forget expired entries, so a store
// whose entries expire does not stay full of them.
func TestMemSharedForgetsExpired(t *testing.T) {
	clock := newFakeClock()
	ctx := context.Background()
	s := newMemShared(clock.Now)
	for i := range 640 {
		_ = s.Put(ctx, fmt.Sprintf("old%d", i), []byte("v"), clock.Now().Add(time.Minute))
	}
	clock.Advance(time.Hour)
	// Each write forgets up to two expired entries of its shard: ten new
	// writes per old entry leave none, whatever the hash's spread.
	for i := range 6400 {
		_ = s.Put(ctx, fmt.Sprintf("new%d", i), []byte("v"), clock.Now().Add(time.Minute))
	}
	if n := s.len(); n != 6400 {
		t.Fatalf("%d entries; want the 6400 live ones, the expired ones forgotten", n)
	}
}
