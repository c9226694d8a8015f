package admin

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/oidcrp/rp"
)

// placeholderID is the ID a dry run gives the account it would create.
const placeholderID = "(new account)"

// dryRun is a UserStore over the application's that reads through and
// writes nothing: LinkSubject, CreateUser and UpdateUser are recorded, to
// tell the administrator what a sign-in would do.
type dryRun struct {
	users rp.UserStore

	mu      sync.Mutex
	created *rp.User
	links   []dryLink
	updated *rp.User
}

// dryLink is a LinkSubject that was not made.
type dryLink struct{ userID, issuer, subject string }

var _ rp.UserStore = (*dryRun)(nil)

func (d *dryRun) UserBySubject(ctx context.Context, issuer, subject string) (*rp.User, error) {
	return d.users.UserBySubject(ctx, issuer, subject)
}

func (d *dryRun) UserByUsername(ctx context.Context, username string) (*rp.User, error) {
	return d.users.UserByUsername(ctx, username)
}

func (d *dryRun) UserByEmail(ctx context.Context, email string) (*rp.User, error) {
	return d.users.UserByEmail(ctx, email)
}

func (d *dryRun) SubjectOf(ctx context.Context, userID, issuer string) (string, error) {
	return d.users.SubjectOf(ctx, userID, issuer)
}

// LinkSubject records the link and makes none.
func (d *dryRun) LinkSubject(_ context.Context, userID, issuer, subject string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.links = append(d.links, dryLink{userID, issuer, subject})
	return nil
}

// CreateUser records the account and creates none. Like a real store, it
// answers ErrUserExists when the username or email is another account's.
func (d *dryRun) CreateUser(ctx context.Context, u *rp.User, issuer, subject string) (*rp.User, error) {
	for _, find := range []struct {
		f func(context.Context, string) (*rp.User, error)
		v string
	}{{d.users.UserByUsername, u.Username}, {d.users.UserByEmail, u.Email}} {
		if find.v == "" {
			continue
		}
		_, err := find.f(ctx, find.v)
		switch {
		case err == nil, errors.Is(err, rp.ErrAmbiguousUser):
			return nil, rp.ErrUserExists
		case !errors.Is(err, rp.ErrUserNotFound):
			return nil, err
		}
	}
	c := cloneUser(u)
	c.ID = placeholderID
	d.mu.Lock()
	defer d.mu.Unlock()
	d.created = cloneUser(c)
	return c, nil
}

// UpdateUser records the update and makes none.
func (d *dryRun) UpdateUser(_ context.Context, u *rp.User) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.updated = cloneUser(u)
	return nil
}

func cloneUser(u *rp.User) *rp.User {
	c := *u
	c.Groups = slices.Clone(u.Groups)
	c.Attributes = maps.Clone(u.Attributes)
	return &c
}

// preview is the UserMatcher of a test sign-in: it runs the connection's
// matcher over a dryRun and records what it decided, and always lets the
// callback complete, so that the claims can be shown even when the
// matcher would refuse them. It never signs anyone in: the caller starts
// no session.
type preview struct {
	m   *rp.Matcher // nil without Config.Users
	rec *dryRun

	mu   sync.Mutex
	id   *rp.Identity
	user *rp.User
	err  error
	ran  bool
}

// Match implements rp.UserMatcher.
func (p *preview) Match(ctx context.Context, id *rp.Identity) (*rp.User, error) {
	var u *rp.User
	var err error
	if p.m != nil {
		u, err = p.m.Match(ctx, id)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.id, p.user, p.err, p.ran = id, u, err, p.m != nil
	return &rp.User{ID: placeholderID}, nil
}
