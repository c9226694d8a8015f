package rp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// TestKeyRotationAfterUnknownKidFlood: an attacker sends a front-channel
// ID token with an unknown kid every second for a minute, using up the
// untrusted refetch budget; then the provider rotates its key. The first
// code-flow login with the new key succeeds, since the token endpoint's ID
// token may always refetch, while the front channel still cannot cause
// more than one JWKS fetch per cooldown.
func TestKeyRotationAfterUnknownKidFlood(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	if _, err := h.login(); err != nil {
		t.Fatal(err)
	}
	jwks := func() int { return h.op.Requests(rptest.EndpointJWKS) }
	if n := jwks(); n != 1 {
		t.Fatalf("%d JWKS requests after the first login; want 1", n)
	}
	ctx := context.Background()
	attacker := rsaKey(t)
	// The front channel's verification, as flow.go calls it.
	front := func(raw string) error {
		_, err := h.rp.ids.verify(ctx, raw, "n", h.clock.Now())
		return err
	}
	for i := range 60 {
		h.clock.Advance(time.Second)
		forged := signJWS(t, attacker, jose.RS256, fmt.Sprintf("forged-%d", i))
		if err := front(forged); !errors.Is(err, ErrIDTokenSignature) {
			t.Fatalf("forged token %d: %v; want ErrIDTokenSignature", i, err)
		}
		if _, err := h.rp.VerifyIDToken(ctx, forged, VerifyOptions{}); !errors.Is(err, ErrIDTokenSignature) {
			t.Fatalf("forged token %d through VerifyIDToken: %v; want ErrIDTokenSignature", i, err)
		}
	}
	if n := jwks(); n != 2 {
		t.Fatalf("%d JWKS requests after a minute of forged kids; want 2 (one refetch per cooldown)", n)
	}

	h.op.RotateKey(false)
	now := h.clock.Now()
	genuine, err := h.op.SignIDToken(map[string]any{
		"iss": h.op.Issuer(), "sub": alice.Subject, "aud": h.op.ClientID(), "nonce": "n",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The front channel's budget is spent: even a genuine new key waits.
	if err := front(genuine); !errors.Is(err, ErrIDTokenSignature) {
		t.Fatalf("front-channel token with the new key, budget spent: %v; want ErrIDTokenSignature", err)
	}
	if n := jwks(); n != 2 {
		t.Fatalf("%d JWKS requests; want the front channel held to 2", n)
	}
	if _, err := h.login(); err != nil {
		t.Fatalf("first login after the rotation: %v", err)
	}
	if n := jwks(); n != 3 {
		t.Fatalf("%d JWKS requests after the login; want 3", n)
	}
	// The new key is now cached for everyone.
	if err := front(genuine); err != nil {
		t.Fatalf("front-channel token with the new key after the login: %v", err)
	}
	// And the token endpoint's refetches did not give the front channel
	// a new budget.
	if err := front(signJWS(t, attacker, jose.RS256, "forged-again")); !errors.Is(err, ErrIDTokenSignature) {
		t.Fatalf("forged token after the rotation: %v", err)
	}
	if n := jwks(); n != 3 {
		t.Fatalf("%d JWKS requests; want still 3", n)
	}
}

// TestTrustedRefetchOneInFlight: ID tokens from the token endpoint with
// unknown kids, arriving together, share fetches: never more than one is
// in flight.
func TestTrustedRefetchOneInFlight(t *testing.T) {
	good := rsaKey(t)
	var inflight, most, fetches atomic.Int32
	release := make(chan struct{})
	body := mustJSON(t, map[string]any{"keys": []any{publicJWK(good, "good", "RS256")}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if fetches.Add(1) > 1 {
			<-release // hold the refetch until every caller is waiting
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	ks := newKeySet(srv.Client(), srv.URL)
	clock := newFakeClock()
	ks.now = clock.Now
	ctx := fromTokenEndpoint(context.Background())
	if _, err := ks.VerifySignature(ctx, signJWS(t, good, jose.RS256, "good")); err != nil {
		t.Fatal(err)
	}
	attacker := rsaKey(t)
	const callers = 8
	tokens := make([]string, callers)
	for i := range tokens {
		tokens[i] = signJWS(t, attacker, jose.RS256, fmt.Sprintf("new-%d", i))
	}
	var wg sync.WaitGroup
	var started sync.WaitGroup
	started.Add(callers)
	for i := range callers {
		wg.Go(func() {
			started.Done()
			if _, err := ks.VerifySignature(ctx, tokens[i]); !errors.Is(err, errNoKey) {
				t.Errorf("token %d: %v; want errNoKey", i, err)
			}
		})
	}
	started.Wait()
	close(release)
	wg.Wait()
	if m := most.Load(); m != 1 {
		t.Fatalf("%d JWKS fetches in flight at once; want 1", m)
	}
	if n := fetches.Load(); n < 2 || n > callers+1 {
		t.Fatalf("%d JWKS fetches; want between 2 and %d", n, callers+1)
	}
}
