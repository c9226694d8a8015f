package multi

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// appBinary is the test app, built once by TestMain.
var appBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rp-multi-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBinary = filepath.Join(dir, "app")
	build := exec.Command("go", "build", "-race", "-o", appBinary, "./app")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test app:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testSecret is the secret every instance of a test shares.
const testSecret = "0123456789abcdef0123456789abcdef-multi-instance"

// redisTarget is a Redis deployment the instances share: one node or a
// Cluster, as app flags.
type redisTarget struct {
	name  string
	flags []string
}

// redisTargets returns the Redis deployments CI started (RP_REDIS_ADDR,
// RP_REDIS_CLUSTER_ADDRS). Without CI, a missing one is skipped; with CI
// set, it fails the test.
func redisTargets(t *testing.T) []redisTarget {
	t.Helper()
	var out []redisTarget
	if a := os.Getenv("RP_REDIS_ADDR"); a != "" {
		out = append(out, redisTarget{"single", []string{"-redis", a}})
	} else if os.Getenv("CI") != "" {
		t.Fatal("RP_REDIS_ADDR is not set; .ci/run starts redis-server and sets it")
	}
	if a := os.Getenv("RP_REDIS_CLUSTER_ADDRS"); a != "" {
		out = append(out, redisTarget{"cluster", []string{"-redis-cluster", a}})
	} else if os.Getenv("CI") != "" {
		t.Fatal("RP_REDIS_CLUSTER_ADDRS is not set; .ci/run starts a Redis Cluster and sets it")
	}
	if len(out) == 0 {
		t.Skip("no Redis: set RP_REDIS_ADDR and/or RP_REDIS_CLUSTER_ADDRS")
	}
	return out
}

// logBuffer collects a process's stderr, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// instance is one running process of the test app.
type instance struct {
	name string
	url  string
	log  *logBuffer
	cmd  *exec.Cmd
}

// startInstance starts the app with args and waits (bounded) until it
// listens.
func startInstance(t *testing.T, name string, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, appBinary, append([]string{"-name", name}, args...)...)
	logs := &logBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("instance %s log:\n%s", name, logs.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- addr
			}
		}
		close(lines)
	}()
	select {
	case addr, ok := <-lines:
		if !ok {
			t.Fatalf("instance %s exited before listening:\n%s", name, logs.String())
		}
		return &instance{name: name, url: addr, log: logs, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("instance %s did not listen within 30s:\n%s", name, logs.String())
	}
	return nil
}

// balancer is a round-robin reverse proxy in front of the instances.
type balancer struct {
	ts       *httptest.Server
	backends atomic.Pointer[[]*url.URL]
	next     atomic.Uint64
}

// newBalancer starts a balancer with no backends yet, so that its URL can
// be given to the instances as their external origin.
func newBalancer(t *testing.T) *balancer {
	b := &balancer{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			list := *b.backends.Load()
			target := list[int(b.next.Add(1)-1)%len(list)]
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the instances see the site's own host
		},
	}
	b.ts = httptest.NewServer(proxy)
	t.Cleanup(b.ts.Close)
	return b
}

func (b *balancer) set(instances ...*instance) {
	list := make([]*url.URL, len(instances))
	for i, in := range instances {
		u, err := url.Parse(in.url)
		if err != nil {
			panic(err)
		}
		list[i] = u
	}
	b.backends.Store(&list)
	b.next.Store(0)
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get fetches u and returns the response with its body read.
func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(body)
}

// startLogin follows a sign-in from the site's login path to the
// provider's redirect back, and returns the callback URL (with code and
// state) without visiting it, and the instance that started it.
func (b *browser) startLogin(site string) (callback, startedOn string) {
	b.t.Helper()
	resp, _ := b.get(site + "/login/op")
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login: status %d, want a redirect to the provider", resp.StatusCode)
	}
	startedOn = resp.Header.Get("X-Instance")
	resp, _ = b.get(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("provider: status %d, want a redirect back", resp.StatusCode)
	}
	return resp.Header.Get("Location"), startedOn
}

// login signs in and returns the instances that started and finished it.
func (b *browser) login(site string) (startedOn, finishedOn string) {
	b.t.Helper()
	callback, startedOn := b.startLogin(site)
	resp, body := b.get(callback)
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("callback: status %d, want 303; body: %s", resp.StatusCode, body)
	}
	return startedOn, resp.Header.Get("X-Instance")
}

// me fetches /me from u (the balancer or one instance) as an API call.
func (b *browser) me(u string) (status int, body string) {
	b.t.Helper()
	resp, body := b.get(u + "/me")
	return resp.StatusCode, body
}

// cookiesFor returns the browser's cookies for u.
func (b *browser) cookiesFor(u string) []*http.Cookie {
	pu, _ := url.Parse(u)
	return b.client.Jar.Cookies(pu)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newProvider starts rptest for a site at siteURL.
func newProvider(t *testing.T, siteURL string, cfg rptest.Config) *rptest.Server {
	cfg.RedirectURIs = []string{siteURL + "/callback"}
	cfg.PostLogoutRedirectURIs = []string{siteURL + "/signout-callback-oidc"}
	if len(cfg.Users) == 0 {
		cfg.Users = []rptest.User{{Subject: "alice", Claims: map[string]any{"email": "alice@example.com", "email_verified": true, "name": "Alice"}}}
	}
	op := rptest.NewServer(cfg)
	op.SetDefaultUser(cfg.Users[0].Subject)
	t.Cleanup(op.Close)
	return op
}

// appArgs are the flags of an instance of a site at siteURL on op.
func appArgs(op *rptest.Server, siteURL, sessions string, redis redisTarget, prefix string, extra ...string) []string {
	args := []string{"-external", siteURL, "-issuer", op.Issuer(), "-client-id", op.ClientID(),
		"-client-secret", op.ClientSecret(), "-secret", testSecret, "-sessions", sessions, "-prefix", prefix}
	args = append(args, redis.flags...)
	return append(args, extra...)
}

// mustURL parses u, which the test built itself.
func mustURL(u string) *url.URL {
	pu, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	return pu
}
