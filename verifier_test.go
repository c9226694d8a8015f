package rp

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// verifierFixture is a provider, an RP on a fake clock and a signer of ID
// tokens for it.
type verifierFixture struct {
	t     *testing.T
	op    *rptest.Server
	rp    *RP
	clock *rptest.Clock
	kid   string // the provider's current kid
}

func newVerifierFixture(t *testing.T, mod func(*Config)) *verifierFixture {
	t.Helper()
	f := &verifierFixture{t: t, clock: newFakeClock()}
	f.op = rptest.NewServer(rptest.Config{Now: f.clock.Now})
	t.Cleanup(f.op.Close)
	var err error
	f.rp, err = newRPFor(f.op, func(c *Config) {
		c.Now = f.clock.Now
		if mod != nil {
			mod(c)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(f.sign(nil), joseAlgs)
	if err != nil {
		t.Fatal(err)
	}
	f.kid = jws.Signatures[0].Header.KeyID
	return f
}

// claims are valid claims for the fixture's RP, changed by edit (a nil
// value removes the claim).
func (f *verifierFixture) claims(edit map[string]any) map[string]any {
	now := f.clock.Now()
	c := map[string]any{
		"iss": f.op.Issuer(), "sub": "alice", "aud": f.op.ClientID(), "nonce": "n",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range edit {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// sign signs the claims edit makes with the provider's key.
func (f *verifierFixture) sign(edit map[string]any) string {
	f.t.Helper()
	raw, err := f.op.SignIDToken(f.claims(edit))
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

// signWith signs valid claims with key under alg and the provider's kid.
func (f *verifierFixture) signWith(alg jose.SignatureAlgorithm, key any) string {
	f.t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", f.kid))
	if err != nil {
		f.t.Fatal(err)
	}
	payload := mustJSON(f.t, f.claims(nil))
	jws, err := signer.Sign(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

func TestVerifyIDToken(t *testing.T) {
	f := newVerifierFixture(t, nil)
	ctx := context.Background()
	now := f.clock.Now()
	c, err := f.rp.VerifyIDToken(ctx, f.sign(map[string]any{"email": "alice@example.com"}), VerifyOptions{Nonce: "n", IssuedAfter: now})
	if err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if c.Subject != "alice" || c.Issuer != f.op.Issuer() || c.Email != "alice@example.com" {
		t.Fatalf("claims %+v", c)
	}

	for _, tc := range []struct {
		name string
		raw  string
		opts VerifyOptions
		want error
	}{
		{"garbage", "not.a.jwt", VerifyOptions{}, ErrIDTokenMalformed},
		{"JSON serialization", `{"payload":"e30","signatures":[]}`, VerifyOptions{}, ErrIDTokenMalformed},
		{"HS256", f.signWith(jose.HS256, []byte("0123456789abcdef0123456789abcdef")), VerifyOptions{}, ErrIDTokenAlgorithm},
		{"foreign key", f.signWith(jose.RS256, rsaKey(t)), VerifyOptions{}, ErrIDTokenSignature},
		{"other issuer", f.sign(map[string]any{"iss": "https://evil.example"}), VerifyOptions{}, ErrIDTokenIssuer},
		{"other audience", f.sign(map[string]any{"aud": "someone-else"}), VerifyOptions{}, ErrIDTokenAudience},
		{"no audience", f.sign(map[string]any{"aud": nil}), VerifyOptions{}, ErrIDTokenAudience},
		{"other azp", f.sign(map[string]any{"azp": "someone-else"}), VerifyOptions{}, ErrIDTokenAudience},
		{"two audiences, no azp", f.sign(map[string]any{"aud": []string{f.op.ClientID(), "other"}}), VerifyOptions{}, ErrIDTokenAudience},
		{"expired", f.sign(map[string]any{"exp": now.Add(-2 * time.Minute).Unix()}), VerifyOptions{}, ErrIDTokenExpired},
		{"no exp", f.sign(map[string]any{"exp": nil}), VerifyOptions{}, ErrIDTokenExpired},
		{"exp as a string", f.sign(map[string]any{"exp": "99999999999"}), VerifyOptions{}, ErrIDTokenMalformed},
		{"nbf ahead", f.sign(map[string]any{"nbf": now.Add(2 * time.Minute).Unix()}), VerifyOptions{}, ErrIDTokenNotYetValid},
		{"iat ahead", f.sign(map[string]any{"iat": now.Add(2 * time.Minute).Unix()}), VerifyOptions{}, ErrIDTokenIssuedInFuture},
		{"no iat", f.sign(map[string]any{"iat": nil}), VerifyOptions{}, ErrIDTokenMissingClaim},
		{"no sub", f.sign(map[string]any{"sub": nil}), VerifyOptions{}, ErrIDTokenMissingClaim},
		{"sub a number", f.sign(map[string]any{"sub": 7}), VerifyOptions{}, ErrIDTokenMalformed},
		{"issued before", f.sign(map[string]any{"iat": now.Add(-10 * time.Minute).Unix()}), VerifyOptions{IssuedAfter: now}, ErrIDTokenIssuedBeforeLogin},
		{"logout token", f.sign(map[string]any{"events": map[string]any{backChannelLogoutEvent: map[string]any{}}}), VerifyOptions{}, ErrIDTokenMalformed},
		{"bad _claim_names", f.sign(map[string]any{"_claim_names": map[string]any{"groups": "src1"}}), VerifyOptions{}, ErrIDTokenMalformed},
		{"wrong nonce", f.sign(nil), VerifyOptions{Nonce: "other"}, ErrNonceMismatch},
		{"no nonce in the token", f.sign(map[string]any{"nonce": nil}), VerifyOptions{Nonce: "n"}, ErrNonceMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.rp.VerifyIDToken(ctx, tc.raw, tc.opts)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidIDToken) {
				t.Fatalf("VerifyIDToken = %v; want %v", err, tc.want)
			}
			var idErr *IDTokenError
			if !errors.As(err, &idErr) || c != nil {
				t.Fatalf("got %T %v and claims %v; want an *IDTokenError and no claims", err, err, c)
			}
			if strings.Contains(err.Error(), tc.raw) || (len(tc.raw) > 40 && strings.Contains(err.Error(), tc.raw[len(tc.raw)-40:])) {
				t.Fatalf("the error carries the token: %v", err)
			}
		})
	}
}

// TestVerifyIDTokenWithoutNonce: without VerifyOptions.Nonce the nonce is
// not checked, with or without one in the token; a given nonce is.
func TestVerifyIDTokenWithoutNonce(t *testing.T) {
	f := newVerifierFixture(t, nil)
	ctx := context.Background()
	for _, edit := range []map[string]any{nil, {"nonce": nil}, {"nonce": "anything"}} {
		if _, err := f.rp.VerifyIDToken(ctx, f.sign(edit), VerifyOptions{}); err != nil {
			t.Errorf("claims edit %v without a nonce to check: %v", edit, err)
		}
	}
	if _, err := f.rp.VerifyIDToken(ctx, f.sign(map[string]any{"nonce": "anything"}), VerifyOptions{Nonce: "anything"}); err != nil {
		t.Errorf("matching nonce: %v", err)
	}
}

// TestVerifyIDTokenSignInPolicy: VerifyIDToken holds the token to what the
// configuration asks of a sign-in, here HostedDomain, and to the skew.
func TestVerifyIDTokenSignInPolicy(t *testing.T) {
	f := newVerifierFixture(t, func(c *Config) { c.HostedDomain = "example.com" })
	ctx := context.Background()
	if _, err := f.rp.VerifyIDToken(ctx, f.sign(nil), VerifyOptions{}); !errors.Is(err, ErrHostedDomain) {
		t.Fatalf("token without hd: %v; want ErrHostedDomain", err)
	}
	good := f.sign(map[string]any{"hd": "example.com"})
	if _, err := f.rp.VerifyIDToken(ctx, good, VerifyOptions{}); err != nil {
		t.Fatalf("token with hd: %v", err)
	}
	// Expiry within the default skew of a minute still verifies; past it,
	// not.
	f.clock.Advance(time.Hour + 30*time.Second)
	if _, err := f.rp.VerifyIDToken(ctx, good, VerifyOptions{}); err != nil {
		t.Fatalf("30s after exp: %v", err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.rp.VerifyIDToken(ctx, good, VerifyOptions{}); !errors.Is(err, ErrIDTokenExpired) {
		t.Fatalf("90s after exp: %v; want ErrIDTokenExpired", err)
	}
}

func TestVerifyAccessTokenHash(t *testing.T) {
	for alg, want := range map[string]string{
		// base64url of the left half of SHA-256 / SHA-384 / SHA-512 of "token".
		"RS256": leftHalf(t, "RS256", "token"),
		"ES384": leftHalf(t, "ES384", "token"),
		"EdDSA": leftHalf(t, "EdDSA", "token"),
	} {
		f := &idTokenFacts{alg: alg, AccessTokenHash: want}
		if err := f.VerifyAccessToken("token"); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
		if err := f.VerifyAccessToken("other"); !errors.Is(err, errHashMismatch) {
			t.Errorf("%s, other value: %v", alg, err)
		}
	}
	if err := (&idTokenFacts{alg: "HS256", AccessTokenHash: "x"}).VerifyAccessToken("token"); err == nil {
		t.Error("HS256: no error")
	}
}

// leftHalf computes the expected left-half hash independently.
func leftHalf(t *testing.T, alg, value string) string {
	t.Helper()
	var sum []byte
	switch alg {
	case "RS256":
		h := sha256.Sum256([]byte(value))
		sum = h[:16]
	case "ES384":
		h := sha512.Sum384([]byte(value))
		sum = h[:24]
	case "EdDSA":
		h := sha512.Sum512([]byte(value))
		sum = h[:32]
	default:
		t.Fatalf("no hash for %s", alg)
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
