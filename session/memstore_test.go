package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestMemoryStore(t *testing.T) {
	clock := newClock()
	s := &MemoryStore{Now: clock.Now}
	ctx := context.Background()
	if _, err := s.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of unknown id = %v; want ErrNotFound", err)
	}
	data := []byte("hello")
	if err := s.Set(ctx, "a", data, clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data[0] = 'j' // the store keeps its own copy
	got, err := s.Get(ctx, "a")
	if err != nil || string(got) != "hello" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	got[0] = 'y'
	if again, _ := s.Get(ctx, "a"); string(again) != "hello" {
		t.Fatal("Get returned the store's own memory")
	}

	// Expiry: Get drops an expired entry.
	clock.Advance(time.Hour)
	if _, err := s.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get at expiry = %v; want ErrNotFound", err)
	}
	if s.Len() != 0 {
		t.Fatalf("Len = %d after Get of an expired entry", s.Len())
	}

	// Expiry: Set sweeps expired entries.
	for i := range 10 {
		_ = s.Set(ctx, fmt.Sprint(i), data, clock.Now().Add(time.Duration(i+1)*time.Minute))
	}
	clock.Advance(5 * time.Minute)
	_ = s.Set(ctx, "new", data, clock.Now().Add(time.Hour))
	if s.Len() != 6 { // 5 unexpired + new
		t.Fatalf("Len = %d after a sweep; want 6", s.Len())
	}

	// An expiry in the past removes the entry.
	_ = s.Set(ctx, "new", data, clock.Now())
	if _, err := s.Get(ctx, "new"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Set with a past expiry = %v", err)
	}

	_ = s.Delete(ctx, "5")
	_ = s.Delete(ctx, "unknown")
	if _, err := s.Get(ctx, "5"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
}

func TestMemoryStoreZeroValue(t *testing.T) {
	var s MemoryStore
	ctx := context.Background()
	if _, err := s.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	_ = s.Delete(ctx, "a")
	if err := s.Set(ctx, "a", []byte("x"), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "a"); err != nil || string(got) != "x" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestMemoryStoreConcurrent(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprint(g, "-", i%10)
				_ = s.Set(ctx, id, []byte(id), time.Now().Add(time.Minute))
				_, _ = s.Get(ctx, id)
				if i%3 == 0 {
					_ = s.Delete(ctx, id)
				}
				_ = s.Len()
			}
		}()
	}
	wg.Wait()
}

func TestManagerConcurrent(t *testing.T) {
	for _, store := range []Store{nil, NewMemoryStore()} {
		m, _ := newTestManager(t, Config{Store: store, Now: time.Now})
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					b := newBrowser()
					s := m.New([]byte(`{"sub":"alice"}`))
					b.save(t, m, s)
					if got, ok := m.Load(b.request()); !ok || got.ID != s.ID {
						t.Error("concurrent round trip failed")
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}
