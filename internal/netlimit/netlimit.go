// Package netlimit bounds what the library reads from the network: every
// response body is cut off with an error past a size limit, and every request
// carries a deadline.
package netlimit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrTooLarge reports a response body longer than the configured limit.
var ErrTooLarge = errors.New("response body too large")

// Client returns an http.Client that sends requests through base's transport
// (http.DefaultTransport when base or its transport is nil), fails any
// response body longer than maxBody bytes with ErrTooLarge, and gives up on a
// request after timeout unless base has a shorter timeout of its own. Redirect
// and cookie behaviour are taken from base.
func Client(base *http.Client, maxBody int64, timeout time.Duration) *http.Client {
	c := &http.Client{Timeout: timeout}
	var rt http.RoundTripper
	if base != nil {
		rt = base.Transport
		c.CheckRedirect = base.CheckRedirect
		c.Jar = base.Jar
		if base.Timeout > 0 && base.Timeout < timeout {
			c.Timeout = base.Timeout
		}
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &transport{base: rt, max: maxBody}
	return c
}

type transport struct {
	base http.RoundTripper
	max  int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %w (Content-Length %d, limit %d bytes)", req.Method, req.URL.Redacted(), ErrTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, url: req.URL.Redacted()}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
	url  string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("%s: %w", b.url, ErrTooLarge)
	}
	// Read one byte more than allowed so an over-long body is detected
	// rather than silently truncated.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("%s: %w", b.url, ErrTooLarge)
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
