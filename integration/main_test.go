//go:build integration

// Package integration signs in through rp against OpenID Providers that
// the library's authors did not write, run as separate processes on this
// machine: the example server of github.com/zitadel/oidc (this file), and
// oidc-provider, the OpenID Certified provider for Node.js (nodeop_test.go).
//
// The tests build nothing themselves. They find the provider's binary
// through RP_IT_OP_BINARY (see .ci/run for how CI builds it) and skip when
// it is unset, unless CI is set, in which case they fail. Run them with
//
//	go test -race -tags integration -count=1 ./integration/
//
// What the example provider is, as read from its source (v3.51.17,
// example/server and example/server/storage):
//
//   - Its issuer is http://localhost:PORT/ (always "localhost", whatever
//     address it is reached at); it listens on every interface at PORT.
//   - It registers the clients "web" and "api" (secret "secret",
//     client_secret_basic, code and refresh_token grants, dev mode) and
//     "native" (public, PKCE), all with the redirect URIs of REDIRECT_URI
//     (comma-separated). None of them has a post-logout redirect URI.
//   - USERS_FILE is a JSON object of users keyed by ID, with the fields of
//     its storage.User (ID, Username, Password, FirstName, LastName, Email,
//     EmailVerified, Phone, PhoneVerified, PreferredLanguage, IsAdmin).
//   - Its authorization endpoint (/auth) redirects to a login page at
//     /login/username?authRequestID=…, a form posting id, username and
//     password back to /login/username; a wrong password shows the form
//     again with "username or password wrong".
//   - Refresh tokens are issued only for the offline_access scope; access
//     tokens live 5 minutes, ID tokens an hour; refresh tokens rotate.
//   - Its ID tokens carry no profile or email claims when an access token
//     is issued too: those come from /userinfo only.
package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// opBinaryEnv names the environment variable holding the provider's binary.
const opBinaryEnv = "RP_IT_OP_BINARY"

// The example provider's confidential web client (storage.WebClient("web",
// "secret", …) in its main.go).
const (
	webClientID     = "web"
	webClientSecret = "secret"
)

// startTimeout bounds how long the provider may take to answer discovery.
const startTimeout = 20 * time.Second

// opUser is one user of the provider's USERS_FILE. The field names are
// those of the example's storage.User, which has no JSON tags.
type opUser struct {
	ID                string
	Username          string
	Password          string
	FirstName         string
	LastName          string
	Email             string
	EmailVerified     bool
	PreferredLanguage string
}

func (u opUser) fullName() string { return u.FirstName + " " + u.LastName }

// The users the provider knows.
var (
	alice = opUser{ID: "id-alice", Username: "alice", Password: "alice-password-7",
		FirstName: "Alice", LastName: "Liddell", Email: "alice@example.test", EmailVerified: true, PreferredLanguage: "en"}
	bob = opUser{ID: "id-bob", Username: "bob", Password: "bob-password-9",
		FirstName: "Bob", LastName: "Builder", Email: "bob@example.test", EmailVerified: false, PreferredLanguage: "en"}
)

// env is the running provider and the test application's server, shared
// by the tests, which run one at a time.
type env struct {
	// issuer is the provider's issuer, "http://localhost:PORT/".
	issuer string
	// app serves the test application on 127.0.0.1; each test installs
	// its own handler with serve.
	app *httptest.Server
	sw  *appSwitch
	// callbackURL is app.URL + "/callback", the provider's registered
	// redirect URI.
	callbackURL string
	// log collects the provider's stdout and stderr.
	log *syncBuffer

	stop func()
}

var (
	envOnce sync.Once
	shared  *env
	envErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	stopNodeOP()
	os.Exit(code)
}

// setup returns the running provider, starting it on first use. Without
// RP_IT_OP_BINARY the test is skipped, or fails when CI is set. When the
// test fails, setup's cleanup logs what the provider printed meanwhile.
func setup(t *testing.T) *env {
	t.Helper()
	bin := os.Getenv(opBinaryEnv)
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must build the provider (see .ci/run)", opBinaryEnv)
		}
		t.Skipf("%s is not set; build the provider with: GOBIN=DIR go install github.com/zitadel/oidc/v3/example/server@v3.51.17 (outside this module) and set %s=DIR/server", opBinaryEnv, opBinaryEnv)
	}
	envOnce.Do(func() { shared, envErr = startEnv(bin) })
	if envErr != nil {
		t.Fatalf("starting the provider: %v", envErr)
	}
	mark := shared.log.Len()
	t.Cleanup(func() {
		shared.sw.set(nil)
		if t.Failed() {
			t.Logf("provider output during this test:\n%s", shared.log.Since(mark))
		}
	})
	return shared
}

// startEnv starts the test application's listener, then the provider with
// the application's callback as its redirect URI.
func startEnv(bin string) (*env, error) {
	if fi, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s=%q: %w", opBinaryEnv, bin, err)
	} else if fi.IsDir() {
		return nil, fmt.Errorf("%s=%q is a directory, not the server binary", opBinaryEnv, bin)
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rp-integration-op-")
	if err != nil {
		return nil, err
	}
	users, err := json.MarshalIndent(map[string]opUser{alice.ID: alice, bob.ID: bob}, "", "  ")
	if err != nil {
		return nil, err
	}
	usersFile := filepath.Join(dir, "users.json")
	if err := os.WriteFile(usersFile, users, 0o600); err != nil {
		return nil, err
	}

	sw := &appSwitch{}
	app := httptest.NewServer(sw) // on 127.0.0.1
	e := &env{app: app, sw: sw, callbackURL: app.URL + "/callback", log: &syncBuffer{}}

	// The provider listens on a port it is told; a free one is found by
	// listening briefly. Should another process take it meanwhile, the
	// provider exits and is started again on another port.
	var p *opProcess
	for attempt := 1; ; attempt++ {
		port, perr := freePort()
		if perr != nil {
			err = perr
			break
		}
		p, err = startOP(bin, dir, port, e.callbackURL, usersFile, e.log)
		if err == nil || !errors.Is(err, errExited) || attempt == 3 {
			break
		}
		fmt.Fprintf(e.log, "--- provider exited at start (attempt %d): %v; trying another port\n", attempt, err)
	}
	if err != nil {
		app.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\nprovider output:\n%s", err, e.log.String())
	}
	e.issuer = p.issuer
	e.stop = func() {
		p.kill()
		app.Close()
		os.RemoveAll(dir)
	}
	return e, nil
}

// errExited: the provider process ended before it answered discovery.
var errExited = errors.New("provider process exited")

type opProcess struct {
	cmd    *exec.Cmd
	issuer string
	exited chan struct{}
	err    error // cmd.Wait's result, once exited is closed
}

// startOP runs the provider on port and waits until its discovery document
// names the expected issuer.
func startOP(bin, dir string, port int, redirectURI, usersFile string, log *syncBuffer) (*opProcess, error) {
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(port),
		"REDIRECT_URI="+redirectURI,
		"USERS_FILE="+usersFile,
	)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.WaitDelay = 5 * time.Second
	setProcessAttributes(cmd)
	fmt.Fprintf(log, "--- starting %s with PORT=%d REDIRECT_URI=%s\n", bin, port, redirectURI)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &opProcess{cmd: cmd, issuer: fmt.Sprintf("http://localhost:%d/", port), exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	var last error
	for {
		if last = discoveryAnswers(client, p.issuer); last == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%w (%v) before answering discovery at %s", errExited, p.err, p.issuer)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("the provider did not answer discovery at %s within %v: %v", p.issuer, startTimeout, last)
		}
	}
}

// discoveryAnswers checks that issuer's discovery document is served and
// names issuer.
func discoveryAnswers(client *http.Client, issuer string) error {
	resp, err := client.Get(issuer + ".well-known/openid-configuration")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery answered %s", resp.Status)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return fmt.Errorf("discovery document: %v", err)
	}
	if doc.Issuer != issuer {
		return fmt.Errorf("discovery names issuer %q, want %q (another server on this port?)", doc.Issuer, issuer)
	}
	return nil
}

// kill ends the provider and waits for it.
func (p *opProcess) kill() {
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// appSwitch is the test application's handler: whatever the current test
// installed, or 503 between tests.
type appSwitch struct {
	mu sync.RWMutex
	h  http.Handler
}

func (s *appSwitch) set(h http.Handler) {
	s.mu.Lock()
	s.h = h
	s.mu.Unlock()
}

func (s *appSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	if h == nil {
		http.Error(w, "no test application installed", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

// serve installs h as the test application until the test ends.
func (e *env) serve(h http.Handler) { e.sw.set(h) }

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// process's stdout and stderr and reads by the tests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Since returns what was written after the first mark bytes.
func (b *syncBuffer) Since(mark int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if mark > b.b.Len() {
		return ""
	}
	return string(b.b.Bytes()[mark:])
}
