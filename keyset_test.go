package rp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/oidcrp/rp/rptest"
)

// jwksServer serves a JSON Web Key Set the test changes at will.
type jwksServer struct {
	mu      sync.Mutex
	body    []byte
	status  int
	cache   string
	fetches atomic.Int32
	srv     *httptest.Server
}

func newJWKSServer(t *testing.T, keys ...any) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK}
	s.setKeys(t, keys...)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cache != "" {
			w.Header().Set("Cache-Control", s.cache)
		}
		w.WriteHeader(s.status)
		w.Write(s.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// setKeys publishes keys: jose.JSONWebKey values or raw JSON objects.
func (s *jwksServer) setKeys(t *testing.T, keys ...any) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.body = b
	s.mu.Unlock()
}

func (s *jwksServer) set(status int, cache string) {
	s.mu.Lock()
	s.status, s.cache = status, cache
	s.mu.Unlock()
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicJWK(key any, kid, alg string) jose.JSONWebKey {
	var pub any
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	}
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}
}

// signJWS signs payload with key; kid "" leaves the kid out.
func signJWS(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"sub":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func testKeySet(s *jwksServer, clock *rptest.Clock) *keySet {
	k := newKeySet(s.srv.Client(), s.srv.URL)
	k.now = clock.Now
	return k
}

func TestKeySetUnknownKidFloodFetchesOncePerInterval(t *testing.T) {
	good := rsaKey(t)
	s := newJWKSServer(t, publicJWK(good, "good", "RS256"))
	clock := newFakeClock()
	ks := testKeySet(s, clock)
	ctx := context.Background()
	if _, err := ks.VerifySignature(ctx, signJWS(t, good, jose.RS256, "good")); err != nil {
		t.Fatal(err)
	}
	attacker := rsaKey(t)
	tokens := make([]string, 50)
	for i := range tokens {
		tokens[i] = signJWS(t, attacker, jose.RS256, fmt.Sprintf("random-%d", i))
	}
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			for i := range tokens {
				if _, err := ks.VerifySignature(ctx, tokens[(i+g)%len(tokens)]); !errors.Is(err, errNoKey) {
					t.Errorf("forged token: %v; want errNoKey", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := s.fetches.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches for 500 tokens with unknown kids; want 2 (the first and one refetch)", n)
	}
	clock.Advance(keyRefetchCooldown)
	ks.VerifySignature(ctx, tokens[0])
	ks.VerifySignature(ctx, tokens[1])
	if n := s.fetches.Load(); n != 3 {
		t.Fatalf("%d fetches after the cooldown; want one more", n)
	}
}

func TestKeySetRotation(t *testing.T) {
	a, b := rsaKey(t), rsaKey(t)
	s := newJWKSServer(t, publicJWK(a, "a", "RS256"))
	clock := newFakeClock()
	ks := testKeySet(s, clock)
	ctx := context.Background()
	if _, err := ks.VerifySignature(ctx, signJWS(t, a, jose.RS256, "a")); err != nil {
		t.Fatal(err)
	}
	s.setKeys(t, publicJWK(b, "b", "RS256"))
	clock.Advance(keyRefetchCooldown)
	if _, err := ks.VerifySignature(ctx, signJWS(t, b, jose.RS256, "b")); err != nil {
		t.Fatalf("token signed with the rotated key: %v", err)
	}
	if _, err := ks.VerifySignature(ctx, signJWS(t, a, jose.RS256, "a")); !errors.Is(err, errNoKey) {
		t.Fatalf("token signed with the retired key: %v", err)
	}
}

func TestKeySetCacheControl(t *testing.T) {
	k := rsaKey(t)
	token := signJWS(t, k, jose.RS256, "k")
	for _, tc := range []struct {
		header string
		life   time.Duration
	}{
		{"public, max-age=600", 10 * time.Minute},
		{"max-age=1", keyCacheMin},
		{"max-age=31536000", keyCacheMax},
		{"no-cache", keyCacheDefault},
		{"", keyCacheDefault},
	} {
		s := newJWKSServer(t, publicJWK(k, "k", "RS256"))
		s.set(http.StatusOK, tc.header)
		clock := newFakeClock()
		ks := testKeySet(s, clock)
		ks.VerifySignature(context.Background(), token)
		clock.Advance(tc.life - time.Second)
		ks.VerifySignature(context.Background(), token)
		if n := s.fetches.Load(); n != 1 {
			t.Errorf("%q: refetched before %v", tc.header, tc.life)
		}
		clock.Advance(2 * time.Second)
		ks.VerifySignature(context.Background(), token)
		if n := s.fetches.Load(); n != 2 {
			t.Errorf("%q: no refetch after %v", tc.header, tc.life)
		}
	}
}

func TestKeySetKeepsLastGoodKeys(t *testing.T) {
	k := rsaKey(t)
	s := newJWKSServer(t, publicJWK(k, "k", "RS256"))
	clock := newFakeClock()
	ks := testKeySet(s, clock)
	ctx := context.Background()
	token := signJWS(t, k, jose.RS256, "k")
	if _, err := ks.VerifySignature(ctx, token); err != nil {
		t.Fatal(err)
	}
	s.set(http.StatusServiceUnavailable, "")
	clock.Advance(2 * keyCacheDefault)
	if _, err := ks.VerifySignature(ctx, token); err != nil {
		t.Fatalf("verification with the last good keys while the provider is down: %v", err)
	}
	// With no key at all, the error says why.
	fresh := testKeySet(s, clock)
	_, err := fresh.VerifySignature(ctx, token)
	if !errors.Is(err, errNoKey) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("no keys and the provider down: %v", err)
	}
}

func TestKeySetKeySelection(t *testing.T) {
	p256, p384 := ecKey(t, elliptic.P256()), ecKey(t, elliptic.P384())
	r := rsaKey(t)
	s := newJWKSServer(t,
		map[string]any{"kty": "oct", "kid": "k1", "k": "c2VjcmV0"},            // symmetric: never used
		map[string]any{"kty": "OKP", "crv": "X448", "kid": "k1", "x": "AAAA"}, // unknown curve: skipped
		publicJWK(p384, "k1", ""),                                   // wrong curve for ES256
		jose.JSONWebKey{Key: &r.PublicKey, KeyID: "k1", Use: "enc"}, // encryption key
		publicJWK(p256, "k1", "ES256"),                              // the right one
		publicJWK(r, "rsa", "RS256"),
	)
	ks := testKeySet(s, newFakeClock())
	ctx := context.Background()
	if _, err := ks.VerifySignature(ctx, signJWS(t, p256, jose.ES256, "k1")); err != nil {
		t.Fatalf("ES256 token among unusable keys: %v", err)
	}
	if _, err := ks.VerifySignature(ctx, signJWS(t, r, jose.RS256, "")); err != nil {
		t.Fatalf("token without kid, several keys: %v", err)
	}
	if _, err := ks.VerifySignature(ctx, signJWS(t, r, jose.RS256, "k1")); !errors.Is(err, errNoKey) {
		t.Fatalf("RS256 token naming an encryption key: %v", err)
	}
}
