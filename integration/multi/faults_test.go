package multi

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// ownRedis is a redis-server this test starts, stops and starts again.
type ownRedis struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

// startOwnRedis starts redis-server on a free loopback port. Without
// redis-server it skips the test, unless CI is set.
func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; .ci/run installs it")
		}
		t.Skip("redis-server is not installed")
	}
	r := &ownRedis{t: t, port: freePort(t), dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *ownRedis) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

// start runs redis-server in the foreground and waits (bounded) until it
// says it accepts connections.
func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", fmt.Sprint(r.port),
		"--save", "", "--appendonly", "no", "--dir", r.dir)
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				signalled = true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		r.t.Fatalf("redis-server on %s was not ready within 10s", r.addr())
	}
}

// stop ends redis-server and waits for it to exit.
func (r *ownRedis) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// TestRedisDownFailsClosedAndRecovers: with Redis stopped, signed-in
// requests are not signed in (and say why in the log), sign-ins fail with
// an error page; once Redis is back, the same processes work again.
func TestRedisDownFailsClosedAndRecovers(t *testing.T) {
	for _, sessions := range []string{"cookie", "redis"} {
		t.Run(sessions, func(t *testing.T) {
			rs := startOwnRedis(t)
			target := redisTarget{"own", []string{"-redis", rs.addr()}}
			s := startSite(t, sessions, target, rptest.Config{})
			br := newBrowser(t)
			br.login(s.lb.ts.URL)
			if status, body := br.me(s.a.url); status != http.StatusOK {
				t.Fatalf("/me with Redis up: %d %s", status, body)
			}

			rs.stop()
			for _, in := range []*instance{s.a, s.b} {
				if status, body := br.me(in.url); status != http.StatusUnauthorized {
					t.Fatalf("/me on %s with Redis down: %d %s, want 401 (fail closed)", in.name, status, body)
				}
			}
			other := newBrowser(t)
			callback, _ := other.startLogin(s.lb.ts.URL)
			resp, body := other.get(callback)
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "try again") {
				t.Fatalf("callback with Redis down: %d %q, want 503 with a try-again page", resp.StatusCode, body)
			}

			rs.start() // empty: nothing was saved
			if sessions == "cookie" {
				// The cookie still holds the session; nothing revoked it.
				if status, body := br.me(s.a.url); status != http.StatusOK {
					t.Fatalf("/me after Redis came back: %d %s, want 200", status, body)
				}
			}
			fresh := newBrowser(t)
			fresh.login(s.lb.ts.URL)
			for _, in := range []*instance{s.a, s.b} {
				if status, body := fresh.me(in.url); status != http.StatusOK {
					t.Fatalf("/me on %s after a sign-in with Redis back: %d %s", in.name, status, body)
				}
			}
		})
	}
}

// TestProviderDown: with the provider gone, signed-in requests keep
// working (the signed-in path does not call it until a refresh is due) and
// a sign-in fails with an error page.
func TestProviderDown(t *testing.T) {
	forEachDeployment(t, func(t *testing.T, sessions string, redis redisTarget) {
		s := startSite(t, sessions, redis, rptest.Config{})
		br := newBrowser(t)
		br.login(s.lb.ts.URL)
		other := newBrowser(t)
		callback, _ := other.startLogin(s.lb.ts.URL)

		s.op.Close()
		for _, in := range []*instance{s.a, s.b} {
			if status, body := br.me(in.url); status != http.StatusOK {
				t.Fatalf("/me on %s with the provider down: %d %s, want 200", in.name, status, body)
			}
		}
		resp, body := other.get(callback)
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("callback with the provider down: %d %q, want 502", resp.StatusCode, body)
		}
	})
}
