package rp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestMatcherSyncGroupsAbsentClaim: a login without the groups claim
// leaves the account's groups as they are and says so in the log; an empty
// list clears them.
func TestMatcherSyncGroupsAbsentClaim(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	store := NewMemoryUserStoreWith(User{ID: "gail", Username: "gail", Groups: []string{"Sales", "Support"}})
	if err := store.LinkSubject(ctx, "gail", issA, "sub-gail"); err != nil {
		t.Fatal(err)
	}
	m := newMatcherT(t, MatcherConfig{Store: store, GroupsClaim: "roles", SyncGroups: true,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   string
		logged bool
	}{
		{"absent", map[string]any{"groups": []any{"Admins"}, "name": "Gail Secret"}, "[Sales Support]", true},
		{"present", map[string]any{"roles": []any{"Support", "Ops"}}, "[Ops Support]", false},
		{"absent again", nil, "[Ops Support]", true},
		{"null", map[string]any{"roles": nil}, "[]", false},
		{"empty", map[string]any{"roles": []any{}}, "[]", false},
	} {
		logs.Reset()
		if tc.name == "empty" {
			_ = store.UpdateUser(ctx, &User{ID: "gail", Groups: []string{"Sales"}})
		}
		u, err := m.Match(ctx, identity(issA, "sub-gail", tc.claims, "", ""))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := fmt.Sprint(store.User("gail").Groups); got != tc.want || fmt.Sprint(u.Groups) != tc.want {
			t.Fatalf("%s: groups stored %s, returned %v; want %s", tc.name, got, u.Groups, tc.want)
		}
		line := logs.String()
		if !tc.logged {
			if line != "" {
				t.Fatalf("%s: logged %q", tc.name, line)
			}
			continue
		}
		if strings.Count(line, "\n") != 1 || !strings.Contains(line, "level=INFO") ||
			!strings.Contains(line, "issuer="+issA) || !strings.Contains(line, "sub=sub-gail") || !strings.Contains(line, "claim=roles") {
			t.Fatalf("%s: log %q; want one Info line with issuer, sub and claim name", tc.name, line)
		}
		for _, secret := range []string{"Admins", "Gail Secret", "Sales"} {
			if strings.Contains(line, secret) {
				t.Fatalf("%s: log %q contains the claim value %q", tc.name, line, secret)
			}
		}
	}
}

// TestMatcherCreateWithoutGroupsClaim: a new account without the groups
// claim has no groups.
func TestMatcherCreateWithoutGroupsClaim(t *testing.T) {
	store := NewMemoryUserStore()
	m := newMatcherT(t, MatcherConfig{Store: store, CreateUsers: true, GroupsClaim: "groups", SyncGroups: true})
	u, err := m.Match(context.Background(), identity(issA, "sub-new", map[string]any{"preferred_username": "new"}, "preferred_username", ""))
	if err != nil || len(u.Groups) != 0 {
		t.Fatalf("Match = %+v, %v; want a new account without groups", u, err)
	}
}

// TestMatcherCreateEmailUsernameNeedsVerifiedEmail: with the username claim
// being the email, CreateUsers refuses an unverified address rather than
// naming the account after the subject.
func TestMatcherCreateEmailUsernameNeedsVerifiedEmail(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		usernameClaim, emailClaim string
		claims                    map[string]any
		wantErr                   error
		wantUsername              string
	}{
		{"email unverified", "email", "", map[string]any{"email": "new@example.com"}, ErrUnverifiedEmail, ""},
		{"email_verified false", "email", "email", map[string]any{"email": "new@example.com", "email_verified": false}, ErrUnverifiedEmail, ""},
		{"mapped email claim unverified", "mail", "mail", map[string]any{"mail": "new@example.com"}, ErrUnverifiedEmail, ""},
		{"email verified", "email", "email", map[string]any{"email": "new@example.com", "email_verified": true}, nil, "new@example.com"},
		{"entra verified", "email", "", map[string]any{"email": "new@example.com", "xms_edov": true}, nil, "new@example.com"},
		{"not an email claim", "preferred_username", "email", map[string]any{"preferred_username": "newbie", "email": "new@example.com"}, nil, "newbie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewMemoryUserStore()
			m := newMatcherT(t, MatcherConfig{Store: store, AutoLink: true, CreateUsers: true})
			u, err := m.Match(context.Background(), identity(issA, "sub-new", tc.claims, tc.usernameClaim, tc.emailClaim))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || u != nil || store.Len() != 0 {
					t.Fatalf("Match = %+v, %v with %d accounts; want %v and none", u, err, store.Len(), tc.wantErr)
				}
				return
			}
			if err != nil || u.Username != tc.wantUsername || store.Len() != 1 {
				t.Fatalf("Match = %+v, %v; want an account named %q", u, err, tc.wantUsername)
			}
		})
	}
}
