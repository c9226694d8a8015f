package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oidcrp/rp/connection"
)

// Put saves in as a new version of its connection, as connection.Store
// documents and connection.NextVersion decides: in.Version 0 creates the
// connection (connection.ErrConflict if the name exists), any other
// version must be the latest (connection.ErrConflict if another save or a
// delete came first, connection.ErrNotFound if the connection is gone); a
// name created again after a delete continues its version numbers. in is
// validated first (the error is a *rp.ConfigError); an email domain that
// another connection holds fails with connection.ErrDomainTaken. The
// secret, set, kept from the version the edit started from, or removed as
// in.ClientSecret.Action says, is sealed with the Sealer's current key. A
// kept secret that does not open fails with an error wrapping
// connection.ErrStore and connection.ErrSealedSecret (setting a new one
// repairs the connection).
//
// Everything happens in one transaction that also increments the
// revision, sends the PostgreSQL notification, and prunes the versions
// superseded longer than connection.RetainSuperseded ago. A database
// failure wraps connection.ErrStore, and nothing is saved.
func (s *Store) Put(ctx context.Context, in connection.Settings, by string) (connection.Settings, error) {
	if err := in.Validate(); err != nil {
		return connection.Settings{}, err
	}
	var out connection.Settings
	err := s.inTx(ctx, "put", func(q querier) error {
		rev, err := s.bumpRevision(ctx, q)
		if err != nil {
			return err
		}
		latestVersion, live, found, err := s.latest(ctx, q, in.Name)
		if err != nil {
			return err
		}
		// A deleted name keeps its last version number in its tombstone
		// row, so a connection created again never reuses a version a
		// login may still name.
		var lastVersion int64
		if found {
			lastVersion = latestVersion
		}
		var latest *connection.Settings
		if live {
			l, err := s.latestForPut(ctx, q, in, latestVersion)
			if err != nil {
				return err
			}
			latest = &l
		}
		// The time as the database keeps it, so Put returns what Get will.
		now := time.Unix(0, s.now().UnixNano()).UTC()
		next, err := connection.NextVersion(latest, lastVersion, in, by, now)
		if err != nil {
			return err
		}
		sealed := s.sealer.Seal(next.Name, next.ClientSecret.Value)
		settings, err := encodeSettings(next)
		if err != nil {
			return storeErr("put: encode settings", err)
		}

		switch {
		case live:
			res, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connections SET latest = ? WHERE name = ? AND latest = ? AND deleted = 0`),
				next.Version, next.Name, latestVersion)
			if err := oneRow(res, err, "put: update latest"); err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connection_versions SET superseded_ns = ? WHERE name = ? AND superseded_ns IS NULL`),
				now.UnixNano(), next.Name); err != nil {
				return storeErr("put: supersede", err)
			}
		case found:
			res, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connections SET latest = ?, deleted = 0 WHERE name = ? AND latest = ? AND deleted = 1`),
				next.Version, next.Name, latestVersion)
			if err := oneRow(res, err, "put: revive"); err != nil {
				return err
			}
		default:
			if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}connections (name, latest, deleted) VALUES (?, ?, 0)`),
				next.Name, next.Version); err != nil {
				return storeErr("put: insert connection", err)
			}
		}
		if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}connection_versions
			(name, version, settings, sealed_secret, secret_key_id, updated_ns, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			next.Name, next.Version, settings, sealed, s.keyID(sealed), now.UnixNano(), by); err != nil {
			return storeErr("put: insert version", err)
		}
		if err := s.putDomains(ctx, q, next); err != nil {
			return err
		}
		if err := s.prune(ctx, q, now.UnixNano()); err != nil {
			return err
		}
		if err := s.notify(ctx, q, rev); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return connection.Settings{}, err
	}
	return out, nil
}

// latestForPut reads version of in.Name, the latest, for Put over it. Its
// secret is opened only when in keeps it: a secret that does not open then
// fails the save closed, while a save that sets or removes the secret
// does not need it.
func (s *Store) latestForPut(ctx context.Context, q querier, in connection.Settings, version int64) (connection.Settings, error) {
	r, err := scanVersion(q.QueryRowContext(ctx, s.sql(`SELECT `+versionColumns+`
		FROM {p}connection_versions v WHERE v.name = ? AND v.version = ?`), in.Name, version))
	if err != nil {
		return connection.Settings{}, storeErr("put: read latest", err)
	}
	if a := in.ClientSecret.Action; a != "" && a != connection.SecretKeep {
		r.sealed = ""
	}
	return s.settings(r)
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
