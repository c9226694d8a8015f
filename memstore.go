package rp

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
)

// MemoryUserStore is a UserStore held in memory, for tests and examples. It is
// safe for concurrent use; every method works on copies, so callers cannot
// change stored users behind its back. It compares usernames and emails with
// SameIdentifier, as the UserStore contract asks.
type MemoryUserStore struct {
	mu       sync.Mutex
	nextID   int
	users    map[string]*User             // by ID
	subjects map[subjectKey]string        // (issuer, subject) -> user ID
	links    map[string]map[string]string // user ID -> issuer -> subject
}

type subjectKey struct{ issuer, subject string }

// NewMemoryUserStore returns an empty store.
func NewMemoryUserStore() *MemoryUserStore {
	return &MemoryUserStore{
		users:    make(map[string]*User),
		subjects: make(map[subjectKey]string),
		links:    make(map[string]map[string]string),
	}
}

// NewMemoryUserStoreWith returns a store holding users (see Add).
func NewMemoryUserStoreWith(users ...User) *MemoryUserStore {
	s := NewMemoryUserStore()
	for _, u := range users {
		s.Add(u)
	}
	return s
}

// Add stores u as it is (an existing account, e.g. one created by the
// application's own sign-up), assigning an ID when u.ID is empty, and
// returns the stored copy. It replaces a user with the same ID.
func (s *MemoryUserStore) Add(u User) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = s.newID()
	}
	s.users[u.ID] = cloneUser(&u)
	return cloneUser(&u)
}

// User returns a copy of the user with id, or nil.
func (s *MemoryUserStore) User(id string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		return cloneUser(u)
	}
	return nil
}

// Len returns the number of users.
func (s *MemoryUserStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}

func (s *MemoryUserStore) newID() string {
	for {
		s.nextID++
		id := "user-" + strconv.Itoa(s.nextID)
		if _, taken := s.users[id]; !taken {
			return id
		}
	}
}

// UserBySubject implements UserStore.
func (s *MemoryUserStore) UserBySubject(_ context.Context, issuer, subject string) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.subjects[subjectKey{issuer, subject}]
	if !ok {
		return nil, ErrUserNotFound
	}
	return cloneUser(s.users[id]), nil
}

// UserByUsername implements UserStore.
func (s *MemoryUserStore) UserByUsername(_ context.Context, username string) (*User, error) {
	return s.findBy(func(u *User) string { return u.Username }, username)
}

// UserByEmail implements UserStore.
func (s *MemoryUserStore) UserByEmail(_ context.Context, email string) (*User, error) {
	return s.findBy(func(u *User) string { return u.Email }, email)
}

func (s *MemoryUserStore) findBy(field func(*User) string, v string) (*User, error) {
	want := NormalizeIdentifier(v)
	if want == "" {
		return nil, ErrUserNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *User
	for _, u := range s.users {
		if NormalizeIdentifier(field(u)) == want {
			if found != nil {
				return nil, ErrAmbiguousUser
			}
			found = u
		}
	}
	if found == nil {
		return nil, ErrUserNotFound
	}
	return cloneUser(found), nil
}

// SubjectOf implements UserStore.
func (s *MemoryUserStore) SubjectOf(_ context.Context, userID, issuer string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.links[userID][issuer], nil
}

// LinkSubject implements UserStore.
func (s *MemoryUserStore) LinkSubject(_ context.Context, userID, issuer, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return ErrUserNotFound
	}
	return s.link(userID, issuer, subject)
}

// link records the pair; s.mu must be held.
func (s *MemoryUserStore) link(userID, issuer, subject string) error {
	key := subjectKey{issuer, subject}
	if owner, ok := s.subjects[key]; ok && owner != userID {
		return ErrSubjectConflict
	}
	if cur := s.links[userID][issuer]; cur != "" && cur != subject {
		return ErrSubjectConflict
	}
	s.subjects[key] = userID
	if s.links[userID] == nil {
		s.links[userID] = make(map[string]string)
	}
	s.links[userID][issuer] = subject
	return nil
}

// CreateUser implements UserStore.
func (s *MemoryUserStore) CreateUser(_ context.Context, u *User, issuer, subject string) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subjects[subjectKey{issuer, subject}]; ok {
		return nil, ErrSubjectConflict
	}
	for _, other := range s.users {
		if SameIdentifier(other.Username, u.Username) || SameIdentifier(other.Email, u.Email) {
			return nil, ErrUserExists
		}
	}
	nu := cloneUser(u)
	nu.ID = s.newID()
	s.users[nu.ID] = nu
	if err := s.link(nu.ID, issuer, subject); err != nil {
		delete(s.users, nu.ID)
		return nil, err
	}
	return cloneUser(nu), nil
}

// UpdateUser implements UserStore.
func (s *MemoryUserStore) UpdateUser(_ context.Context, u *User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.users[u.ID]
	if !ok {
		return ErrUserNotFound
	}
	next := cloneUser(u)
	next.Username, next.Admin = cur.Username, cur.Admin
	s.users[u.ID] = next
	return nil
}

func cloneUser(u *User) *User {
	c := *u
	c.Groups = slices.Clone(u.Groups)
	c.Attributes = maps.Clone(u.Attributes)
	return &c
}
