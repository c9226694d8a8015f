package sqlstore

import (
	"context"
	"fmt"
	"hash/fnv"
)

// migrations are the schema's versions: migrations[i] takes the schema
// from version i to version i+1. Append only: a released migration never
// changes. The statements are valid on SQLite and PostgreSQL alike.
var migrations = [][]string{
	// 1: connections, their versions, their domains, the revision counter.
	{
		`CREATE TABLE {p}connections (
			name TEXT NOT NULL PRIMARY KEY,
			latest BIGINT NOT NULL,
			deleted INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE TABLE {p}connection_versions (
			name TEXT NOT NULL REFERENCES {p}connections (name),
			version BIGINT NOT NULL,
			settings TEXT NOT NULL,
			sealed_secret TEXT NOT NULL DEFAULT '',
			secret_key_id TEXT NOT NULL DEFAULT '',
			updated_ns BIGINT NOT NULL,
			updated_by TEXT NOT NULL DEFAULT '',
			superseded_ns BIGINT,
			PRIMARY KEY (name, version)
		)`,
		`CREATE INDEX {p}connection_versions_superseded ON {p}connection_versions (superseded_ns)`,
		`CREATE TABLE {p}connection_domains (
			domain TEXT NOT NULL PRIMARY KEY,
			name TEXT NOT NULL REFERENCES {p}connections (name)
		)`,
		`CREATE INDEX {p}connection_domains_name ON {p}connection_domains (name)`,
		`CREATE TABLE {p}revision (
			id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
			revision BIGINT NOT NULL
		)`,
		`INSERT INTO {p}revision (id, revision) VALUES (1, 0)`,
	},
	// 2: the local accounts of UserStore and the subjects linked to them.
	// username_norm and email_norm hold rp.NormalizeIdentifier of username
	// and email, NULL when it is "" (NULLs never collide), so the unique
	// constraints are the library's identifier comparison. A subject is
	// linked to one account per issuer, and an account to one subject per
	// issuer. The foreign key is checked at commit, so CreateUser can claim
	// the subject before it inserts the account.
	{
		`CREATE TABLE {p}users (
			id TEXT NOT NULL PRIMARY KEY,
			username TEXT NOT NULL DEFAULT '',
			username_norm TEXT CHECK (username_norm <> ''),
			email TEXT NOT NULL DEFAULT '',
			email_norm TEXT CHECK (email_norm <> ''),
			name TEXT NOT NULL DEFAULT '',
			given_name TEXT NOT NULL DEFAULT '',
			family_name TEXT NOT NULL DEFAULT '',
			phone_number TEXT NOT NULL DEFAULT '',
			admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
			groups_json TEXT NOT NULL DEFAULT '[]',
			attributes_json TEXT NOT NULL DEFAULT '{}',
			created_ns BIGINT NOT NULL,
			updated_ns BIGINT NOT NULL,
			CONSTRAINT {p}users_username_norm UNIQUE (username_norm),
			CONSTRAINT {p}users_email_norm UNIQUE (email_norm)
		)`,
		`CREATE TABLE {p}user_subjects (
			issuer TEXT NOT NULL,
			subject TEXT NOT NULL,
			user_id TEXT NOT NULL REFERENCES {p}users (id) DEFERRABLE INITIALLY DEFERRED,
			linked_ns BIGINT NOT NULL,
			PRIMARY KEY (issuer, subject),
			CONSTRAINT {p}user_subjects_user_issuer UNIQUE (user_id, issuer)
		)`,
	},
}

// SchemaVersion is the version of the schema this package creates and
// reads: the number of its migrations. Open refuses a database at a later
// version with ErrSchemaTooNew.
const SchemaVersion = 2

// migrate brings the schema to SchemaVersion, one migration per
// transaction, each under the write lock: an advisory transaction lock on
// PostgreSQL (taken before the schema_version table is even created, so
// instances starting together wait for each other), BEGIN IMMEDIATE on
// SQLite.
func (s *base) migrate(ctx context.Context) error {
	for {
		done, err := s.migrateStep(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next migration, or reports done when the schema
// is at SchemaVersion.
func (s *base) migrateStep(ctx context.Context) (done bool, err error) {
	err = s.inTx(ctx, "migrate", func(q querier) error {
		if s.dialect == PostgreSQL {
			if _, err := q.ExecContext(ctx, s.sql(`SELECT pg_advisory_xact_lock(?)`), s.lockKey()); err != nil {
				return s.fail("migrate: lock", err)
			}
		}
		if _, err := q.ExecContext(ctx, s.sql(`CREATE TABLE IF NOT EXISTS {p}schema_version (
			version INTEGER NOT NULL PRIMARY KEY,
			applied_ns BIGINT NOT NULL
		)`)); err != nil {
			return s.fail("migrate: create schema_version", err)
		}
		var current int
		if err := q.QueryRowContext(ctx, s.sql(`SELECT COALESCE(MAX(version), 0) FROM {p}schema_version`)).Scan(&current); err != nil {
			return s.fail("migrate: read schema_version", err)
		}
		switch {
		case current > SchemaVersion:
			return fmt.Errorf("%w: tables %q are at schema version %d, this package knows versions up to %d", ErrSchemaTooNew, s.prefix+"*", current, SchemaVersion)
		case current == SchemaVersion:
			done = true
			return nil
		}
		for _, stmt := range migrations[current] {
			if _, err := q.ExecContext(ctx, s.sql(stmt)); err != nil {
				return s.fail(fmt.Sprintf("migrate to schema version %d", current+1), err)
			}
		}
		if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO {p}schema_version (version, applied_ns) VALUES (?, ?)`),
			current+1, s.now().UnixNano()); err != nil {
			return s.fail("migrate: record schema version", err)
		}
		return nil
	})
	return done, err
}

// lockKey is the PostgreSQL advisory lock of the tables under s.prefix.
func (s *base) lockKey() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("github.com/oidcrp/rp/connection/sqlstore " + s.prefix))
	return int64(h.Sum64())
}
