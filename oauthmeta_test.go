package rp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// TestOAuthMetadataURL: RFC 8414's path-insertion rule, the issuer's
// terminating slash removed; an issuer that is not an absolute URL
// without query or fragment has no such URL.
func TestOAuthMetadataURL(t *testing.T) {
	for issuer, want := range map[string]string{
		"https://h":               "https://h/.well-known/oauth-authorization-server",
		"https://h/":              "https://h/.well-known/oauth-authorization-server",
		"https://h/p":             "https://h/.well-known/oauth-authorization-server/p",
		"https://h/p/":            "https://h/.well-known/oauth-authorization-server/p",
		"https://h:8443/a/b":      "https://h:8443/.well-known/oauth-authorization-server/a/b",
		"https://h/a%2Fb":         "https://h/.well-known/oauth-authorization-server/a%2Fb",
		"http://127.0.0.1:9/t/v2": "http://127.0.0.1:9/.well-known/oauth-authorization-server/t/v2",
	} {
		if got, ok := oauthMetadataURL(issuer); !ok || got != want {
			t.Errorf("oauthMetadataURL(%q) = %q, %v; want %q", issuer, got, ok, want)
		}
	}
	for _, issuer := range []string{"", "h/p", "/p", "https://h/p?x=1", "https://h/p#f", "https://u@h/p", "https://h/p?", "://bad"} {
		if got, ok := oauthMetadataURL(issuer); ok {
			t.Errorf("oauthMetadataURL(%q) = %q, want none", issuer, got)
		}
	}
}

// TestRFC8414FallbackSignsIn: a provider publishing only RFC 8414
// metadata is discovered through it after OpenID discovery's 404, and a
// login completes.
func TestRFC8414FallbackSignsIn(t *testing.T) {
	h := newHarness(t, rptest.Config{OAuthMetadataOnly: true}, nil)
	if got := h.op.Requests(rptest.EndpointDiscovery); got != 1 {
		t.Errorf("OpenID discovery requests %d, want 1", got)
	}
	if got := h.op.Requests(rptest.EndpointOAuthMetadata); got != 1 {
		t.Errorf("RFC 8414 requests %d, want 1", got)
	}
	if md := h.rp.Metadata(); md.Issuer != h.op.Issuer() || md.TokenEndpoint != h.op.URL+rptest.PathToken {
		t.Errorf("metadata %+v", md)
	}
	res, err := h.login()
	if err != nil || res.Claims.Subject != alice.Subject {
		t.Fatalf("login: %v, %+v", err, res)
	}
}

// TestRFC8414NotTriedWithoutNeed: a provider with OpenID discovery is not
// asked for RFC 8414 metadata.
func TestRFC8414NotTriedWithoutNeed(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	if got := h.op.Requests(rptest.EndpointOAuthMetadata); got != 0 {
		t.Errorf("RFC 8414 requests %d, want 0", got)
	}
}

// TestRFC8414FallbackChecks: the RFC 8414 document passes the same
// checks as an OpenID one, and the error names its URL.
func TestRFC8414FallbackChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
		want   error
	}{
		{"other issuer", rptest.Faults{DiscoveryIssuer: "https://evil.example"}, ErrMetadataIssuerMismatch},
		{"no jwks_uri", rptest.Faults{OmitJWKSURI: true}, ErrMetadataIncomplete},
		{"not JSON", rptest.Faults{DiscoveryBody: []byte(`<html>`)}, ErrMetadataMalformed},
		{"500", rptest.Faults{DiscoveryStatus: http.StatusInternalServerError}, ErrMetadataUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := rptest.NewServer(rptest.Config{OAuthMetadataOnly: true})
			t.Cleanup(op.Close)
			op.SetFaults(tc.faults)
			_, err := newRPFor(op, nil)
			var de *DiscoveryError
			if !errors.Is(err, tc.want) || !errors.As(err, &de) || de.URL != op.URL+rptest.PathOAuthMetadata {
				t.Fatalf("New: %v, want %v at the RFC 8414 URL", err, tc.want)
			}
		})
	}
}

// TestRFC8414BothMissing: when both documents answer 404 the error is
// OpenID discovery's, and says where else was looked.
func TestRFC8414BothMissing(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	_, err := New(context.Background(), Config{Authority: srv.URL + "/tenant", ClientID: "c", RedirectURL: "http://127.0.0.1:1/cb"})
	var de *DiscoveryError
	if !errors.Is(err, ErrMetadataUnavailable) || !errors.As(err, &de) || de.URL != srv.URL+"/tenant"+wellKnownPath || de.StatusCode != 404 ||
		!strings.Contains(de.Detail, srv.URL+"/.well-known/oauth-authorization-server/tenant") {
		t.Fatalf("New: %v", err)
	}
}

// metadataServer serves the RFC 8414 document of the issuer srv.URL+path
// at the path-inserted URL, 404 at OpenID discovery, and status at
// every OpenID discovery request when it is not 0.
func metadataServer(t *testing.T, path string, openIDStatus int) (*httptest.Server, *int) {
	t.Helper()
	var srv *httptest.Server
	asked := new(int)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/oauth-authorization-server" + path:
			*asked++
			iss := srv.URL + path
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "authorization_endpoint": iss + "/authorize",
				"token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks"})
		case path + wellKnownPath:
			if openIDStatus == 0 {
				openIDStatus = http.StatusNotFound
			}
			http.Error(w, "no", openIDStatus)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, asked
}

// TestRFC8414PathInsertion: an issuer with a path has its metadata where
// RFC 8414 section 3.1 puts it, not under the issuer's path.
func TestRFC8414PathInsertion(t *testing.T) {
	srv, _ := metadataServer(t, "/tenants/acme", 0)
	for _, authority := range []string{srv.URL + "/tenants/acme", srv.URL + "/tenants/acme/"} {
		md, err := discoverWithFallback(context.Background(), srv.Client(), &Config{Authority: authority})
		if err != nil || md.Issuer != srv.URL+"/tenants/acme" || md.JWKSURI != srv.URL+"/tenants/acme/jwks" {
			t.Errorf("authority %q: %v %+v", authority, err, md)
		}
	}
}

// TestRFC8414OnlyAfter404: OpenID discovery failing otherwise than with
// 404, or a MetadataURL configured, never falls back.
func TestRFC8414OnlyAfter404(t *testing.T) {
	srv, asked := metadataServer(t, "/t", http.StatusInternalServerError)
	_, err := discoverWithFallback(context.Background(), srv.Client(), &Config{Authority: srv.URL + "/t"})
	var de *DiscoveryError
	if !errors.As(err, &de) || de.StatusCode != 500 || *asked != 0 {
		t.Errorf("500: %v, RFC 8414 asked %d times", err, *asked)
	}
	srv, asked = metadataServer(t, "/t", 0)
	_, err = discoverWithFallback(context.Background(), srv.Client(), &Config{Authority: srv.URL + "/t", MetadataURL: srv.URL + "/t" + wellKnownPath})
	if !errors.As(err, &de) || de.StatusCode != 404 || *asked != 0 {
		t.Errorf("MetadataURL: %v, RFC 8414 asked %d times", err, *asked)
	}
}

// TestRFC8414CheckIssuerMismatch: Check reports an RFC 8414 document
// naming another issuer as an issuer failure, having read that document.
func TestRFC8414CheckIssuerMismatch(t *testing.T) {
	op := rptest.NewServer(rptest.Config{OAuthMetadataOnly: true})
	t.Cleanup(op.Close)
	op.SetFaults(rptest.Faults{DiscoveryIssuer: "https://evil.example"})
	rep := Check(context.Background(), checkConfigFor(op), CheckOptions{})
	var discovery, issuer *Finding
	for i := range rep.Findings {
		switch rep.Findings[i].Check {
		case "discovery":
			discovery = &rep.Findings[i]
		case "issuer":
			issuer = &rep.Findings[i]
		}
	}
	if discovery == nil || discovery.Status != CheckOK || !strings.Contains(discovery.Message, rptest.PathOAuthMetadata) {
		t.Errorf("discovery finding %+v", discovery)
	}
	if issuer == nil || issuer.Status != CheckFail {
		t.Errorf("issuer finding %+v", issuer)
	}
}
