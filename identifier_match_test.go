package rp

import (
	"context"
	"errors"
	"testing"
)

// TestMemoryStoreIdentifierComparison: MemoryUserStore finds usernames and
// emails by NormalizeIdentifier, so characters that Unicode's simple case
// folding maps to ASCII letters name nobody.
func TestMemoryStoreIdentifierComparison(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryUserStoreWith(
		User{ID: "sam", Username: "sam", Email: "sam@example.com"},
		User{ID: "kelvin", Username: "kelvin", Email: "kelvin@example.com"},
		User{ID: "jose", Username: "jos\u00e9", Email: "jos\u00e9@example.com"},
		User{ID: "irma", Username: "irma", Email: "irma@example.com"},
	)
	for _, tc := range []struct {
		name, value string
		want        string // user ID, "" for ErrUserNotFound
	}{
		{"ascii case", "SAM", "sam"},
		{"long s", "\u017fam", ""},
		{"kelvin sign", "\u212aelvin", ""},
		{"nfd of nfc", "jose\u0301", "jose"},
		{"fullwidth", "\uff53\uff41\uff4d", ""},
		{"turkish dotted capital i", "\u0130rma", ""},
		{"turkish dotless i", "\u0131rma", ""},
		{"empty", "", ""},
		{"invalid utf-8", "sam\xff", ""},
	} {
		for _, field := range []struct {
			name   string
			find   func(context.Context, string) (*User, error)
			suffix string
		}{{"UserByUsername", s.UserByUsername, ""}, {"UserByEmail", s.UserByEmail, "@example.com"}} {
			v := tc.value
			if v != "" {
				v += field.suffix
			}
			u, err := field.find(ctx, v)
			if tc.want == "" {
				if !errors.Is(err, ErrUserNotFound) || u != nil {
					t.Errorf("%s %s(%q) = %+v, %v; want ErrUserNotFound", tc.name, field.name, v, u, err)
				}
				continue
			}
			if err != nil || u.ID != tc.want {
				t.Errorf("%s %s(%q) = %+v, %v; want %s", tc.name, field.name, v, u, err, tc.want)
			}
		}
	}
}

// TestMemoryStoreCreateUserUniqueness: CreateUser refuses a username or
// email equal by NormalizeIdentifier, and only those.
func TestMemoryStoreCreateUserUniqueness(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		u    User
		want error
	}{
		{"username ascii case", User{Username: "Sam"}, ErrUserExists},
		{"username nfd", User{Username: "jose\u0301"}, ErrUserExists},
		{"email ascii case", User{Username: "x", Email: "SAM@example.com"}, ErrUserExists},
		{"username long s", User{Username: "\u017fam"}, nil},
		{"email long s", User{Username: "y", Email: "\u017fam@example.com"}, nil},
		{"username kelvin sign", User{Username: "\u212aelvin"}, nil},
		{"username fullwidth", User{Username: "\uff53\uff41\uff4d"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemoryUserStoreWith(
				User{ID: "sam", Username: "sam", Email: "sam@example.com"},
				User{ID: "kelvin", Username: "kelvin"},
				User{ID: "jose", Username: "jos\u00e9"},
			)
			u, err := s.CreateUser(ctx, &tc.u, issA, "sub-new")
			if !errors.Is(err, tc.want) {
				t.Fatalf("CreateUser(%+v) = %+v, %v; want %v", tc.u, u, err, tc.want)
			}
			if want := 3 + map[bool]int{true: 1}[tc.want == nil]; s.Len() != want {
				t.Fatalf("%d users; want %d", s.Len(), want)
			}
		})
	}
}

// TestMatcherConfusableEmailDoesNotLink: a verified ſam@example.com is
// another address than sam@example.com, with or without CreateUsers.
func TestMatcherConfusableEmailDoesNotLink(t *testing.T) {
	ctx := context.Background()
	claims := map[string]any{"email": "\u017fam@example.com", "email_verified": true, "preferred_username": "\u017fam"}
	for _, tc := range []struct {
		name          string
		create        bool
		usernameClaim string
		want          error
	}{
		{"by email", false, "", ErrNoLocalAccount},
		{"by username", false, "preferred_username", ErrNoLocalAccount},
		{"by email, creating", true, "", nil},
		{"by username, creating", true, "preferred_username", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewMemoryUserStoreWith(User{ID: "sam", Username: "sam", Email: "sam@example.com"})
			m := newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, CreateUsers: tc.create})
			u, err := m.Match(ctx, identity(issA, "sub-long-s", claims, tc.usernameClaim, "email"))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Match = %+v, %v; want %v", u, err, tc.want)
			}
			if sub, _ := store.SubjectOf(ctx, "sam", issA); sub != "" {
				t.Fatalf("sam's account was linked to %q", sub)
			}
			if tc.want == nil && (u.ID == "sam" || store.Len() != 2) {
				t.Fatalf("Match = %+v with %d accounts; want a new, second account", u, store.Len())
			}
		})
	}
}

// TestMatcherRefusesUnusableUsername: a new account is never created under
// a username that NormalizeIdentifier rejects, since no later lookup or
// uniqueness check could ever find it.
func TestMatcherRefusesUnusableUsername(t *testing.T) {
	store := NewMemoryUserStoreWith(User{ID: "kelvin", Username: "Kelvin"})
	m := newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, CreateUsers: true})
	u, err := m.Match(context.Background(), identity(issA, "sub-k", map[string]any{"preferred_username": "\u212aelvin"}, "preferred_username", ""))
	if !errors.Is(err, ErrNoLocalAccount) || u != nil {
		t.Fatalf("Match = %+v, %v; want ErrNoLocalAccount", u, err)
	}
	if store.Len() != 1 {
		t.Fatalf("%d accounts; want only the existing one", store.Len())
	}
}
