// Package storetest checks that an implementation of session.Store does
// what the session.Store documentation says: Get, Set and Delete of
// sealed session data with expiries, the index of Index and
// DeleteIndexed, and safety under concurrent use. Authors of a Store run
// it from their own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) session.Store {
//			return newEmptyStore(t)
//		})
//	}
//
// It uses only the standard testing package, never sleeps, and makes no
// assumption about how a Store keeps its data. Run it with -race.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/oidcrp/rp/session"
)

// Options tell RunWith about the clock of the stores under test.
type Options struct {
	// Now is the clock by which the stores decide that an expiry has
	// passed. Default time.Now: the stores use the real clock, and the
	// tests then use only expiries already passed or at least an hour
	// ahead, so that nothing depends on how long a test takes.
	Now func() time.Time

	// Advance, when set, moves the clock that Now reads forward by d.
	// It enables the tests in which entries expire while stored. Leave
	// it nil for stores on the real clock (Redis, a database).
	Advance func(d time.Duration)
}

// Run runs the conformance tests as subtests of t, on stores using the
// real clock. newStore is called once per subtest and must return an
// empty store of its own (as far as the ids and index keys the tests
// use are concerned), cleaned up with t.Cleanup if need be; it may call
// t.Skip or t.Fatal.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	RunWith(t, newStore, Options{})
}

// RunWith is Run for stores on the clock given by opts.
func RunWith(t *testing.T, newStore func(t *testing.T) session.Store, opts Options) {
	t.Helper()
	c := &suite{newStore: newStore, now: opts.Now, advance: opts.Advance}
	if c.now == nil {
		c.now = time.Now
	}
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"GetUnknown", c.testGetUnknown},
		{"SetGet", c.testSetGet},
		{"SetEmpty", c.testSetEmpty},
		{"SetReplaces", c.testSetReplaces},
		{"SetLarge", c.testSetLarge},
		{"SetPastExpiry", c.testSetPastExpiry},
		{"Delete", c.testDelete},
		{"IDsAreExact", c.testIDsAreExact},
		{"IndexSeveralSessionsUnderOneKey", c.testIndexSeveralSessions},
		{"IndexOneSessionUnderSeveralKeys", c.testIndexSeveralKeys},
		{"IndexKeysAreExact", c.testIndexKeysAreExact},
		{"IndexTwice", c.testIndexTwice},
		{"IndexNoKeys", c.testIndexNoKeys},
		{"IndexPastExpiry", c.testIndexPastExpiry},
		{"IndexDeletedSession", c.testIndexDeletedSession},
		{"IndexExpiredSession", c.testIndexExpiredSession},
		{"DeleteIndexedUnknownKey", c.testDeleteIndexedUnknown},
		{"DeleteIndexedForgetsKey", c.testDeleteIndexedForgets},
		{"Concurrent", c.testConcurrent},
		{"ConcurrentIndex", c.testConcurrentIndex},
	}
	if c.advance != nil {
		tests = append(tests,
			struct {
				name string
				fn   func(*testing.T)
			}{"ExpiryAsTimePasses", c.testExpiryAsTimePasses})
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.fn)
	}
}

// suite holds what the tests share.
type suite struct {
	newStore func(*testing.T) session.Store
	now      func() time.Time
	advance  func(time.Duration)
}

// hour returns an expiry an hour ahead of the stores' clock.
func (c *suite) hour() time.Time { return c.now().Add(time.Hour) }

// newID returns a random id shaped like those of session.Manager.New.
func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ctx returns the context of t.
func ctx(t *testing.T) context.Context { return t.Context() }

// set stores data for id until expiry, failing t on an error.
func set(t *testing.T, s session.Store, id string, data []byte, expiry time.Time) {
	t.Helper()
	if err := s.Set(ctx(t), id, data, expiry); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

// index files id under keys until expiry, failing t on an error.
func index(t *testing.T, s session.Store, id string, keys []string, expiry time.Time) {
	t.Helper()
	if err := s.Index(ctx(t), id, keys, expiry); err != nil {
		t.Fatalf("Index: %v", err)
	}
}

// want fails t unless Get of id returns data.
func want(t *testing.T, s session.Store, id string, data []byte) {
	t.Helper()
	got, err := s.Get(ctx(t), id)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v; want %q, nil", got, err, data)
	}
}

// gone fails t unless Get of id returns ErrNotFound and no data.
func gone(t *testing.T, s session.Store, id, why string) {
	t.Helper()
	got, err := s.Get(ctx(t), id)
	if !errors.Is(err, session.ErrNotFound) || got != nil {
		t.Fatalf("Get %s = %q, %v; want nil, ErrNotFound", why, got, err)
	}
}

// deleteIndexed runs DeleteIndexed of key and fails t unless it
// succeeds with a count in [least, most].
func deleteIndexed(t *testing.T, s session.Store, key string, least, most int) int {
	t.Helper()
	n, err := s.DeleteIndexed(ctx(t), key)
	if err != nil || n < least || n > most {
		if least == most {
			t.Fatalf("DeleteIndexed = %d, %v; want %d, nil", n, err, least)
		}
		t.Fatalf("DeleteIndexed = %d, %v; want between %d and %d, nil", n, err, least, most)
	}
	return n
}

func (c *suite) testGetUnknown(t *testing.T) {
	s := c.newStore(t)
	gone(t, s, newID(), "of an id never set")
}

func (c *suite) testSetGet(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	data := []byte("sealed\x00data\xff\r\n{}")
	set(t, s, id, data, c.hour())
	data[0] = 'X' // the store keeps what Set was given, not the slice
	want(t, s, id, []byte("sealed\x00data\xff\r\n{}"))
	got, _ := s.Get(ctx(t), id)
	got[0] = 'Y' // nor does Get hand out its own memory
	want(t, s, id, []byte("sealed\x00data\xff\r\n{}"))
}

func (c *suite) testSetEmpty(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	set(t, s, id, []byte{}, c.hour())
	got, err := s.Get(ctx(t), id)
	if err != nil || len(got) != 0 {
		t.Fatalf("Get of empty data = %q, %v; want empty data, nil", got, err)
	}
}

func (c *suite) testSetReplaces(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	set(t, s, id, []byte("first, and longer than the second"), c.hour())
	set(t, s, id, []byte("second"), c.hour().Add(time.Hour))
	want(t, s, id, []byte("second"))
	// A shorter expiry replaces a longer one, too.
	set(t, s, id, []byte("third"), c.hour())
	want(t, s, id, []byte("third"))
}

func (c *suite) testSetLarge(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	set(t, s, id, data, c.hour())
	want(t, s, id, data)
}

func (c *suite) testSetPastExpiry(t *testing.T) {
	s := c.newStore(t)
	now := c.now()
	for _, expiry := range []time.Time{now.Add(-time.Second), now.Add(-time.Millisecond), now.Add(-48 * time.Hour), {}} {
		id := newID()
		set(t, s, id, []byte("x"), expiry)
		gone(t, s, id, "after Set of a new id with a past expiry")

		// On a stored id, a past expiry ends what it held.
		set(t, s, id, []byte("x"), c.hour())
		set(t, s, id, []byte("y"), expiry)
		gone(t, s, id, "after Set of a stored id with a past expiry")
	}
}

func (c *suite) testDelete(t *testing.T) {
	s := c.newStore(t)
	a, b := newID(), newID()
	set(t, s, a, []byte("a"), c.hour())
	set(t, s, b, []byte("b"), c.hour())
	if err := s.Delete(ctx(t), a); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	gone(t, s, a, "after Delete")
	want(t, s, b, []byte("b"))
	if err := s.Delete(ctx(t), a); err != nil {
		t.Fatalf("Delete of a deleted id: %v", err)
	}
	if err := s.Delete(ctx(t), newID()); err != nil {
		t.Fatalf("Delete of an id never set: %v", err)
	}
	// A deleted id can be set again.
	set(t, s, a, []byte("a2"), c.hour())
	want(t, s, a, []byte("a2"))
}

func (c *suite) testIDsAreExact(t *testing.T) {
	s := c.newStore(t)
	base := newID()
	// IDs that differ from base in its last character only, or by its
	// absence; base's last character is one of 16 letters (it encodes 32
	// bytes), so the variants skip it.
	ids := []string{base, base[:42]}
	for _, last := range "AQa-_" {
		if v := base[:42] + string(last); v != base && len(ids) < 6 {
			ids = append(ids, v)
		}
	}
	for i, id := range ids {
		set(t, s, id, []byte{byte(i)}, c.hour())
	}
	for i, id := range ids {
		want(t, s, id, []byte{byte(i)})
	}
	if err := s.Delete(ctx(t), ids[0]); err != nil {
		t.Fatal(err)
	}
	gone(t, s, ids[0], "after Delete")
	for i, id := range ids[1:] {
		want(t, s, id, []byte{byte(i + 1)})
	}
}

func (c *suite) testExpiryAsTimePasses(t *testing.T) {
	s := c.newStore(t)
	id, other := newID(), newID()
	set(t, s, id, []byte("x"), c.now().Add(time.Minute))
	set(t, s, other, []byte("y"), c.now().Add(time.Hour))
	want(t, s, id, []byte("x"))
	c.advance(time.Minute)
	gone(t, s, id, "at its expiry")
	want(t, s, other, []byte("y"))

	// An expired session filed in the index is not brought back by it.
	indexed := newID()
	index(t, s, indexed, []string{"user:expiring"}, c.now().Add(time.Minute))
	set(t, s, indexed, []byte("z"), c.now().Add(time.Minute))
	c.advance(time.Minute)
	gone(t, s, indexed, "at its expiry")
	deleteIndexed(t, s, "user:expiring", 0, 1)
	gone(t, s, indexed, "after DeleteIndexed of its expired entry")
}
