package rp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
)

// MatcherConfig configures the default UserMatcher. Every option is off by
// default: the zero value (with a Store) signs in only users whose subject
// is already linked.
type MatcherConfig struct {
	// Store is the application's user database. Required.
	Store UserStore

	// AutoLink lets a login whose subject is not yet linked find an
	// existing account by username, email, upn or unique_name (steps 3 to
	// 5 of the algorithm) and link it. Values are compared with
	// SameIdentifier. Off: only linked subjects (and, with
	// CreateUsers, new accounts) sign in.
	AutoLink bool

	// CreateUsers creates an account on first login when nothing matched
	// (just-in-time provisioning), from the mapped claims, linked to the
	// login's subject. The new account is never an administrator. Its
	// username is the username claim's value; when that claim is absent,
	// the verified email's; when that is absent too, the subject. A
	// username claim that holds an email ("email" or the mapped email
	// claim) must be verified: otherwise the login fails with
	// ErrUnverifiedEmail and nothing is created. A username that
	// NormalizeIdentifier rejects fails with ErrNoLocalAccount.
	CreateUsers bool

	// OnlyKnownUsers admits only accounts that already exist: nothing is
	// ever created, whatever CreateUsers says.
	OnlyKnownUsers bool

	// SyncProfile copies name, given and family name, phone number, a
	// verified email and the AttributeClaims from the claims to the
	// account on every login.
	SyncProfile bool

	// GroupsClaim names the claim listing the user's groups (e.g.
	// "groups" or "roles"). Groups are set when an account is created and,
	// with SyncGroups, on every login.
	GroupsClaim string

	// GroupMapping translates the provider's group ids or names to the
	// application's roles or teams. When nil, groups are taken as sent;
	// when non-nil, groups missing from it are dropped.
	GroupMapping map[string]string

	// SyncGroups replaces the account's groups with the mapped groups of
	// the claims on every login where the groups claim is present: an empty
	// list (or JSON null, or a value that is not a string or a list)
	// clears them, while a login without the claim at all leaves them as
	// they are and is logged at Info level. Entra, for one, leaves groups
	// out of a token when a user has too many.
	SyncGroups bool

	// AllowAdmins lets accounts flagged Admin sign in through OpenID
	// Connect. Off: they must use the application's own sign-in.
	AllowAdmins bool

	// AttributeClaims maps custom account attributes to claim names, e.g.
	// {"department": "department", "employee_id": "extension_EmployeeId"}.
	// String claims are copied at creation and, with SyncProfile, on every
	// login.
	AttributeClaims map[string]string

	// TrustUnverifiedEmailsFrom lists issuers whose email claims count as
	// verified even without email_verified (or Entra's xms_edov).
	//
	// DANGER: this turns the email claim into a password. Anyone who can
	// make such an issuer put an address into their token (a guest in
	// a multi-tenant Entra app, a user who may edit their own profile
	// email, an administrator of any tenant the issuer accepts) signs in as
	// the local account with that address. Use it only for an issuer
	// whose every email is set by an administrator you trust, such as a
	// single-tenant directory whose users cannot change their mail
	// attribute, and prefer linking by sub or a username claim instead.
	TrustUnverifiedEmailsFrom []string

	// Logger receives the matcher's notes about logins, such as a groups
	// claim missing under SyncGroups; they name the issuer, the subject and
	// claim names, never claim values. Default: discard.
	Logger *slog.Logger
}

// Matcher is the default UserMatcher. It implements the linking algorithm:
//
//  1. find the account linked to the login's issuer and subject;
//  2. if none and AutoLink is off, stop: ErrNoLocalAccount (or create one
//     with CreateUsers);
//  3. if a username claim is mapped, find the account by its value;
//  4. if none yet and an email claim is mapped, find the account by its
//     value, only when the provider verified the email (email_verified
//     true, or Entra's xms_edov true); an unverified email that names an
//     existing account fails with ErrUnverifiedEmail;
//  5. if neither claim is mapped and Identity.MicrosoftNameClaims is set
//     (by default only for Entra ID and AD FS issuers, see
//     Config.MicrosoftNameClaims), find the account by upn, then by
//     unique_name, each first as a username and then as an email, the
//     email under the same verification rule as step 4;
//  6. an account already linked to a different subject of this issuer is
//     refused with ErrSubjectConflict, never relinked;
//  7. link the subject to the account for next time.
//
// Usernames and emails are compared with SameIdentifier: ASCII letters
// ignoring case, everything else exactly after NFC, so "ſam" or a Kelvin
// sign never stand for "sam" or "k"; claim values NormalizeIdentifier
// rejects are not looked up. A username claim that is itself an email
// claim ("email", or the mapped email claim) needs a verified email just as
// step 4 does, also to name a new account. Administrators
// are refused with ErrAdminRefused unless AllowAdmins is set. When nothing
// matched, CreateUsers creates an account unless OnlyKnownUsers is set;
// otherwise the result is ErrNoLocalAccount.
type Matcher struct {
	cfg MatcherConfig
}

// NewMatcher returns the default matcher for cfg. It fails when cfg has no
// Store.
func NewMatcher(cfg MatcherConfig) (*Matcher, error) {
	if cfg.Store == nil {
		return nil, errors.New("rp: MatcherConfig.Store is required")
	}
	cfg.GroupMapping = maps.Clone(cfg.GroupMapping)
	cfg.AttributeClaims = maps.Clone(cfg.AttributeClaims)
	cfg.TrustUnverifiedEmailsFrom = slices.Clone(cfg.TrustUnverifiedEmailsFrom)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Matcher{cfg: cfg}, nil
}

// Match finds, links or creates the account of id, as the Matcher doc
// describes. Store failures come back as *StoreError, never as
// ErrNoLocalAccount.
func (m *Matcher) Match(ctx context.Context, id *Identity) (*User, error) {
	c := id.Claims
	if c == nil || c.Issuer == "" || c.Subject == "" {
		return nil, fmt.Errorf("%w: the claims lack iss or sub", ErrNoLocalAccount)
	}
	u, err := m.cfg.Store.UserBySubject(ctx, c.Issuer, c.Subject)
	switch {
	case err == nil:
		return m.signIn(ctx, u, id)
	case !errors.Is(err, ErrUserNotFound):
		return nil, &StoreError{Op: "UserBySubject", Err: err}
	}
	if m.cfg.AutoLink {
		u, err := m.findCandidate(ctx, id)
		if err != nil {
			return nil, err
		}
		if u != nil {
			return m.link(ctx, u, id)
		}
	}
	if !m.cfg.CreateUsers || m.cfg.OnlyKnownUsers {
		return nil, ErrNoLocalAccount
	}
	return m.create(ctx, id)
}

// findCandidate runs steps 3 to 5: the account the claims name, or nil.
func (m *Matcher) findCandidate(ctx context.Context, id *Identity) (*User, error) {
	c := id.Claims
	verified := m.emailVerified(c)
	if v, ok := identifierClaim(c, id.UsernameClaim); ok {
		u, err := m.lookup(ctx, "UserByUsername", m.cfg.Store.UserByUsername, v)
		if err != nil || u != nil {
			if err == nil && isEmailClaim(id.UsernameClaim, id) && !verified {
				return nil, ErrUnverifiedEmail
			}
			return u, err
		}
	}
	if v, ok := identifierClaim(c, id.EmailClaim); ok {
		if u, err := m.byEmail(ctx, v, verified); err != nil || u != nil {
			return u, err
		}
	}
	if id.MicrosoftNameClaims && id.UsernameClaim == "" && id.EmailClaim == "" {
		for _, claim := range []string{"upn", "unique_name"} {
			v, ok := identifierClaim(c, claim)
			if !ok {
				continue
			}
			if u, err := m.lookup(ctx, "UserByUsername", m.cfg.Store.UserByUsername, v); err != nil || u != nil {
				return u, err
			}
			if u, err := m.byEmail(ctx, v, verified); err != nil || u != nil {
				return u, err
			}
		}
	}
	return nil, nil
}

// byEmail finds the account whose email is v. An account found by an
// email the provider does not vouch for is refused with ErrUnverifiedEmail.
func (m *Matcher) byEmail(ctx context.Context, v string, verified bool) (*User, error) {
	u, err := m.lookup(ctx, "UserByEmail", m.cfg.Store.UserByEmail, v)
	if err == nil && u != nil && !verified {
		return nil, ErrUnverifiedEmail
	}
	return u, err
}

// identifierClaim returns the claim called name when it is a string that
// can identify someone (NormalizeIdentifier is not empty). An unmapped
// claim (name "") is never read.
func identifierClaim(c *Claims, name string) (string, bool) {
	if name == "" {
		return "", false
	}
	v, ok := c.String(name)
	if !ok || NormalizeIdentifier(v) == "" {
		return "", false
	}
	return v, true
}

// lookup calls a store finder, turning ErrUserNotFound into (nil, nil) and
// other failures into a *StoreError. ErrAmbiguousUser is returned as is:
// several accounts match, so none may be chosen.
func (m *Matcher) lookup(ctx context.Context, op string, find func(context.Context, string) (*User, error), v string) (*User, error) {
	u, err := find(ctx, v)
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, ErrUserNotFound):
		return nil, nil
	case errors.Is(err, ErrAmbiguousUser):
		return nil, err
	}
	return nil, &StoreError{Op: op, Err: err}
}

// link runs steps 6 and 7 for an account found by its claims.
func (m *Matcher) link(ctx context.Context, u *User, id *Identity) (*User, error) {
	if u.Admin && !m.cfg.AllowAdmins {
		return nil, ErrAdminRefused
	}
	c := id.Claims
	linked, err := m.cfg.Store.SubjectOf(ctx, u.ID, c.Issuer)
	if err != nil {
		return nil, &StoreError{Op: "SubjectOf", Err: err}
	}
	if linked != "" && linked != c.Subject {
		return nil, ErrSubjectConflict
	}
	if err := m.cfg.Store.LinkSubject(ctx, u.ID, c.Issuer, c.Subject); err != nil {
		if errors.Is(err, ErrSubjectConflict) {
			return nil, ErrSubjectConflict
		}
		return nil, &StoreError{Op: "LinkSubject", Err: err}
	}
	return m.signIn(ctx, u, id)
}

// create provisions a new account for id.
func (m *Matcher) create(ctx context.Context, id *Identity) (*User, error) {
	c := id.Claims
	verified := m.emailVerified(c)
	u := &User{Username: c.Subject}
	if v, ok := c.String(id.UsernameClaim); ok && id.UsernameClaim != "" {
		if isEmailClaim(id.UsernameClaim, id) && !verified {
			// The account would be named after an address nobody vouches
			// for, or, silently, after the subject: refuse both.
			return nil, ErrUnverifiedEmail
		}
		u.Username = v
	} else if v, ok := c.String(id.EmailClaim); ok && id.EmailClaim != "" && verified {
		u.Username = v
	}
	if NormalizeIdentifier(u.Username) == "" {
		return nil, fmt.Errorf("%w: the new account's username is not a usable identifier", ErrNoLocalAccount)
	}
	m.applyProfile(u, id)
	u.Groups = m.groups(c)
	created, err := m.cfg.Store.CreateUser(ctx, u, c.Issuer, c.Subject)
	switch {
	case err == nil:
		return created, nil
	case errors.Is(err, ErrSubjectConflict):
		// A concurrent first login of the same person won the race: use
		// the account it created.
		u, err := m.cfg.Store.UserBySubject(ctx, c.Issuer, c.Subject)
		if err != nil {
			return nil, &StoreError{Op: "UserBySubject", Err: err}
		}
		return m.signIn(ctx, u, id)
	case errors.Is(err, ErrUserExists):
		return nil, ErrUserExists
	}
	return nil, &StoreError{Op: "CreateUser", Err: err}
}

// signIn applies the admin rule and the sync options to a matched account.
func (m *Matcher) signIn(ctx context.Context, u *User, id *Identity) (*User, error) {
	if u.Admin && !m.cfg.AllowAdmins {
		return nil, ErrAdminRefused
	}
	syncGroups := m.cfg.SyncGroups && m.cfg.GroupsClaim != ""
	if _, present := id.Claims.Get(m.cfg.GroupsClaim); syncGroups && !present {
		// Absent is not empty: the provider did not say (Entra leaves the
		// groups out when there are too many), so keep what we know.
		m.cfg.Logger.Info("rp: groups claim absent from the login; account groups left unchanged",
			"issuer", id.Claims.Issuer, "sub", id.Claims.Subject, "claim", m.cfg.GroupsClaim)
		syncGroups = false
	}
	if !m.cfg.SyncProfile && !syncGroups {
		return u, nil
	}
	updated := *u
	updated.Groups = slices.Clone(u.Groups)
	updated.Attributes = maps.Clone(u.Attributes)
	if m.cfg.SyncProfile {
		m.applyProfile(&updated, id)
	}
	if syncGroups {
		updated.Groups = m.groups(id.Claims)
	}
	if err := m.cfg.Store.UpdateUser(ctx, &updated); err != nil {
		return nil, &StoreError{Op: "UpdateUser", Err: err}
	}
	return &updated, nil
}

// applyProfile copies profile claims to u. Only present claims overwrite;
// an unverified email is never stored.
func (m *Matcher) applyProfile(u *User, id *Identity) {
	c := id.Claims
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&u.Name, c.Name)
	set(&u.GivenName, c.GivenName)
	set(&u.FamilyName, c.FamilyName)
	set(&u.PhoneNumber, c.PhoneNumber)
	if m.emailVerified(c) {
		emailClaim := id.EmailClaim
		if emailClaim == "" {
			emailClaim = "email"
		}
		if v, ok := c.String(emailClaim); ok {
			u.Email = v
		}
	}
	for attr, claim := range m.cfg.AttributeClaims {
		if v, ok := c.String(claim); ok {
			if u.Attributes == nil {
				u.Attributes = make(map[string]string)
			}
			u.Attributes[attr] = v
		}
	}
}

// groups returns the mapped groups of the claims, sorted and unique.
func (m *Matcher) groups(c *Claims) []string {
	if m.cfg.GroupsClaim == "" {
		return nil
	}
	var out []string
	for _, g := range c.Strings(m.cfg.GroupsClaim) {
		if m.cfg.GroupMapping != nil {
			mapped, ok := m.cfg.GroupMapping[g]
			if !ok {
				continue
			}
			g = mapped
		}
		out = append(out, g)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// emailVerified reports whether the provider vouches for the email claims
// of c: email_verified true, Entra's xms_edov true, or an issuer the
// configuration trusts.
func (m *Matcher) emailVerified(c *Claims) bool {
	return c.EmailVerified || c.Bool("xms_edov") || slices.Contains(m.cfg.TrustUnverifiedEmailsFrom, c.Issuer)
}

// isEmailClaim reports whether claim holds an email address: "email" or the
// provider's mapped email claim.
func isEmailClaim(claim string, id *Identity) bool {
	return claim == "email" || (id.EmailClaim != "" && claim == id.EmailClaim)
}
