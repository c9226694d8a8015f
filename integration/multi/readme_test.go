package multi

// The README's "Running on several instances" snippet, compiled and vetted
// here (this module may import the Redis store); the root package's
// TestREADMESnippets keeps it equal to the README.

import (
	"os"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/session/redisstore"
	"github.com/oidcrp/rp/web"
	"github.com/redis/go-redis/v9"
)

var _ = readmeSeveralInstances

// readmeSeveralInstances holds the README's "Running on several instances"
// snippet.
func readmeSeveralInstances(azure *rp.RP) (*web.Site, error) {
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 strings.Split(os.Getenv("REDIS_ADDRS"), ","), // several: a Cluster
		ContextTimeoutEnabled: true,                                         // request deadlines bound Redis calls
	})
	store := redisstore.New(client, "myapp:")
	site, err := web.New(web.Config{
		Providers:      []web.Provider{{Name: "azure", Title: "Microsoft", RP: azure}},
		SessionSecrets: []rp.Secret{rp.Secret(os.Getenv("SESSION_SECRET"))}, // the same on every instance
		Shared:         store.Shared(),                                      // revocations, refreshes, replay
		SessionStore:   store,                                               // optional: sessions in Redis
	})
	return site, err
}
