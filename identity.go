package rp

import (
	"context"
	"errors"
	"fmt"
)

// UserMatcher links the verified claims of a login to a local account. It
// is the seam between the library and the application's users: set
// Config.Matcher to the library's default (NewMatcher), which implements the
// sub -> username -> email -> upn/unique_name linking algorithm, or to the
// application's own.
//
// Match is called by Callback only with claims that passed every check, the
// ID token's merged with userinfo's. It returns the local user, or an error
// when the claims must not sign anyone in; the login then fails with that
// error and Callback returns no result.
type UserMatcher interface {
	Match(ctx context.Context, id *Identity) (*User, error)
}

// Identity is what a verified login tells the UserMatcher: the claims and
// how the provider's configuration maps them.
type Identity struct {
	// Claims are the verified claims; Claims.Issuer and Claims.Subject
	// together identify the user at the provider.
	Claims *Claims
	// UsernameClaim and EmailClaim are Config.UsernameClaim and
	// Config.EmailClaim of the provider that signed the user in: the names
	// of the claims holding the username and the email, "" when not
	// configured.
	UsernameClaim string
	EmailClaim    string
	// MicrosoftNameClaims reports whether the provider's upn and
	// unique_name claims name the user, so that the default matcher may
	// link by them (step 5). Callback sets it from
	// Config.MicrosoftNameClaims and the provider's issuer: by default true
	// only for Entra ID and AD FS issuers.
	MicrosoftNameClaims bool
}

// UserMatcherFunc adapts a function to UserMatcher.
type UserMatcherFunc func(ctx context.Context, id *Identity) (*User, error)

// Match calls f.
func (f UserMatcherFunc) Match(ctx context.Context, id *Identity) (*User, error) {
	return f(ctx, id)
}

// User is a local account as the matcher and its UserStore see it.
type User struct {
	// ID is the store's identifier of the account; the store assigns it
	// when it creates the user.
	ID string
	// Username is the account's login name, matched by SameIdentifier
	// (ASCII letters ignoring case, otherwise exactly after NFC).
	Username string
	// Email is the account's email address, matched by SameIdentifier.
	Email string
	// Profile fields, filled at creation and, with Sync, on each login.
	Name        string
	GivenName   string
	FamilyName  string
	PhoneNumber string
	// Groups are the application's roles or teams of the user.
	Groups []string
	// Admin marks an administrator; the default matcher refuses to sign
	// administrators in through OpenID Connect unless AllowAdmins is set.
	Admin bool
	// Attributes hold custom profile fields mapped from claims
	// (MatcherConfig.AttributeClaims).
	Attributes map[string]string
}

// UserStore is the application's user database as the default matcher
// needs it. Implementations must be safe for concurrent use.
//
// Lookups return ErrUserNotFound when no user matches, ErrAmbiguousUser when
// more than one does, and any other error for a failure of the store itself;
// the matcher never mistakes a store failure for "not found".
//
// Usernames and emails are compared with SameIdentifier: equal after
// NormalizeIdentifier (NFC, ASCII letters lower-cased, nothing trimmed), and
// an identifier whose normal form is "" never matches. Do not use
// strings.EqualFold or a case-insensitive SQL collation: they fold "ſ" to
// "s" and the Kelvin sign to "k", linking look-alike names to an existing
// account. A database-backed store keeps NormalizeIdentifier(Username) and
// NormalizeIdentifier(Email) in columns with unique indexes (NULL for "")
// and queries them with NormalizeIdentifier of the value asked for.
type UserStore interface {
	// UserBySubject returns the user linked to subject at issuer by an
	// earlier LinkSubject or CreateUser. A subject is only unique per
	// issuer: the same sub from two issuers names two different people.
	UserBySubject(ctx context.Context, issuer, subject string) (*User, error)

	// UserByUsername returns the user whose Username is
	// SameIdentifier(Username, username); ErrUserNotFound when
	// NormalizeIdentifier(username) is "".
	UserByUsername(ctx context.Context, username string) (*User, error)

	// UserByEmail returns the user whose Email is SameIdentifier(Email,
	// email); ErrUserNotFound when NormalizeIdentifier(email) is "".
	UserByEmail(ctx context.Context, email string) (*User, error)

	// SubjectOf returns the subject linked to the user at issuer, or ""
	// and a nil error when the user has none there.
	SubjectOf(ctx context.Context, userID, issuer string) (string, error)

	// LinkSubject links subject at issuer to the user, so UserBySubject
	// finds the user next time. It must be atomic: when the user already
	// has a different subject at issuer, or the subject is linked to
	// another user, it returns ErrSubjectConflict and changes nothing.
	// Linking a pair that is already linked succeeds; an unknown userID is
	// ErrUserNotFound.
	LinkSubject(ctx context.Context, userID, issuer, subject string) error

	// CreateUser stores a new user linked to subject at issuer and returns
	// it with its ID set. It must be atomic: when the subject is already
	// linked to a user it returns ErrSubjectConflict (two first logins of
	// one person raced; the matcher then finds the winner's user), and
	// when another user has the same Username or Email (by
	// SameIdentifier) it returns ErrUserExists (ErrSubjectConflict first,
	// when both hold); in both cases it creates nothing.
	CreateUser(ctx context.Context, u *User, issuer, subject string) (*User, error)

	// UpdateUser saves the profile fields, Groups and Attributes of the
	// user with u.ID (ErrUserNotFound when there is none). It must not
	// change ID, Username or Admin.
	UpdateUser(ctx context.Context, u *User) error
}

// Outcomes of matching that callers tell apart with errors.Is.
var (
	// ErrUserNotFound is what a UserStore returns when no user matches.
	ErrUserNotFound = errors.New("rp: user not found")
	// ErrAmbiguousUser: a lookup matched several users, so none is chosen.
	ErrAmbiguousUser = errors.New("rp: more than one user matches")
	// ErrNoLocalAccount: no local account matches the claims and none may be
	// created.
	ErrNoLocalAccount = errors.New("rp: no local account for this user")
	// ErrUnverifiedEmail: an email claim would have linked an existing
	// account, or named a new one, but the provider does not vouch for the
	// address.
	ErrUnverifiedEmail = errors.New("rp: email address not verified by the provider; it cannot link an account")
	// ErrSubjectConflict: the matching account is already linked to a
	// different subject of this issuer (or the subject to another account).
	ErrSubjectConflict = errors.New("rp: account already linked to another identity at this provider")
	// ErrAdminRefused: the account is an administrator and administrators
	// may not sign in with OpenID Connect.
	ErrAdminRefused = errors.New("rp: administrators may not sign in with this provider")
	// ErrUserExists: a new account could not be created because its
	// username or email belongs to another account.
	ErrUserExists = errors.New("rp: an account with this username or email already exists")
	// ErrStore is matched by every *StoreError.
	ErrStore = errors.New("rp: user store failed")
)

// StoreError is a failure of the UserStore itself (not "not found").
type StoreError struct {
	Op  string // the UserStore method that failed
	Err error
}

func (e *StoreError) Error() string { return fmt.Sprintf("rp: user store %s: %v", e.Op, e.Err) }

// Is matches ErrStore.
func (e *StoreError) Is(target error) bool { return target == ErrStore }

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }
