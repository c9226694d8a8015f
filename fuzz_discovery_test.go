package rp

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fuzz targets of the package. Seeds that depend on keys or clocks use
// fixed ones, so that fuzzing workers, which rerun the setup in their own
// process, recognise the inputs the coordinator sends them. Hand-made seeds
// also live in testdata/fuzz/<target>/.

// --- FuzzAuthorizationResponse ---------------------------------------------

// fuzzCookieSecret seals the transaction cookies of the fuzzed RP; fuzzNow
// is its clock.
const fuzzAuthority = "http://localhost/oidc"

// fuzzDocServer serves whatever body holds, at the authority's discovery path.
type fuzzDocServer struct {
	mu   sync.Mutex
	body []byte
	srv  *httptest.Server
}

func (s *fuzzDocServer) set(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = body
}

func (s *fuzzDocServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oidc"+wellKnownPath {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	body := s.body
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// fuzzCheckEndpoint fails t unless u is an absolute http(s) URL with a host.
func fuzzCheckEndpoint(t *testing.T, name, u string, required bool) {
	t.Helper()
	if u == "" {
		if required {
			t.Fatalf("discover succeeded without %s", name)
		}
		return
	}
	p, err := url.Parse(u)
	if err != nil || !p.IsAbs() || p.Host == "" || p.User != nil || (p.Scheme != "http" && p.Scheme != "https") {
		t.Fatalf("discover accepted %s %q: not an absolute http(s) URL", name, u)
	}
}

// fuzzIssuerMatches reports whether a discovery document's issuer is the
// authority, but for one trailing slash, or an Entra-style template that
// becomes the authority with a tenant (no '/', '?' or '#') in place of
// "{tenantid}".
func fuzzIssuerMatches(issuer, authority string) bool {
	if issuer == authority || issuer+"/" == authority || issuer == authority+"/" {
		return true
	}
	prefix, suffix, ok := strings.Cut(strings.TrimSuffix(issuer, "/"), tenantPlaceholder)
	a := strings.TrimSuffix(authority, "/")
	if !ok || len(a) <= len(prefix)+len(suffix) || !strings.HasPrefix(a, prefix) || !strings.HasSuffix(a, suffix) {
		return false
	}
	return !strings.ContainsAny(a[len(prefix):len(a)-len(suffix)], "/?#")
}

// FuzzDiscoveryDocument serves arbitrary bytes as the discovery document of
// fuzzAuthority (or the same with a trailing slash). discover never panics;
// it fails with a *DiscoveryError of exactly one kind, ErrMetadataMalformed
// whenever the body is not JSON; and when it succeeds the issuer matches
// the authority (fuzzIssuerMatches) and the authorization, token and JWKS
// endpoints (and userinfo and end-session, when given) are absolute http(s)
// URLs.
func FuzzDiscoveryDocument(f *testing.F) {
	docs := &fuzzDocServer{}
	docs.srv = httptest.NewServer(docs)
	f.Cleanup(docs.srv.Close)
	addr := docs.srv.Listener.Addr().String()
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	f.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	good := map[string]any{
		"issuer":                   fuzzAuthority,
		"authorization_endpoint":   fuzzAuthority + "/authorize",
		"token_endpoint":           "https://op.example.com/token",
		"jwks_uri":                 "http://127.0.0.1:9/keys",
		"userinfo_endpoint":        "http://[::1]/userinfo",
		"end_session_endpoint":     "https://op.example.com/logout?x=1",
		"response_types_supported": []string{"code"},
		"authorization_response_iss_parameter_supported": true,
	}
	doc := func(edit func(map[string]any)) []byte {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	f.Add(doc(func(map[string]any) {}), false)
	f.Add(doc(func(map[string]any) {}), true)
	f.Add(doc(func(m map[string]any) { m["issuer"] = fuzzAuthority + "/" }), false)
	f.Add(doc(func(m map[string]any) { m["issuer"] = fuzzAuthority + "//" }), false)
	f.Add(doc(func(m map[string]any) { m["issuer"] = "http://localhost/{tenantid}" }), false)
	f.Add(doc(func(m map[string]any) { m["issuer"] = "https://evil.example/oidc" }), false)
	f.Add(doc(func(m map[string]any) { delete(m, "jwks_uri") }), false)
	f.Add(doc(func(m map[string]any) { m["token_endpoint"] = "/token" }), false)
	f.Add(doc(func(m map[string]any) { m["token_endpoint"] = "http://op.example.com/token" }), false)
	f.Add(doc(func(m map[string]any) { m["authorization_endpoint"] = "javascript:alert(1)" }), false)
	f.Add(doc(func(m map[string]any) { m["userinfo_endpoint"] = "https://user:pw@op.example.com/ui" }), false)
	f.Add(doc(func(m map[string]any) { m["jwks_uri"] = "HTTPS://OP.example.com/keys" }), true)
	f.Add(doc(func(m map[string]any) { m["issuer"] = 7 }), false)
	f.Add([]byte(`{"issuer":"http://localhost/oidc","ISSUER":"x","issuer":"http://localhost/oidc"}`), false)
	f.Add([]byte(`{"issuer":"http://localhost/oidc","jwks_uri":"http://localhost/k","authorization_endpoint":"http://localhost/a","token_endpoint":"http://localhost/t"} trailing`), false)
	f.Add([]byte(`null`), false)
	f.Add([]byte(`[]`), false)
	f.Add([]byte(``), false)
	f.Add([]byte(`<html>sign in</html>`), false)
	f.Add([]byte("\xef\xbb\xbf{}"), false)

	f.Fuzz(func(t *testing.T, body []byte, trailingSlash bool) {
		authority := fuzzAuthority
		if trailingSlash {
			authority += "/"
		}
		docs.set(body)
		md, err := discover(context.Background(), client, strings.TrimSuffix(authority, "/")+wellKnownPath, authority)
		if err != nil {
			var de *DiscoveryError
			if md != nil || !errors.As(err, &de) || !errors.Is(err, ErrDiscovery) {
				t.Fatalf("discover = %v, %v (%T); want nil and a *DiscoveryError", md, err, err)
			}
			kinds := 0
			for _, k := range []error{ErrMetadataUnavailable, ErrMetadataMalformed, ErrMetadataIssuerMismatch, ErrMetadataIncomplete} {
				if errors.Is(err, k) {
					kinds++
				}
			}
			if kinds != 1 {
				t.Fatalf("discover error %v matches %d kinds; want exactly one", err, kinds)
			}
			if errors.Is(err, ErrMetadataUnavailable) {
				t.Fatalf("discover could not fetch the document: %v", err)
			}
			if !json.Valid(body) && !errors.Is(err, ErrMetadataMalformed) {
				t.Fatalf("discover error %v for a body that is not JSON; want ErrMetadataMalformed", err)
			}
			return
		}
		if md == nil {
			t.Fatal("discover returned neither metadata nor an error")
		}
		if !fuzzIssuerMatches(md.Issuer, authority) {
			t.Fatalf("discover accepted issuer %q for authority %q", md.Issuer, authority)
		}
		fuzzCheckEndpoint(t, "authorization_endpoint", md.AuthorizationEndpoint, true)
		fuzzCheckEndpoint(t, "token_endpoint", md.TokenEndpoint, true)
		fuzzCheckEndpoint(t, "jwks_uri", md.JWKSURI, true)
		fuzzCheckEndpoint(t, "userinfo_endpoint", md.UserInfoEndpoint, false)
		fuzzCheckEndpoint(t, "end_session_endpoint", md.EndSessionEndpoint, false)
	})
}

// --- FuzzSessionData -----------------------------------------------------------

// fuzzSessionData builds session data from fuzzed strings.
