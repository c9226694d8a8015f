package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// secretIs fails the test unless s holds the secret want.
func secretIs(t *testing.T, what string, s connection.Settings, want rp.Secret) {
	t.Helper()
	if s.ClientSecret.Value != want || s.ClientSecret.IsSet != (want != "") || s.ClientSecret.Action != "" {
		t.Fatalf("%s: secret set %v (value of %d bytes, action %q); want set %v with the value of %d bytes, action \"\"",
			what, s.ClientSecret.IsSet, len(s.ClientSecret.Value), s.ClientSecret.Action, want != "", len(want))
	}
}

func testSecret(t *testing.T, e *env) {
	// Created without a secret (keep, of nothing).
	s := e.put(minimal("pub"))
	secretIs(t, "created with keep", s, "")

	s = minimal("c")
	s.ClientSecret = connection.ClientSecret{Action: connection.SecretSet, Value: "first-secret"}
	v1 := e.put(s)
	secretIs(t, "Put with set", v1, "first-secret")
	secretIs(t, "Get after set", e.get("c"), "first-secret")

	keep := v1.Clone()
	keep.ClientSecret = connection.ClientSecret{} // empty action: keep
	v2 := e.put(keep)
	secretIs(t, "Put with an empty action", v2, "first-secret")
	keep = v2.Clone()
	keep.ClientSecret = connection.ClientSecret{Action: connection.SecretKeep, Value: "ignored", IsSet: false}
	v3 := e.put(keep)
	secretIs(t, "Put with keep (and a value, ignored)", v3, "first-secret")

	set := v3.Clone()
	set.ClientSecret = connection.ClientSecret{Action: connection.SecretSet, Value: "second-secret"}
	v4 := e.put(set)
	secretIs(t, "Put with set over a secret", v4, "second-secret")
	old, err := e.store.GetVersion(e.ctx(), "c", v3.Version)
	if err != nil {
		t.Fatalf("GetVersion(c, %d) = %v", v3.Version, err)
	}
	secretIs(t, "the version before the new secret", old, "first-secret")

	rm := v4.Clone()
	rm.ClientSecret = connection.ClientSecret{Action: connection.SecretRemove}
	v5 := e.put(rm)
	secretIs(t, "Put with remove", v5, "")
	secretIs(t, "Get after remove", e.get("c"), "")
	keep = v5.Clone()
	keep.ClientSecret = connection.ClientSecret{Action: connection.SecretKeep, IsSet: true}
	secretIs(t, "keep after remove (IsSet ignored)", e.put(keep), "")

	bad := e.get("c")
	bad.ClientSecret = connection.ClientSecret{Action: connection.SecretSet}
	_, err = e.store.Put(e.ctx(), bad, "admin")
	wantErr(t, "Put with set and no value", err, rp.ErrInvalidConfig)
	bad.ClientSecret = connection.ClientSecret{Action: "rotate", Value: "x"}
	_, err = e.store.Put(e.ctx(), bad, "admin")
	wantErr(t, "Put with an unknown action", err, rp.ErrInvalidConfig)
}

func testVersionsImmutable(t *testing.T, e *env) {
	v1 := e.put(full("c", "a.example.com"))
	edit := v1.Clone()
	edit.Title = "changed"
	edit.Scopes = []string{"openid"}
	edit.EmailDomains = []connection.EmailDomain{{Domain: "b.example.com"}}
	e.clock.advance(time.Second)
	v2 := e.put(edit)
	got1, err := e.store.GetVersion(e.ctx(), "c", 1)
	if err != nil {
		t.Fatalf("GetVersion(c, 1) = %v", err)
	}
	sameSettings(t, "GetVersion(c, 1) after version 2", got1, v1)
	got2, err := e.store.GetVersion(e.ctx(), "c", 2)
	if err != nil {
		t.Fatalf("GetVersion(c, 2) = %v", err)
	}
	sameSettings(t, "GetVersion(c, 2)", got2, v2)
	// The superseded version's domain is free for others.
	other := minimal("other")
	other.EmailDomains = []connection.EmailDomain{{Domain: "a.example.com"}}
	e.put(other)
}

func testRetention(t *testing.T, e *env) {
	v1 := e.put(minimal("c"))
	// Retention counts from when a version is superseded, not saved.
	e.clock.advance(30 * time.Minute)
	edit := v1.Clone()
	edit.Title = "2"
	v2 := e.put(edit)
	e.clock.advance(connection.RetainSuperseded - time.Second)
	if _, err := e.store.GetVersion(e.ctx(), "c", 1); err != nil {
		t.Fatalf("GetVersion of a version superseded RetainSuperseded-1s ago = %v; want it retained", err)
	}
	e.clock.advance(2 * time.Second)
	_, err := e.store.GetVersion(e.ctx(), "c", 1)
	wantErr(t, "GetVersion of a version superseded RetainSuperseded+1s ago", err, connection.ErrNotFound)
	// The latest version is retained however old.
	e.clock.advance(100 * connection.RetainSuperseded)
	got, err := e.store.GetVersion(e.ctx(), "c", 2)
	if err != nil {
		t.Fatalf("GetVersion of the latest version, long after = %v", err)
	}
	sameSettings(t, "GetVersion(c, 2)", got, v2)
	sameSettings(t, "Get(c)", e.get("c"), v2)
}

func testDelete(t *testing.T, e *env) {
	s := full("c", "acme.example.com")
	v1 := e.put(s)
	edit := v1.Clone()
	v2 := e.put(edit)
	keep := e.put(minimal("keep"))
	r := e.revision()
	if err := e.store.Delete(e.ctx(), "c", v2.Version); err != nil {
		t.Fatalf("Delete(c, %d) = %v", v2.Version, err)
	}
	if got := e.revision(); got <= r {
		t.Errorf("Revision after Delete = %d; want more than %d", got, r)
	}
	_, err := e.store.Get(e.ctx(), "c")
	wantErr(t, "Get after Delete", err, connection.ErrNotFound)
	for _, v := range []int64{1, 2} {
		_, err = e.store.GetVersion(e.ctx(), "c", v)
		wantErr(t, fmt.Sprintf("GetVersion(c, %d) after Delete", v), err, connection.ErrNotFound)
	}
	l, err := e.store.List(e.ctx())
	if err != nil || len(l) != 1 || l[0].Name != "keep" {
		t.Fatalf("List() after Delete = %q, %v; want [keep]", names(l), err)
	}
	sameSettings(t, "Get(keep) after deleting another", e.get("keep"), keep)
	wantErr(t, "Delete again", e.store.Delete(e.ctx(), "c", v2.Version), connection.ErrNotFound)
	_, err = e.store.Put(e.ctx(), v2, "admin")
	wantErr(t, "Put from a version of a deleted connection", err, connection.ErrNotFound)
	// The domains are free.
	other := minimal("other")
	other.EmailDomains = []connection.EmailDomain{{Domain: "acme.example.com"}}
	e.put(other)
}

func testDeleteStale(t *testing.T, e *env) {
	v1 := e.put(minimal("c"))
	v2 := e.put(v1)
	wantErr(t, "Delete of a superseded version", e.store.Delete(e.ctx(), "c", v1.Version), connection.ErrConflict)
	wantErr(t, "Delete of a version ahead", e.store.Delete(e.ctx(), "c", v2.Version+1), connection.ErrConflict)
	sameSettings(t, "Get after refused Deletes", e.get("c"), v2)
}

func testRecreate(t *testing.T, e *env) {
	s := minimal("c")
	s.ClientSecret = connection.ClientSecret{Action: connection.SecretSet, Value: "old-secret"}
	v1 := e.put(s)
	v2 := e.put(v1)
	if err := e.store.Delete(e.ctx(), "c", v2.Version); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	again := minimal("c")
	again.ClientID = "new-client"
	got := e.put(again)
	if got.Version <= v2.Version {
		t.Fatalf("re-created connection has version %d; want more than %d, the last version before Delete, so that a login pinned to that version never completes under new settings", got.Version, v2.Version)
	}
	secretIs(t, "re-created with keep", got, "")
	for _, v := range []int64{v1.Version, v2.Version} {
		_, err := e.store.GetVersion(e.ctx(), "c", v)
		wantErr(t, fmt.Sprintf("GetVersion(c, %d) of the deleted connection after re-creating it", v), err, connection.ErrNotFound)
	}
	sameSettings(t, "Get of the re-created connection", e.get("c"), got)
}

func testDomainTaken(t *testing.T, e *env) {
	a := minimal("a")
	a.EmailDomains = []connection.EmailDomain{{Domain: "Acme.COM"}, {Domain: "*.sub.acme.com"}}
	av := e.put(a)
	if d := av.EmailDomains[0].Domain; d != "acme.com" {
		t.Errorf("stored domain = %q; want acme.com", d)
	}
	for _, d := range []string{"acme.com", "ACME.com", "acme.com.", "*.SUB.acme.com"} {
		b := minimal("b")
		b.EmailDomains = []connection.EmailDomain{{Domain: "b.example.com"}, {Domain: d}}
		_, err := e.store.Put(e.ctx(), b, "admin")
		wantErr(t, fmt.Sprintf("Put of b with %q", d), err, connection.ErrDomainTaken)
		_, err = e.store.Get(e.ctx(), "b")
		wantErr(t, "Get(b) after a refused create", err, connection.ErrNotFound)
	}
	// A wildcard and the exact domain are different domains.
	b := minimal("b")
	b.EmailDomains = []connection.EmailDomain{{Domain: "*.acme.com"}, {Domain: "sub.acme.com"}}
	bv := e.put(b)
	// A connection keeps its own domains on a save.
	av2 := av.Clone()
	av2.Title = "edited"
	av2 = e.put(av2)
	// And cannot take another's.
	steal := av2.Clone()
	steal.EmailDomains = append(steal.EmailDomains, connection.EmailDomain{Domain: "*.acme.com"})
	_, err := e.store.Put(e.ctx(), steal, "admin")
	wantErr(t, "Put of a with b's domain", err, connection.ErrDomainTaken)
	sameSettings(t, "Get(a) after the refused Put", e.get("a"), av2)
	sameSettings(t, "Get(b)", e.get("b"), bv)
}

func testRevision(t *testing.T, e *env) {
	r0 := e.revision()
	v1 := e.put(minimal("c"))
	r1 := e.revision()
	if r1 <= r0 {
		t.Fatalf("Revision after Put = %d; want more than %d", r1, r0)
	}
	_, _ = e.store.Get(e.ctx(), "c")
	_, _ = e.store.GetVersion(e.ctx(), "c", 1)
	_, _ = e.store.List(e.ctx())
	if r := e.revision(); r != r1 {
		t.Fatalf("Revision after reads = %d; want %d unchanged", r, r1)
	}
	v2 := e.put(v1)
	r2 := e.revision()
	if r2 <= r1 {
		t.Fatalf("Revision after a second Put = %d; want more than %d", r2, r1)
	}
	if err := e.store.Delete(e.ctx(), "c", v2.Version); err != nil {
		t.Fatal(err)
	}
	if r3 := e.revision(); r3 <= r2 {
		t.Fatalf("Revision after Delete = %d; want more than %d", r3, r2)
	}
}

// scribble changes everything s shares with whoever returned it.
func scribble(s *connection.Settings) {
	s.Scopes[0] = "changed"
	s.GroupMapping["g-admins"] = "changed"
	s.GroupMapping["new"] = "x"
	s.AttributeMappings["department"] = "changed"
	s.EmailDomains[0].Domain = "changed.example"
	s.EmailDomains[0].Verified = !s.EmailDomains[0].Verified
	if s.Endpoints != nil {
		s.Endpoints.Token = "https://changed.example/token"
	}
}

func testCopies(t *testing.T, e *env) {
	in := withEndpoints(full("c", "a.example.com"))
	want := stored(in, 1, e.clock.now(), "")
	got := e.put(in)
	scribble(&in)
	scribble(&got)
	sameSettings(t, "Get after changing what Put was given and returned", e.get("c"), want)
	g := e.get("c")
	scribble(&g)
	sameSettings(t, "Get after changing what Get returned", e.get("c"), want)
	v, err := e.store.GetVersion(e.ctx(), "c", 1)
	if err != nil {
		t.Fatal(err)
	}
	scribble(&v)
	l, err := e.store.List(e.ctx())
	if err != nil || len(l) != 1 {
		t.Fatalf("List() = %v, %v", names(l), err)
	}
	scribble(&l[0])
	sameSettings(t, "GetVersion after changing what GetVersion and List returned", mustVersion(t, e, "c", 1), want)
}

func mustVersion(t *testing.T, e *env, name string, v int64) connection.Settings {
	t.Helper()
	s, err := e.store.GetVersion(e.ctx(), name, v)
	if err != nil {
		t.Fatalf("GetVersion(%q, %d) = %v", name, v, err)
	}
	return s
}

// watchWait bounds how long the suite waits for a Watcher to tell a
// change.
const watchWait = 10 * time.Second

func testWatch(t *testing.T, e *env) {
	w, ok := e.store.(connection.Watcher)
	if !ok {
		t.Skip("the store is not a connection.Watcher")
	}
	ctx, cancel := context.WithCancel(e.ctx())
	defer cancel()
	// A change must be told within watchWait, or by the test's deadline.
	deadline, stop := context.WithTimeout(e.ctx(), watchWait)
	defer stop()
	changed := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- w.Watch(ctx, func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	}()
	// Watch may start listening after this goroutine's first Put; save
	// again until a change is told. The ticker only paces the retries:
	// the test passes as soon as the callback runs.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	s := e.put(minimal("c"))
	for seen := false; !seen; {
		select {
		case <-changed:
			seen = true
		case <-tick.C:
			s = e.put(s)
		case err := <-done:
			t.Fatalf("Watch returned %v before its context ended", err)
		case <-deadline.Done():
			t.Fatalf("no change was told within %v", watchWait)
		}
	}
	// Drain, then a Delete is told too.
	select {
	case <-changed:
	default:
	}
	if err := e.store.Delete(e.ctx(), "c", s.Version); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case err := <-done:
		t.Fatalf("Watch returned %v before its context ended", err)
	case <-deadline.Done():
		t.Fatalf("a Delete was not told within %v", watchWait)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Watch after its context was canceled = %v; want context.Canceled", err)
		}
	case <-deadline.Done():
		t.Fatalf("Watch did not return within %v after its context was canceled", watchWait)
	}
}
