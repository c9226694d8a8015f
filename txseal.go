package rp

import (
	"sync"
	"sync/atomic"

	"github.com/oidcrp/rp/internal/bridge"
	"github.com/oidcrp/rp/internal/seal"
)

// txSealLabel is the seal purpose of login transactions: the same secrets
// seal other things of a Site under other labels, into unrelated keys.
const txSealLabel = "rp login transaction v1"

// evRandomTxKey is the warning an RP logs, once, when it draws its
// per-process login transaction key.
const evRandomTxKey = "rp: login transactions are sealed with a random per-process key; " +
	"logins started before a restart or on another instance will fail: set Config.CookieSecrets, " +
	"or give the RP to a web.Site, whose secrets it then uses"

// txKeys is how an RP seals its login transactions: with the secrets of
// Config.CookieSecrets (set by New), with those of a web Site that adopted
// the RP (see adopt), or, when neither is there at its first login, with a
// random key drawn then. Whichever comes first stays; reads are one atomic
// load.
type txKeys struct {
	sealer atomic.Pointer[seal.Sealer]
	random sync.Once
}

// txSealer returns the sealer of the RP's login transactions, drawing the
// random per-process key and logging the warning about it when nothing
// else was set.
func (r *RP) txSealer() *seal.Sealer {
	if s := r.tx.sealer.Load(); s != nil {
		return s
	}
	r.tx.random.Do(func() {
		s, err := seal.New(txSealLabel, randomBytes(32))
		if err != nil {
			panic("rp: sealing with a random key: " + err.Error()) // 32 bytes are always accepted
		}
		if r.tx.sealer.CompareAndSwap(nil, s) {
			r.log.Warn(evRandomTxKey, "iss", r.issuers.issuer)
		}
	})
	return r.tx.sealer.Load()
}

func init() { bridge.Adopt = adopt }

// adopt gives an *RP what a web Site shares with its providers, for what
// its Config left to the per-process defaults (bridge.Adopt):
//
//   - when Config.CookieSecrets was empty, the Site's secrets seal and open
//     its login transactions from then on (secrets true), unless the RP
//     already drew its random key at a first login, or another Site's
//     secrets were adopted before;
//   - when Config.ReplayStore was nil and the Site shares a FirstUse, that
//     becomes its replay store (replay true), unless another Site's was
//     adopted before.
//
// Anything else changes nothing and reports false.
func adopt(v any, s bridge.Shared) (secrets, replay bool) {
	r, ok := v.(*RP)
	if !ok || r == nil {
		return false, false
	}
	if len(r.cfg.CookieSecrets) == 0 && len(s.CookieSecrets) > 0 {
		if sealer, err := seal.New(txSealLabel, s.CookieSecrets...); err == nil {
			secrets = r.tx.sealer.CompareAndSwap(nil, sealer)
		}
	}
	if r.cfg.ReplayStore == nil && s.FirstUse != nil {
		f := firstUseFunc(s.FirstUse)
		replay = r.replay.CompareAndSwap(nil, &f)
	}
	r.log.Debug("rp: shared state adopted", "iss", r.issuers.issuer, "cookie_secrets", secrets, "replay_store", replay)
	return secrets, replay
}
