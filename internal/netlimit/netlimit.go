// Package netlimit bounds what the library reads from the network: every
// response body is cut off with an error past a size limit, and every request
// carries a deadline.
package netlimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// ErrTooLarge reports a response body longer than the configured limit.
var ErrTooLarge = errors.New("response body too large")

// Client returns an http.Client that sends requests through base's transport
// (http.DefaultTransport when base or its transport is nil), fails any
// response body longer than maxBody bytes with ErrTooLarge, and gives up on a
// request after timeout unless base has a shorter timeout of its own. Redirect
// and cookie behaviour are taken from base.
//
// The time limit is a deadline on each request's context, set when the
// request is sent and ended when its body is read to the end or closed; a
// redirected request keeps the deadline of the request that started the
// chain, so the limit covers the whole exchange as http.Client.Timeout
// does. Unlike http.Client.Timeout on a wrapping transport, this costs no
// goroutine per request. Errors from a request that ran out of time match
// context.DeadlineExceeded.
func Client(base *http.Client, maxBody int64, timeout time.Duration) *http.Client {
	c := &http.Client{}
	var rt http.RoundTripper
	if base != nil {
		rt = base.Transport
		c.CheckRedirect = base.CheckRedirect
		c.Jar = base.Jar
		if base.Timeout > 0 && base.Timeout < timeout {
			timeout = base.Timeout
		}
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &transport{base: rt, max: maxBody, timeout: timeout}
	return c
}

// Probe watches one request: called as the transport sends req, it returns
// the context to send it with and a function called exactly once with the
// response's status (0 when none arrived) and the request's error, when
// the response's body is read to the end or closed, or the request failed
// (nil error at io.EOF or a Close before it).
type Probe func(req *http.Request) (context.Context, func(status int, err error))

type probeKey struct{}

// WithProbe returns ctx with p, which the transport of every Client calls
// for each request sent with ctx, redirects included.
func WithProbe(ctx context.Context, p Probe) context.Context {
	return context.WithValue(ctx, probeKey{}, p)
}

type transport struct {
	base    http.RoundTripper
	max     int64
	timeout time.Duration
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(t.timeout)
	// A redirect: the previous hop's request is the one this transport
	// sent, with the chain's deadline.
	if prev := req.Response; prev != nil && prev.Request != nil {
		if d, ok := prev.Request.Context().Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
	}
	ctx := req.Context()
	end := func(int, error) {}
	if p, _ := ctx.Value(probeKey{}).(Probe); p != nil {
		ctx, end = p(req)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		end(0, err)
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		cancel()
		err := fmt.Errorf("%s %s: %w (Content-Length %d, limit %d bytes)", req.Method, req.URL.Redacted(), ErrTooLarge, resp.ContentLength, t.max)
		end(resp.StatusCode, err)
		return nil, err
	}
	b := &limitedBody{rc: resp.Body, left: t.max, url: req.URL.Redacted(), cancel: cancel}
	status := resp.StatusCode
	b.end = func(err error) { b.once.Do(func() { end(status, err) }) }
	resp.Body = b
	return resp, nil
}

// limitedBody fails reads past the size limit and ends the request's
// deadline once the body is read to the end or closed.
type limitedBody struct {
	rc     io.ReadCloser
	left   int64
	url    string
	cancel context.CancelFunc
	once   sync.Once
	end    func(err error) // the Probe's, once
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
		err := fmt.Errorf("%s: %w", b.url, ErrTooLarge)
		b.end(err)
		return n, err
	}
	switch {
	case err == io.EOF:
		b.cancel()
		b.end(nil)
	case err != nil:
		b.end(err)
	}
	return n, err
}

func (b *limitedBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	b.end(nil)
	return err
}
