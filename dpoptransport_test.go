package rp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// nonceServer demands the nonce "n1" in DPoP proofs: 400 use_dpop_nonce
// under /token, 401 with a DPoP challenge elsewhere. It records each
// request's proof nonce and body.
type nonceServer struct {
	mu     sync.Mutex
	nonces []string
	bodies []string
}

func (s *nonceServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var c dpopProofClaims
	proof := r.Header.Get("DPoP")
	jwsClaims(proof, &c)
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.nonces = append(s.nonces, c.Nonce)
	s.bodies = append(s.bodies, string(body))
	s.mu.Unlock()
	w.Header().Set("DPoP-Nonce", "n1")
	switch {
	case c.Nonce == "n1":
		_, _ = io.WriteString(w, "ok")
	case r.URL.Path == "/token":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"use_dpop_nonce"}`)
	default:
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
		w.WriteHeader(http.StatusUnauthorized)
	}
}

// jwsClaims decodes the payload of a compact JWS without verifying it.
func jwsClaims(jws string, v any) {
	parts := strings.Split(jws, ".")
	if len(parts) == 3 {
		if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			_ = json.Unmarshal(b, v)
		}
	}
}

func TestDPoPTransportNonces(t *testing.T) {
	srv := &nonceServer{}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	key, _ := NewDPoPKey()
	client := dpopClient(ts.Client(), &dpopNonces{}, time.Now)
	ctx := withDPoPKey(context.Background(), key)
	post := func(path string, body io.Reader) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+path, body)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Token endpoint: 400 use_dpop_nonce, retried once with the same body.
	if status, body := post("/token", strings.NewReader("a=1")); status != 200 || body != "ok" {
		t.Fatalf("token: %d %q; want the retry's 200", status, body)
	}
	if strings.Join(srv.nonces, ",") != ",n1" || strings.Join(srv.bodies, ",") != "a=1,a=1" {
		t.Fatalf("nonces %q bodies %q; want a retry with the nonce and the same body", srv.nonces, srv.bodies)
	}
	// The nonce is remembered for the origin: the next request has it.
	if status, _ := post("/api", nil); status != 200 || len(srv.nonces) != 3 || srv.nonces[2] != "n1" {
		t.Fatalf("second request: %d, nonces %q; want the remembered nonce at once", status, srv.nonces)
	}

	// A body that cannot be read again is not retried: the 400 comes back
	// whole.
	fresh := dpopClient(ts.Client(), &dpopNonces{}, time.Now)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/token", io.NopCloser(strings.NewReader("b=2")))
	resp, err := fresh.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || string(b) != `{"error":"use_dpop_nonce"}` {
		t.Fatalf("unreplayable body: %d %q; want the 400 untouched", resp.StatusCode, b)
	}

	// A resource server's 401 challenge is retried too; without a key
	// nothing is added.
	other := dpopClient(ts.Client(), &dpopNonces{}, time.Now)
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/api", nil)
	if resp, err = other.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("resource retry: %v %v", resp, err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/api", nil)
	if resp, err = other.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("without a key: %v %v; want the 401 of a request without proof", resp, err)
	}
	resp.Body.Close()
}
