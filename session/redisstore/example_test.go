package redisstore_test

import (
	"log"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/oidcrp/rp/session"
	"github.com/oidcrp/rp/session/redisstore"
)

// One Store serves every instance of an application: as the session
// store of its session.Manager (or of a web Site's SessionStore), as the
// rp.ReplayStore of its RPs, and through Shared as the web.SharedStore of
// its Site.
func Example() {
	// Several addresses make a Redis Cluster client; one address a
	// client of one Redis; MasterName a Sentinel-managed one.
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"},
		ContextTimeoutEnabled: true, // a context's deadline bounds each command
	})
	defer client.Close()
	store := redisstore.New(client, "crm:")

	sessions, err := session.New(session.Config{
		Secrets: [][]byte{[]byte(os.Getenv("SESSION_SECRET"))}, // the same on every instance
		Store:   store,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = sessions
	_ = store.Shared() // a web.SharedStore
}
