package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oidcrp/rp/session"
)

// redisServer is a redis-server process a test started.
type redisServer struct {
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
}

// redisServerPath returns the path of redis-server, skipping t when it is
// not installed, unless CI is set.
func redisServerPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is not installed, and CI is: the fault tests must run in CI (%v)", err)
		}
		t.Skipf("redis-server is not installed: %v", err)
	}
	return path
}

// freePort returns a loopback TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRedis starts redis-server on 127.0.0.1:port, without persistence,
// and returns once it logs that it accepts connections. It is killed when
// t ends, if still running.
func startRedis(t *testing.T, path string, port int) *redisServer {
	t.Helper()
	cmd := exec.Command(path,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", t.TempDir(), "--logfile", "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	srv := &redisServer{port: port, cmd: cmd, exited: make(chan struct{})}
	ready := make(chan struct{})
	var logged strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			if !seen {
				logged.WriteString(sc.Text() + "\n")
			}
			if !seen && strings.Contains(sc.Text(), "Ready to accept connections") {
				seen = true
				close(ready)
			}
		}
		_ = cmd.Wait()
		close(srv.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		<-srv.exited
	})
	select {
	case <-ready:
	case <-srv.exited:
		t.Fatalf("redis-server on port %d exited before accepting connections:\n%s", port, logged.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("redis-server on port %d did not accept connections within 10s", port)
	}
	return srv
}

// stop shuts the server down (SHUTDOWN NOSAVE) and waits until it exited.
func (srv *redisServer) stop(t *testing.T) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", srv.port)})
	defer c.Close()
	_ = c.ShutdownNoSave(t.Context()).Err() // the connection closes: no reply
	select {
	case <-srv.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server did not exit within 10s of SHUTDOWN NOSAVE")
	}
}

// callTimeout bounds each call of the fault tests; slack is how much
// longer a call may take to return.
const (
	callTimeout = 300 * time.Millisecond
	slack       = 2 * time.Second
)

// allFailPromptly calls every method of s with a context of callTimeout,
// and fails t unless each returns an error, no success, and within
// callTimeout + slack.
func allFailPromptly(t *testing.T, s *Store, state string) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	id := sessionID()
	call := func(op string, fn func(ctx context.Context) (success bool, err error)) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		defer cancel()
		start := time.Now()
		success, err := fn(ctx)
		took := time.Since(start)
		if err == nil || errors.Is(err, session.ErrNotFound) {
			t.Errorf("%s with Redis %s = %v; want an error other than ErrNotFound", op, state, err)
		}
		if success {
			t.Errorf("%s with Redis %s reported a success with its error", op, state)
		}
		if took > callTimeout+slack {
			t.Errorf("%s with Redis %s took %v; want at most %v", op, state, took, callTimeout+slack)
		}
	}
	h := s.Shared()
	call("Get", func(ctx context.Context) (bool, error) { d, err := s.Get(ctx, id); return d != nil, err })
	call("Set", func(ctx context.Context) (bool, error) { return false, s.Set(ctx, id, []byte("x"), later) })
	call("Delete", func(ctx context.Context) (bool, error) { return false, s.Delete(ctx, id) })
	call("Index", func(ctx context.Context) (bool, error) { return false, s.Index(ctx, id, []string{"sub:op:a"}, later) })
	call("DeleteIndexed", func(ctx context.Context) (bool, error) {
		n, err := s.DeleteIndexed(ctx, "sub:op:a")
		return n != 0, err
	})
	call("FirstUse", func(ctx context.Context) (bool, error) { return s.FirstUse(ctx, "state:"+id, later) })
	call("Shared.Add", func(ctx context.Context) (bool, error) { return h.Add(ctx, "lock:"+id, []byte("v"), later) })
	call("Shared.Put", func(ctx context.Context) (bool, error) { return false, h.Put(ctx, "ended:"+id, []byte("v"), later) })
	call("Shared.Get", func(ctx context.Context) (bool, error) { v, err := h.Get(ctx, "ended:"+id); return v != nil, err })
	call("Shared.Remove", func(ctx context.Context) (bool, error) { return false, h.Remove(ctx, "lock:"+id, []byte("v")) })
}

// allWork uses every method of s and fails t unless each works.
func allWork(t *testing.T, s *Store, state string) {
	t.Helper()
	ctx := t.Context()
	later := time.Now().Add(time.Hour)
	id := sessionID()
	must := func(op string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s with Redis %s: %v", op, state, err)
		}
	}
	must("Index", s.Index(ctx, id, []string{"sub:op:alice"}, later))
	must("Set", s.Set(ctx, id, []byte("x"), later))
	if d, err := s.Get(ctx, id); err != nil || string(d) != "x" {
		t.Fatalf("Get with Redis %s = %q, %v; want x", state, d, err)
	}
	if n, err := s.DeleteIndexed(ctx, "sub:op:alice"); n != 1 || err != nil {
		t.Fatalf("DeleteIndexed with Redis %s = %d, %v; want 1, nil", state, n, err)
	}
	must("Delete", s.Delete(ctx, id))
	if first, err := s.FirstUse(ctx, "state:"+id, later); !first || err != nil {
		t.Fatalf("FirstUse with Redis %s = %v, %v; want true", state, first, err)
	}
	if first, err := s.FirstUse(ctx, "state:"+id, later); first || err != nil {
		t.Fatalf("second FirstUse with Redis %s = %v, %v; want false", state, first, err)
	}
	h := s.Shared()
	if ok, err := h.Add(ctx, "lock:"+id, []byte("v"), later); !ok || err != nil {
		t.Fatalf("Shared.Add with Redis %s = %v, %v; want true", state, ok, err)
	}
	must("Shared.Remove", h.Remove(ctx, "lock:"+id, []byte("v")))
	must("Shared.Put", h.Put(ctx, "ended:"+id, []byte("v"), later))
	if v, err := h.Get(ctx, "ended:"+id, "lock:"+id); err != nil || string(v[0]) != "v" || v[1] != nil {
		t.Fatalf("Shared.Get with Redis %s = %q, %v; want v and nil", state, v, err)
	}
}

// TestFaults runs one Store through a Redis that freezes (SIGSTOP), then
// stops, then starts again on the same port: every call fails promptly
// and without a false success while Redis is away, and the same Store and
// client work again once it is back.
func TestFaults(t *testing.T) {
	path := redisServerPath(t)
	port := freePort(t)
	srv := startRedis(t, path, port)
	client := redis.NewClient(&redis.Options{
		Addr:                  fmt.Sprintf("127.0.0.1:%d", port),
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
	})
	t.Cleanup(func() { _ = client.Close() })
	s := New(client, "")
	allWork(t, s, "up")
	id := sessionID()
	if err := s.Set(t.Context(), id, []byte("before"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// A Redis that stops answering: each call ends at its deadline.
	if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	allFailPromptly(t, s, "frozen")
	if err := srv.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	allWork(t, s, "thawed")
	if d, err := s.Get(t.Context(), id); err != nil || string(d) != "before" {
		t.Fatalf("Get after the freeze = %q, %v; want the data stored before", d, err)
	}

	// A Redis that is gone: each call fails at once.
	srv.stop(t)
	allFailPromptly(t, s, "stopped")

	// Back on the same port, empty (nothing was saved): the same Store
	// works again, and its scripts are sent anew. After many failed
	// dials go-redis fails calls at once and probes Redis once a second
	// in the background, so the first calls may still fail, for about a
	// second: never with a success.
	startRedis(t, path, port)
	recovered(t, s, 5*time.Second)
	if _, err := s.Get(t.Context(), id); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Get of a session of the stopped Redis = %v; want ErrNotFound from the new one", err)
	}
	allWork(t, s, "restarted")
}

// recovered returns once a FirstUse of a fresh key through s succeeds,
// trying every 50ms, and fails t if that takes longer than bound or if a
// failing FirstUse reports a first use.
func recovered(t *testing.T, s *Store, bound time.Duration) {
	t.Helper()
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		first, err := s.FirstUse(ctx, "probe:"+sessionID(), time.Now().Add(time.Minute))
		cancel()
		switch {
		case err == nil && first:
			return
		case err == nil:
			t.Fatal("FirstUse of a fresh key reported a second use")
		case first:
			t.Fatalf("a failing FirstUse reported a first use: %v", err)
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("the Store did not work again within %v of Redis restarting: %v", bound, err)
		}
	}
}
