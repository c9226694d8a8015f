package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/sqlstore"
	_ "modernc.org/sqlite" // the SQLite driver, "sqlite", without cgo
)

// memoryDB is the -db value of a database that lives in memory only.
const memoryDB = ":memory:"

// envConnectionKey names the environment variable holding the key that
// seals the connections' client secrets; unset, the key is kept in a file
// beside the database (see loadKey).
const envConnectionKey = "WEBAPP_CONNECTION_KEY"

// minKeyLength is the shortest key connection.NewSecretSealer accepts.
const minKeyLength = 32

// stores are the app's database and the stores in it: the connections
// (with their client secrets sealed) and the local accounts.
type stores struct {
	db    *sql.DB
	conns *notifyStore
	users *sqlstore.UserStore
	// keyFile is where the sealing key was read or written; "" when it
	// came from the environment or the database is in memory.
	keyFile string
}

// openStores opens (creating when needed) the SQLite database at path,
// or an in-memory one for ":memory:", and the stores in it. The client
// secrets are sealed with the key from getenv(envConnectionKey), or from
// the file path + ".key", generated on first start.
func openStores(ctx context.Context, path string, getenv func(string) string) (*stores, error) {
	key, keyFile, err := loadKey(path, getenv)
	if err != nil {
		return nil, err
	}
	sealer, err := connection.NewSecretSealer(key)
	if err != nil {
		return nil, fmt.Errorf("the connection key: %w", err)
	}
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	conns, err := sqlstore.Open(ctx, sqlstore.Config{DB: db, Dialect: sqlstore.SQLite, Sealer: sealer})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the connection store in %s: %w", path, err)
	}
	users, err := sqlstore.OpenUsers(ctx, sqlstore.UsersConfig{DB: db, Dialect: sqlstore.SQLite})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the user store in %s: %w", path, err)
	}
	// Read every connection once, so that a wrong key fails now, with a
	// message, rather than at the first sign-in.
	if _, err := conns.List(ctx); err != nil {
		db.Close()
		if errors.Is(err, connection.ErrSealedSecret) {
			return nil, fmt.Errorf("the stored client secrets do not open with this key: %s or the key file beside the database is not the one they were sealed with", envConnectionKey)
		}
		return nil, fmt.Errorf("reading the connections in %s: %w", path, err)
	}
	return &stores{db: db, conns: newNotifyStore(conns), users: users, keyFile: keyFile}, nil
}

// Close closes the database.
func (s *stores) Close() error { return s.db.Close() }

// openDB opens the SQLite database at path. A file database waits up to
// 5s for a lock and uses write-ahead logging. An in-memory one is a
// single connection that is never closed: each SQLite connection to
// ":memory:" has a database of its own, dropped with the connection.
func openDB(path string) (*sql.DB, error) {
	if path == memoryDB {
		db, err := sql.Open("sqlite", "file::memory:?_pragma=foreign_keys(1)")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return db, nil
	}
	if path == "" {
		return nil, errors.New("-db is empty: name a database file, or :memory: for one in memory only")
	}
	name := (&url.URL{Path: path}).EscapedPath() // a '?' or '#' in the name is not a parameter
	db, err := sql.Open("sqlite", "file:"+name+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the database %s: %w", path, err)
	}
	return db, nil
}

// loadKey returns the key that seals the client secrets in the database
// at path, and the file it came from: getenv(envConnectionKey) when set;
// for an in-memory database, a new random key; otherwise the contents of
// path + ".key", created with a new random key (mode 0600) when missing.
// A key shorter than 32 bytes is refused.
func loadKey(path string, getenv func(string) string) (rp.Secret, string, error) {
	if k := strings.TrimSpace(getenv(envConnectionKey)); k != "" {
		if len(k) < minKeyLength {
			return "", "", fmt.Errorf("%s is %d bytes long; use at least %d random bytes", envConnectionKey, len(k), minKeyLength)
		}
		return rp.Secret(k), "", nil
	}
	if path == memoryDB {
		return rp.Secret(rand.Text() + rand.Text()), "", nil
	}
	file := path + ".key"
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		k := rand.Text() + rand.Text() // 2×26 base32 characters: 260 random bits
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", "", fmt.Errorf("creating the connection key file: %w", err)
		}
		_, werr := f.WriteString(k + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(file)
			return "", "", fmt.Errorf("writing the connection key file: %w", werr)
		}
		return rp.Secret(k), file, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reading the connection key file: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if len(k) < minKeyLength {
		return "", "", fmt.Errorf("the connection key file %s holds %d bytes; it needs at least %d random bytes", file, len(k), minKeyLength)
	}
	return rp.Secret(k), file, nil
}
