package multi

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
	"github.com/oidcrp/rp/session/redisstore"
	"github.com/oidcrp/rp/web"
	"github.com/redis/go-redis/v9"
)

// BenchmarkSignedInLoad sends signed-in requests through Require over
// loopback HTTP from 1, 16 and 64 concurrent clients, each with its own
// session, and reports requests/s and the p50 and p99 latency:
//
//   - sessions=cookie: the session in sealed cookies, the Site's default
//     in-memory SharedStore (one process);
//   - sessions=cookie+redis: the same, with Redis as the SharedStore, so
//     each request also reads the session's revocation records there (what
//     several instances need to see each other's logouts);
//   - sessions=redis: the session in Redis (the cookie holds its ID), Redis
//     as the SharedStore too.
//
// It needs RP_REDIS_ADDR. b.N is the number of requests of a run, spread
// over the clients; any answer but 200 fails it.
func BenchmarkSignedInLoad(b *testing.B) {
	addr := os.Getenv("RP_REDIS_ADDR")
	if addr == "" {
		b.Skip("set RP_REDIS_ADDR")
	}
	client := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 128})
	b.Cleanup(func() { client.Close() })
	for _, sessions := range []string{"cookie", "cookie+redis", "redis"} {
		for _, clients := range []int{1, 16, 64} {
			b.Run("sessions="+sessions+"/clients="+strconv.Itoa(clients), func(b *testing.B) {
				store := redisstore.New(client, "rp-load:"+strconv.FormatInt(time.Now().UnixNano(), 36)+":")
				var cfg web.Config
				switch sessions {
				case "cookie+redis":
					cfg.Shared = store.Shared()
				case "redis":
					cfg.Shared = store.Shared()
					cfg.SessionStore = session.Store(store)
				}
				benchLoad(b, cfg, clients)
			})
		}
	}
}

// benchLoad signs clients users in on a Site built from cfg and sends b.N
// requests to a page behind Require, clients at a time.
func benchLoad(b *testing.B, cfg web.Config, clients int) {
	ctx := context.Background()
	var siteURL string
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	b.Cleanup(srv.Close)
	siteURL = srv.URL
	op := rptest.NewServer(rptest.Config{RedirectURIs: []string{siteURL + "/callback"}, Users: []rptest.User{{Subject: "alice"}}})
	op.SetDefaultUser("alice")
	b.Cleanup(op.Close)
	r, err := rp.New(ctx, rp.Config{Authority: op.Issuer(), ClientID: op.ClientID(),
		ClientSecret: rp.Secret(op.ClientSecret()), RedirectURL: siteURL + "/callback"})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Providers = []web.Provider{{Name: "op", RP: r}}
	cfg.SessionSecrets = []rp.Secret{testSecret}
	site, err := web.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", site.Handler())
	mux.Handle("GET /page", site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	srv.Config.Handler = mux

	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	b.Cleanup(transport.CloseIdleConnections)
	browsers := make([]*http.Client, clients)
	for i := range browsers {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		br := &browser{t: nil, client: c}
		loginForBench(b, br, siteURL)
		browsers[i] = c
	}

	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for _, c := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				resp, err := c.Get(siteURL + "/page")
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, b.N)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
}

// loginForBench signs br in at siteURL.
func loginForBench(b *testing.B, br *browser, siteURL string) {
	b.Helper()
	get := func(u string) *http.Response {
		resp, err := br.client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := get(siteURL + "/login/op")
	resp = get(resp.Header.Get("Location"))
	resp = get(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in for the benchmark: status %d", resp.StatusCode)
	}
}
