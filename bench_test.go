package rp

import (
	"context"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/oidcrp/rp/rptest"
)

// benchToken returns an RP and a valid ID token for it with nonce "n".
func benchToken(b *testing.B, alg string) (*RP, *rptest.Server, string) {
	b.Helper()
	op := rptest.NewServer(rptest.Config{SigningAlg: alg})
	b.Cleanup(op.Close)
	rp, err := newRPFor(op, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	raw, err := op.SignIDToken(map[string]any{
		"iss": op.Issuer(), "sub": "alice", "aud": op.ClientID(), "nonce": "n",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": "alice@example.com",
	})
	if err != nil {
		b.Fatal(err)
	}
	return rp, op, raw
}

// BenchmarkVerifyIDToken measures the callback's ID token verification:
// go-oidc's checks plus the library's (iat, nbf, azp, sub, nonce, claims
// decoding), with the keys cached.
func BenchmarkVerifyIDToken(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			rp, _, raw := benchToken(b, alg)
			ctx := context.Background()
			began := time.Now() // the token was signed just now
			if _, err := rp.ids.verify(ctx, raw, "n", began); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rp.ids.verify(ctx, raw, "n", began); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyIDTokenBareGoOIDC verifies the same token with a bare
// go-oidc verifier, for comparison.
func BenchmarkVerifyIDTokenBareGoOIDC(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			rp, op, raw := benchToken(b, alg)
			ctx := oidc.ClientContext(context.Background(), op.Client())
			v := oidc.NewVerifier(op.Issuer(), oidc.NewRemoteKeySet(ctx, rp.Metadata().JWKSURI),
				&oidc.Config{ClientID: op.ClientID(), SupportedSigningAlgs: []string{alg}})
			if _, err := v.Verify(ctx, raw); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
