package rp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

func newRPFor(op *rptest.Server, mod func(*Config)) (*RP, error) {
	cfg := Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: Secret(op.ClientSecret()),
		RedirectURL:  "http://127.0.0.1:1/callback",
	}
	if mod != nil {
		mod(&cfg)
	}
	return New(context.Background(), cfg)
}

func TestDiscoveryFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
		want   error
		status int
		detail string
	}{
		{"404", rptest.Faults{DiscoveryStatus: http.StatusNotFound}, ErrMetadataUnavailable, 404, "answered 404 Not Found"},
		{"500", rptest.Faults{DiscoveryStatus: http.StatusInternalServerError}, ErrMetadataUnavailable, 500, "not 200 OK"},
		{"malformed JSON", rptest.Faults{DiscoveryBody: []byte(`{"issuer": "x",`)}, ErrMetadataMalformed, 200, "not a JSON discovery document"},
		{"HTML page", rptest.Faults{DiscoveryBody: []byte(`<html>login</html>`)}, ErrMetadataMalformed, 200, "not a JSON discovery document"},
		{"JSON array", rptest.Faults{DiscoveryBody: []byte(`[]`)}, ErrMetadataMalformed, 200, "not a JSON discovery document"},
		{"issuer mismatch", rptest.Faults{DiscoveryIssuer: "https://evil.example"}, ErrMetadataIssuerMismatch, 200, `issuer is "https://evil.example"`},
		{"issuer prefix only", rptest.Faults{DiscoveryIssuer: "http://127.0.0.1"}, ErrMetadataIssuerMismatch, 200, "set the authority to the provider's exact issuer"},
		{"missing jwks_uri", rptest.Faults{OmitJWKSURI: true}, ErrMetadataIncomplete, 200, "jwks_uri is missing"},
		{"no issuer", rptest.Faults{DiscoveryBody: []byte(`{"jwks_uri":"https://x/k"}`)}, ErrMetadataIncomplete, 200, "no issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := rptest.NewServer(rptest.Config{})
			defer op.Close()
			op.SetFaults(tc.faults)
			rp, err := newRPFor(op, nil)
			if rp != nil || !errors.Is(err, ErrDiscovery) || !errors.Is(err, tc.want) {
				t.Fatalf("New = %v, %v; want %v", rp, err, tc.want)
			}
			var de *DiscoveryError
			if !errors.As(err, &de) || de.StatusCode != tc.status {
				t.Fatalf("error %#v; want a DiscoveryError with status %d", err, tc.status)
			}
			msg := err.Error()
			if !strings.Contains(msg, op.Issuer()+"/.well-known/openid-configuration") || !strings.Contains(msg, tc.detail) {
				t.Fatalf("error %q; want it to name the URL and say %q", msg, tc.detail)
			}
		})
	}
}

func TestDiscoveryTrailingSlash(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	// The admin typed a trailing slash the provider's issuer lacks.
	rp, err := newRPFor(op, func(c *Config) { c.Authority += "/" })
	if err != nil {
		t.Fatalf("New with trailing slash: %v", err)
	}
	if got := rp.Metadata().Issuer; got != op.Issuer() {
		t.Errorf("issuer = %q; want the document's exact spelling %q", got, op.Issuer())
	}
	// The provider's issuer has a trailing slash the admin did not type.
	op.SetFaults(rptest.Faults{DiscoveryIssuer: op.Issuer() + "/"})
	if _, err := newRPFor(op, nil); err != nil {
		t.Errorf("New with the provider's trailing slash: %v", err)
	}
	// Two slashes is another issuer.
	op.SetFaults(rptest.Faults{DiscoveryIssuer: op.Issuer() + "//"})
	if _, err := newRPFor(op, nil); !errors.Is(err, ErrMetadataIssuerMismatch) {
		t.Errorf("New with a double slash = %v; want ErrMetadataIssuerMismatch", err)
	}
}

func TestDiscoveryRejectsInsecureEndpoints(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"http://` + r.Host + `","jwks_uri":"http://keys.example.com/jwks",
			"authorization_endpoint":"http://` + r.Host + `/a","token_endpoint":"http://` + r.Host + `/t"}`))
	}))
	defer srv.Close()
	_, err := New(context.Background(), Config{Authority: srv.URL, ClientID: "c", RedirectURL: "http://127.0.0.1/cb"})
	if !errors.Is(err, ErrMetadataIncomplete) || !strings.Contains(err.Error(), "jwks_uri") || !strings.Contains(err.Error(), "use https") {
		t.Fatalf("New = %v; want the plain-http jwks_uri named", err)
	}
}

func TestDiscoveryBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"` + strings.Repeat("a", MaxResponseSize) + `"}`))
	}))
	defer srv.Close()
	_, err := New(context.Background(), Config{Authority: srv.URL, ClientID: "c", RedirectURL: "http://127.0.0.1/cb"})
	if !errors.Is(err, ErrMetadataUnavailable) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("New = %v; want a too-large error", err)
	}
}

func TestDiscoveryTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	cfg := Config{Authority: srv.URL, ClientID: "c", RedirectURL: "http://127.0.0.1/cb"}

	// The library's own bound: HTTPTimeout ends a provider that never answers.
	cfg.HTTPTimeout = 100 * time.Millisecond
	_, err := New(context.Background(), cfg)
	var ne net.Error
	if !errors.Is(err, ErrMetadataUnavailable) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("New against a silent provider = %v; want a timeout", err)
	}

	// The caller's context bounds it too.
	cfg.HTTPTimeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(ctx, cfg); !errors.Is(err, ErrMetadataUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("New with a cancelled context = %v; want the request abandoned", err)
	}
}
