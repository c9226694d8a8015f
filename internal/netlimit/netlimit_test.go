package netlimit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBodyLimit(t *testing.T) {
	body := strings.Repeat("a", 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // forces chunked encoding: no Content-Length
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()

	for _, tc := range []struct {
		path    string
		limit   int64
		wantErr bool
	}{
		{"/", 100, false},
		{"/", 99, true},
		{"/chunked", 100, false},
		{"/chunked", 99, true},
	} {
		c := Client(srv.Client(), tc.limit, time.Minute)
		resp, err := c.Get(srv.URL + tc.path)
		var got []byte
		if err == nil {
			got, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if tc.wantErr {
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s limit %d: err = %v; want ErrTooLarge", tc.path, tc.limit, err)
			}
			continue
		}
		if err != nil || string(got) != body {
			t.Errorf("%s limit %d: got %d bytes, %v", tc.path, tc.limit, len(got), err)
		}
	}
}

// deadlineProbe is a transport that records the deadline of the request
// it is given and answers 200 with an empty body.
type deadlineProbe struct {
	deadline time.Time
	has      bool
}

func (p *deadlineProbe) RoundTrip(req *http.Request) (*http.Response, error) {
	p.deadline, p.has = req.Context().Deadline()
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// TestTimeoutTakesShorter: the request's deadline is the shorter of the
// base client's Timeout and the bound, set on the request context rather
// than through http.Client.Timeout (which would cost a goroutine and a
// timer per request around a wrapping transport).
func TestTimeoutTakesShorter(t *testing.T) {
	for _, tc := range []struct {
		base *http.Client
		want time.Duration
	}{
		{&http.Client{Timeout: time.Second}, time.Second},
		{&http.Client{Timeout: time.Hour}, time.Minute},
		{&http.Client{}, time.Minute},
		{nil, time.Minute},
	} {
		probe := &deadlineProbe{}
		if tc.base != nil {
			tc.base.Transport = probe
		}
		c := Client(tc.base, 1, time.Minute)
		if c.Timeout != 0 {
			t.Errorf("Timeout = %v; want the limit on the request context instead", c.Timeout)
		}
		if tc.base == nil {
			continue // http.DefaultTransport: nothing to probe
		}
		before := time.Now()
		resp, err := c.Get("http://127.0.0.1:1/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !probe.has || probe.deadline.Before(before.Add(tc.want)) || probe.deadline.After(time.Now().Add(tc.want)) {
			t.Errorf("base Timeout %v: deadline %v after the request; want %v", tc.base.Timeout, probe.deadline.Sub(before), tc.want)
		}
	}
}

// TestTimeoutCutsOffSlowServer: a server that never answers fails the
// request with context.DeadlineExceeded once the limit passes.
func TestTimeoutCutsOffSlowServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	_, err := Client(srv.Client(), 1, 50*time.Millisecond).Get(srv.URL)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want context.DeadlineExceeded", err)
	}
}

// TestRedirectKeepsDeadline: a redirected request keeps the deadline of
// the request that started the chain, so redirects cannot stretch the
// limit.
func TestRedirectKeepsDeadline(t *testing.T) {
	var deadlines []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
		}
	}))
	defer srv.Close()
	base := srv.Client()
	inner := base.Transport
	base.Transport = roundTripFunc(func(req *http.Request) (*http.Response, error) {
		d, _ := req.Context().Deadline()
		deadlines = append(deadlines, d)
		return inner.RoundTrip(req)
	})
	resp, err := Client(base, 100, time.Minute).Get(srv.URL + "/a")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(deadlines) != 2 || deadlines[0].IsZero() || !deadlines[1].Equal(deadlines[0]) {
		t.Fatalf("deadlines of the two hops: %v; want the same one twice", deadlines)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
