// Command app is a small application built only from rp's public API, for
// the multi-instance tests of this module: several processes of it share
// one Redis (single node or Cluster) and one set of secrets, behind a
// load balancer, and must behave as one site.
//
// It is configured by flags, prints "listening on http://ADDR" on stdout
// once it serves, and logs JSON lines to stderr. Pages:
//
//	/login/op, the callback, /logout, the logout endpoints: web.Site
//	/me: behind Require, the session as JSON
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/session"
	"github.com/oidcrp/rp/session/redisstore"
	"github.com/oidcrp/rp/web"
	"github.com/redis/go-redis/v9"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		name          = flag.String("name", "a", "instance name, sent back in the X-Instance header")
		listen        = flag.String("listen", "127.0.0.1:0", "address to listen on")
		external      = flag.String("external", "", "the site's external origin (the load balancer), e.g. http://127.0.0.1:8080")
		issuer        = flag.String("issuer", "", "the provider's issuer")
		clientID      = flag.String("client-id", "", "client ID")
		clientSecret  = flag.String("client-secret", "", "client secret")
		secret        = flag.String("secret", "", "the secret every instance shares (at least 32 bytes)")
		redisAddr     = flag.String("redis", "", "Redis address (single node)")
		clusterAddrs  = flag.String("redis-cluster", "", "comma-separated Redis Cluster seed addresses")
		prefix        = flag.String("prefix", "rp:", "Redis key prefix")
		mode          = flag.String("sessions", "cookie", "where sessions live: cookie or redis")
		refreshBefore = flag.Duration("refresh-before", time.Minute, "refresh access tokens this long before they expire")
	)
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("instance", *name)

	var client redis.UniversalClient
	switch {
	case *clusterAddrs != "":
		client = redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(*clusterAddrs, ","), DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: 1, ContextTimeoutEnabled: true})
	case *redisAddr != "":
		client = redis.NewClient(&redis.Options{Addr: *redisAddr, DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: 1, ContextTimeoutEnabled: true})
	default:
		return fmt.Errorf("set -redis or -redis-cluster")
	}
	defer client.Close()
	shared := redisstore.New(client, *prefix)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	secrets := []rp.Secret{rp.Secret(*secret)}
	op, err := rp.New(dctx, rp.Config{
		Authority:    *issuer,
		ClientID:     *clientID,
		ClientSecret: rp.Secret(*clientSecret),
		RedirectURL:  *external + "/callback",
		Scopes:       []string{"openid", "profile", "email", "offline_access"},
		Logger:       log,
	})
	if err != nil {
		return err
	}
	cfg := web.Config{
		Providers:      []web.Provider{{Name: "op", RP: op}},
		SessionSecrets: secrets,
		Shared:         shared.Shared(),
		RefreshBefore:  *refreshBefore,
		Logger:         log,
	}
	switch *mode {
	case "cookie":
	case "redis":
		var st session.Store = shared
		cfg.SessionStore = st
	default:
		return fmt.Errorf("-sessions must be cookie or redis")
	}
	site, err := web.New(cfg)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/", site.Handler())
	mux.Handle("GET /me", site.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := web.SessionFrom(r.Context())
		c := s.Claims()
		sid, _ := c.String("sid")
		at := sha256.Sum256([]byte(s.AccessToken))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": c.Subject, "sid": sid, "access_token_sha256": hex.EncodeToString(at[:8])})
	})))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Instance", *name)
		mux.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
