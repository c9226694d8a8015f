package rp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

const (
	issA = "https://idp-a.example.com"
	issB = "https://idp-b.example.com"
)

// seedStore returns a store with a fixed cast of accounts.
func seedStore(t *testing.T) *MemoryUserStore {
	t.Helper()
	s := NewMemoryUserStore()
	s.Add(User{ID: "alice", Username: "alice", Email: "alice@example.com"})
	s.Add(User{ID: "bob", Username: "bob", Email: "Bob@Example.com"})
	s.Add(User{ID: "carol", Username: "carol@corp.example"})
	s.Add(User{ID: "dave", Username: `CORP\dave`})
	s.Add(User{ID: "root", Username: "root", Email: "root@example.com", Admin: true})
	s.Add(User{ID: "eve", Username: "eve", Email: "eve@example.com"})
	s.Add(User{ID: "dup1", Username: "dup1", Email: "shared@example.com"})
	s.Add(User{ID: "dup2", Username: "dup2", Email: "shared@example.com"})
	ctx := context.Background()
	for _, l := range [][3]string{{"alice", issA, "sub-alice"}, {"eve", issA, "sub-eve"}} {
		if err := s.LinkSubject(ctx, l[0], l[1], l[2]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func identity(iss, sub string, claims map[string]any, usernameClaim, emailClaim string) *Identity {
	raw := map[string]any{"iss": iss, "sub": sub}
	for k, v := range claims {
		raw[k] = v
	}
	return &Identity{Claims: newClaims(raw, nil), UsernameClaim: usernameClaim, EmailClaim: emailClaim}
}

// microsoft marks id as coming from an issuer whose upn and unique_name
// claims name the user (Identity.MicrosoftNameClaims).
func microsoft(id *Identity) *Identity {
	id.MicrosoftNameClaims = true
	return id
}

// TestMatcherAlgorithm walks every branch of the linking algorithm.
func TestMatcherAlgorithm(t *testing.T) {
	autolink := MatcherConfig{AutoLink: true}
	verified := map[string]any{"email": "bob@example.com", "email_verified": true}
	for _, tc := range []struct {
		name     string
		cfg      MatcherConfig
		id       *Identity
		wantUser string // "" when an error is expected; "new" for a created account
		wantErr  error
	}{
		// Step 1: by stored subject.
		{"1 found by sub", MatcherConfig{}, identity(issA, "sub-alice", nil, "", ""), "alice", nil},
		{"1 same sub other issuer is another person", MatcherConfig{}, identity(issB, "sub-alice", nil, "", ""), "", ErrNoLocalAccount},
		// Step 2: autolink off.
		{"2 unknown sub autolink off", MatcherConfig{}, identity(issA, "sub-bob", map[string]any{"preferred_username": "bob"}, "preferred_username", ""), "", ErrNoLocalAccount},
		{"2 unknown sub autolink off creates", MatcherConfig{CreateUsers: true}, identity(issA, "sub-new", map[string]any{"preferred_username": "newbie"}, "preferred_username", ""), "new", nil},
		// Step 3: username mapping.
		{"3 username found ignoring case", autolink, identity(issA, "sub-bob", map[string]any{"preferred_username": "BOB"}, "preferred_username", ""), "bob", nil},
		{"3 username whitespace is exact", autolink, identity(issA, "sub-bob", map[string]any{"preferred_username": " bob"}, "preferred_username", ""), "", ErrNoLocalAccount},
		{"3 username claim missing", autolink, identity(issA, "sub-bob", nil, "preferred_username", ""), "", ErrNoLocalAccount},
		{"3 username is an unverified email", autolink, identity(issA, "sub-bob", map[string]any{"email": "bob"}, "email", ""), "", ErrUnverifiedEmail},
		{"3 username is a verified email", autolink, identity(issA, "sub-bob", map[string]any{"email": "bob", "email_verified": true}, "email", ""), "bob", nil},
		// Step 4: email mapping.
		{"4 username not found falls to email", autolink, identity(issA, "sub-bob", map[string]any{"preferred_username": "nobody", "email": "bob@example.com", "email_verified": true}, "preferred_username", "email"), "bob", nil},
		{"4 email verified", autolink, identity(issA, "sub-bob", verified, "", "email"), "bob", nil},
		{"4 email verified as string", autolink, identity(issA, "sub-bob", map[string]any{"email": "bob@example.com", "email_verified": "true"}, "", "email"), "bob", nil},
		{"4 email unverified", autolink, identity(issA, "sub-bob", map[string]any{"email": "bob@example.com"}, "", "email"), "", ErrUnverifiedEmail},
		{"4 email_verified false", autolink, identity(issA, "sub-bob", map[string]any{"email": "bob@example.com", "email_verified": false}, "", "email"), "", ErrUnverifiedEmail},
		{"4 entra xms_edov", autolink, identity(issA, "sub-bob", map[string]any{"email": "bob@example.com", "xms_edov": true}, "", "email"), "bob", nil},
		{"4 trusted issuer", MatcherConfig{AutoLink: true, TrustUnverifiedEmailsFrom: []string{issA}}, identity(issA, "sub-bob", map[string]any{"email": "bob@example.com"}, "", "email"), "bob", nil},
		{"4 trust is per issuer", MatcherConfig{AutoLink: true, TrustUnverifiedEmailsFrom: []string{issB}}, identity(issA, "sub-bob", map[string]any{"email": "bob@example.com"}, "", "email"), "", ErrUnverifiedEmail},
		{"4 unverified email of nobody", autolink, identity(issA, "sub-x", map[string]any{"email": "x@example.com"}, "", "email"), "", ErrNoLocalAccount},
		{"4 email ambiguous", autolink, identity(issA, "sub-x", map[string]any{"email": "shared@example.com", "email_verified": true}, "", "email"), "", ErrAmbiguousUser},
		// Step 5: upn, unique_name when no mapping.
		{"5 upn", autolink, microsoft(identity(issA, "sub-carol", map[string]any{"upn": "Carol@corp.example"}, "", "")), "carol", nil},
		{"5 unique_name", autolink, microsoft(identity(issA, "sub-dave", map[string]any{"unique_name": `corp\DAVE`}, "", "")), "dave", nil},
		{"5 upn before unique_name", autolink, microsoft(identity(issA, "sub-carol", map[string]any{"upn": "carol@corp.example", "unique_name": `CORP\dave`}, "", "")), "carol", nil},
		{"5 upn ignored for other issuers", autolink, identity(issA, "sub-carol", map[string]any{"upn": "carol@corp.example"}, "", ""), "", ErrNoLocalAccount},
		{"5 preferred_username ignored without mapping", autolink, identity(issA, "sub-bob", map[string]any{"preferred_username": "bob"}, "", ""), "", ErrNoLocalAccount},
		{"5 not used when a mapping is set", autolink, identity(issA, "sub-carol", map[string]any{"upn": "carol@corp.example"}, "preferred_username", ""), "", ErrNoLocalAccount},
		// Step 6: stored sub differs.
		{"6 sub conflict", autolink, identity(issA, "sub-eve-2", map[string]any{"preferred_username": "eve"}, "preferred_username", ""), "", ErrSubjectConflict},
		{"6 other issuer links alongside", autolink, identity(issB, "sub-eve-b", map[string]any{"preferred_username": "eve"}, "preferred_username", ""), "eve", nil},
		// Admins.
		{"admin refused", autolink, identity(issA, "sub-root", map[string]any{"preferred_username": "root"}, "preferred_username", ""), "", ErrAdminRefused},
		{"admin allowed", MatcherConfig{AutoLink: true, AllowAdmins: true}, identity(issA, "sub-root", map[string]any{"preferred_username": "root"}, "preferred_username", ""), "root", nil},
		// Creation.
		{"nothing matched creates", MatcherConfig{AutoLink: true, CreateUsers: true}, identity(issA, "sub-new", map[string]any{"preferred_username": "newbie"}, "preferred_username", ""), "new", nil},
		{"only known users never creates", MatcherConfig{AutoLink: true, CreateUsers: true, OnlyKnownUsers: true}, identity(issA, "sub-new", nil, "", ""), "", ErrNoLocalAccount},
		{"creation collides with a username", MatcherConfig{CreateUsers: true}, identity(issA, "sub-new", map[string]any{"preferred_username": "Bob"}, "preferred_username", ""), "", ErrUserExists},
		{"no sub", autolink, identity(issA, "", nil, "", ""), "", ErrNoLocalAccount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := seedStore(t)
			tc.cfg.Store = store
			m, err := NewMatcher(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			before := store.Len()
			u, err := m.Match(context.Background(), tc.id)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || u != nil {
					t.Fatalf("Match = %+v, %v; want %v", u, err, tc.wantErr)
				}
				if store.Len() != before {
					t.Fatal("a rejected match created an account")
				}
				if tc.id.Claims.Subject != "" {
					if linked, _ := store.UserBySubject(context.Background(), tc.id.Claims.Issuer, tc.id.Claims.Subject); linked != nil && tc.name != "1 found by sub" {
						t.Fatalf("a rejected match linked the subject to %s", linked.ID)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if tc.wantUser == "new" {
				if store.Len() != before+1 {
					t.Fatalf("no account created")
				}
			} else if u.ID != tc.wantUser {
				t.Fatalf("Match chose %s; want %s", u.ID, tc.wantUser)
			}
			// Step 7: the subject is stored for next time.
			linked, err := store.UserBySubject(context.Background(), tc.id.Claims.Issuer, tc.id.Claims.Subject)
			if err != nil || linked.ID != u.ID {
				t.Fatalf("subject linked to %+v, %v; want %s", linked, err, u.ID)
			}
		})
	}
}

// failingStore fails one method with a database error.
type failingStore struct {
	*MemoryUserStore
	method string
}

var errDown = errors.New("database is down")

func (f *failingStore) fail(m string) error {
	if f.method == m {
		return errDown
	}
	return nil
}

func (f *failingStore) UserBySubject(ctx context.Context, iss, sub string) (*User, error) {
	if err := f.fail("UserBySubject"); err != nil {
		return nil, err
	}
	return f.MemoryUserStore.UserBySubject(ctx, iss, sub)
}

func (f *failingStore) UserByUsername(ctx context.Context, v string) (*User, error) {
	if err := f.fail("UserByUsername"); err != nil {
		return nil, err
	}
	return f.MemoryUserStore.UserByUsername(ctx, v)
}

func (f *failingStore) UserByEmail(ctx context.Context, v string) (*User, error) {
	if err := f.fail("UserByEmail"); err != nil {
		return nil, err
	}
	return f.MemoryUserStore.UserByEmail(ctx, v)
}

func (f *failingStore) SubjectOf(ctx context.Context, id, iss string) (string, error) {
	if err := f.fail("SubjectOf"); err != nil {
		return "", err
	}
	return f.MemoryUserStore.SubjectOf(ctx, id, iss)
}

func (f *failingStore) LinkSubject(ctx context.Context, id, iss, sub string) error {
	if err := f.fail("LinkSubject"); err != nil {
		return err
	}
	return f.MemoryUserStore.LinkSubject(ctx, id, iss, sub)
}

func (f *failingStore) CreateUser(ctx context.Context, u *User, iss, sub string) (*User, error) {
	if err := f.fail("CreateUser"); err != nil {
		return nil, err
	}
	return f.MemoryUserStore.CreateUser(ctx, u, iss, sub)
}

func (f *failingStore) UpdateUser(ctx context.Context, u *User) error {
	if err := f.fail("UpdateUser"); err != nil {
		return err
	}
	return f.MemoryUserStore.UpdateUser(ctx, u)
}

func TestMatcherStoreFailuresAreNotNotFound(t *testing.T) {
	for _, tc := range []struct {
		method string
		id     *Identity
	}{
		{"UserBySubject", identity(issA, "sub-alice", nil, "", "")},
		{"UserByUsername", identity(issA, "sub-bob", map[string]any{"preferred_username": "bob"}, "preferred_username", "")},
		{"UserByEmail", identity(issA, "sub-bob", map[string]any{"email": "bob@example.com", "email_verified": true}, "", "email")},
		{"UserByUsername", microsoft(identity(issA, "sub-carol", map[string]any{"upn": "carol@corp.example"}, "", ""))},
		{"UserByEmail", microsoft(identity(issA, "sub-carol", map[string]any{"upn": "nobody@corp.example", "xms_edov": true}, "", ""))},
		{"SubjectOf", identity(issA, "sub-bob", map[string]any{"preferred_username": "bob"}, "preferred_username", "")},
		{"LinkSubject", identity(issA, "sub-bob", map[string]any{"preferred_username": "bob"}, "preferred_username", "")},
		{"CreateUser", identity(issA, "sub-new", nil, "", "")},
		{"UpdateUser", identity(issA, "sub-alice", map[string]any{"name": "Alice"}, "", "")},
	} {
		t.Run(tc.method, func(t *testing.T) {
			m, _ := NewMatcher(MatcherConfig{Store: &failingStore{seedStore(t), tc.method},
				AutoLink: true, CreateUsers: true, SyncProfile: true})
			u, err := m.Match(context.Background(), tc.id)
			var se *StoreError
			if u != nil || !errors.Is(err, ErrStore) || !errors.Is(err, errDown) || !errors.As(err, &se) || se.Op != tc.method {
				t.Fatalf("Match = %+v, %v; want a StoreError from %s", u, err, tc.method)
			}
			if errors.Is(err, ErrNoLocalAccount) || errors.Is(err, ErrUserNotFound) {
				t.Fatalf("store failure reported as not found: %v", err)
			}
		})
	}
}

func TestMatcherCreateAndSync(t *testing.T) {
	store := NewMemoryUserStore()
	m, _ := NewMatcher(MatcherConfig{Store: store, CreateUsers: true, SyncProfile: true,
		GroupsClaim: "groups", GroupMapping: map[string]string{"g-1": "Sales", "g-2": "Support", "g-3": "Sales"}, SyncGroups: true,
		AttributeClaims: map[string]string{"department": "dept"}})
	claims := map[string]any{"preferred_username": "nina", "email": "nina@example.com", "email_verified": true,
		"name": "Nina N", "given_name": "Nina", "family_name": "N", "phone_number": "+1 555 0100",
		"groups": []any{"g-1", "g-3", "g-unmapped"}, "dept": "Finance"}
	u, err := m.Match(context.Background(), identity(issA, "sub-nina", claims, "preferred_username", "email"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%+v", User{ID: u.ID, Username: "nina", Email: "nina@example.com", Name: "Nina N", GivenName: "Nina",
		FamilyName: "N", PhoneNumber: "+1 555 0100", Groups: []string{"Sales"}, Attributes: map[string]string{"department": "Finance"}})
	if got := fmt.Sprintf("%+v", *u); got != want {
		t.Fatalf("created\n got %s\nwant %s", got, want)
	}
	claims["name"], claims["groups"], claims["dept"] = "Nina Newname", []any{"g-2"}, "Ops"
	u, err = m.Match(context.Background(), identity(issA, "sub-nina", claims, "preferred_username", "email"))
	if err != nil {
		t.Fatal(err)
	}
	stored := store.User(u.ID)
	if stored.Name != "Nina Newname" || fmt.Sprint(stored.Groups) != "[Support]" || stored.Attributes["department"] != "Ops" {
		t.Fatalf("not synced: %+v", stored)
	}
}

func TestMatcherNeverStoresUnverifiedEmail(t *testing.T) {
	store := NewMemoryUserStore()
	m, _ := NewMatcher(MatcherConfig{Store: store, CreateUsers: true, SyncProfile: true})
	u, err := m.Match(context.Background(), identity(issA, "sub-z", map[string]any{"email": "victim@example.com", "preferred_username": "zed"}, "preferred_username", "email"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "" || u.Username != "zed" {
		t.Fatalf("account created with an unverified email as email or username: %+v", u)
	}
}

// TestMatcherConcurrentFirstLogins: two first logins of one new person at
// once create one account.
func TestMatcherConcurrentFirstLogins(t *testing.T) {
	for round := range 50 {
		store := NewMemoryUserStore()
		m, _ := NewMatcher(MatcherConfig{Store: store, AutoLink: true, CreateUsers: true})
		id := identity(issA, fmt.Sprint("sub-", round), map[string]any{"preferred_username": "new"}, "preferred_username", "")
		var wg sync.WaitGroup
		start := make(chan struct{})
		users := make([]*User, 4)
		errs := make([]error, 4)
		for i := range users {
			wg.Go(func() {
				<-start
				users[i], errs[i] = m.Match(context.Background(), id)
			})
		}
		close(start)
		wg.Wait()
		for i := range users {
			if errs[i] != nil || users[i].ID != users[0].ID {
				t.Fatalf("round %d: login %d = %+v, %v; want the one account %+v", round, i, users[i], errs[i], users[0])
			}
		}
		if store.Len() != 1 {
			t.Fatalf("round %d: %d accounts created; want 1", round, store.Len())
		}
	}
}

func TestNewMatcherNeedsStore(t *testing.T) {
	if _, err := NewMatcher(MatcherConfig{}); err == nil {
		t.Fatal("NewMatcher without a store succeeded")
	}
}
