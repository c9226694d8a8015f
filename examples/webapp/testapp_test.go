package main

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// testApp is the demo app served on a loopback listener, signing in at
// its embedded mock providers through its stored connections.
type testApp struct {
	*httptest.Server
	in   *instance
	idps map[string]*rptest.Server // by mock name
}

// startApp starts the demo app on an in-memory database, after letting
// edit change the options (edit may be nil). The listener is created
// first, so that the redirect URLs name the port the app really has.
func startApp(t *testing.T, edit func(*options)) *testApp {
	t.Helper()
	opts, err := configFromArgs([]string{"-db", memoryDB}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&opts)
	}
	return startAppWith(t, opts, env(nil))
}

// startAppWith starts the app for opts, reading the environment with
// getenv. It is closed when the test ends.
func startAppWith(t *testing.T, opts options, getenv func(string) string) *testApp {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	home := "http://" + ts.Listener.Addr().String()
	if opts.redirectDerived {
		opts.RedirectURL = home + "/callback/" + realProvider
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	in, err := startInstance(t.Context(), opts, home, getenv, log)
	if err != nil {
		ts.Listener.Close()
		t.Fatalf("startInstance: %v", err)
	}
	ts.Config.Handler = in.app.handler()
	ts.Start()
	app := &testApp{Server: ts, in: in, idps: map[string]*rptest.Server{}}
	for _, m := range in.mocks {
		app.idps[m.Name] = m.OP
	}
	t.Cleanup(app.Close)
	return app
}

// Close stops the app and everything it runs on.
func (a *testApp) Close() {
	a.Server.Close()
	a.in.Close()
}

// mock returns the running mock provider name.
func (a *testApp) mock(t *testing.T, name string) runningMock {
	t.Helper()
	for _, m := range a.in.mocks {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no mock provider %q", name)
	return runningMock{}
}

// newClient returns an HTTP client with a cookie jar, like a browser that
// sends no Sec-Fetch headers. It follows up to 10 redirects.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		return nil
	}}
}

// noRedirects returns a copy of c that returns redirects instead of
// following them.
func noRedirects(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// do sends req with c and returns the response and its body.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// get fetches u with c.
func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html") // a page load, as a browser sends it
	return do(t, c, req)
}
