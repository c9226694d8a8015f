package rp

import "context"

// UserMatcher links the verified claims of a login to a local account. It
// is the seam between the library and the application's users: the
// application supplies its own, or uses the library's default matcher, which
// implements the sub -> username -> email -> upn/unique_name algorithm.
//
// Match is called only with claims that passed every check. It returns the
// local user, or an error when the claims must not sign anyone in; the login
// then fails with that error.
type UserMatcher interface {
	Match(ctx context.Context, claims *Claims) (User, error)
}

// User is a local account as the application knows it.
type User struct {
	// ID is the application's identifier of the account.
	ID string
	// Username is the account's login name.
	Username string
	// Email is the account's email address.
	Email string
}

// UserMatcherFunc adapts a function to UserMatcher.
type UserMatcherFunc func(ctx context.Context, claims *Claims) (User, error)

// Match calls f.
func (f UserMatcherFunc) Match(ctx context.Context, claims *Claims) (User, error) {
	return f(ctx, claims)
}
