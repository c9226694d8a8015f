package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/oidcrp/rp/session"
)

// workers is the number of goroutines of the concurrency tests.
const workers = 16

// testConcurrent runs Get, Set and Delete from many goroutines: each
// sees its own writes, and a value written by all of them is one of
// theirs.
func (c *suite) testConcurrent(t *testing.T) {
	s := c.newStore(t)
	hot := newID()
	exp := c.hour()
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			mine := []byte(fmt.Sprintf("worker %d", g))
			for i := range 12 {
				id := newID()
				data := []byte(fmt.Sprintf("worker %d, session %d", g, i))
				if err := s.Set(ctx(t), id, data, exp); err != nil {
					t.Errorf("Set: %v", err)
					return
				}
				if err := s.Set(ctx(t), hot, mine, exp); err != nil {
					t.Errorf("Set of the shared id: %v", err)
					return
				}
				if got, err := s.Get(ctx(t), id); err != nil || !bytes.Equal(got, data) {
					t.Errorf("Get of a session of this goroutine = %q, %v; want %q", got, err, data)
					return
				}
				if i%3 == 0 {
					if err := s.Delete(ctx(t), id); err != nil {
						t.Errorf("Delete: %v", err)
						return
					}
					if _, err := s.Get(ctx(t), id); !errors.Is(err, session.ErrNotFound) {
						t.Errorf("Get after Delete = %v; want ErrNotFound", err)
						return
					}
				}
				if got, err := s.Get(ctx(t), hot); err != nil || !bytes.HasPrefix(got, []byte("worker ")) {
					t.Errorf("Get of the shared id = %q, %v; want a worker's value", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// testConcurrentIndex files, stores, deletes and revokes sessions from
// many goroutines, then checks that every revocation took effect.
func (c *suite) testConcurrentIndex(t *testing.T) {
	s := c.newStore(t)
	exp := c.hour()
	const perWorker, deletedPerWorker = 8, 2
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for g := range workers {
		ids[g] = make([]string, perWorker)
		wg.Go(func() {
			key := fmt.Sprintf("user:%d", g)
			for i := range perWorker {
				id := newID()
				ids[g][i] = id
				if err := s.Index(ctx(t), id, []string{key, "all"}, exp); err != nil {
					t.Errorf("Index: %v", err)
					return
				}
				if err := s.Set(ctx(t), id, []byte(id), exp); err != nil {
					t.Errorf("Set: %v", err)
					return
				}
				if i < deletedPerWorker {
					if err := s.Delete(ctx(t), id); err != nil {
						t.Errorf("Delete: %v", err)
						return
					}
				}
				// Revocations of other keys run meanwhile.
				if _, err := s.DeleteIndexed(ctx(t), fmt.Sprintf("user:%d:other", g)); err != nil {
					t.Errorf("DeleteIndexed of another key: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Each worker's key ends its live sessions; the deleted ones may
	// be counted or not.
	for g := range workers {
		wg.Go(func() {
			n, err := s.DeleteIndexed(ctx(t), fmt.Sprintf("user:%d", g))
			if err != nil || n < perWorker-deletedPerWorker || n > perWorker {
				t.Errorf("DeleteIndexed(user:%d) = %d, %v; want %d to %d, nil", g, n, err, perWorker-deletedPerWorker, perWorker)
			}
		})
	}
	wg.Wait()
	for g := range workers {
		for _, id := range ids[g] {
			gone(t, s, id, "after DeleteIndexed")
		}
	}
	deleteIndexed(t, s, "all", 0, workers*perWorker)

	// Several revocations of one key at once end each session once at
	// least; the total counts each of them once or more.
	var filed []string
	for range 24 {
		id := newID()
		filed = append(filed, id)
		index(t, s, id, []string{"sid:op:shared"}, exp)
		set(t, s, id, []byte("x"), exp)
	}
	counts := make(chan int, 4)
	for range cap(counts) {
		wg.Go(func() {
			n, err := s.DeleteIndexed(ctx(t), "sid:op:shared")
			if err != nil {
				t.Errorf("concurrent DeleteIndexed: %v", err)
			}
			counts <- n
		})
	}
	wg.Wait()
	close(counts)
	total := 0
	for n := range counts {
		total += n
	}
	if total < len(filed) || total > len(filed)*4 {
		t.Fatalf("concurrent DeleteIndexed counted %d sessions in all; want %d to %d", total, len(filed), len(filed)*4)
	}
	for _, id := range filed {
		gone(t, s, id, "after concurrent DeleteIndexed")
	}
}
