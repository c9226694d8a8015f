package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// Put saves in as a new version of its connection, as connection.Store
// documents: in.Version 0 creates the connection (connection.ErrConflict if
// the name exists), any other version must be the latest
// (connection.ErrConflict if another save or a delete came first,
// connection.ErrNotFound if the connection is gone). in is validated first
// (the error is a *rp.ConfigError); an email domain that another
// connection holds fails with connection.ErrDomainTaken. The secret is
// sealed with the Sealer's current key: set, kept from the version the
// edit started from (re-sealed if an older key sealed it), or removed, as
// in.ClientSecret.Action says. A kept secret that does not open fails with
// an error wrapping connection.ErrStore and connection.ErrSealedSecret.
//
// Everything happens in one transaction that also increments the
// revision, sends the PostgreSQL notification, and prunes the versions
// superseded longer than connection.RetainSuperseded ago. A database
// failure wraps connection.ErrStore, and nothing is saved.
func (s *Store) Put(ctx context.Context, in connection.Settings, by string) (connection.Settings, error) {
	if err := in.Validate(); err != nil {
		return connection.Settings{}, err
	}
	in = in.Clone()
	var out connection.Settings
	err := s.inTx(ctx, "put", func(q querier) error {
		rev, err := s.bumpRevision(ctx, q)
		if err != nil {
			return err
		}
		latest, exists, found, err := s.latest(ctx, q, in.Name)
		if err != nil {
			return err
		}
		switch {
		case in.Version == 0 && exists:
			return fmt.Errorf("%w: connection %q exists", connection.ErrConflict, in.Name)
		case in.Version != 0 && !exists:
			return fmt.Errorf("%w: %q", connection.ErrNotFound, in.Name)
		case in.Version != 0 && in.Version != latest:
			return fmt.Errorf("%w: connection %q is at version %d, the edit started from version %d",
				connection.ErrConflict, in.Name, latest, in.Version)
		}

		secret, sealed, err := s.secretFor(ctx, q, in, latest, exists)
		if err != nil {
			return err
		}
		settings, err := encodeSettings(in)
		if err != nil {
			return storeErr("put: encode settings", err)
		}

		now := s.now()
		nowNS := now.UnixNano()
		var version int64
		switch {
		case exists:
			version = latest + 1
			res, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connections SET latest = ? WHERE name = ? AND latest = ? AND deleted = 0`),
				version, in.Name, latest)
			if err := oneRow(res, err, "put: update latest"); err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connection_versions SET superseded_ns = ? WHERE name = ? AND superseded_ns IS NULL`),
				nowNS, in.Name); err != nil {
				return storeErr("put: supersede", err)
			}
		case found:
			// A deleted name keeps its last version number in its
			// tombstone row, so a connection created again never reuses
			// a version a login may still name.
			version = latest + 1
			res, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connections SET latest = ?, deleted = 0 WHERE name = ? AND latest = ? AND deleted = 1`),
				version, in.Name, latest)
			if err := oneRow(res, err, "put: revive"); err != nil {
				return err
			}
		default:
			version = 1
			if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}connections (name, latest, deleted) VALUES (?, ?, 0)`),
				in.Name, version); err != nil {
				return storeErr("put: insert connection", err)
			}
		}
		if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}connection_versions
			(name, version, settings, sealed_secret, secret_key_id, updated_ns, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			in.Name, version, settings, sealed, s.keyID(sealed), nowNS, by); err != nil {
			return storeErr("put: insert version", err)
		}
		if err := s.putDomains(ctx, q, in); err != nil {
			return err
		}
		if err := s.prune(ctx, q, nowNS); err != nil {
			return err
		}
		if err := s.notify(ctx, q, rev); err != nil {
			return err
		}

		out = in
		out.Version = version
		out.Updated = time.Unix(0, nowNS).UTC()
		out.UpdatedBy = by
		out.ClientSecret = connection.ClientSecret{Value: secret, IsSet: sealed != ""}
		return nil
	})
	if err != nil {
		return connection.Settings{}, err
	}
	return out, nil
}

// secretFor returns the secret the new version of in has, in clear and
// sealed with the current key. latest and exists describe the connection
// before the save.
func (s *Store) secretFor(ctx context.Context, q querier, in connection.Settings, latest int64, exists bool) (rp.Secret, string, error) {
	switch in.ClientSecret.Action {
	case connection.SecretSet:
		return in.ClientSecret.Value, s.sealer.Seal(in.Name, in.ClientSecret.Value), nil
	case connection.SecretRemove:
		return "", "", nil
	case connection.SecretKeep, "":
		if !exists {
			return "", "", nil
		}
		var sealed string
		if err := q.QueryRowContext(ctx, s.sql(`SELECT sealed_secret FROM {p}connection_versions WHERE name = ? AND version = ?`),
			in.Name, latest).Scan(&sealed); err != nil {
			return "", "", storeErr("put: read kept secret", err)
		}
		if sealed == "" {
			return "", "", nil
		}
		secret, err := s.sealer.Open(in.Name, sealed)
		if err != nil {
			return "", "", fmt.Errorf("%w: sqlstore: connection %q version %d: kept client secret: %w",
				connection.ErrStore, in.Name, latest, err)
		}
		if !s.sealer.Current(sealed) {
			sealed = s.sealer.Seal(in.Name, secret)
		}
		return secret, sealed, nil
	}
	return "", "", &rp.ConfigError{Problems: []rp.ConfigProblem{{
		Field:   "client_secret",
		Message: fmt.Sprintf("unknown action %q: use keep, set or remove", in.ClientSecret.Action),
	}}}
}

// putDomains gives in.Name exactly in's email domains, failing with
// connection.ErrDomainTaken if another connection holds one. The write
// lock makes the check and the insert one step; the UNIQUE constraint
// backs it.
func (s *Store) putDomains(ctx context.Context, q querier, in connection.Settings) error {
	seen := make(map[string]bool, len(in.EmailDomains))
	var domains []string
	for _, d := range in.EmailDomains {
		key := strings.ToLower(d.Domain)
		if seen[key] {
			continue
		}
		seen[key] = true
		domains = append(domains, key)
		var owner string
		err := q.QueryRowContext(ctx, s.sql(`SELECT name FROM {p}connection_domains WHERE domain = ?`), key).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return storeErr("put: read domains", err)
		case owner != in.Name:
			return fmt.Errorf("%w: %q belongs to connection %q", connection.ErrDomainTaken, d.Domain, owner)
		}
	}
	if _, err := q.ExecContext(ctx, s.sql(`DELETE FROM {p}connection_domains WHERE name = ?`), in.Name); err != nil {
		return storeErr("put: clear domains", err)
	}
	for _, d := range domains {
		if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}connection_domains (domain, name) VALUES (?, ?)`), d, in.Name); err != nil {
			return storeErr("put: insert domain", err)
		}
	}
	return nil
}

// Delete removes the connection name, whose latest version must be version
// (connection.ErrConflict otherwise, connection.ErrNotFound if it does not
// exist): its versions go, its domains are free, and the name keeps only a
// tombstone of its last version number. In one transaction with the
// revision increment and the PostgreSQL notification; a database failure
// wraps connection.ErrStore.
func (s *Store) Delete(ctx context.Context, name string, version int64) error {
	return s.inTx(ctx, "delete", func(q querier) error {
		rev, err := s.bumpRevision(ctx, q)
		if err != nil {
			return err
		}
		latest, exists, _, err := s.latest(ctx, q, name)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%w: %q", connection.ErrNotFound, name)
		}
		if latest != version {
			return fmt.Errorf("%w: connection %q is at version %d, not %d", connection.ErrConflict, name, latest, version)
		}
		res, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connections SET deleted = 1 WHERE name = ? AND latest = ? AND deleted = 0`), name, latest)
		if err := oneRow(res, err, "delete: mark deleted"); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, s.sql(`DELETE FROM {p}connection_domains WHERE name = ?`), name); err != nil {
			return storeErr("delete: domains", err)
		}
		if _, err := q.ExecContext(ctx, s.sql(`DELETE FROM {p}connection_versions WHERE name = ?`), name); err != nil {
			return storeErr("delete: versions", err)
		}
		return s.notify(ctx, q, rev)
	})
}

// bumpRevision increments the revision as a write transaction's first
// statement, which on PostgreSQL takes the store's write lock (the
// revision row's lock) until commit.
func (s *Store) bumpRevision(ctx context.Context, q querier) (int64, error) {
	var rev int64
	if err := q.QueryRowContext(ctx, s.sql(`UPDATE {p}revision SET revision = revision + 1 WHERE id = 1 RETURNING revision`)).Scan(&rev); err != nil {
		return 0, storeErr("bump revision", err)
	}
	return rev, nil
}

// latest returns the latest version of the connection name, whether it
// exists (live), and whether its row was found at all (live or a tombstone
// of a deleted one).
func (s *Store) latest(ctx context.Context, q querier, name string) (latest int64, live, found bool, err error) {
	var deleted int
	err = q.QueryRowContext(ctx, s.sql(`SELECT latest, deleted FROM {p}connections WHERE name = ?`), name).Scan(&latest, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, false, nil
	}
	if err != nil {
		return 0, false, false, storeErr("read latest version", err)
	}
	return latest, deleted == 0, true, nil
}

// prune deletes the versions superseded longer than
// connection.RetainSuperseded before nowNS.
func (s *Store) prune(ctx context.Context, q querier, nowNS int64) error {
	cutoff := nowNS - int64(connection.RetainSuperseded)
	if _, err := q.ExecContext(ctx, s.sql(`DELETE FROM {p}connection_versions WHERE superseded_ns IS NOT NULL AND superseded_ns < ?`), cutoff); err != nil {
		return storeErr("prune superseded versions", err)
	}
	return nil
}

// notify sends, on PostgreSQL, the notification of revision rev on
// Channel(prefix); PostgreSQL delivers it when the transaction commits,
// and not at all if it rolls back.
func (s *Store) notify(ctx context.Context, q querier, rev int64) error {
	if s.dialect != PostgreSQL {
		return nil
	}
	if _, err := q.ExecContext(ctx, s.sql(`SELECT pg_notify(?, ?)`), Channel(s.prefix), strconv.FormatInt(rev, 10)); err != nil {
		return storeErr("notify", err)
	}
	return nil
}

// keyID is the key ID column of a sealed secret: "" for none.
func (s *Store) keyID(sealed string) string {
	if sealed == "" {
		return ""
	}
	return s.sealer.KeyID(sealed)
}

// oneRow checks that a conditional UPDATE changed exactly one row: the
// write lock makes anything else a concurrent change it did not hold
// off, reported as connection.ErrConflict.
func oneRow(res sql.Result, err error, op string) error {
	if err != nil {
		return storeErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return storeErr(op, err)
	}
	if n != 1 {
		return fmt.Errorf("%w: sqlstore: %s: the row changed meanwhile", connection.ErrConflict, op)
	}
	return nil
}
