package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// seededBy is the UpdatedBy of the connections the app saves itself.
const seededBy = "webapp (demo setup)"

// seedDemo prepares the database for the embedded mock providers, at
// every start: on first start (the marker table webapp_demo is empty) it
// adds the demo accounts and a stored connection per mock marked Stored;
// then it points every stored connection of a mock at where the mock now
// listens (moveMocks), since the mocks get new ports each start. A second
// start adds nothing: a connection the administrator deleted stays
// deleted, an account is never overwritten.
func seedDemo(ctx context.Context, st *stores, mocks []runningMock, log *slog.Logger) error {
	first, err := markSeeded(ctx, st)
	if err != nil {
		return err
	}
	if first {
		for _, acc := range demoAccounts() {
			if _, err := st.users.AddUser(ctx, acc.User); err != nil && !errors.Is(err, rp.ErrUserExists) {
				return fmt.Errorf("adding the demo account %s: %w", acc.User.Username, err)
			}
		}
		for _, m := range mocks {
			if !m.Stored {
				continue
			}
			_, err := st.conns.Put(ctx, mockConnection(m), seededBy)
			if err != nil && !errors.Is(err, connection.ErrConflict) {
				return fmt.Errorf("saving the connection %s: %w", m.Name, err)
			}
		}
		log.Info("seeded the demo accounts and connections")
	}
	return moveMocks(ctx, st.conns, mocks, log)
}

// markSeeded records in the database that the demo was seeded, and
// reports whether this call was the first to do so.
func markSeeded(ctx context.Context, st *stores) (bool, error) {
	if _, err := st.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS webapp_demo (seeded INTEGER PRIMARY KEY)`); err != nil {
		return false, fmt.Errorf("creating the demo marker table: %w", err)
	}
	res, err := st.db.ExecContext(ctx, `INSERT INTO webapp_demo (seeded) VALUES (1) ON CONFLICT DO NOTHING`)
	if err != nil {
		return false, fmt.Errorf("marking the demo as seeded: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// mockConnection is the stored connection to m: its users link by
// verified email to the local accounts, and only existing accounts sign
// in (no CreateUsers), so dave at okta is refused.
func mockConnection(m runningMock) connection.Settings {
	return connection.Settings{
		Name:          m.Name,
		Enabled:       true,
		Title:         m.Title,
		Authority:     m.Issuer(),
		ClientID:      m.ClientID,
		ClientSecret:  connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(m.ClientSecret)},
		Scopes:        []string{"openid", "profile", "email"},
		EmailClaim:    "email",
		UsernameClaim: "preferred_username",
		AutoLink:      true,
	}
}

// moveMocks points every stored connection that uses a mock's client ID
// at a loopback authority other than the mock's current one (a previous
// start's port) at the mock, as a new version: the seeded connections as
// well as those an administrator added for the third mock. Connections to
// anything else are left alone.
func moveMocks(ctx context.Context, store connection.Store, mocks []runningMock, log *slog.Logger) error {
	list, err := store.List(ctx)
	if err != nil {
		return fmt.Errorf("reading the connections: %w", err)
	}
	for _, s := range list {
		for _, m := range mocks {
			if s.ClientID != m.ClientID || s.Endpoints != nil || s.Authority == m.Issuer() || !loopbackURL(s.Authority) {
				continue
			}
			next := s.Clone()
			next.Authority = m.Issuer()
			if loopbackURL(next.ConfigurationURL) {
				next.ConfigurationURL = ""
			}
			next.ClientSecret = connection.ClientSecret{Action: connection.SecretKeep}
			saved, err := store.Put(ctx, next, seededBy)
			if err != nil {
				// Not fatal: the connection is unavailable until fixed on
				// the admin page; the others work.
				log.Warn("cannot point the connection at its mock provider's new address", "connection", s.Name, "error", err)
				continue
			}
			log.Info("pointed the connection at its mock provider's new address", "connection", s.Name, "version", saved.Version, "authority", saved.Authority)
		}
	}
	return nil
}

// loopbackURL reports whether raw is an http URL on 127.0.0.1, where the
// mocks listen.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "http" && u.Hostname() == "127.0.0.1"
}
