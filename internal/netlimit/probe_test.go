package netlimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestProbeEndsOnce: the probe of a request is told its end exactly once,
// with the status and the error, whether the body is read to the end and
// closed, cut off by the size limit (known from Content-Length or found
// while reading), or no response arrives; and its context is the one the
// request is sent with.
func TestProbeEndsOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Probe") != "yes" {
			t.Errorf("%s: the request was not sent with the probe's context", r.URL.Path)
		}
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length: the limit is found while reading
		}
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
		io.WriteString(w, strings.Repeat("a", 100))
	}))
	defer srv.Close()
	type mark struct{}
	for _, tc := range []struct {
		path   string
		limit  int64
		want   string
		closed bool // the server is down
	}{
		{"/", 100, "200 <nil>", false},
		{"/missing", 100, "404 <nil>", false},
		{"/", 99, "200 too large", false},
		{"/chunked", 99, "200 too large", false},
		{"/", 100, "0 failed", true},
	} {
		var ends []string
		probe := func(req *http.Request) (context.Context, func(int, error)) {
			return context.WithValue(req.Context(), mark{}, true), func(status int, err error) {
				switch {
				case errors.Is(err, ErrTooLarge):
					ends = append(ends, fmt.Sprintf("%d too large", status))
				case err != nil:
					ends = append(ends, fmt.Sprintf("%d failed", status))
				default:
					ends = append(ends, fmt.Sprintf("%d %v", status, err))
				}
			}
		}
		base := srv.Client()
		base.Transport = markHeader{srv.Client().Transport, mark{}}
		c := Client(base, tc.limit, time.Minute)
		url := srv.URL + tc.path
		if tc.closed {
			url = "http://127.0.0.1:1/"
		}
		req, _ := http.NewRequestWithContext(WithProbe(context.Background(), probe), http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body.Close()
		}
		if len(ends) != 1 || ends[0] != tc.want {
			t.Errorf("%s limit %d: probe ends %q, want [%q]", tc.path, tc.limit, ends, tc.want)
		}
	}
}

// markHeader sets X-Probe: yes on requests whose context holds key.
type markHeader struct {
	base http.RoundTripper
	key  any
}

func (m markHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Context().Value(m.key) != nil {
		req = req.Clone(req.Context())
		req.Header.Set("X-Probe", "yes")
	}
	return m.base.RoundTrip(req)
}

// TestNoProbe: a request without a probe is sent as before.
func TestNoProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	resp, err := Client(srv.Client(), 10, time.Minute).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok" {
		t.Errorf("body %q, %v", b, err)
	}
}
