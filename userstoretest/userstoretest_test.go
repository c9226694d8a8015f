package userstoretest_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/suitecheck"
	"github.com/oidcrp/rp/userstoretest"
)

// seedMemory adds u to the MemoryUserStore behind s.
func seedMemory(t *testing.T, s rp.UserStore, u rp.User) rp.User {
	t.Helper()
	adder, ok := s.(interface{ Add(rp.User) *rp.User })
	if !ok {
		t.Fatalf("%T cannot Add", s)
	}
	return *adder.Add(u)
}

func TestMemoryUserStore(t *testing.T) {
	userstoretest.RunWith(t, func(t *testing.T) rp.UserStore {
		return rp.NewMemoryUserStore()
	}, userstoretest.Options{Seed: seedMemory})
}

// TestMemoryUserStoreDefaultSeed: without Options.Seed the suite seeds
// accounts with CreateUser, which the MemoryUserStore passes too.
func TestMemoryUserStoreDefaultSeed(t *testing.T) {
	userstoretest.Run(t, func(t *testing.T) rp.UserStore { return rp.NewMemoryUserStore() })
}

// broken are stores that each break one rule of rp.UserStore, and
// subtests of the suite that must catch them (others may fail too).
var broken = []struct {
	name  string
	store func(m *rp.MemoryUserStore) rp.UserStore
	fails []string
}{
	{"FoldsUnicode", func(m *rp.MemoryUserStore) rp.UserStore { return foldsUnicode{m} },
		[]string{"IdentifierComparison"}},
	{"EmptyEmailMatches", func(m *rp.MemoryUserStore) rp.UserStore { return &emptyMatches{MemoryUserStore: m} },
		[]string{"UnusableIdentifiers"}},
	{"IgnoresIssuer", func(m *rp.MemoryUserStore) rp.UserStore { return &ignoresIssuer{MemoryUserStore: m} },
		[]string{"SubjectPerIssuer"}},
	{"NilWhenNotFound", func(m *rp.MemoryUserStore) rp.UserStore { return nilNotFound{m} },
		[]string{"NotFound", "SubjectPerIssuer"}},
	{"LinkNeverConflicts", func(m *rp.MemoryUserStore) rp.UserStore { return linkNoConflict{m} },
		[]string{"LinkSubject", "ConcurrentLinks"}},
	{"RelinkConflicts", func(m *rp.MemoryUserStore) rp.UserStore { return relinkConflicts{m} },
		[]string{"LinkSubject", "ConcurrentLinks"}},
	{"CreateNotAtomic", func(m *rp.MemoryUserStore) rp.UserStore { return createNotAtomic{m} },
		[]string{"CreateUserConflicts", "ConcurrentFirstLogins", "ConcurrentCreates"}},
	{"UserExistsFirst", func(m *rp.MemoryUserStore) rp.UserStore { return existsFirst{m} },
		[]string{"CreateUserConflicts", "ConcurrentFirstLogins"}},
	{"UpdateChangesUsername", func(m *rp.MemoryUserStore) rp.UserStore { return updateAll{m} },
		[]string{"UpdateUser"}},
	{"SharesMemory", func(m *rp.MemoryUserStore) rp.UserStore { return &aliasing{MemoryUserStore: m} },
		[]string{"Copies"}},
}

// TestSuiteCatchesBrokenStores runs the suite, in a child process, on the
// stores of broken, and checks that each fails where it should.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	var cases []suitecheck.Case
	for _, b := range broken {
		cases = append(cases, suitecheck.Case{Name: b.name, Fails: b.fails, Run: func(t *testing.T) {
			userstoretest.RunWith(t, func(t *testing.T) rp.UserStore {
				return b.store(rp.NewMemoryUserStore())
			}, userstoretest.Options{Seed: seedMemory})
		}})
	}
	suitecheck.Run(t, cases)
}

// foldsUnicode looks identifiers up after full Unicode case folding, as
// strings.EqualFold or a case-insensitive collation would: "ſam" finds
// "sam", the Kelvin sign "k".
type foldsUnicode struct{ *rp.MemoryUserStore }

func toASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8.RuneSelf {
				r = f
				break
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s foldsUnicode) UserByUsername(ctx context.Context, v string) (*rp.User, error) {
	return s.MemoryUserStore.UserByUsername(ctx, toASCII(v))
}

func (s foldsUnicode) UserByEmail(ctx context.Context, v string) (*rp.User, error) {
	return s.MemoryUserStore.UserByEmail(ctx, toASCII(v))
}

// emptyMatches finds the last account created without an email for "".
type emptyMatches struct {
	*rp.MemoryUserStore
	mu      sync.Mutex
	noEmail string
}

func (s *emptyMatches) CreateUser(ctx context.Context, u *rp.User, iss, sub string) (*rp.User, error) {
	got, err := s.MemoryUserStore.CreateUser(ctx, u, iss, sub)
	if err == nil && got.Email == "" {
		s.mu.Lock()
		s.noEmail = got.ID
		s.mu.Unlock()
	}
	return got, err
}

func (s *emptyMatches) UserByEmail(ctx context.Context, v string) (*rp.User, error) {
	s.mu.Lock()
	id := s.noEmail
	s.mu.Unlock()
	if v == "" && id != "" {
		return s.User(id), nil
	}
	return s.MemoryUserStore.UserByEmail(ctx, v)
}

// ignoresIssuer finds a subject linked at any issuer.
type ignoresIssuer struct {
	*rp.MemoryUserStore
	mu      sync.Mutex
	issuers map[string][]string // subject -> issuers
}

func (s *ignoresIssuer) note(iss, sub string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issuers == nil {
		s.issuers = map[string][]string{}
	}
	s.issuers[sub] = append(s.issuers[sub], iss)
}

func (s *ignoresIssuer) CreateUser(ctx context.Context, u *rp.User, iss, sub string) (*rp.User, error) {
	got, err := s.MemoryUserStore.CreateUser(ctx, u, iss, sub)
	if err == nil {
		s.note(iss, sub)
	}
	return got, err
}

func (s *ignoresIssuer) LinkSubject(ctx context.Context, id, iss, sub string) error {
	err := s.MemoryUserStore.LinkSubject(ctx, id, iss, sub)
	if err == nil {
		s.note(iss, sub)
	}
	return err
}

func (s *ignoresIssuer) UserBySubject(ctx context.Context, iss, sub string) (*rp.User, error) {
	s.mu.Lock()
	issuers := append([]string{iss}, s.issuers[sub]...)
	s.mu.Unlock()
	for _, i := range issuers {
		if u, err := s.MemoryUserStore.UserBySubject(ctx, i, sub); err == nil {
			return u, nil
		}
	}
	return nil, rp.ErrUserNotFound
}

// nilNotFound answers nil, nil when nothing matches.
type nilNotFound struct{ *rp.MemoryUserStore }

func orNil(u *rp.User, err error) (*rp.User, error) {
	if err == rp.ErrUserNotFound {
		return nil, nil
	}
	return u, err
}

func (s nilNotFound) UserBySubject(ctx context.Context, iss, sub string) (*rp.User, error) {
	return orNil(s.MemoryUserStore.UserBySubject(ctx, iss, sub))
}

func (s nilNotFound) UserByUsername(ctx context.Context, v string) (*rp.User, error) {
	return orNil(s.MemoryUserStore.UserByUsername(ctx, v))
}

func (s nilNotFound) UserByEmail(ctx context.Context, v string) (*rp.User, error) {
	return orNil(s.MemoryUserStore.UserByEmail(ctx, v))
}

// linkNoConflict reports success for links it refused.
type linkNoConflict struct{ *rp.MemoryUserStore }

func (s linkNoConflict) LinkSubject(ctx context.Context, id, iss, sub string) error {
	if err := s.MemoryUserStore.LinkSubject(ctx, id, iss, sub); err != rp.ErrSubjectConflict {
		return err
	}
	return nil
}

// relinkConflicts refuses to link a pair already linked.
type relinkConflicts struct{ *rp.MemoryUserStore }

func (s relinkConflicts) LinkSubject(ctx context.Context, id, iss, sub string) error {
	if u, err := s.MemoryUserStore.UserBySubject(ctx, iss, sub); err == nil && u.ID == id {
		return rp.ErrSubjectConflict
	}
	return s.MemoryUserStore.LinkSubject(ctx, id, iss, sub)
}

// createNotAtomic adds the account, then links it: a failed link leaves
// the account, and taken usernames are not checked.
type createNotAtomic struct{ *rp.MemoryUserStore }

func (s createNotAtomic) CreateUser(ctx context.Context, u *rp.User, iss, sub string) (*rp.User, error) {
	c := *u
	c.ID = ""
	added := s.Add(c)
	if err := s.MemoryUserStore.LinkSubject(ctx, added.ID, iss, sub); err != nil {
		return nil, err
	}
	return added, nil
}

// existsFirst checks the username before the subject.
type existsFirst struct{ *rp.MemoryUserStore }

func (s existsFirst) CreateUser(ctx context.Context, u *rp.User, iss, sub string) (*rp.User, error) {
	if _, err := s.UserByUsername(ctx, u.Username); err == nil {
		return nil, rp.ErrUserExists
	}
	return s.MemoryUserStore.CreateUser(ctx, u, iss, sub)
}

// updateAll saves every field, Username and Admin included.
type updateAll struct{ *rp.MemoryUserStore }

func (s updateAll) UpdateUser(_ context.Context, u *rp.User) error {
	if s.User(u.ID) == nil {
		return rp.ErrUserNotFound
	}
	s.Add(*u)
	return nil
}

// aliasing hands out the same user for every lookup of a subject.
type aliasing struct {
	*rp.MemoryUserStore
	mu   sync.Mutex
	last map[string]*rp.User
}

func (s *aliasing) UserBySubject(ctx context.Context, iss, sub string) (*rp.User, error) {
	u, err := s.MemoryUserStore.UserBySubject(ctx, iss, sub)
	if err != nil {
		return u, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.last[u.ID]; ok {
		return prev, nil
	}
	if s.last == nil {
		s.last = map[string]*rp.User{}
	}
	s.last[u.ID] = u
	return u, nil
}
