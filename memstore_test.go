package rp

import (
	"context"
	"errors"
	"testing"
)

func TestMemoryStoreContract(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryUserStoreWith(User{ID: "a", Username: "Ann", Email: "ann@example.com", Admin: true})
	if _, err := s.UserByUsername(ctx, "ANN"); err != nil {
		t.Errorf("UserByUsername ignoring case: %v", err)
	}
	if _, err := s.UserByUsername(ctx, "ann "); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("UserByUsername with a trailing space = %v; want ErrUserNotFound", err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("UserByEmail unknown = %v", err)
	}
	if err := s.LinkSubject(ctx, "a", issA, "s1"); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkSubject(ctx, "a", issA, "s1"); err != nil {
		t.Errorf("relinking the same pair = %v; want nil", err)
	}
	if err := s.LinkSubject(ctx, "a", issA, "s2"); !errors.Is(err, ErrSubjectConflict) {
		t.Errorf("second subject at one issuer = %v; want ErrSubjectConflict", err)
	}
	if err := s.LinkSubject(ctx, "a", issB, "s1"); err != nil {
		t.Errorf("same subject at another issuer = %v; want nil", err)
	}
	if _, err := s.CreateUser(ctx, &User{Username: "bob"}, issA, "s1"); !errors.Is(err, ErrSubjectConflict) {
		t.Errorf("CreateUser with a linked subject = %v; want ErrSubjectConflict", err)
	}
	if _, err := s.CreateUser(ctx, &User{Username: "x", Email: "ANN@example.com"}, issA, "s3"); !errors.Is(err, ErrUserExists) {
		t.Errorf("CreateUser with a taken email = %v; want ErrUserExists", err)
	}
	if s.Len() != 1 {
		t.Fatalf("failed creations left %d users", s.Len())
	}
	u, err := s.UserBySubject(ctx, issA, "s1")
	if err != nil {
		t.Fatal(err)
	}
	u.Username, u.Admin, u.Name = "mallory", false, "Ann A"
	u.Groups = append(u.Groups, "x")
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got := s.User("a")
	if got.Username != "Ann" || !got.Admin || got.Name != "Ann A" {
		t.Errorf("UpdateUser changed username/admin or lost the name: %+v", got)
	}
	got.Groups[0] = "changed"
	if s.User("a").Groups[0] != "x" {
		t.Error("a returned copy aliases the stored user")
	}
}
