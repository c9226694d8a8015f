package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/oidcrp/rp"
)

// instance is the app with everything it runs on: its database, the
// embedded mock providers (none with -authority) and the goroutine that
// applies saved connections at once.
type instance struct {
	app    *app
	stores *stores
	mocks  []runningMock
	// adminPassword is the administrator's password with -authority,
	// made up at start; "" in the demo, whose passwords are fixed.
	adminPassword string
	stop          context.CancelFunc
	watching      chan struct{}
	closeOnce     sync.Once
}

// startInstance opens the database of opts, starts the mock providers
// (without -authority) for an app at origin home, seeds the demo, and
// builds the app. Close it when done.
func startInstance(ctx context.Context, opts options, home string, getenv func(string) string, log *slog.Logger) (_ *instance, err error) {
	st, err := openStores(ctx, opts.DB, getenv)
	if err != nil {
		return nil, err
	}
	in := &instance{stores: st, stop: func() {}}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	var cfg appConfig
	if opts.Authority == "" {
		if opts.ClientID != "" || opts.ClientSecret != "" {
			log.Warn("no authority configured: ignoring the client ID and secret and using the embedded mock providers; set -authority or " + envAuthority + " to use a real provider")
		}
		in.mocks = startMocks(home)
		if err := seedDemo(ctx, st, in.mocks, log); err != nil {
			return nil, err
		}
		cfg = demoConfig()
	} else {
		in.adminPassword = rand.Text()
		if _, err := st.users.AddUser(ctx, adminAccount()); err != nil && !errors.Is(err, rp.ErrUserExists) {
			return nil, fmt.Errorf("adding the administrator's account: %w", err)
		}
		cfg = realConfig(opts, in.adminPassword)
	}
	cfg.Store, cfg.Users, cfg.ExternalURL = st.conns, st.users, home
	cfg.Fallback.AllowUserFallback = !opts.NoPasswordFallback
	cfg.Logger = log
	if in.app, err = newApp(ctx, cfg); err != nil {
		return nil, err
	}
	watchCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	in.stop, in.watching = stop, make(chan struct{})
	go func() {
		defer close(in.watching)
		_ = in.app.web.WatchConnections(watchCtx) // returns when stopped
	}()
	return in, nil
}

// Close stops the mock providers and closes the database.
func (in *instance) Close() {
	in.closeOnce.Do(func() {
		in.stop()
		if in.watching != nil {
			<-in.watching
		}
		closeMocks(in.mocks)
		in.stores.Close()
	})
}
