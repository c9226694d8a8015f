package rp

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// typicalClaims are the claims of a typical ~1 KB ID token as Google or
// Okta issue them (about 20 claims, a few groups), for iss, aud and the
// times given.
func typicalClaims(iss, aud string, now time.Time) map[string]any {
	return map[string]any{
		"iss": iss, "azp": aud, "aud": aud,
		"sub":                "110169484474386276334",
		"hd":                 "example.com",
		"email":              "alice.example@example.com",
		"email_verified":     true,
		"at_hash":            "HK6E_P6Dh8Y93mRNtsDB1Q",
		"nonce":              "n",
		"name":               "Alice Example-Longname",
		"picture":            "https://lh3.googleusercontent.com/a/ACg8ocKbQ5xJ1dQkzXyZ7f3mJbq9xW0o2T4v6R8u1s3p5n7l9j=s96-c",
		"given_name":         "Alice",
		"family_name":        "Example-Longname",
		"locale":             "en-GB",
		"iat":                now.Unix(),
		"exp":                now.Add(time.Hour).Unix(),
		"auth_time":          now.Unix(),
		"jti":                "4f1c9a2e7b3d4e8f9a0b1c2d3e4f5a6b7c8d9e0f",
		"amr":                []string{"pwd", "mfa"},
		"preferred_username": "alice.example@example.com",
		"groups":             []string{"engineering", "oncall-primary", "admins-eu-west", "readers"},
		"ver":                1,
	}
}

// benchToken returns an RP and a valid ID token for it with nonce "n":
// typical says the ~1 KB token of typicalClaims, else a 7-claim one.
func benchToken(b *testing.B, alg string, typical bool) (*RP, *rptest.Server, string) {
	b.Helper()
	op := rptest.NewServer(rptest.Config{SigningAlg: alg})
	b.Cleanup(op.Close)
	rp, err := newRPFor(op, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	claims := map[string]any{
		"iss": op.Issuer(), "sub": "alice", "aud": op.ClientID(), "nonce": "n",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": "alice@example.com",
	}
	if typical {
		claims = typicalClaims(op.Issuer(), op.ClientID(), now)
	}
	raw, err := op.SignIDToken(claims)
	if err != nil {
		b.Fatal(err)
	}
	return rp, op, raw
}

// benchTokens are the token shapes the verification benchmarks run on.
var benchTokens = []struct {
	name    string
	alg     string
	typical bool
}{
	{"RS256", "RS256", false},
	{"ES256", "ES256", false},
	{"RS256-typical", "RS256", true},
	{"ES256-typical", "ES256", true},
}

// BenchmarkVerifyIDToken measures the callback's ID token verification:
// go-oidc's checks plus the library's (iat, nbf, azp, sub, nonce, claims
// decoding), with the keys cached.
func BenchmarkVerifyIDToken(b *testing.B) {
	for _, tc := range benchTokens {
		b.Run(tc.name, func(b *testing.B) {
			rp, _, raw := benchToken(b, tc.alg, tc.typical)
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
	for _, tc := range benchTokens {
		b.Run(tc.name, func(b *testing.B) {
			rp, op, raw := benchToken(b, tc.alg, tc.typical)
			ctx := oidc.ClientContext(context.Background(), op.Client())
			v := oidc.NewVerifier(op.Issuer(), oidc.NewRemoteKeySet(ctx, rp.Metadata().JWKSURI),
				&oidc.Config{ClientID: op.ClientID(), SupportedSigningAlgs: []string{tc.alg}})
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

// BenchmarkRS256Floor is the least any RS256 ID token verifier must do:
// base64-decode the signature, hash the signing input with SHA-256 and
// check the signature with rsa.VerifyPKCS1v15, on the typical token.
func BenchmarkRS256Floor(b *testing.B) {
	_, op, raw := benchToken(b, "RS256", true)
	resp, err := op.Client().Get(op.Issuer() + rptest.PathJWKS)
	if err != nil {
		b.Fatal(err)
	}
	var set jose.JSONWebKeySet
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil || len(set.Keys) == 0 {
		b.Fatalf("JWKS: %v", err)
	}
	pub := set.Keys[0].Key.(*rsa.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		dot := strings.LastIndexByte(raw, '.')
		sig, err := base64.RawURLEncoding.DecodeString(raw[dot+1:])
		if err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256([]byte(raw[:dot]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
