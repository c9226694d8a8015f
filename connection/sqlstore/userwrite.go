package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"

	"github.com/oidcrp/rp"
)

// userTx are the options of the PostgreSQL transactions of UserStore:
// READ COMMITTED whatever the server's default, so that a statement that
// waited for a concurrent transaction to commit, and the statements after
// it, see what that transaction wrote.
var userTx = &sql.TxOptions{Isolation: sql.LevelReadCommitted}

// LinkSubject implements rp.UserStore: it links subject at issuer to the
// user with userID, atomically. It fails with rp.ErrUserNotFound when there
// is no such user, with rp.ErrSubjectConflict when the subject is linked to
// another user or the user to another subject at issuer (a concurrent link
// included), and succeeds, changing nothing, when the pair is already
// linked.
func (s *UserStore) LinkSubject(ctx context.Context, userID, issuer, subject string) error {
	if !storable(userID) {
		return rp.ErrUserNotFound
	}
	if !storable(issuer) || !storable(subject) {
		return s.fail("LinkSubject", errNotStorable)
	}
	return s.inTxWith(ctx, "LinkSubject", userTx, func(q querier) error {
		var one int
		err := q.QueryRowContext(ctx, s.sql(`SELECT 1 FROM {p}users WHERE id = ?`), userID).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return rp.ErrUserNotFound
		case err != nil:
			return s.fail("LinkSubject: find user", err)
		}
		// A conflict on either constraint inserts nothing (after waiting
		// for a concurrent link of the pair or of the user to commit);
		// then the pair's owner tells success from conflict.
		if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}user_subjects (issuer, subject, user_id, linked_ns)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`), issuer, subject, userID, s.now().UnixNano()); err != nil {
			return s.fail("LinkSubject: insert", err)
		}
		var owner string
		err = q.QueryRowContext(ctx, s.sql(`SELECT user_id FROM {p}user_subjects WHERE issuer = ? AND subject = ?`),
			issuer, subject).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// The user has another subject at issuer.
			return rp.ErrSubjectConflict
		case err != nil:
			return s.fail("LinkSubject: read link", err)
		case owner != userID:
			return rp.ErrSubjectConflict
		}
		return nil
	})
}

// CreateUser implements rp.UserStore: it stores a new account from u, with
// a new ID, linked to subject at issuer, in one transaction. It fails with
// rp.ErrSubjectConflict when the subject is linked already (checked first:
// it is how a concurrent first login of the same person loses), and with
// rp.ErrUserExists when another account has u's username or email by
// rp.SameIdentifier; either way nothing is created. u's ID is ignored and
// u itself is not changed; every other field is stored, Admin included.
func (s *UserStore) CreateUser(ctx context.Context, u *rp.User, issuer, subject string) (*rp.User, error) {
	if u == nil {
		return nil, s.fail("CreateUser", errors.New("nil user"))
	}
	if !storable(issuer) || !storable(subject) {
		return nil, s.fail("CreateUser", errNotStorable)
	}
	nu := cloneUser(u)
	nu.ID = newUserID()
	row, err := encodeUser(nu)
	if err != nil {
		return nil, s.fail("CreateUser", err)
	}
	err = s.inTxWith(ctx, "CreateUser", userTx, func(q querier) error {
		now := s.now().UnixNano()
		// The subject first: the foreign key is checked at commit.
		res, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}user_subjects (issuer, subject, user_id, linked_ns)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`), issuer, subject, nu.ID, now)
		if err != nil {
			return s.fail("CreateUser: link", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.fail("CreateUser: link", err)
		} else if n == 0 {
			return rp.ErrSubjectConflict
		}
		return s.insertUser(ctx, q, "CreateUser", nu, row, now)
	})
	if err != nil {
		return nil, err
	}
	return cloneUser(nu), nil
}

// AddUser stores u as a new account linked to no subject, such as the
// application's administrator or a user who signs in with a password, and
// returns the stored copy. u.ID is kept when set, otherwise a new one is
// chosen. It fails with rp.ErrUserExists when the ID is taken or another
// account has u's username or email by rp.SameIdentifier, and then stores
// nothing; a database failure wraps rp.ErrStore.
func (s *UserStore) AddUser(ctx context.Context, u rp.User) (*rp.User, error) {
	nu := cloneUser(&u)
	if nu.ID == "" {
		nu.ID = newUserID()
	}
	row, err := encodeUser(nu)
	if err != nil {
		return nil, s.fail("AddUser", err)
	}
	err = s.inTxWith(ctx, "AddUser", userTx, func(q querier) error {
		return s.insertUser(ctx, q, "AddUser", nu, row, s.now().UnixNano())
	})
	if err != nil {
		return nil, err
	}
	return cloneUser(nu), nil
}

// insertUser inserts u, or fails with rp.ErrUserExists when one of the
// users constraints (ID, username_norm, email_norm) refuses it, after a
// concurrent insert of the same values has committed.
func (s *UserStore) insertUser(ctx context.Context, q querier, op string, u *rp.User, row userRow, now int64) error {
	admin := 0
	if u.Admin {
		admin = 1
	}
	res, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}users (id, username, username_norm, email, email_norm,
			name, given_name, family_name, phone_number, admin, groups_json, attributes_json, created_ns, updated_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		u.ID, u.Username, row.usernameNorm, u.Email, row.emailNorm,
		u.Name, u.GivenName, u.FamilyName, u.PhoneNumber, admin, row.groups, row.attrs, now, now)
	if err != nil {
		return s.fail(op+": insert", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(op+": insert", err)
	} else if n == 0 {
		return rp.ErrUserExists
	}
	return nil
}

// UpdateUser implements rp.UserStore: it saves u's email, profile fields,
// Groups and Attributes on the account with u.ID, never its ID, Username
// or Admin. It fails with rp.ErrUserNotFound when there is no such account
// and with rp.ErrUserExists when another account has the new email by
// rp.SameIdentifier (the email column is unique); either way nothing
// changes.
func (s *UserStore) UpdateUser(ctx context.Context, u *rp.User) error {
	if u == nil {
		return s.fail("UpdateUser", errors.New("nil user"))
	}
	if !storable(u.ID) {
		return rp.ErrUserNotFound
	}
	// Username is not written; encode it as stored so it is not checked.
	row, err := encodeUser(&rp.User{ID: u.ID, Email: u.Email, Name: u.Name, GivenName: u.GivenName,
		FamilyName: u.FamilyName, PhoneNumber: u.PhoneNumber, Groups: u.Groups, Attributes: u.Attributes})
	if err != nil {
		return s.fail("UpdateUser", err)
	}
	res, err := s.db.ExecContext(ctx, s.sql(`UPDATE {p}users SET email = ?, email_norm = ?, name = ?, given_name = ?,
			family_name = ?, phone_number = ?, groups_json = ?, attributes_json = ?, updated_ns = ?
		WHERE id = ?`),
		u.Email, row.emailNorm, u.Name, u.GivenName, u.FamilyName, u.PhoneNumber, row.groups, row.attrs,
		s.now().UnixNano(), u.ID)
	switch {
	case err != nil && uniqueViolation(err):
		return rp.ErrUserExists
	case err != nil:
		return s.fail("UpdateUser", err)
	}
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return s.fail("UpdateUser", err)
	case n == 0:
		return rp.ErrUserNotFound
	}
	return nil
}

// cloneUser returns a copy of u that shares no memory with it.
func cloneUser(u *rp.User) *rp.User {
	c := *u
	c.Groups = slices.Clone(u.Groups)
	c.Attributes = maps.Clone(u.Attributes)
	return &c
}
