package rp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/internal/netlimit"
	"github.com/oidcrp/rp/rptest"
)

// confCase is one login against a misbehaving provider. The login is
// started, then the faults are installed (so they may depend on the
// authorization request), then the browser goes to the provider and
// delivers the response, which tamper may change first.
type confCase struct {
	op     rptest.Config
	mod    func(*Config)
	faults func(h *harness, authURL string) rptest.Faults
	tamper func(h *harness, v url.Values)
	// want is the rejection, tested with errors.Is; nil means the login
	// succeeds.
	want error
	// slow says the rejection comes from Config.HTTPTimeout: the callback
	// must fail within a second and say that a request timed out.
	slow bool
	// token and userinfo are how many requests the login makes to those
	// endpoints: a rejection must stop the flow before the next request.
	token, userinfo int
	check           func(t *testing.T, h *harness, res *Result, err error)
}

// faults returns a faults function that ignores the login.
func faults(f rptest.Faults) func(*harness, string) rptest.Faults {
	return func(*harness, string) rptest.Faults { return f }
}

// run runs c with UserInfoAlways, so that every rejection can be seen to
// stop the flow before userinfo.
func (c confCase) run(t *testing.T) {
	h := newHarness(t, c.op, func(cfg *Config) {
		cfg.UserInfo = UserInfoAlways
		if c.mod != nil {
			c.mod(cfg)
		}
	})
	authURL := h.start()
	if c.faults != nil {
		h.op.SetFaults(c.faults(h, authURL))
	}
	method, v := h.respond(authURL)
	if c.tamper != nil {
		c.tamper(h, v)
	}
	start := time.Now()
	res, err := h.deliver(method, v)
	elapsed := time.Since(start)
	wantOutcome(t, res, err, c.want)
	if c.slow {
		if elapsed >= time.Second {
			t.Errorf("the callback took %v; want it cut off by HTTPTimeout %v", elapsed, fastTimeout)
		}
		if !isTimeout(err) {
			t.Errorf("error %v does not say a request timed out", err)
		}
	}
	wantRequests(t, h, c.token, c.userinfo)
	if c.check != nil {
		c.check(t, h, res, err)
	}
}

// wantOutcome checks a login's result: alice's claims on success, or the
// rejection want and no result at all.
func wantOutcome(t *testing.T, res *Result, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("Callback = %v; want success", err)
		}
		if res == nil || res.Claims == nil || res.Claims.Subject != alice.Subject {
			t.Fatalf("Callback result %+v; want alice's claims", res)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("Callback = %v; want %v", err, want)
	}
	if res != nil {
		t.Fatalf("Callback returned claims with the rejection: %+v", res.Claims)
	}
}

// wantRequests checks how many token and userinfo requests reached the
// provider.
func wantRequests(t *testing.T, h *harness, token, userinfo int) {
	t.Helper()
	if n := h.op.Requests(rptest.EndpointToken); n != token {
		t.Errorf("%d token requests; want %d", n, token)
	}
	if n := h.op.Requests(rptest.EndpointUserInfo); n != userinfo {
		t.Errorf("%d userinfo requests; want %d", n, userinfo)
	}
}

// fastTimeout is Config.HTTPTimeout for the tests of slow endpoints.
const fastTimeout = 200 * time.Millisecond

func fastHTTP(c *Config) { c.HTTPTimeout = fastTimeout }

func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Timeout exceeded") ||
		strings.Contains(err.Error(), "deadline exceeded")
}

func tooLarge(t *testing.T, _ *harness, _ *Result, err error) {
	t.Helper()
	if !errors.Is(err, netlimit.ErrTooLarge) && !strings.Contains(err.Error(), "too large") {
		t.Errorf("error %v does not say the response was too large", err)
	}
}

// rsaJWK is the public half of a new RSA key, published as kid.
func rsaJWK(t *testing.T, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

const badHash = "AAAAAAAAAAAAAAAAAAAAAA"

// TestConformance runs the OpenID Foundation's relying party certification
// tests that apply to this library (subtests named rp-*, after them), and
// further attacks of our own. Every case asserts success or the specific
// rejection, that a rejection returns no claims, and that the flow stops
// before the next request to the provider.
func TestConformance(t *testing.T) {
	cases := map[string]confCase{
		// Signatures and keys.
		"rp-id_token-kid-absent-single-jwks": {faults: faults(rptest.Faults{OmitKid: true}), token: 1, userinfo: 1},
		"rp-id_token-kid-absent-multiple-jwks": {
			// Several keys of the same type and algorithm: without a kid
			// the library tries each that fits.
			faults: func(h *harness, _ string) rptest.Faults {
				return rptest.Faults{OmitKid: true, ExtraJWKS: []jose.JSONWebKey{rsaJWK(h.t, "other-1"), rsaJWK(h.t, "")}}
			},
			token: 1, userinfo: 1,
		},
		"rp-id_token-bad-sig-rs256": {faults: faults(rptest.Faults{ScrambleSignature: true}), want: ErrIDTokenSignature, token: 1},
		"rp-id_token-bad-sig-es256": {op: rptest.Config{SigningAlg: "ES256"}, faults: faults(rptest.Faults{ScrambleSignature: true}), want: ErrIDTokenSignature, token: 1},
		"rp-id_token-bad-sig-ps256": {op: rptest.Config{SigningAlg: "PS256"}, faults: faults(rptest.Faults{ScrambleSignature: true}), want: ErrIDTokenSignature, token: 1},
		"rp-id_token-bad-sig-eddsa": {op: rptest.Config{SigningAlg: "EdDSA"}, faults: faults(rptest.Faults{ScrambleSignature: true}), want: ErrIDTokenSignature, token: 1},
		"rp-id_token-sig-none":      {faults: faults(rptest.Faults{AlgNone: true}), want: ErrIDTokenAlgorithm, token: 1},
		"rp-discovery-jwks_uri-keys": {token: 1, userinfo: 1, check: func(t *testing.T, h *harness, _ *Result, _ error) {
			if n := h.op.Requests(rptest.EndpointJWKS); n != 1 {
				t.Errorf("%d JWKS requests; want the keys fetched once from jwks_uri", n)
			}
		}},
		"es256-zero-r":       {op: rptest.Config{SigningAlg: "ES256"}, faults: faults(rptest.Faults{ZeroECDSASignature: "r"}), want: ErrIDTokenSignature, token: 1},
		"es256-zero-s":       {op: rptest.Config{SigningAlg: "ES256"}, faults: faults(rptest.Faults{ZeroECDSASignature: "s"}), want: ErrIDTokenSignature, token: 1},
		"es256-zero-r-and-s": {op: rptest.Config{SigningAlg: "ES256"}, faults: faults(rptest.Faults{ZeroECDSASignature: "rs"}), want: ErrIDTokenSignature, token: 1},
		"hs256-with-rsa-public-key": {
			faults: faults(rptest.Faults{HS256WithPublicKey: true}), want: ErrIDTokenAlgorithm, token: 1,
			check: func(t *testing.T, h *harness, _ *Result, _ error) {
				if n := h.op.Requests(rptest.EndpointJWKS); n != 0 {
					t.Errorf("the keys were fetched (%d) for a token whose algorithm is refused", n)
				}
			},
		},
		"hs256-with-rsa-public-key-explicit-algs": {
			mod:    func(c *Config) { c.SigningAlgs = []string{"RS256"} },
			faults: faults(rptest.Faults{HS256WithPublicKey: true, OmitKid: true}), want: ErrIDTokenAlgorithm, token: 1,
		},
		"crit-header": {
			faults: faults(rptest.Faults{Crit: []string{"urn:example:must-understand"}}), want: ErrIDTokenMalformed, token: 1,
			check: func(t *testing.T, h *harness, _ *Result, err error) {
				if strings.Contains(err.Error(), "no key of the provider") {
					t.Errorf("an unknown critical header reported as a key problem: %v", err)
				}
			},
		},
		"unusable-keys-published":         {faults: faults(rptest.Faults{PublishUnusableKeys: true}), token: 1, userinfo: 1},
		"unusable-keys-published-es256":   {op: rptest.Config{SigningAlg: "ES256"}, faults: faults(rptest.Faults{PublishUnusableKeys: true}), token: 1, userinfo: 1},
		"unusable-keys-published-eddsa":   {op: rptest.Config{SigningAlg: "EdDSA"}, faults: faults(rptest.Faults{PublishUnusableKeys: true}), token: 1, userinfo: 1},
		"unusable-keys-published-no-kid":  {faults: faults(rptest.Faults{PublishUnusableKeys: true, OmitKid: true}), token: 1, userinfo: 1},
		"unusable-keys-published-bad-sig": {faults: faults(rptest.Faults{PublishUnusableKeys: true, BadSignature: true}), want: ErrIDTokenSignature, token: 1},

		// Claims.
		"rp-id_token-iat":             {faults: faults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"iat": nil}}), want: ErrIDTokenMissingClaim, token: 1},
		"rp-id_token-aud":             {faults: faults(rptest.Faults{Audience: []string{"another-client"}}), want: ErrIDTokenAudience, token: 1},
		"rp-id_token-sub":             {faults: faults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"sub": nil}}), want: ErrIDTokenMissingClaim, token: 1},
		"rp-id_token-issuer-mismatch": {faults: faults(rptest.Faults{Issuer: "https://evil.example"}), want: ErrIDTokenIssuer, token: 1},
		"rp-nonce-invalid":            {faults: faults(rptest.Faults{Nonce: ptr("not-the-login-nonce")}), want: ErrNonceMismatch, token: 1},
		"aud-untrusted-second-audience": {
			faults: faults(rptest.Faults{Audience: []string{rptest.DefaultClientID, "untrusted-client"}, Azp: rptest.DefaultClientID}),
			want:   ErrIDTokenAudience, token: 1,
		},
		"azp-not-a-string": {faults: faults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"azp": []string{"another-client"}}}), want: ErrIDTokenAudience, token: 1},
		"azp-a-number":     {faults: faults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"azp": 42}}), want: ErrIDTokenAudience, token: 1},
		"nbf-as-string": {
			// go-oidc reads "nbf":"<digits>" as a date with 5 minutes of
			// leeway; it must not slip past the configured skew.
			faults: func(h *harness, _ string) rptest.Faults {
				nbf := h.clock.Now().Add(3 * time.Minute).Unix()
				return rptest.Faults{ExtraIDTokenClaims: map[string]any{"nbf": strconv.FormatInt(nbf, 10)}}
			},
			want: ErrIDTokenMalformed, token: 1,
		},
		"nbf-beyond-skew": {
			faults: func(h *harness, _ string) rptest.Faults {
				return rptest.Faults{ExtraIDTokenClaims: map[string]any{"nbf": h.clock.Now().Add(3 * time.Minute).Unix()}}
			},
			want: ErrIDTokenNotYetValid, token: 1,
		},
		"iat-as-string": {
			faults: func(h *harness, _ string) rptest.Faults {
				return rptest.Faults{ExtraIDTokenClaims: map[string]any{"iat": strconv.FormatInt(h.clock.Now().Unix(), 10)}}
			},
			want: ErrIDTokenMalformed, token: 1,
		},
		"exp-as-string": {
			faults: func(h *harness, _ string) rptest.Faults {
				return rptest.Faults{ExtraIDTokenClaims: map[string]any{"exp": strconv.FormatInt(h.clock.Now().Add(time.Hour).Unix(), 10)}}
			},
			want: ErrIDTokenMalformed, token: 1,
		},
		"azp-wrong":                {faults: faults(rptest.Faults{Azp: "another-client"}), want: ErrIDTokenAudience, token: 1},
		"token-for-another-client": {faults: faults(rptest.Faults{Audience: []string{"another-client"}, Azp: "another-client"}), want: ErrIDTokenAudience, token: 1},
		"exp-beyond-skew": {
			faults: func(h *harness, _ string) rptest.Faults {
				now := h.clock.Now()
				return rptest.Faults{ExtraIDTokenClaims: map[string]any{
					"exp": now.Add(-DefaultClockSkew - 30*time.Second).Unix(), "iat": now.Add(-time.Hour).Unix(),
				}}
			},
			want: ErrIDTokenExpired, token: 1,
		},
		// No ID token issued before its login began (less the clock
		// skew) answers it, however far its exp (OpenID Connect Core
		// 3.1.3.7 leaves the bound on iat to the relying party).
		"iat-week-old":              {faults: faults(rptest.Faults{IssuedAt: -7 * 24 * time.Hour}), want: ErrIDTokenIssuedBeforeLogin, token: 1},
		"iat-before-login-and-skew": {faults: faults(rptest.Faults{IssuedAt: -DefaultClockSkew - time.Second}), want: ErrIDTokenIssuedBeforeLogin, token: 1},
		"iat-skew-before-login":     {faults: faults(rptest.Faults{IssuedAt: -DefaultClockSkew}), token: 1, userinfo: 1},

		// Token types confused with ID tokens.
		"access-token-as-id-token": {faults: faults(rptest.Faults{IDTokenIsAccessToken: true}), want: ErrIDTokenMalformed, token: 1},
		"access-token-as-id-token-with-nonce": {
			faults: func(h *harness, authURL string) rptest.Faults {
				return rptest.Faults{IDTokenIsAccessToken: true, ExtraIDTokenClaims: map[string]any{"nonce": param(h.t, authURL, "nonce")}}
			},
			want: ErrIDTokenMalformed, token: 1,
		},
		"logout-token-as-id-token": {faults: faults(rptest.Faults{IDTokenIsLogoutToken: true}), want: ErrIDTokenMalformed, token: 1},
		"logout-token-as-id-token-with-nonce": {
			faults: func(h *harness, authURL string) rptest.Faults {
				return rptest.Faults{IDTokenIsLogoutToken: true, ExtraIDTokenClaims: map[string]any{"nonce": param(h.t, authURL, "nonce")}}
			},
			want: ErrIDTokenMalformed, token: 1,
		},

		// Front channel: implicit and hybrid.
		"rp-id_token-bad-c_hash": {
			mod: func(c *Config) { c.ResponseType = "code id_token" }, faults: faults(rptest.Faults{CHash: badHash}), want: ErrCodeHash,
		},
		"rp-id_token-missing-c_hash": {
			mod: func(c *Config) { c.ResponseType = "code id_token" }, faults: faults(rptest.Faults{OmitCHash: true}), want: ErrCodeHash,
		},
		"rp-id_token-bad-at_hash": {
			mod: func(c *Config) { c.ResponseType = "id_token token" }, faults: faults(rptest.Faults{AtHash: badHash}), want: ErrAccessTokenHash,
		},
		"rp-id_token-missing-at_hash": {
			mod: func(c *Config) { c.ResponseType = "id_token token" }, faults: faults(rptest.Faults{OmitAtHash: true}), want: ErrAccessTokenHash,
		},
		"rp-response_type-code":                {token: 1, userinfo: 1},
		"rp-response_type-id_token":            {mod: func(c *Config) { c.ResponseType = "id_token" }},
		"rp-response_type-id_token+token":      {mod: func(c *Config) { c.ResponseType = "id_token token" }, userinfo: 1},
		"rp-response_type-code+id_token":       {mod: func(c *Config) { c.ResponseType = "code id_token" }, token: 1, userinfo: 1},
		"rp-response_type-code+token":          {mod: func(c *Config) { c.ResponseType = "code token" }, token: 1, userinfo: 1},
		"rp-response_type-code+id_token+token": {mod: func(c *Config) { c.ResponseType = "code id_token token" }, token: 1, userinfo: 1},

		// Userinfo and client authentication.
		"rp-userinfo-bad-sub-claim": {faults: faults(rptest.Faults{UserInfoSubject: "mallory"}), want: ErrUserInfoSubjectMismatch, token: 1, userinfo: 1},
		"rp-scope-userinfo-claims": {
			op:    rptest.Config{Users: []rptest.User{{Subject: alice.Subject, Claims: alice.Claims, UserInfo: map[string]any{"phone_number": "+1 555 0100"}}}},
			mod:   func(c *Config) { c.Scopes = []string{"openid", "profile", "email", "phone"} },
			token: 1, userinfo: 1,
			check: func(t *testing.T, h *harness, res *Result, _ error) {
				if got := h.op.LastAuthorizeParams().Get("scope"); got != "openid profile email phone" {
					t.Errorf("scope %q", got)
				}
				if res.Claims.PhoneNumber != "+1 555 0100" || res.Claims.Email != "alice@example.com" {
					t.Errorf("claims %+v; want phone_number from userinfo next to the ID token's", res.Claims)
				}
			},
		},
		"rp-token_endpoint-client_secret_basic": {
			op:    rptest.Config{ClientAuth: rptest.ClientAuthSecretBasic},
			mod:   func(c *Config) { c.ClientAuth = "client_secret_basic" },
			token: 1, userinfo: 1,
			check: func(t *testing.T, h *harness, _ *Result, _ error) {
				if m := h.op.LastClientAuthMethod(); m != rptest.ClientAuthSecretBasic {
					t.Errorf("the token request authenticated with %q", m)
				}
			},
		},
		"token-error-response": {
			faults: faults(rptest.Faults{TokenErrorCode: "invalid_grant", TokenErrorDescription: "the code has expired"}),
			want:   ErrTokenExchange, token: 1,
			check: func(t *testing.T, _ *harness, _ *Result, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.Code != "invalid_grant" || te.Description != "the code has expired" || te.StatusCode != 400 || te.Refresh {
					t.Errorf("TokenError %+v", te)
				}
			},
		},

		// The authorization response.
		"rp-form_post-error": {
			mod:    func(c *Config) { c.ResponseMode = "form_post" },
			faults: faults(rptest.Faults{AuthorizeError: "access_denied", AuthorizeErrorDescription: "the user declined"}),
			want:   ErrAuthorization,
			check: func(t *testing.T, h *harness, _ *Result, err error) {
				var pe *AuthorizationError
				if !errors.As(err, &pe) || pe.Code != "access_denied" || pe.Description != "the user declined" {
					t.Errorf("AuthorizationError %+v", pe)
				}
				if m := h.op.LastAuthorizeParams().Get("response_mode"); m != "form_post" {
					t.Errorf("response_mode %q", m)
				}
			},
		},
		"rfc9207-iss-wrong": {faults: faults(rptest.Faults{ResponseIss: "https://evil.example"}), want: ErrIssuerMismatch},
		"rfc9207-iss-missing-while-advertised": {
			tamper: func(h *harness, v url.Values) {
				if !h.rp.Metadata().AuthorizationResponseIssParameterSupported || v.Get("iss") == "" {
					h.t.Fatal("the provider does not advertise and send iss")
				}
				v.Del("iss")
			},
			want: ErrIssuerMismatch,
		},
		"state-missing": {faults: faults(rptest.Faults{ResponseState: ptr("")}), want: ErrStateMissing},
		"state-altered": {
			faults: func(h *harness, authURL string) rptest.Faults {
				state := param(h.t, authURL, "state")
				altered := state[:len(state)-1] + "A"
				if altered == state {
					altered = state[:len(state)-1] + "B"
				}
				return rptest.Faults{ResponseState: &altered}
			},
			want: ErrStateUnknown,
		},

		// Huge and slow provider responses: cut off at the 1 MiB cap and
		// the HTTP timeout, reported as the failing step.
		"huge-jwks":     {faults: faults(rptest.Faults{HugeResponse: rptest.EndpointJWKS}), want: ErrIDTokenSignature, token: 1, check: tooLarge},
		"huge-token":    {faults: faults(rptest.Faults{HugeResponse: rptest.EndpointToken}), want: ErrTokenExchange, token: 1},
		"huge-userinfo": {faults: faults(rptest.Faults{HugeResponse: rptest.EndpointUserInfo}), want: ErrUserInfo, token: 1, userinfo: 1, check: tooLarge},
	}
	maps.Copy(cases, issCases())
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
	for name, ep := range map[string]string{
		"slow-jwks":     rptest.EndpointJWKS,
		"slow-token":    rptest.EndpointToken,
		"slow-userinfo": rptest.EndpointUserInfo,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := confCase{mod: fastHTTP, faults: faults(rptest.Faults{SlowEndpoint: ep}), slow: true, token: 1}
			switch ep {
			case rptest.EndpointJWKS:
				c.want = ErrIDTokenSignature
				c.check = func(t *testing.T, h *harness, _ *Result, _ error) {
					if n := h.op.Requests(rptest.EndpointJWKS); n != 1 {
						t.Errorf("%d JWKS requests; want one, not a retry of a fetch that just failed", n)
					}
				}
			case rptest.EndpointToken:
				c.want = ErrTokenExchange
			case rptest.EndpointUserInfo:
				c.want, c.userinfo = ErrUserInfo, 1
			}
			c.run(t)
		})
	}

	t.Run("rp-nonce-unless-code-flow", func(t *testing.T) {
		t.Parallel()
		// Implicit and hybrid logins always send a nonce, and refuse an ID
		// token without it.
		for _, rt := range []string{"id_token", "id_token token", "code id_token", "code id_token token"} {
			t.Run(rt, func(t *testing.T) {
				confCase{
					mod:    func(c *Config) { c.ResponseType = rt },
					faults: faults(rptest.Faults{OmitNonce: true}),
					want:   ErrNonceMismatch,
					check: func(t *testing.T, h *harness, _ *Result, _ error) {
						if n := h.op.LastAuthorizeParams().Get("nonce"); len(n) < 43 {
							t.Errorf("authorization request nonce %q", n)
						}
					},
				}.run(t)
			})
		}
	})

	t.Run("rp-key-rotation-op-sign-key", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, rptest.Config{}, nil)
		res, err := h.login()
		wantOutcome(t, res, err, nil)
		h.op.RotateKey(false)
		res, err = h.login()
		wantOutcome(t, res, err, nil)
		if n := h.op.Requests(rptest.EndpointJWKS); n != 2 {
			t.Errorf("%d JWKS requests; want a refetch for the new kid", n)
		}
	})

	t.Run("rp-key-rotation-op-sign-key-native", func(t *testing.T) {
		t.Parallel()
		// The provider rotates its key just before signing each token:
		// every token has a kid the RP has not seen. The RP refetches the
		// keys for an unknown kid at most once a minute.
		h := newHarness(t, rptest.Config{}, nil)
		res, err := h.login()
		wantOutcome(t, res, err, nil)
		h.op.SetFaults(rptest.Faults{RotateBeforeSigning: true})
		for range 2 {
			h.clock.Advance(keyRefetchCooldown)
			res, err = h.login()
			wantOutcome(t, res, err, nil)
		}
		if n := h.op.Requests(rptest.EndpointJWKS); n != 3 {
			t.Errorf("%d JWKS requests; want one per rotation", n)
		}
	})

	t.Run("rp-discovery-issuer-not-matching-config", func(t *testing.T) {
		t.Parallel()
		op := rptest.NewServer(rptest.Config{Users: []rptest.User{alice}})
		defer op.Close()
		op.SetFaults(rptest.Faults{DiscoveryIssuer: "https://evil.example"})
		r, err := newRPFor(op, nil)
		if !errors.Is(err, ErrMetadataIssuerMismatch) || r != nil {
			t.Fatalf("New = %v; want ErrMetadataIssuerMismatch", err)
		}
		if op.Requests(rptest.EndpointJWKS)+op.Requests(rptest.EndpointAuthorize)+op.Requests(rptest.EndpointToken) != 0 {
			t.Error("the provider was used after its discovery document was refused")
		}
	})

	t.Run("huge-discovery", func(t *testing.T) {
		t.Parallel()
		op := rptest.NewServer(rptest.Config{Users: []rptest.User{alice}})
		defer op.Close()
		op.SetFaults(rptest.Faults{HugeResponse: rptest.EndpointDiscovery})
		r, err := newRPFor(op, nil)
		if !errors.Is(err, ErrMetadataUnavailable) || !errors.Is(err, netlimit.ErrTooLarge) || r != nil {
			t.Fatalf("New = %v; want ErrMetadataUnavailable for a response over the limit", err)
		}
	})

	t.Run("slow-discovery", func(t *testing.T) {
		t.Parallel()
		op := rptest.NewServer(rptest.Config{Users: []rptest.User{alice}})
		defer op.Close()
		op.SetFaults(rptest.Faults{SlowEndpoint: rptest.EndpointDiscovery})
		start := time.Now()
		r, err := newRPFor(op, fastHTTP)
		if !errors.Is(err, ErrMetadataUnavailable) || !isTimeout(err) || r != nil {
			t.Fatalf("New = %v; want ErrMetadataUnavailable after the timeout", err)
		}
		if d := time.Since(start); d >= time.Second {
			t.Errorf("New took %v", d)
		}
		// The caller's context bounds discovery too.
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		cfg := Config{Authority: op.Issuer(), ClientID: op.ClientID(), ClientSecret: Secret(op.ClientSecret()),
			RedirectURL: "http://127.0.0.1:1/callback"}
		if _, err := New(ctx, cfg); !errors.Is(err, ErrMetadataUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("New with a 50ms context = %v", err)
		}
	})

	t.Run("header-jku-jwk-x5u-ignored", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name string
			bad  bool // signed by the attacker's key
			kid  bool // the header names the attacker's kid
			want error
		}{
			{"valid signature", false, false, nil},
			{"attacker key with the provider's kid", true, false, ErrIDTokenSignature},
			{"attacker key and kid", true, true, ErrIDTokenSignature},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var attacker atomic.Int32
				var rogue atomic.Pointer[jose.JSONWebKey]
				evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// Serves the key the token was signed with, to any RP
					// that follows the header's URLs.
					attacker.Add(1)
					w.Header().Set("Content-Type", "application/json")
					_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{*rogue.Load()}})
				}))
				defer evil.Close()
				want, token, userinfo := tc.want, 1, 0
				if want == nil {
					userinfo = 1
				}
				confCase{
					faults: func(h *harness, _ string) rptest.Faults {
						key := h.op.RogueKey()
						rogue.Store(&key)
						hdr := map[string]any{"jku": evil.URL + "/jwks", "x5u": evil.URL + "/cert.pem", "jwk": key}
						if tc.kid {
							hdr["kid"] = key.KeyID
						}
						return rptest.Faults{BadSignature: tc.bad, HeaderExtras: hdr}
					},
					want: want, token: token, userinfo: userinfo,
				}.run(t)
				if n := attacker.Load(); n != 0 {
					t.Errorf("the attacker's server was asked %d times", n)
				}
			})
		}
	})

	t.Run("state-replayed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, rptest.Config{}, func(c *Config) { c.UserInfo = UserInfoAlways })
		method, v := h.respond(h.start())
		saved := h.jar.Cookies(h.appURL())
		res, err := h.deliver(method, v)
		wantOutcome(t, res, err, nil)
		for _, c := range saved {
			c.Path = "/"
		}
		h.jar.SetCookies(h.appURL(), saved)
		res, err = h.deliver(method, v)
		wantOutcome(t, res, err, ErrStateReused)
		wantRequests(t, h, 1, 1)
	})

	t.Run("pkce-verifier-mismatch", func(t *testing.T) {
		t.Parallel()
		// This login's response carrying the code of another login (of
		// another PKCE challenge): the provider refuses the verifier.
		h := newHarness(t, rptest.Config{}, func(c *Config) { c.UserInfo = UserInfoAlways })
		victim := h.authorize(h.start())
		injected := h.authorize(h.start())
		res, err := h.callback(withParam(t, victim, "code", param(t, injected, "code")))
		wantOutcome(t, res, err, ErrTokenExchange)
		var te *TokenError
		if !errors.As(err, &te) || te.Code != "invalid_grant" {
			t.Errorf("TokenError %+v; want invalid_grant", te)
		}
		wantRequests(t, h, 1, 0)
	})

	t.Run("error-before-state-check", func(t *testing.T) {
		t.Parallel()
		hostile := rptest.Faults{
			AuthorizeError:            `<img src=x onerror="alert(1)">` + strings.Repeat("e", 500),
			AuthorizeErrorDescription: "<script>alert(document.cookie)</script>\x1b[31m\u202e" + strings.Repeat("d", 2000),
		}
		t.Run("wrong state", func(t *testing.T) {
			f := hostile
			f.ResponseState = ptr("forged-state")
			confCase{faults: faults(f), want: ErrStateUnknown, check: func(t *testing.T, _ *harness, _ *Result, err error) {
				if errors.Is(err, ErrAuthorization) {
					t.Errorf("an error response with a forged state was acted on: %v", err)
				}
				if ErrorMessage(err) != ErrorMessage(ErrStateUnknown) {
					t.Errorf("ErrorMessage = %q", ErrorMessage(err))
				}
			}}.run(t)
		})
		t.Run("missing state", func(t *testing.T) {
			f := hostile
			f.ResponseState = ptr("")
			confCase{faults: faults(f), want: ErrStateMissing}.run(t)
		})
		t.Run("hostile text", func(t *testing.T) {
			confCase{faults: faults(hostile), want: ErrAuthorization, check: func(t *testing.T, _ *harness, _ *Result, err error) {
				var pe *AuthorizationError
				if !errors.As(err, &pe) {
					t.Fatalf("%v is not a *AuthorizationError", err)
				}
				for name, v := range map[string]string{"Code": pe.Code, "Description": pe.Description} {
					if len(v) > maxErrorText+len("…") || strings.ContainsAny(v, "\x1b\u202e") {
						t.Errorf("%s not sanitized and capped: %d bytes %q", name, len(v), v)
					}
				}
				kind := ErrorMessage(err)
				if strings.ContainsAny(kind, "<>") || strings.Contains(kind, "alert") {
					t.Errorf("ErrorMessage shows provider text: %q", kind)
				}
			}}.run(t)
		})
	})

	t.Run("id_token-json-serialization", func(t *testing.T) {
		t.Parallel()
		// go-oidc parses the JWS JSON serialization too; the key set takes
		// compact tokens only, which makes such a token malformed, not
		// badly signed.
		h := newHarness(t, rptest.Config{}, nil)
		now := h.clock.Now()
		raw, err := h.op.SignIDToken(map[string]any{"iss": h.op.Issuer(), "sub": alice.Subject, "aud": h.op.ClientID(),
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": "n"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.rp.ids.verify(context.Background(), raw, "n", now); err != nil {
			t.Fatalf("the compact token: %v", err)
		}
		p := strings.Split(raw, ".")
		flat, _ := json.Marshal(map[string]string{"protected": p[0], "payload": p[1], "signature": p[2]})
		if _, err := h.rp.ids.verify(context.Background(), string(flat), "n", now); !errors.Is(err, ErrIDTokenMalformed) {
			t.Fatalf("the same token in JSON serialization: %v; want ErrIDTokenMalformed", err)
		}
	})

	t.Run("refreshed-id-token-confusion", func(t *testing.T) {
		t.Parallel()
		// The refresh grant's ID token carries no nonce, so the nonce
		// check cannot catch a token of another type there.
		for name, f := range map[string]rptest.Faults{
			"access-token-as-id-token": {IDTokenIsAccessToken: true},
			"logout-token-as-id-token": {IDTokenIsLogoutToken: true},
			"logout-token-without-typ": {IDTokenIsLogoutToken: true, HeaderExtras: map[string]any{"typ": "JWT"}},
			"well-formed":              {},
		} {
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, rptest.Config{}, nil)
				res, err := h.login()
				wantOutcome(t, res, err, nil)
				h.op.SetFaults(f)
				_, id, err := h.rp.refreshTokens(context.Background(), string(res.Tokens.RefreshToken), res.Claims.Raw)
				if name == "well-formed" {
					if err != nil || id == nil {
						t.Fatalf("refresh = %v", err)
					}
					return
				}
				if !errors.Is(err, ErrIDTokenMalformed) || id != nil {
					t.Fatalf("refresh = %v; want ErrIDTokenMalformed", err)
				}
			})
		}
	})
}
