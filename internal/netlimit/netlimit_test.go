package netlimit

import (
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

func TestTimeoutTakesShorter(t *testing.T) {
	if c := Client(&http.Client{Timeout: time.Second}, 1, time.Minute); c.Timeout != time.Second {
		t.Errorf("Timeout = %v; want the base client's shorter 1s", c.Timeout)
	}
	if c := Client(&http.Client{Timeout: time.Hour}, 1, time.Minute); c.Timeout != time.Minute {
		t.Errorf("Timeout = %v; want the 1m bound", c.Timeout)
	}
	if c := Client(nil, 1, time.Minute); c.Timeout != time.Minute {
		t.Errorf("Timeout = %v; want 1m", c.Timeout)
	}
}
