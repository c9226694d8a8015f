package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

func testCreateGetList(t *testing.T, e *env) {
	if l, err := e.store.List(e.ctx()); err != nil || len(l) != 0 {
		t.Fatalf("List of an empty store = %v, %v; want nothing", names(l), err)
	}
	now := e.clock.now()
	b := minimal("b-conn")
	gotB := e.put(b)
	sameSettings(t, "Put(b-conn)", gotB, stored(b, 1, now, ""))
	e.clock.advance(time.Minute)
	a := minimal("A_conn")
	gotA := e.put(a)
	sameSettings(t, "Put(A_conn)", gotA, stored(a, 1, now.Add(time.Minute), ""))
	sameSettings(t, "Get(b-conn)", e.get("b-conn"), gotB)
	sameSettings(t, "Get(A_conn)", e.get("A_conn"), gotA)
	l, err := e.store.List(e.ctx())
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	if n := names(l); len(n) != 2 || n[0] != "A_conn" || n[1] != "b-conn" {
		t.Fatalf("List() names = %q; want [A_conn b-conn] (ordered by Name)", n)
	}
	sameSettings(t, "List()[0]", l[0], gotA)
	sameSettings(t, "List()[1]", l[1], gotB)
	// A second version replaces the first in List and Get.
	e.clock.advance(time.Minute)
	b2 := gotB.Clone()
	b2.Title = "B, second version"
	gotB2, err := e.store.Put(e.ctx(), b2, "other-admin")
	if err != nil {
		t.Fatalf("Put(b-conn from version 1) = %v", err)
	}
	want := stored(b2, 2, now.Add(2*time.Minute), "")
	want.UpdatedBy = "other-admin"
	sameSettings(t, "Put(b-conn from version 1)", gotB2, want)
	sameSettings(t, "Get(b-conn) after the second Put", e.get("b-conn"), want)
	if l, _ := e.store.List(e.ctx()); len(l) != 2 || l[1].Version != 2 {
		t.Fatalf("List() after the second Put = %+v; want b-conn at version 2", l)
	}
}

func testAllFieldsStored(t *testing.T, e *env) {
	for _, s := range []connection.Settings{
		full("full", "example.com", "*.Example.org"),
		withEndpoints(full("manual", "manual.example.net")),
	} {
		got := e.put(s)
		want := stored(s, 1, e.clock.now(), "")
		sameSettings(t, "Put("+s.Name+")", got, want)
		sameSettings(t, "Get("+s.Name+")", e.get(s.Name), want)
		v, err := e.store.GetVersion(e.ctx(), s.Name, 1)
		if err != nil {
			t.Fatalf("GetVersion(%q, 1) = %v", s.Name, err)
		}
		sameSettings(t, "GetVersion("+s.Name+", 1)", v, want)
	}
	if d := e.get("full").EmailDomains[1].Domain; d != "*.example.org" {
		t.Errorf("stored domain = %q; want *.example.org (NormalizeDomain's form)", d)
	}
}

func testUnknown(t *testing.T, e *env) {
	_, err := e.store.Get(e.ctx(), "nope")
	wantErr(t, `Get("nope")`, err, connection.ErrNotFound)
	_, err = e.store.GetVersion(e.ctx(), "nope", 1)
	wantErr(t, `GetVersion("nope", 1)`, err, connection.ErrNotFound)
	wantErr(t, `Delete("nope", 1)`, e.store.Delete(e.ctx(), "nope", 1), connection.ErrNotFound)
	s := minimal("nope")
	s.Version = 3
	_, err = e.store.Put(e.ctx(), s, "admin")
	wantErr(t, `Put("nope" from version 3)`, err, connection.ErrNotFound)
	e.put(minimal("known"))
	for _, v := range []int64{0, 2, -1} {
		_, err = e.store.GetVersion(e.ctx(), "known", v)
		wantErr(t, fmt.Sprintf(`GetVersion("known", %d)`, v), err, connection.ErrNotFound)
	}
	// Names are exact.
	for _, n := range []string{"KNOWN", "know", "known ", ""} {
		_, err = e.store.Get(e.ctx(), n)
		wantErr(t, fmt.Sprintf("Get(%q)", n), err, connection.ErrNotFound)
	}
	if _, err := e.store.Get(e.ctx(), "nope"); err == nil {
		t.Fatal("a failed Put created the connection")
	}
}

func testCreateExisting(t *testing.T, e *env) {
	first := e.put(minimal("c"))
	again := minimal("c")
	again.ClientID = "someone-else"
	_, err := e.store.Put(e.ctx(), again, "admin")
	wantErr(t, "Put of version 0 over an existing connection", err, connection.ErrConflict)
	sameSettings(t, "Get after the refused Put", e.get("c"), first)
}

func testStaleVersion(t *testing.T, e *env) {
	v1 := e.put(minimal("c"))
	edit := v1.Clone()
	edit.Title = "first edit"
	v2 := e.put(edit)
	stale := v1.Clone()
	stale.Title = "stale edit"
	_, err := e.store.Put(e.ctx(), stale, "admin")
	wantErr(t, "Put from the superseded version 1", err, connection.ErrConflict)
	ahead := v2.Clone()
	ahead.Version = 7
	_, err = e.store.Put(e.ctx(), ahead, "admin")
	wantErr(t, "Put from version 7 of a connection at version 2", err, connection.ErrConflict)
	sameSettings(t, "Get after the refused Puts", e.get("c"), v2)
}

// concurrently runs f(i) for i in [0, n) at once and returns the errors.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = f(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// oneWins checks that exactly one of errs is nil and the others match
// loser, and returns the winner's index.
func oneWins(t *testing.T, what string, errs []error, loser error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: saves %d and %d both succeeded; want exactly one", what, winner, i)
		case err == nil:
			winner = i
		default:
			wantErr(t, fmt.Sprintf("%s: save %d", what, i), err, loser)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no save succeeded; want exactly one", what)
	}
	return winner
}

func testConcurrentSaves(t *testing.T, e *env) {
	base := e.put(minimal("c"))
	// Two saves from the same base, one after the other.
	a, b := base.Clone(), base.Clone()
	a.Title, b.Title = "a", "b"
	e.put(a)
	_, err := e.store.Put(e.ctx(), b, "admin")
	wantErr(t, "second save from the same base", err, connection.ErrConflict)
	// Eight at once.
	base = e.get("c")
	const n = 8
	errs := concurrently(n, func(i int) error {
		s := base.Clone()
		s.Title = fmt.Sprint("edit ", i)
		_, err := e.store.Put(e.ctx(), s, fmt.Sprint("admin ", i))
		return err
	})
	w := oneWins(t, "8 saves from one base", errs, connection.ErrConflict)
	got := e.get("c")
	if got.Version != base.Version+1 || got.Title != fmt.Sprint("edit ", w) || got.UpdatedBy != fmt.Sprint("admin ", w) {
		t.Fatalf("after 8 saves from version %d: version %d title %q by %q; want version %d by the winner %d",
			base.Version, got.Version, got.Title, got.UpdatedBy, base.Version+1, w)
	}
}

func testConcurrentCreates(t *testing.T, e *env) {
	errs := concurrently(8, func(i int) error {
		s := minimal("c")
		s.ClientID = fmt.Sprint("client ", i)
		_, err := e.store.Put(e.ctx(), s, "admin")
		return err
	})
	w := oneWins(t, "8 creates of one name", errs, connection.ErrConflict)
	if got := e.get("c"); got.Version != 1 || got.ClientID != fmt.Sprint("client ", w) {
		t.Fatalf("after 8 creates: version %d client %q; want version 1 of the winner %d", got.Version, got.ClientID, w)
	}
}

func testConcurrentDomains(t *testing.T, e *env) {
	errs := concurrently(8, func(i int) error {
		s := minimal(fmt.Sprint("c", i))
		s.EmailDomains = []connection.EmailDomain{{Domain: fmt.Sprint("own", i, ".example.com")}, {Domain: "shared.example.com"}}
		_, err := e.store.Put(e.ctx(), s, "admin")
		return err
	})
	w := oneWins(t, "8 connections claiming one domain", errs, connection.ErrDomainTaken)
	l, err := e.store.List(e.ctx())
	if err != nil || len(l) != 1 || l[0].Name != fmt.Sprint("c", w) {
		t.Fatalf("List() = %q, %v; want only the winner c%d", names(l), err, w)
	}
}

func testInvalid(t *testing.T, e *env) {
	r := e.revision()
	bad := minimal("new")
	bad.ClientID = ""
	bad.Scopes = []string{"profile"}
	_, err := e.store.Put(e.ctx(), bad, "admin")
	wantErr(t, "Put of invalid settings", err, rp.ErrInvalidConfig)
	if _, ok := err.(*rp.ConfigError); !ok {
		t.Errorf("Put of invalid settings returned %T; want *rp.ConfigError", err)
	}
	_, err = e.store.Get(e.ctx(), "new")
	wantErr(t, "Get after an invalid create", err, connection.ErrNotFound)
	if got := e.revision(); got != r {
		t.Errorf("Revision changed from %d to %d on an invalid Put", r, got)
	}
	good := e.put(minimal("c"))
	bad = good.Clone()
	bad.Authority = "http://login.example.com"
	_, err = e.store.Put(e.ctx(), bad, "admin")
	wantErr(t, "Put of an invalid edit", err, rp.ErrInvalidConfig)
	bad = good.Clone()
	bad.Name = "no spaces allowed"
	_, err = e.store.Put(e.ctx(), bad, "admin")
	wantErr(t, "Put under an invalid name", err, rp.ErrInvalidConfig)
	bad = good.Clone()
	bad.EmailDomains = []connection.EmailDomain{{Domain: "gmail.com"}}
	_, err = e.store.Put(e.ctx(), bad, "admin")
	wantErr(t, "Put with a consumer domain", err, rp.ErrInvalidConfig)
	sameSettings(t, "Get after invalid edits", e.get("c"), good)
}
