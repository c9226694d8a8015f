package sqlstore_test

import (
	"testing"
	"time"

	"github.com/oidcrp/rp/connection"
	"github.com/oidcrp/rp/connection/storetest"
)

// TestConformance runs the connection.Store conformance suite on SQLite
// and on PostgreSQL, each subtest on a database of its own.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, now func() time.Time) connection.Store {
				return b.open(t).open(t, sealer(t, key('c')), now)
			})
		})
	}
}
