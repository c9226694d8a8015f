package userstoretest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/oidcrp/rp"
)

// racers is how many goroutines each race runs.
const racers = 16

// concurrently runs fn(0) to fn(n-1) in goroutines released together, and
// returns their errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWins fails the test unless exactly one of errs is nil and every other
// matches lost; it returns the winner's index.
func oneWins(t *testing.T, what string, errs []error, lost error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Fatalf("%s: %d and %d both succeeded; want exactly one", what, winner, i)
		case !errors.Is(err, lost):
			t.Fatalf("%s: %d failed with %v; want nil or an error matching %q", what, i, err, lost)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: none succeeded; want exactly one", what)
	}
	return winner
}

// testConcurrentFirstLogins: the first logins of one person at once, as
// the matcher makes them: one account, and every other CreateUser fails
// with ErrSubjectConflict so the matcher signs it in to the winner's.
func testConcurrentFirstLogins(t *testing.T, e *env) {
	ids := make([]string, racers)
	errs := concurrently(racers, func(i int) error {
		u, err := e.store.CreateUser(e.ctx(), &rp.User{Username: "ann", Email: "ann@example.com"}, issA, "ann-sub")
		if err == nil {
			ids[i] = u.ID
		}
		return err
	})
	w := oneWins(t, fmt.Sprint(racers, " first logins with one subject and username"), errs, rp.ErrSubjectConflict)
	e.bySubject(issA, "ann-sub", ids[w])
	e.byUsername("ann", ids[w])
	e.byEmail("ann@example.com", ids[w])

	// One subject, usernames of their own: still one account, and no
	// loser's account left behind.
	errs = concurrently(racers, func(i int) error {
		u, err := e.store.CreateUser(e.ctx(), &rp.User{Username: fmt.Sprint("bob-", i)}, issA, "bob-sub")
		if err == nil {
			ids[i] = u.ID
		}
		return err
	})
	w = oneWins(t, fmt.Sprint(racers, " first logins with one subject"), errs, rp.ErrSubjectConflict)
	e.bySubject(issA, "bob-sub", ids[w])
	for i := range racers {
		u, err := e.store.UserByUsername(e.ctx(), fmt.Sprint("bob-", i))
		if i == w {
			if err != nil || u.ID != ids[w] {
				t.Fatalf("the winner's account: %+v, %v", u, err)
			}
			continue
		}
		notFound(t, fmt.Sprint("UserByUsername of loser ", i), u, err)
	}
}

// testConcurrentCreates: accounts of different subjects with one username
// or one email, created at once: one wins, the others fail with
// ErrUserExists and link nothing.
func testConcurrentCreates(t *testing.T, e *env) {
	for _, c := range []struct {
		what string
		user func(i int) rp.User
	}{
		{"username", func(i int) rp.User {
			name := "carol"
			if i%2 == 1 {
				name = "CAROL"
			}
			return rp.User{Username: name, Email: fmt.Sprint("carol", i, "@example.com")}
		}},
		{"email", func(i int) rp.User {
			return rp.User{Username: fmt.Sprint("dave", i), Email: "Dave@Example.com"}
		}},
	} {
		ids := make([]string, racers)
		errs := concurrently(racers, func(i int) error {
			u := c.user(i)
			got, err := e.store.CreateUser(e.ctx(), &u, issA, fmt.Sprint(c.what, "-sub-", i))
			if err == nil {
				ids[i] = got.ID
			}
			return err
		})
		w := oneWins(t, fmt.Sprint(racers, " accounts with one ", c.what), errs, rp.ErrUserExists)
		for i := range racers {
			u, err := e.store.UserBySubject(e.ctx(), issA, fmt.Sprint(c.what, "-sub-", i))
			if i == w {
				if err != nil || u.ID != ids[w] {
					t.Fatalf("the winner's account: %+v, %v", u, err)
				}
				continue
			}
			notFound(t, fmt.Sprint("UserBySubject of loser ", i), u, err)
		}
	}
}

// testConcurrentLinks: subjects linked to one account at one issuer at
// once, or one subject to many accounts: one link wins. Relinking one
// pair at once always succeeds.
func testConcurrentLinks(t *testing.T, e *env) {
	ann := e.seed(rp.User{Username: "ann"})
	errs := concurrently(racers, func(i int) error {
		return e.store.LinkSubject(e.ctx(), ann.ID, issA, fmt.Sprint("sub-", i))
	})
	w := oneWins(t, fmt.Sprint(racers, " subjects linked to one account"), errs, rp.ErrSubjectConflict)
	if sub := e.subjectOf(ann.ID, issA); sub != fmt.Sprint("sub-", w) {
		t.Fatalf("SubjectOf = %q; want the winner's sub-%d", sub, w)
	}
	for i := range racers {
		if i != w {
			u, err := e.store.UserBySubject(e.ctx(), issA, fmt.Sprint("sub-", i))
			notFound(t, fmt.Sprint("UserBySubject of loser ", i), u, err)
		}
	}

	users := make([]rp.User, racers)
	for i := range users {
		users[i] = e.seed(rp.User{Username: fmt.Sprint("user-", i)})
	}
	errs = concurrently(racers, func(i int) error {
		return e.store.LinkSubject(e.ctx(), users[i].ID, issB, "one-sub")
	})
	w = oneWins(t, fmt.Sprint("one subject linked to ", racers, " accounts"), errs, rp.ErrSubjectConflict)
	e.bySubject(issB, "one-sub", users[w].ID)
	for i, u := range users {
		if sub := e.subjectOf(u.ID, issB); (i == w) != (sub == "one-sub") || (i != w && sub != "") {
			t.Fatalf("SubjectOf user %d = %q; the winner is %d", i, sub, w)
		}
	}

	errs = concurrently(racers, func(int) error {
		return e.store.LinkSubject(e.ctx(), users[0].ID, "https://c.example.com", "again")
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("relinking one pair at once: %d failed with %v; want every one to succeed", i, err)
		}
	}
	e.bySubject("https://c.example.com", "again", users[0].ID)
}
