package web

import (
	"context"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/bridge"
)

// adoptShared gives each provider's RP what the Site shares with it, for
// what the RP's Config left to its per-process defaults: the Site's
// secrets (SessionSecrets) to seal its login transactions, and, when the
// application gave a SharedStore, that store as the replay memory of its
// login states. With the default SharedStore (this process's memory) the
// RP keeps its own replay memory, which is just as per process, so that a
// flood of logins cannot push the Site's revocation records out of memory.
func (w *Site) adoptShared(secrets [][]byte) {
	if bridge.Adopt == nil {
		return // a root package without the bridge
	}
	s := bridge.Shared{CookieSecrets: secrets}
	if !w.privateShared {
		shared := w.shared
		s.FirstUse = func(ctx context.Context, key string, expiry time.Time) (bool, error) {
			return shared.Add(ctx, key, []byte{1}, expiry)
		}
	}
	w.bridged = s
	for _, p := range w.order {
		bridge.Adopt(p.RP, s)
	}
}

// adopt shares with r, the RP of a connection built after New, what
// adoptShared shares with the static providers' RPs.
func (w *Site) adopt(r *rp.RP) {
	if bridge.Adopt != nil {
		bridge.Adopt(r, w.bridged)
	}
}
