package sqlstore

import (
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/oidcrp/rp"
)

// userColumns are the columns of users (aliased u) that scanUser reads, in
// its order.
const userColumns = `u.id, u.username, u.email, u.name, u.given_name, u.family_name, u.phone_number, u.admin, u.groups_json, u.attributes_json`

// scanUser reads one row of userColumns. A groups or attributes column
// that is not the JSON this package writes fails: the row is not trusted.
func scanUser(sc scanner) (*rp.User, error) {
	var (
		u             rp.User
		admin         int64
		groups, attrs string
	)
	if err := sc.Scan(&u.ID, &u.Username, &u.Email, &u.Name, &u.GivenName, &u.FamilyName, &u.PhoneNumber,
		&admin, &groups, &attrs); err != nil {
		return nil, err
	}
	// Anything but 0 is an administrator: a damaged row errs on the side
	// the matcher refuses by default.
	u.Admin = admin != 0
	if err := json.Unmarshal([]byte(groups), &u.Groups); err != nil {
		return nil, fmt.Errorf("user %q: groups column does not decode: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(attrs), &u.Attributes); err != nil {
		return nil, fmt.Errorf("user %q: attributes column does not decode: %w", u.ID, err)
	}
	if len(u.Groups) == 0 {
		u.Groups = nil
	}
	if len(u.Attributes) == 0 {
		u.Attributes = nil
	}
	return &u, nil
}

// userRow is the columns of a user as written.
type userRow struct {
	usernameNorm, emailNorm sql.NullString
	groups, attrs           string
}

// encodeUser checks that u's indexed values can be stored and returns its
// derived columns.
func encodeUser(u *rp.User) (userRow, error) {
	for _, v := range []string{u.ID, u.Username, u.Email} {
		if !storable(v) {
			return userRow{}, errNotStorable
		}
	}
	for _, v := range []string{u.Name, u.GivenName, u.FamilyName, u.PhoneNumber} {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return userRow{}, errNotStorable
		}
	}
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	g, err := json.Marshal(groups)
	if err != nil {
		return userRow{}, err
	}
	attrs := u.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	a, err := json.Marshal(attrs)
	if err != nil {
		return userRow{}, err
	}
	return userRow{
		usernameNorm: normColumn(u.Username),
		emailNorm:    normColumn(u.Email),
		groups:       string(g),
		attrs:        string(a),
	}, nil
}

// normColumn is the value of username_norm or email_norm for v: its
// normal form, NULL when that is "" (an identifier that matches nothing
// collides with nothing either).
func normColumn(v string) sql.NullString {
	n := rp.NormalizeIdentifier(v)
	return sql.NullString{String: n, Valid: n != ""}
}

// errNotStorable: a value the store does not keep (see UserStore).
var errNotStorable = fmt.Errorf("a value is not valid UTF-8 text without NUL of at most %d bytes", MaxKeyLength)

// storable reports whether v can be an indexed value: valid UTF-8, no NUL
// (PostgreSQL text cannot hold one), at most MaxKeyLength bytes.
func storable(v string) bool {
	return len(v) <= MaxKeyLength && utf8.ValidString(v) && strings.IndexByte(v, 0) < 0
}

// newUserID returns a new random account ID: 128 bits, base32.
func newUserID() string { return "u" + strings.ToLower(rand.Text()) }

// uniqueViolation reports whether err is the database refusing a row for a
// UNIQUE or PRIMARY KEY constraint: SQLSTATE 23505 on PostgreSQL (pgx and
// lib/pq errors have a SQLState method), the extended codes
// SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555)
// on SQLite (modernc.org/sqlite errors have a Code method), and failing
// those, the message either prints.
func uniqueViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		c := lite.Code()
		return c == 2067 || c == 1555
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") || strings.Contains(m, "SQLSTATE 23505")
}
