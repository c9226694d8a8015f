package rp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/outbound"
)

// TestWebFingerBounded: an answer declaring more than MaxWebFingerSize
// bytes, or sending more without declaring it, is refused with
// ErrWebFingerTooLarge; one that never comes is cut off at Timeout with
// ErrWebFingerUnavailable and context.DeadlineExceeded.
func TestWebFingerBounded(t *testing.T) {
	huge := `{"pad":"` + strings.Repeat("x", MaxWebFingerSize) + `","links":[]}`
	declared := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jrd+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(huge)))
		_, _ = w.Write([]byte(huge))
	}))
	t.Cleanup(declared.Close)
	chunked := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jrd+json")
		for range 3 {
			_, _ = w.Write([]byte(huge[:MaxWebFingerSize/2]))
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(chunked.Close)
	for name, srv := range map[string]*httptest.Server{"declared": declared, "chunked": chunked} {
		_, err := WebFinger{HTTPClient: srv.Client()}.DiscoverIssuer(context.Background(), emailAt(srv))
		if !errors.Is(err, ErrWebFingerTooLarge) || !errors.Is(err, ErrWebFinger) {
			t.Errorf("%s: %v, want ErrWebFingerTooLarge", name, err)
		}
	}

	// The handler answers only when the request is given up.
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	_, err := WebFinger{HTTPClient: slow.Client(), Timeout: 50 * time.Millisecond}.DiscoverIssuer(context.Background(), emailAt(slow))
	if !errors.Is(err, ErrWebFingerUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow: %v, want ErrWebFingerUnavailable and context.DeadlineExceeded", err)
	}
}

// TestWebFingerOutboundPolicy: an outbound Policy's client is used, its
// refusal of a loopback address shows in the error, and its redirect rule
// is asked after the https-only one.
func TestWebFingerOutboundPolicy(t *testing.T) {
	srv, query := webFingerServer(t, 200, "application/jrd+json", jrdOK)
	_, err := WebFinger{HTTPClient: outbound.Policy{}.Client(srv.Client())}.DiscoverIssuer(context.Background(), emailAt(srv))
	if !errors.Is(err, ErrWebFingerUnavailable) || !errors.Is(err, outbound.ErrForbiddenAddress) || *query != "" {
		t.Fatalf("loopback through the policy: %v (query %q), want ErrWebFingerUnavailable and outbound.ErrForbiddenAddress", err, *query)
	}
	base := srv.Client()
	asked := 0
	base.CheckRedirect = func(*http.Request, []*http.Request) error { asked++; return errors.New("not here") }
	redirect := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	if _, err := (WebFinger{HTTPClient: base}).DiscoverIssuer(context.Background(), emailAt(redirect)); !errors.Is(err, ErrWebFingerUnavailable) || asked != 1 {
		t.Fatalf("redirect: %v, client's CheckRedirect asked %d times; want ErrWebFingerUnavailable and 1", err, asked)
	}
}

// TestWebFingerObserved: the request is told to the Observer as
// EndpointWebFinger without issuer or host, its failures with their kind.
func TestWebFingerObserved(t *testing.T) {
	obs := &recorder{}
	srv, _ := webFingerServer(t, 200, "application/jrd+json", jrdOK)
	if _, err := (WebFinger{HTTPClient: srv.Client(), Observer: obs}).DiscoverIssuer(context.Background(), emailAt(srv)); err != nil {
		t.Fatal(err)
	}
	gone, _ := webFingerServer(t, 404, "text/plain", "")
	if _, err := (WebFinger{HTTPClient: gone.Client(), Observer: obs}).DiscoverIssuer(context.Background(), emailAt(gone)); !errors.Is(err, ErrWebFingerUnavailable) {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("call webfinger GET  : 200 %q", ""), fmt.Sprintf("call webfinger GET  : 404 %q", CallStatusFailed)}
	if got := obs.take(); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}
