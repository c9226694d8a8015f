package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/session"
)

// The index tests file sessions as session.Manager.Save does: Index
// first, then Set, with the Index expiry at or after the Set expiry.

func (c *suite) testIndexSeveralSessions(t *testing.T) {
	s := c.newStore(t)
	ids := []string{newID(), newID(), newID()}
	for _, id := range ids {
		index(t, s, id, []string{"sub:op:alice"}, c.hour())
		set(t, s, id, []byte(id), c.hour())
	}
	bob := newID()
	index(t, s, bob, []string{"sub:op:bob"}, c.hour())
	set(t, s, bob, []byte("bob"), c.hour())
	unfiled := newID()
	set(t, s, unfiled, []byte("unfiled"), c.hour())

	deleteIndexed(t, s, "sub:op:alice", 3, 3)
	for _, id := range ids {
		gone(t, s, id, "after DeleteIndexed of its key")
	}
	want(t, s, bob, []byte("bob"))
	want(t, s, unfiled, []byte("unfiled"))
	deleteIndexed(t, s, "sub:op:alice", 0, 0)
	deleteIndexed(t, s, "sub:op:bob", 1, 1)
	gone(t, s, bob, "after DeleteIndexed of its key")
	want(t, s, unfiled, []byte("unfiled"))
}

func (c *suite) testIndexSeveralKeys(t *testing.T) {
	s := c.newStore(t)
	id, other := newID(), newID()
	keys := []string{"sid:op:s1", "sub:op:alice", "user:42"}
	index(t, s, id, keys, c.hour())
	set(t, s, id, []byte("x"), c.hour())
	index(t, s, other, []string{"sub:op:alice"}, c.hour())
	set(t, s, other, []byte("y"), c.hour())

	deleteIndexed(t, s, "sid:op:s1", 1, 1)
	gone(t, s, id, "after DeleteIndexed of one of its keys")
	want(t, s, other, []byte("y"))
	// The session is gone: its other keys may count it or not, and
	// still end the live ones filed with it.
	deleteIndexed(t, s, "sub:op:alice", 1, 2)
	gone(t, s, other, "after DeleteIndexed of its key")
	deleteIndexed(t, s, "user:42", 0, 1)
}

func (c *suite) testIndexKeysAreExact(t *testing.T) {
	s := c.newStore(t)
	keys := []string{
		"user:1", "user:10", "user:1 ", "User:1",
		"{user}", "{user}:1", "x{user}", "{", "}", "{}",
		"*", "user:*", "?", "[a-z]", "a\\b",
		"\x00", "\x00\x01\xff", "line\nbreak", "tab\there", "é", "\xc3",
		strings.Repeat("k", session.MaxIndexKey),
		strings.Repeat("k", session.MaxIndexKey-1),
		strings.Repeat("{", session.MaxIndexKey),
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = newID()
		index(t, s, ids[i], []string{k}, c.hour())
		set(t, s, ids[i], []byte{byte(i)}, c.hour())
	}
	for i, k := range keys {
		if n, err := s.DeleteIndexed(ctx(t), k); n != 1 || err != nil {
			t.Fatalf("DeleteIndexed(%q) = %d, %v; want 1, nil", k, n, err)
		}
		gone(t, s, ids[i], "after DeleteIndexed of its key")
		for j := i + 1; j < len(keys); j++ {
			got, err := s.Get(ctx(t), ids[j])
			if err != nil || len(got) != 1 || got[0] != byte(j) {
				t.Fatalf("DeleteIndexed(%q) ended the session filed under %q: Get = %q, %v", k, keys[j], got, err)
			}
		}
	}
}

func (c *suite) testIndexTwice(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	index(t, s, id, []string{"sub:op:alice", "sub:op:alice"}, c.hour())
	index(t, s, id, []string{"sub:op:alice"}, c.hour().Add(time.Hour))
	index(t, s, id, []string{"sub:op:alice"}, c.hour().Add(-30*time.Minute))
	set(t, s, id, []byte("x"), c.hour())
	deleteIndexed(t, s, "sub:op:alice", 1, 1)
	gone(t, s, id, "after DeleteIndexed")
}

func (c *suite) testIndexNoKeys(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	for _, keys := range [][]string{nil, {}} {
		if err := s.Index(ctx(t), id, keys, c.hour()); err != nil {
			t.Fatalf("Index with keys %#v: %v", keys, err)
		}
	}
	set(t, s, id, []byte("x"), c.hour())
	want(t, s, id, []byte("x"))
}

func (c *suite) testIndexPastExpiry(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	for _, expiry := range []time.Time{c.now().Add(-time.Second), {}} {
		if err := s.Index(ctx(t), id, []string{"sub:op:past"}, expiry); err != nil {
			t.Fatalf("Index with expiry %v: %v", expiry, err)
		}
	}
	gone(t, s, id, "of an id filed with a past expiry and never set")
	deleteIndexed(t, s, "sub:op:past", 0, 0)
	gone(t, s, id, "after DeleteIndexed")
}

func (c *suite) testIndexDeletedSession(t *testing.T) {
	s := c.newStore(t)
	deleted, live := newID(), newID()
	for _, id := range []string{deleted, live} {
		index(t, s, id, []string{"sid:op:s1"}, c.hour())
		set(t, s, id, []byte(id), c.hour())
	}
	if err := s.Delete(ctx(t), deleted); err != nil {
		t.Fatal(err)
	}
	deleteIndexed(t, s, "sid:op:s1", 1, 2)
	gone(t, s, live, "after DeleteIndexed")
	gone(t, s, deleted, "after Delete and DeleteIndexed")
}

func (c *suite) testIndexExpiredSession(t *testing.T) {
	s := c.newStore(t)
	expired, live := newID(), newID()
	index(t, s, expired, []string{"sub:op:alice"}, c.hour())
	set(t, s, expired, []byte("x"), c.hour())
	set(t, s, expired, []byte("x"), c.now().Add(-time.Second))
	index(t, s, live, []string{"sub:op:alice"}, c.hour())
	set(t, s, live, []byte("y"), c.hour())
	gone(t, s, expired, "after Set with a past expiry")
	deleteIndexed(t, s, "sub:op:alice", 1, 2)
	gone(t, s, expired, "after DeleteIndexed")
	gone(t, s, live, "after DeleteIndexed")
}

func (c *suite) testDeleteIndexedUnknown(t *testing.T) {
	s := c.newStore(t)
	deleteIndexed(t, s, "sub:op:nobody", 0, 0)
	deleteIndexed(t, s, strings.Repeat("z", session.MaxIndexKey), 0, 0)
}

func (c *suite) testDeleteIndexedForgets(t *testing.T) {
	s := c.newStore(t)
	id := newID()
	index(t, s, id, []string{"sub:op:alice"}, c.hour())
	set(t, s, id, []byte("x"), c.hour())
	deleteIndexed(t, s, "sub:op:alice", 1, 1)
	// The key no longer lists id: the same id stored again (as a Store
	// holding a session put back by hand would) is not filed there.
	set(t, s, id, []byte("again"), c.hour())
	deleteIndexed(t, s, "sub:op:alice", 0, 0)
	want(t, s, id, []byte("again"))
	// A session filed after DeleteIndexed is filed afresh.
	later := newID()
	index(t, s, later, []string{"sub:op:alice"}, c.hour())
	set(t, s, later, []byte("later"), c.hour())
	deleteIndexed(t, s, "sub:op:alice", 1, 1)
	gone(t, s, later, "after DeleteIndexed")
	want(t, s, id, []byte("again"))
}
