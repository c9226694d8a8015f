package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"time"
)

// querier is what a write transaction runs its statements on: a *sql.Tx on
// PostgreSQL, the *sql.Conn holding BEGIN IMMEDIATE on SQLite.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sql turns query, written with "{p}" for the table prefix and '?' for
// parameters, into the dialect's: the prefix substituted and, on
// PostgreSQL, the parameters numbered $1, $2, ... The queries of this
// package hold no '?' anywhere else.
func (s *base) sql(query string) string {
	query = strings.ReplaceAll(query, "{p}", s.prefix)
	if s.dialect != PostgreSQL {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// inTx runs fn in one write transaction holding the store's write lock,
// and commits if fn returns nil. On PostgreSQL the lock is taken by fn's
// first statement (every write transaction of Store starts by updating the
// revision row); on SQLite by BEGIN IMMEDIATE, retried while another
// connection holds the database's write lock. Database failures are
// wrapped with the store's sentinel; fn's own errors are returned as they
// are.
func (s *base) inTx(ctx context.Context, op string, fn func(q querier) error) error {
	return s.inTxWith(ctx, op, nil, fn)
}

// inTxWith is inTx with the PostgreSQL transaction's options (SQLite's
// BEGIN IMMEDIATE serialises every write transaction whatever opts say).
func (s *base) inTxWith(ctx context.Context, op string, opts *sql.TxOptions, fn func(q querier) error) error {
	if s.dialect == PostgreSQL {
		tx, err := s.db.BeginTx(ctx, opts)
		if err != nil {
			return s.fail(op+": begin", err)
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return s.fail(op+": commit", err)
		}
		return nil
	}

	conn, err := beginImmediate(ctx, s.db)
	if err != nil {
		return s.fail(op+": begin immediate", err)
	}
	// ROLLBACK and COMMIT must reach the database even when ctx ended
	// during fn, or the connection would go back to the pool inside a
	// transaction.
	end := context.WithoutCancel(ctx)
	if err := fn(conn); err != nil {
		rollback(end, conn)
		return err
	}
	if _, err := conn.ExecContext(end, "COMMIT"); err != nil {
		rollback(end, conn)
		return s.fail(op+": commit", err)
	}
	_ = conn.Close()
	return nil
}

// rollback rolls back conn's transaction and releases conn; a conn whose
// ROLLBACK fails is discarded from the pool rather than reused half-way
// through a transaction.
func rollback(ctx context.Context, conn *sql.Conn) {
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = conn.Close()
}

// beginImmediate takes a connection from db and starts a write
// transaction on it, retrying for up to 10s while SQLite reports the
// database locked: by another connection's write transaction, or, when
// the DSN asks for WAL, by another connection switching a new database
// to it as it connects (a busy_timeout set on the database makes each try
// wait itself).
func beginImmediate(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	delay := 5 * time.Millisecond
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := db.Conn(ctx)
		if err == nil {
			if _, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err == nil {
				return conn, nil
			}
			_ = conn.Close()
		}
		if !sqliteBusy(err) || time.Now().After(deadline) {
			return nil, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// sqliteBusy tells SQLite's "database is locked" (SQLITE_BUSY), which the
// package recognises by its message since it imports no driver.
func sqliteBusy(err error) bool {
	m := err.Error()
	return strings.Contains(m, "SQLITE_BUSY") || strings.Contains(m, "database is locked")
}
