package rp

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// logoutToken has the harness's provider make a logout token.
func (h *harness) logoutToken(opts rptest.LogoutTokenOptions) string {
	h.t.Helper()
	tok, err := h.op.LogoutToken(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// wantLogoutKind asserts that err is a *LogoutTokenError of exactly kind,
// matching ErrInvalidLogoutToken and not an ID token or store error, and
// that it does not carry the token.
func wantLogoutKind(t *testing.T, lt *LogoutToken, err, kind error, raw string) {
	t.Helper()
	var le *LogoutTokenError
	if lt != nil || !errors.As(err, &le) || le.Kind != kind || !errors.Is(err, kind) || !errors.Is(err, ErrInvalidLogoutToken) {
		t.Fatalf("VerifyLogoutToken = %+v, %v; want a *LogoutTokenError of kind %v", lt, err, kind)
	}
	if errors.Is(err, ErrInvalidIDToken) || errors.Is(err, ErrReplayStore) {
		t.Fatalf("%v also matches ErrInvalidIDToken or ErrReplayStore", err)
	}
	if len(raw) > 20 && strings.Contains(err.Error(), raw[len(raw)-20:]) {
		t.Fatalf("the error carries the token: %v", err)
	}
}

// TestVerifyLogoutTokenAccepted: tokens naming a session, a subject or
// both are accepted, and what they name is returned.
func TestVerifyLogoutTokenAccepted(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	ctx := context.Background()
	for _, tc := range []struct{ name, sub, sid string }{
		{"sid only", "", "sid-1"},
		{"sub only", alice.Subject, ""},
		{"sub and sid", alice.Subject, "sid-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := h.logoutToken(rptest.LogoutTokenOptions{Subject: tc.sub, SessionID: tc.sid, JTI: "jti-" + tc.name})
			lt, err := h.rp.VerifyLogoutToken(ctx, raw)
			if err != nil {
				t.Fatalf("VerifyLogoutToken: %v", err)
			}
			want := LogoutToken{Issuer: h.op.Issuer(), Subject: tc.sub, SessionID: tc.sid, ID: "jti-" + tc.name, IssuedAt: h.clock.Now()}
			if *lt != want {
				t.Fatalf("VerifyLogoutToken = %+v; want %+v", *lt, want)
			}
		})
	}
}

// TestVerifyLogoutTokenAcceptedEdges: what the specification allows and
// providers send passes.
func TestVerifyLogoutTokenAcceptedEdges(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	for _, tc := range []struct {
		name string
		opts rptest.LogoutTokenOptions
	}{
		{"no typ", rptest.LogoutTokenOptions{OmitType: true}},
		{"typ with application/", rptest.LogoutTokenOptions{Type: "application/logout+jwt"}},
		{"typ in upper case", rptest.LogoutTokenOptions{Type: "Logout+JWT"}},
		{"no exp", rptest.LogoutTokenOptions{OmitExpiry: true}},
		{"expired within skew", rptest.LogoutTokenOptions{Expiry: -30 * time.Second}},
		{"iat in the future within skew", rptest.LogoutTokenOptions{IssuedAt: 30 * time.Second}},
		{"iat as old as allowed", rptest.LogoutTokenOptions{IssuedAt: -MaxLogoutTokenAge - DefaultClockSkew}},
		{"aud as a list", rptest.LogoutTokenOptions{Audience: []string{rptest.DefaultClientID}}},
		{"azp equal to the client", rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"azp": rptest.DefaultClientID}}},
		{"event with members", rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"events": map[string]any{
			"http://schemas.openid.net/event/backchannel-logout": map[string]any{"reason": "x"}, "other": true}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.SessionID = "sid"
			if _, err := h.rp.VerifyLogoutToken(context.Background(), h.logoutToken(tc.opts)); err != nil {
				t.Fatalf("VerifyLogoutToken: %v; want success", err)
			}
		})
	}
}

// TestVerifyLogoutTokenRejections: each way a logout token can be wrong
// is refused with its exact kind.
func TestVerifyLogoutTokenRejections(t *testing.T) {
	hs256 := func(h *harness) string {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret},
			(&jose.SignerOptions{}).WithType("logout+jwt"))
		if err != nil {
			h.t.Fatal(err)
		}
		now := h.clock.Now().Unix()
		jws, err := signer.Sign([]byte(`{"iss":"` + h.op.Issuer() + `","aud":"` + h.op.ClientID() + `","iat":` +
			strconv.FormatInt(now, 10) + `,"jti":"j","sid":"s","events":{"http://schemas.openid.net/event/backchannel-logout":{}}}`))
		if err != nil {
			h.t.Fatal(err)
		}
		raw, _ := jws.CompactSerialize()
		return raw
	}
	opts := func(o rptest.LogoutTokenOptions) func(*harness) string {
		return func(h *harness) string {
			if o.Subject == "" && o.SessionID == "" {
				o.SessionID = "sid-1"
			}
			return h.logoutToken(o)
		}
	}
	neither := func(h *harness) string { return h.logoutToken(rptest.LogoutTokenOptions{}) }
	raw := func(s string) func(*harness) string { return func(*harness) string { return s } }
	long := strings.Repeat("a", maxLogoutClaimLen+1)
	for _, tc := range []struct {
		name  string
		token func(*harness) string
		mod   func(*Config)
		want  error
	}{
		{"over 16 KiB", raw(strings.Repeat("a", 16<<10+1)), nil, ErrLogoutTokenMalformed},
		{"not a JWT", raw("garbage"), nil, ErrLogoutTokenMalformed},
		{"encrypted (JWE)", raw("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), nil, ErrLogoutTokenMalformed},
		{"JSON serialization", raw(`{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJSUzI1NiJ9","signature":"AA"}]}`), nil, ErrLogoutTokenMalformed},
		{"three parts of garbage", raw("a.b.c"), nil, ErrLogoutTokenMalformed},
		{"alg none", opts(rptest.LogoutTokenOptions{AlgNone: true}), nil, ErrLogoutTokenAlgorithm},
		{"HS256", hs256, nil, ErrLogoutTokenAlgorithm},
		{"alg not in the allow-list", opts(rptest.LogoutTokenOptions{}), func(c *Config) { c.SigningAlgs = []string{"ES256"} }, ErrLogoutTokenAlgorithm},
		{"typ JWT", opts(rptest.LogoutTokenOptions{Type: "JWT"}), nil, ErrLogoutTokenType},
		{"typ at+jwt", opts(rptest.LogoutTokenOptions{Type: "at+jwt"}), nil, ErrLogoutTokenType},
		{"bad signature", opts(rptest.LogoutTokenOptions{BadSignature: true}), nil, ErrLogoutTokenSignature},
		{"unknown kid", opts(rptest.LogoutTokenOptions{UnknownKid: true}), nil, ErrLogoutTokenSignature},
		{"wrong iss", opts(rptest.LogoutTokenOptions{Issuer: "https://evil.example"}), nil, ErrLogoutTokenIssuer},
		{"no iss", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"iss": nil}}), nil, ErrLogoutTokenIssuer},
		{"wrong aud", opts(rptest.LogoutTokenOptions{Audience: []string{"other-client"}}), nil, ErrLogoutTokenAudience},
		{"empty aud", opts(rptest.LogoutTokenOptions{Audience: []string{}}), nil, ErrLogoutTokenAudience},
		{"no aud", opts(rptest.LogoutTokenOptions{OmitAudience: true}), nil, ErrLogoutTokenAudience},
		{"several aud without azp", opts(rptest.LogoutTokenOptions{Audience: []string{rptest.DefaultClientID, "other"}}), nil, ErrLogoutTokenAudience},
		{"wrong azp", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"azp": "other"}}), nil, ErrLogoutTokenAudience},
		{"no iat", opts(rptest.LogoutTokenOptions{OmitIssuedAt: true}), nil, ErrLogoutTokenMissingClaim},
		{"iat as a string", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"iat": "1700000000"}}), nil, ErrLogoutTokenMalformed},
		{"iat too old", opts(rptest.LogoutTokenOptions{IssuedAt: -MaxLogoutTokenAge - DefaultClockSkew - time.Second}), nil, ErrLogoutTokenStale},
		{"iat in the future", opts(rptest.LogoutTokenOptions{IssuedAt: 2 * time.Minute}), nil, ErrLogoutTokenIssuedInFuture},
		{"nbf in the future", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}}), nil, ErrLogoutTokenIssuedInFuture},
		{"expired", opts(rptest.LogoutTokenOptions{Expiry: -2 * time.Minute}), nil, ErrLogoutTokenExpired},
		{"no jti", opts(rptest.LogoutTokenOptions{OmitJTI: true}), nil, ErrLogoutTokenMissingClaim},
		{"empty jti", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"jti": ""}}), nil, ErrLogoutTokenMalformed},
		{"jti not a string", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"jti": 7}}), nil, ErrLogoutTokenMalformed},
		{"jti too long", opts(rptest.LogoutTokenOptions{JTI: long}), nil, ErrLogoutTokenMalformed},
		{"nonce", opts(rptest.LogoutTokenOptions{Nonce: "n"}), nil, ErrLogoutTokenNonce},
		{"empty nonce", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"nonce": ""}}), nil, ErrLogoutTokenNonce},
		{"no events", opts(rptest.LogoutTokenOptions{OmitEvents: true, SessionID: "s"}), nil, ErrLogoutTokenEvent},
		{"events not an object", opts(rptest.LogoutTokenOptions{EventsNotObject: true}), nil, ErrLogoutTokenEvent},
		{"no back-channel event", opts(rptest.LogoutTokenOptions{OmitEvent: true}), nil, ErrLogoutTokenEvent},
		{"event not an object", opts(rptest.LogoutTokenOptions{EventNotObject: true}), nil, ErrLogoutTokenEvent},
		{"neither sub nor sid", neither, nil, ErrLogoutTokenMissingClaim},
		{"sub not a string", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"sub": 7}}), nil, ErrLogoutTokenMalformed},
		{"sid not a string", opts(rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"sid": true}}), nil, ErrLogoutTokenMalformed},
		{"empty sid", opts(rptest.LogoutTokenOptions{Subject: alice.Subject, ExtraClaims: map[string]any{"sid": ""}}), nil, ErrLogoutTokenMalformed},
		{"sid too long", opts(rptest.LogoutTokenOptions{SessionID: long}), nil, ErrLogoutTokenMalformed},
		{"sub too long", opts(rptest.LogoutTokenOptions{Subject: long}), nil, ErrLogoutTokenMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, tc.mod)
			tok := tc.token(h)
			lt, err := h.rp.VerifyLogoutToken(context.Background(), tok)
			wantLogoutKind(t, lt, err, tc.want, tok)
		})
	}
}

// TestVerifyLogoutTokenEntraTenant: the issuer policy of ID tokens holds,
// Entra tenant templates and AllowedTenants included.
func TestVerifyLogoutTokenEntraTenant(t *testing.T) {
	h := entraHarness(t, nil)
	ctx := context.Background()
	lt, err := h.rp.VerifyLogoutToken(ctx, h.logoutToken(rptest.LogoutTokenOptions{Subject: "a-1"}))
	if err != nil || lt.Issuer != h.op.URL+"/tenant-a/v2.0" {
		t.Fatalf("allowed tenant: %+v, %v", lt, err)
	}
	tok := h.logoutToken(rptest.LogoutTokenOptions{Subject: "b-1"})
	lt, err = h.rp.VerifyLogoutToken(ctx, tok)
	wantLogoutKind(t, lt, err, ErrLogoutTokenIssuer, tok)
	tok = h.logoutToken(rptest.LogoutTokenOptions{Subject: "a-1", ExtraClaims: map[string]any{"tid": nil}})
	lt, err = h.rp.VerifyLogoutToken(ctx, tok)
	wantLogoutKind(t, lt, err, ErrLogoutTokenIssuer, tok)
}

// TestLogoutTokenNotAnIDToken: a logout token, typed or not, is refused
// by every ID token verification.
func TestLogoutTokenNotAnIDToken(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	ctx := context.Background()
	for _, o := range []rptest.LogoutTokenOptions{
		{Subject: alice.Subject, SessionID: "s"},
		{Subject: alice.Subject, OmitType: true},
		{Subject: alice.Subject, Type: "JWT"},
	} {
		tok := h.logoutToken(o)
		if _, err := h.rp.VerifyIDToken(ctx, tok, VerifyOptions{}); !errors.Is(err, ErrIDTokenMalformed) {
			t.Errorf("VerifyIDToken(logout token %+v) = %v; want ErrIDTokenMalformed", o, err)
		}
		if _, err := h.rp.ids.verifyToken(fromTokenEndpoint(ctx), tok, h.clock.Now()); !errors.Is(err, ErrIDTokenMalformed) {
			t.Errorf("a logout token %+v from the token endpoint = %v; want ErrIDTokenMalformed", o, err)
		}
	}
}

// TestIDTokenNotALogoutToken: an ID token, typed JWT, untyped with a
// nonce, or untyped without a nonce (as after a refresh), never passes as
// a logout token.
func TestIDTokenNotALogoutToken(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	ctx := context.Background()
	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := res.Claims.String("sid")
	if sid == "" {
		t.Fatalf("the ID token has no sid: %v", res.Claims.Raw)
	}
	idToken := string(res.Tokens.IDToken)
	lt, err := h.rp.VerifyLogoutToken(ctx, idToken)
	wantLogoutKind(t, lt, err, ErrLogoutTokenType, idToken)

	// Untyped ID-token-shaped tokens of the provider, signed and fresh.
	withNonce := h.logoutToken(rptest.LogoutTokenOptions{Subject: alice.Subject, SessionID: sid, OmitType: true, OmitEvents: true,
		ExtraClaims: map[string]any{"nonce": "n", "auth_time": h.clock.Now().Unix()}})
	lt, err = h.rp.VerifyLogoutToken(ctx, withNonce)
	wantLogoutKind(t, lt, err, ErrLogoutTokenEvent, withNonce)
	withNonce = h.logoutToken(rptest.LogoutTokenOptions{Subject: alice.Subject, SessionID: sid, OmitType: true, Nonce: "n"})
	lt, err = h.rp.VerifyLogoutToken(ctx, withNonce)
	wantLogoutKind(t, lt, err, ErrLogoutTokenNonce, withNonce)
	refreshed := h.logoutToken(rptest.LogoutTokenOptions{Subject: alice.Subject, SessionID: sid, OmitType: true, OmitEvents: true})
	lt, err = h.rp.VerifyLogoutToken(ctx, refreshed)
	wantLogoutKind(t, lt, err, ErrLogoutTokenEvent, refreshed)
}

// TestLogoutTokenErrorBounded: values quoted from a hostile token are cut,
// so an error (and its log line) stays short whatever the token holds.
func TestLogoutTokenErrorBounded(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	tok := h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s", Issuer: strings.Repeat("i\x00", 1000)})
	lt, err := h.rp.VerifyLogoutToken(context.Background(), tok)
	wantLogoutKind(t, lt, err, ErrLogoutTokenIssuer, tok)
	if n := len(err.Error()); n > 400 || strings.ContainsRune(err.Error(), 0) {
		t.Fatalf("error of %d bytes: %q", n, err)
	}
}
