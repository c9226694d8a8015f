// Package bridge lets the web layer hand an RP what a Site shares with its
// providers, without adding it to the root package's exported API. The
// root package sets the functions in its init.
package bridge

import (
	"context"
	"time"
)

// Shared is what a Site gives each of its providers' RPs.
type Shared struct {
	// CookieSecrets seal the RP's login transactions when its
	// Config.CookieSecrets is empty (the per-process random default).
	CookieSecrets [][]byte
	// FirstUse, when not nil, is the replay memory the RP uses when its
	// Config.ReplayStore is nil.
	FirstUse func(ctx context.Context, key string, expiry time.Time) (bool, error)
}

// Adopt gives r (an *rp.RP) what a Site shares, for what r's Config left
// to its per-process defaults. It reports which of the two it adopted.
// It must be called before r serves its first login. Set by package rp.
var Adopt func(r any, s Shared) (secrets, replay bool)
