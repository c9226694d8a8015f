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
// its embedded mock providers.
type testApp struct {
	*httptest.Server
	idps map[string]*rptest.Server // by provider name
}

// startApp starts the demo app and its providers, after letting edit
// change the configuration. The listener is created first, so that the
// redirect URLs name the port the app really has.
func startApp(t *testing.T, edit func(*appConfig)) *testApp {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	cfg, servers := demoConfig("http://" + ts.Listener.Addr().String())
	idps := map[string]*rptest.Server{}
	for i, op := range servers {
		t.Cleanup(op.Close)
		idps[cfg.Providers[i].Name] = op
	}
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	if edit != nil {
		edit(&cfg)
	}
	a, err := newApp(t.Context(), cfg)
	if err != nil {
		ts.Listener.Close()
		t.Fatalf("newApp: %v", err)
	}
	ts.Config.Handler = a.handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &testApp{Server: ts, idps: idps}
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
