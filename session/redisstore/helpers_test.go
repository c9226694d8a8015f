package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

// TestMain keeps go-redis's log of failed dials (the tests of a Redis
// that is down make many) out of the output, unless -test.v is given.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		redis.SetLogger(&logging.VoidLogger{})
	}
	os.Exit(m.Run())
}

// A backend is a Redis deployment the tests run on.
type backend struct {
	name string
	// client returns a client of the backend, closed when t ends, or
	// skips t (fails it with CI set) when the backend is not configured.
	client func(t *testing.T) redis.UniversalClient
	// cluster tells a Redis Cluster.
	cluster bool
}

// backends are the two deployments: one Redis at $RP_REDIS_ADDR and a
// Redis Cluster whose seed addresses $RP_REDIS_CLUSTER_ADDRS lists.
var backends = []backend{
	{name: "single", client: func(t *testing.T) redis.UniversalClient { return singleClient(t) }},
	{name: "cluster", client: clusterClient, cluster: true},
}

// onBackends runs fn as a subtest on each backend.
func onBackends(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// envOrSkip returns $name, skipping t when it is empty, unless CI is set:
// there a missing Redis must not pass silently.
func envOrSkip(t *testing.T, name, example string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI is: the Redis tests must run in CI", name)
		}
		t.Skipf("%s is not set; set it (like %s) to run the Redis tests", name, example)
	}
	return v
}

// singleClient returns a client for the Redis at $RP_REDIS_ADDR, closed
// when t ends.
func singleClient(t *testing.T) *redis.Client {
	t.Helper()
	addr := envOrSkip(t, "RP_REDIS_ADDR", "127.0.0.1:6379")
	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at RP_REDIS_ADDR=%s does not answer: %v", addr, err)
	}
	return client
}

// clusterClient returns a client for the Redis Cluster that
// $RP_REDIS_CLUSTER_ADDRS (comma-separated seed addresses) lists, made
// by redis.NewUniversalClient as an application would, closed when t
// ends.
func clusterClient(t *testing.T) redis.UniversalClient {
	t.Helper()
	addrs := strings.Split(envOrSkip(t, "RP_REDIS_CLUSTER_ADDRS", "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"), ",")
	client := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs, IsClusterMode: true, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	if _, ok := client.(*redis.ClusterClient); !ok {
		t.Fatalf("NewUniversalClient for RP_REDIS_CLUSTER_ADDRS made a %T; want a *redis.ClusterClient", client)
	}
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis Cluster at RP_REDIS_CLUSTER_ADDRS=%s does not answer: %v", strings.Join(addrs, ","), err)
	}
	if info, err := client.ClusterInfo(t.Context()).Result(); err != nil || !strings.Contains(info, "cluster_state:ok") {
		t.Fatalf("Redis Cluster at RP_REDIS_CLUSTER_ADDRS=%s is not ready: %v %q", strings.Join(addrs, ","), err, info)
	}
	return client
}

// newStore returns a Store on b under a random key prefix of its own,
// whose keys are deleted when t ends, and its client.
func newStore(t *testing.T, b backend) (*Store, redis.UniversalClient) {
	t.Helper()
	client := b.client(t)
	prefix := "rptest:" + randomHex(8) + ":"
	t.Cleanup(func() { deleteAll(t, client, prefix) })
	return New(client, prefix), client
}

// deleteAll deletes the keys starting with prefix, on every master of a
// cluster.
func deleteAll(t *testing.T, client redis.UniversalClient, prefix string) {
	ctx := context.Background()
	clean := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	switch c := client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, clean)
	case *redis.Client:
		err = clean(ctx, c)
	}
	if err != nil {
		t.Errorf("cleaning up %s*: %v", prefix, err)
	}
}

// keysOf returns the keys starting with prefix, from every master.
func keysOf(t *testing.T, client redis.UniversalClient, prefix string) []string {
	t.Helper()
	var keys []string
	var mu sync.Mutex
	list := func(ctx context.Context, c *redis.Client) error {
		found, err := c.Keys(ctx, prefix+"*").Result()
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, found...)
		return err
	}
	var err error
	switch c := client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(t.Context(), list)
	case *redis.Client:
		err = list(t.Context(), c)
	}
	if err != nil {
		t.Fatalf("listing %s*: %v", prefix, err)
	}
	return keys
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sessionID returns a random id shaped like those of session.Manager.New.
func sessionID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
