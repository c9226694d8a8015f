// Package pgnotify is a connection.Watcher for the connections that
// package sqlstore keeps in PostgreSQL: it LISTENs on the channel that
// every sqlstore Put and Delete NOTIFYs at commit, so every instance learns
// of a change as soon as it is saved, and falls back to polling
// Store.Revision when the connection is lost.
//
// It needs a *sql.DB opened through github.com/jackc/pgx/v5/stdlib.
package pgnotify

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
)

// ErrNotPgx: the *sql.DB given to New is not opened through
// github.com/jackc/pgx/v5/stdlib, so it cannot LISTEN.
var ErrNotPgx = errors.New("pgnotify: the database is not opened through github.com/jackc/pgx/v5/stdlib")

// Watcher is a connection.Watcher on a PostgreSQL database. Create it with
// New.
type Watcher struct {
	db      *sql.DB
	channel string
}

var _ connection.Watcher = (*Watcher)(nil)

// New returns a Watcher of the sqlstore tables with prefix (the
// sqlstore.Config.TablePrefix; "" for the default) in db. Each Watch takes
// one connection from db's pool for as long as it runs.
func New(db *sql.DB, prefix string) *Watcher {
	return &Watcher{db: db, channel: sqlstore.Channel(prefix)}
}

// Watch LISTENs on the store's channel on a connection of its own, calls
// changed once when it listens (so the caller rereads whatever was saved
// before) and then once per notification, from Watch's goroutine, until
// ctx ends: it returns ctx's error then. A lost or failed connection ends
// it with an error wrapping connection.ErrStore (the caller falls back to
// polling, and may call Watch again); a db not opened through pgx with
// ErrNotPgx. The connection is closed, never returned to the pool, when
// Watch returns.
func (w *Watcher) Watch(ctx context.Context, changed func()) error {
	if w.db == nil {
		return fmt.Errorf("%w: pgnotify: nil *sql.DB", connection.ErrStore)
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%w: pgnotify: connect: %w", connection.ErrStore, err)
	}
	var werr error
	// Raw's function always reports the connection bad, so the pool
	// closes it rather than hand out a connection still listening.
	_ = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			werr = fmt.Errorf("%w (its driver connection is a %T)", ErrNotPgx, dc)
			return driver.ErrBadConn
		}
		werr = w.listen(ctx, sc.Conn(), changed)
		return driver.ErrBadConn
	})
	_ = conn.Close()
	return werr
}

func (w *Watcher) listen(ctx context.Context, pc *pgx.Conn, changed func()) error {
	if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{w.channel}.Sanitize()); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: pgnotify: LISTEN %s: %w", connection.ErrStore, w.channel, err)
	}
	changed()
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: pgnotify: connection lost while listening on %s: %w", connection.ErrStore, w.channel, err)
		}
		if n.Channel == w.channel {
			changed()
		}
	}
}
