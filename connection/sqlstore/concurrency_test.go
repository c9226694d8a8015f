package sqlstore_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
)

// TestConcurrentSavesOneWins: instances on one database (a *sql.DB and a
// Store each) saving the same base version at once: exactly one save
// wins, every other fails with ErrConflict, and the winner's edit is the
// latest version.
func TestConcurrentSavesOneWins(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		const n = 8
		stores := make([]*sqlstore.Store, n)
		for i := range stores {
			stores[i] = src.open(t, sealer(t, key('a')), nil)
		}
		base := mustPut(t, stores[0], withSecret(settings("acme"), "s"))
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				edit := base
				edit.Title = fmt.Sprint("edit ", i)
				edit.ClientSecret = connection.ClientSecret{}
				_, errs[i] = s.Put(t.Context(), edit, fmt.Sprint("admin", i))
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner < 0:
				winner = i
			case err == nil:
				t.Fatalf("saves %d and %d from version 1 both won", winner, i)
			case !errors.Is(err, connection.ErrConflict):
				t.Fatalf("save %d: %v; want nil or ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no save won")
		}
		got, err := stores[n-1].Get(t.Context(), "acme")
		if err != nil || got.Version != 2 || got.Title != fmt.Sprint("edit ", winner) || got.UpdatedBy != fmt.Sprint("admin", winner) {
			t.Fatalf("latest = %+v, %v; want version 2 by save %d", got, err, winner)
		}
	})
}

// TestConcurrentCreatesOneWins: instances creating one name, or two names
// with one email domain, at once: one wins, the others fail with
// ErrConflict or ErrDomainTaken.
func TestConcurrentCreatesOneWins(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		const n = 6
		stores := make([]*sqlstore.Store, n)
		for i := range stores {
			stores[i] = src.open(t, sealer(t, key('a')), nil)
		}
		for _, tc := range []struct {
			what string
			name func(i int) string
			want error
		}{
			{"one name", func(int) string { return "same" }, connection.ErrConflict},
			{"one domain", func(i int) string { return fmt.Sprint("tenant", i) }, connection.ErrDomainTaken},
		} {
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() {
					in := settings(tc.name(i))
					in.EmailDomains = []connection.EmailDomain{{Domain: "acme.example"}}
					_, errs[i] = s.Put(t.Context(), in, "x")
				})
			}
			wg.Wait()
			won := 0
			for i, err := range errs {
				if err == nil {
					won++
				} else if !errors.Is(err, tc.want) {
					t.Fatalf("%s: create %d: %v; want nil or %v", tc.what, i, err, tc.want)
				}
			}
			if won != 1 {
				t.Fatalf("%s: %d creates won; want 1", tc.what, won)
			}
			list, _ := stores[0].List(t.Context())
			for _, c := range list {
				_ = stores[0].Delete(t.Context(), c.Name, c.Version)
			}
		}
	})
}

// TestDomains: a domain belongs to one connection; moving it needs the
// holder to drop it first; deleting a connection frees its domains.
func TestDomains(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		a := src.open(t, sealer(t, key('a')), nil)
		b := src.open(t, sealer(t, key('a')), nil)
		ctx := t.Context()
		in := settings("acme")
		in.EmailDomains = []connection.EmailDomain{{Domain: "acme.example", Verified: true}, {Domain: "*.acme.example"}}
		acme := mustPut(t, a, in)
		if len(acme.EmailDomains) != 2 || !acme.EmailDomains[0].Verified {
			t.Fatalf("Put returned domains %+v", acme.EmailDomains)
		}
		other := settings("other")
		other.EmailDomains = []connection.EmailDomain{{Domain: "other.example"}, {Domain: "acme.example"}}
		if _, err := b.Put(ctx, other, "x"); !errors.Is(err, connection.ErrDomainTaken) {
			t.Fatalf("another instance taking acme's domain: %v; want ErrDomainTaken", err)
		}
		if _, err := b.Get(ctx, "other"); !errors.Is(err, connection.ErrNotFound) {
			t.Fatalf("the refused Put saved something: %v", err)
		}
		// acme keeps its domains across an edit of something else.
		acme.Title = "Acme"
		acme = mustPut(t, b, acme)
		if _, err := b.Put(ctx, other, "x"); !errors.Is(err, connection.ErrDomainTaken) {
			t.Fatalf("after acme's edit: %v; want ErrDomainTaken", err)
		}
		// acme drops the domain: other may take it.
		acme.EmailDomains = acme.EmailDomains[1:]
		acme = mustPut(t, a, acme)
		mustPut(t, b, other)
		acme.EmailDomains = append(acme.EmailDomains, connection.EmailDomain{Domain: "other.example"})
		if _, err := a.Put(ctx, acme, "x"); !errors.Is(err, connection.ErrDomainTaken) {
			t.Fatalf("acme taking other's domain: %v; want ErrDomainTaken", err)
		}
		got, _ := a.Get(ctx, "other")
		if err := a.Delete(ctx, "other", got.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Put(ctx, acme, "x"); err != nil {
			t.Fatalf("taking a deleted connection's domain: %v", err)
		}
	})
}
