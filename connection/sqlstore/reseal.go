package sqlstore

import (
	"context"
	"fmt"

	"github.com/oidcrp/rp/connection"
)

// Reseal re-seals with the Sealer's current key every client secret, of
// every retained version, that an older key sealed, and returns how many it
// re-sealed. Run it after putting a new key first in the Sealer (while the
// old keys are still listed after it); once it returns, the old keys can be
// dropped. It changes no setting, version or revision.
//
// It runs in one transaction under the write lock and is all or nothing: a
// secret that does not open under any key fails it with an error wrapping
// connection.ErrStore and connection.ErrSealedSecret that names the
// connection and version, and nothing is re-sealed. A database failure
// wraps connection.ErrStore.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	n := 0
	err := s.inTx(ctx, "reseal", func(q querier) error {
		// The write lock without a change: PostgreSQL locks the row,
		// SQLite already holds BEGIN IMMEDIATE.
		if _, err := q.ExecContext(ctx, s.sql(`UPDATE {p}revision SET revision = revision WHERE id = 1`)); err != nil {
			return storeErr("reseal: lock", err)
		}
		type row struct {
			name    string
			version int64
			sealed  string
		}
		rows, err := q.QueryContext(ctx, s.sql(`SELECT name, version, sealed_secret FROM {p}connection_versions WHERE sealed_secret <> ''`))
		if err != nil {
			return storeErr("reseal: read", err)
		}
		var stale []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.name, &r.version, &r.sealed); err != nil {
				_ = rows.Close()
				return storeErr("reseal: read", err)
			}
			if !s.sealer.Current(r.sealed) {
				stale = append(stale, r)
			}
		}
		if err := rows.Err(); err != nil {
			_ = rows.Close()
			return storeErr("reseal: read", err)
		}
		_ = rows.Close()
		for _, r := range stale {
			secret, err := s.sealer.Open(r.name, r.sealed)
			if err != nil {
				return fmt.Errorf("%w: sqlstore: reseal: connection %q version %d: client secret: %w",
					connection.ErrStore, r.name, r.version, err)
			}
			sealed := s.sealer.Seal(r.name, secret)
			res, err := q.ExecContext(ctx, s.sql(`UPDATE {p}connection_versions SET sealed_secret = ?, secret_key_id = ?
				WHERE name = ? AND version = ? AND sealed_secret = ?`), sealed, s.keyID(sealed), r.name, r.version, r.sealed)
			if err := oneRow(res, err, "reseal: update"); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
