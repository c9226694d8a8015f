package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oidcrp/rp/connection"
)

// List returns the latest version of every connection, deleted ones left
// out, ordered by Name, with their secrets opened. It fails, with an
// error wrapping connection.ErrStore, if the database does or if any
// connection's row does not decode or its secret does not open (then also
// connection.ErrSealedSecret): a caller never gets a partial list it would
// take as complete.
func (s *Store) List(ctx context.Context) ([]connection.Settings, error) {
	rows, err := s.db.QueryContext(ctx, s.sql(`SELECT `+versionColumns+`
		FROM {p}connections c JOIN {p}connection_versions v ON v.name = c.name AND v.version = c.latest
		WHERE c.deleted = 0`))
	if err != nil {
		return nil, storeErr("list", err)
	}
	defer rows.Close()
	var raw []versionRow
	for rows.Next() {
		r, err := scanVersion(rows)
		if err != nil {
			return nil, storeErr("list", err)
		}
		raw = append(raw, r)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("list", err)
	}
	// Sorted here rather than by ORDER BY: PostgreSQL's order depends on
	// the database's collation; Name's order is Go's string order.
	out := make([]connection.Settings, 0, len(raw))
	for _, r := range raw {
		st, err := s.settings(r)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b connection.Settings) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get returns the latest version of the connection name, with its secret
// opened; connection.ErrNotFound if there is none (or it was deleted). A
// database failure, or a row whose secret does not open, fails with an
// error wrapping connection.ErrStore (and connection.ErrSealedSecret).
func (s *Store) Get(ctx context.Context, name string) (connection.Settings, error) {
	row := s.db.QueryRowContext(ctx, s.sql(`SELECT `+versionColumns+`
		FROM {p}connections c JOIN {p}connection_versions v ON v.name = c.name AND v.version = c.latest
		WHERE c.name = ? AND c.deleted = 0`), name)
	return s.scanOne(row, "get", name)
}

// GetVersion returns the given version of the connection name while it is
// retained: the latest version, or a superseded one until
// connection.RetainSuperseded after it was superseded (by the Store's
// clock). Otherwise, and once the connection is deleted,
// connection.ErrNotFound. Failures as for Get.
func (s *Store) GetVersion(ctx context.Context, name string, version int64) (connection.Settings, error) {
	cutoff := s.now().Add(-connection.RetainSuperseded).UnixNano()
	row := s.db.QueryRowContext(ctx, s.sql(`SELECT `+versionColumns+`
		FROM {p}connections c JOIN {p}connection_versions v ON v.name = c.name
		WHERE c.name = ? AND v.version = ? AND c.deleted = 0
			AND (v.superseded_ns IS NULL OR v.superseded_ns >= ?)`), name, version, cutoff)
	return s.scanOne(row, "get version", name)
}

func (s *Store) scanOne(row *sql.Row, op, name string) (connection.Settings, error) {
	r, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		return connection.Settings{}, fmt.Errorf("%w: %q", connection.ErrNotFound, name)
	}
	if err != nil {
		return connection.Settings{}, storeErr(op, err)
	}
	return s.settings(r)
}

// Revision returns the counter that every Put and Delete, on any instance
// sharing the database, increments in its transaction. A database failure
// wraps connection.ErrStore.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := s.db.QueryRowContext(ctx, s.sql(`SELECT revision FROM {p}revision WHERE id = 1`)).Scan(&rev); err != nil {
		return 0, storeErr("revision", err)
	}
	return rev, nil
}
