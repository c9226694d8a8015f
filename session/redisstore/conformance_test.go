package redisstore

import (
	"testing"

	"github.com/oidcrp/rp/session"
	"github.com/oidcrp/rp/session/storetest"
)

// TestConformance runs the session.Store conformance suite on one Redis
// and on a Redis Cluster, each test on keys of its own.
func TestConformance(t *testing.T) {
	onBackends(t, func(t *testing.T, b backend) {
		storetest.Run(t, func(t *testing.T) session.Store {
			s, _ := newStore(t, b)
			return s
		})
	})
}
