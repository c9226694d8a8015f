package rp

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

func ptr[T any](v T) *T { return &v }

// TestIDTokenRejections runs a login against a provider misbehaving one way
// at a time and asserts the specific rejection.
func TestIDTokenRejections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
		mod    func(*Config)
		want   error
	}{
		{"bad signature", rptest.Faults{BadSignature: true}, nil, ErrIDTokenSignature},
		{"alg none", rptest.Faults{AlgNone: true}, nil, ErrIDTokenAlgorithm},
		{"wrong iss", rptest.Faults{Issuer: "https://evil.example"}, nil, ErrIDTokenIssuer},
		{"wrong aud", rptest.Faults{Audience: []string{"other-client"}}, nil, ErrIDTokenAudience},
		{"untrusted second aud", rptest.Faults{Audience: []string{rptest.DefaultClientID, "other-client"}, Azp: rptest.DefaultClientID}, nil, ErrIDTokenAudience},
		{"several aud without azp", rptest.Faults{Audience: []string{rptest.DefaultClientID, rptest.DefaultClientID + "2"}}, nil, ErrIDTokenAudience},
		{"wrong azp", rptest.Faults{Azp: "other-client"}, nil, ErrIDTokenAudience},
		{"expired", rptest.Faults{Expired: true}, nil, ErrIDTokenExpired},
		{"iat in future beyond skew", rptest.Faults{IssuedAt: 2 * time.Minute}, nil, ErrIDTokenIssuedInFuture},
		{"iat missing", rptest.Faults{ExtraIDTokenClaims: map[string]any{"iat": nil}}, nil, ErrIDTokenMissingClaim},
		{"exp missing", rptest.Faults{ExtraIDTokenClaims: map[string]any{"exp": nil}}, nil, ErrIDTokenExpired},
		{"sub missing", rptest.Faults{ExtraIDTokenClaims: map[string]any{"sub": nil}}, nil, ErrIDTokenMissingClaim},
		{"nbf in future", rptest.Faults{ExtraIDTokenClaims: map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}}, nil, ErrIDTokenNotYetValid},
		{"nonce mismatch", rptest.Faults{Nonce: ptr("attacker-nonce")}, nil, ErrNonceMismatch},
		{"nonce missing", rptest.Faults{OmitNonce: true}, nil, ErrNonceMismatch},
		{"at_hash mismatch", rptest.Faults{ExtraIDTokenClaims: map[string]any{"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}}, nil, ErrAccessTokenHash},
		{"alg not allowed", rptest.Faults{}, func(c *Config) { c.SigningAlgs = []string{"ES256"} }, ErrIDTokenAlgorithm},
		{"missing id_token", rptest.Faults{OmitIDToken: true}, nil, ErrMissingIDToken},
		{"token endpoint error", rptest.Faults{TokenStatus: http.StatusInternalServerError}, nil, ErrTokenExchange},
		{"userinfo other sub", rptest.Faults{UserInfoSubject: "mallory"}, func(c *Config) { c.UserInfo = UserInfoAlways }, ErrUserInfoSubjectMismatch},
		{"userinfo failing", rptest.Faults{UserInfoStatus: http.StatusBadGateway}, func(c *Config) { c.UserInfo = UserInfoAlways }, ErrUserInfo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, tc.mod)
			h.op.SetFaults(tc.faults)
			res, err := h.login()
			if !errors.Is(err, tc.want) {
				t.Fatalf("Callback error = %v; want %v", err, tc.want)
			}
			if res != nil {
				t.Fatalf("Callback returned a result with the error: %+v", res)
			}
			if n := h.op.Requests(rptest.EndpointUserInfo); n != 0 && tc.want != ErrUserInfoSubjectMismatch && tc.want != ErrUserInfo {
				t.Fatalf("userinfo was called after the ID token was rejected")
			}
		})
	}
}

func TestIDTokenAcceptedEdges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
	}{
		{"iat in future within skew", rptest.Faults{IssuedAt: 30 * time.Second}},
		{"kid omitted with one key", rptest.Faults{OmitKid: true}},
		{"azp equal to client", rptest.Faults{Azp: rptest.DefaultClientID}},
		{"aud as list of one", rptest.Faults{Audience: []string{rptest.DefaultClientID}}},
		{"email_verified as string", rptest.Faults{ExtraIDTokenClaims: map[string]any{"email_verified": "true"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, nil)
			h.op.SetFaults(tc.faults)
			res, err := h.login()
			if err != nil {
				t.Fatalf("Callback = %v; want success", err)
			}
			if !res.Claims.EmailVerified {
				t.Errorf("email_verified lost: %+v", res.Claims)
			}
		})
	}
}

func TestExpiryWithinSkew(t *testing.T) {
	for _, tc := range []struct {
		expiredAgo time.Duration
		want       error
	}{
		{30 * time.Second, nil}, // within the default one-minute skew
		{90 * time.Second, ErrIDTokenExpired},
	} {
		h := newHarness(t, rptest.Config{}, nil)
		h.op.SetFaults(rptest.Faults{ExtraIDTokenClaims: map[string]any{
			"exp": h.clock.Now().Add(-tc.expiredAgo).Unix(),
			"iat": h.clock.Now().Add(-DefaultClockSkew).Unix(), // as early as the login allows
		}})
		if _, err := h.login(); !errors.Is(err, tc.want) {
			t.Errorf("token expired %v ago: %v; want %v", tc.expiredAgo, err, tc.want)
		}
	}
}

// TestStateRejections tampers with the authorization response or the
// browser's cookies and asserts the specific rejection, and that the
// provider's token endpoint was never called.
func TestStateRejections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(h *harness, cb string) string
		want   error
	}{
		{"state missing", func(h *harness, cb string) string { return withParam(h.t, cb, "state", "") }, ErrStateMissing},
		{"state forged", func(h *harness, cb string) string { return withParam(h.t, cb, "state", "forged-state") }, ErrStateUnknown},
		{"state over-long", func(h *harness, cb string) string { return withParam(h.t, cb, "state", strings.Repeat("a", 600)) }, ErrStateUnknown},
		{"cookie missing", func(h *harness, cb string) string { h.clearCookies(); return cb }, ErrStateUnknown},
		{"cookie tampered", func(h *harness, cb string) string {
			h.editCookie(func(c *http.Cookie) { c.Value = c.Value[:len(c.Value)-4] + "AAAA" })
			return cb
		}, ErrStateInvalid},
		{"cookie for another state", func(h *harness, cb string) string {
			// A genuine cookie of another login, renamed to match this state.
			other := h.authorize(h.start())
			otherName := h.rp.txCookieName(param(h.t, other, "state"))
			thisName := h.rp.txCookieName(param(h.t, cb, "state"))
			var value string
			for _, c := range h.jar.Cookies(h.appURL()) {
				if c.Name == otherName {
					value = c.Value
				}
			}
			h.jar.SetCookies(h.appURL(), []*http.Cookie{{Name: thisName, Value: value, Path: "/"}})
			return cb
		}, ErrStateInvalid},
		{"expired", func(h *harness, cb string) string { h.clock.Advance(DefaultLoginTimeout + time.Second); return cb }, ErrStateExpired},
		{"duplicate parameter", func(h *harness, cb string) string { return cb + "&code=second" }, ErrMalformedResponse},
		{"iss parameter wrong", func(h *harness, cb string) string { return withParam(h.t, cb, "iss", "https://evil.example") }, ErrIssuerMismatch},
		{"iss parameter missing while advertised", func(h *harness, cb string) string { return withParam(h.t, cb, "iss", "") }, ErrIssuerMismatch},
		{"code missing", func(h *harness, cb string) string { return withParam(h.t, cb, "code", "") }, ErrMissingCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, nil)
			cb := h.authorize(h.start())
			cb = tc.tamper(h, cb)
			res, err := h.callback(cb)
			if !errors.Is(err, tc.want) || res != nil {
				t.Fatalf("Callback = %+v, %v; want %v", res, err, tc.want)
			}
			isState := slices.Contains([]error{ErrStateMissing, ErrStateUnknown, ErrStateInvalid, ErrStateExpired, ErrStateReused}, tc.want)
			if errors.Is(err, ErrState) != isState {
				t.Fatalf("errors.Is(%v, ErrState) = %v; want %v", err, !isState, isState)
			}
			if n := h.op.Requests(rptest.EndpointToken); n != 0 {
				t.Fatalf("the token endpoint was called %d times after a rejected response", n)
			}
		})
	}
}

func (h *harness) appURL() *url.URL {
	u, _ := url.Parse(h.app.URL)
	return u
}

func (h *harness) clearCookies() {
	for _, c := range h.jar.Cookies(h.appURL()) {
		h.jar.SetCookies(h.appURL(), []*http.Cookie{{Name: c.Name, Path: "/", MaxAge: -1}})
	}
}

func (h *harness) editCookie(edit func(*http.Cookie)) {
	for _, c := range h.jar.Cookies(h.appURL()) {
		c.Path = "/"
		edit(c)
		h.jar.SetCookies(h.appURL(), []*http.Cookie{c})
	}
}

func TestStateReused(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	cb := h.authorize(h.start())
	saved := h.jar.Cookies(h.appURL())
	if _, err := h.callback(cb); err != nil {
		t.Fatal(err)
	}
	// The browser no longer has the cookie: a replay from it is unknown.
	if _, err := h.callback(cb); !errors.Is(err, ErrStateUnknown) {
		t.Fatalf("replay without cookie = %v; want ErrStateUnknown", err)
	}
	// An attacker who kept the cookie replays both: recognised as reuse.
	for _, c := range saved {
		c.Path = "/"
	}
	h.jar.SetCookies(h.appURL(), saved)
	tokenCalls := h.op.Requests(rptest.EndpointToken)
	if _, err := h.callback(cb); !errors.Is(err, ErrStateReused) {
		t.Fatalf("replay with cookie = %v; want ErrStateReused", err)
	}
	if n := h.op.Requests(rptest.EndpointToken); n != tokenCalls {
		t.Fatal("a replayed response reached the token endpoint")
	}
}

func TestProviderErrorResponse(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	h.op.SetFaults(rptest.Faults{AuthorizeError: "access_denied",
		AuthorizeErrorDescription: "<script>alert(1)</script>\x1b[31m" + strings.Repeat("x", 1000)})
	res, err := h.login()
	var pe *AuthorizationError
	if !errors.Is(err, ErrAuthorization) || !errors.As(err, &pe) || res != nil {
		t.Fatalf("Callback = %+v, %v; want *AuthorizationError", res, err)
	}
	if pe.Code != "access_denied" {
		t.Errorf("Code = %q", pe.Code)
	}
	if strings.ContainsRune(pe.Description, '\x1b') || len(pe.Description) > maxErrorText+len("…") {
		t.Errorf("Description not sanitized and capped: %d bytes %q", len(pe.Description), pe.Description[:40])
	}
	if !strings.Contains(err.Error(), `"access_denied"`) {
		t.Errorf("Error() = %q", err)
	}
	if n := h.op.Requests(rptest.EndpointToken); n != 0 {
		t.Errorf("token endpoint called %d times after an error response", n)
	}
}

func TestProviderErrorNeedsValidState(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	h.op.SetFaults(rptest.Faults{AuthorizeError: "access_denied"})
	cb := h.authorize(h.start())
	if _, err := h.callback(withParam(t, cb, "state", "forged")); !errors.Is(err, ErrStateUnknown) {
		t.Fatalf("error response with forged state = %v; want ErrStateUnknown before the error is acted on", err)
	}
}

func TestPKCEVerifierMismatch(t *testing.T) {
	// A code obtained by another login (another PKCE challenge) injected
	// into this login's response: the provider refuses our verifier.
	h := newHarness(t, rptest.Config{}, nil)
	victim := h.authorize(h.start())
	injected := h.authorize(h.start())
	res, err := h.callback(withParam(t, victim, "code", param(t, injected, "code")))
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || res != nil {
		t.Fatalf("Callback = %+v, %v; want a TokenError invalid_grant", res, err)
	}
}

func TestTokenErrorHidesSecrets(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ClientSecret = "wrong-secret-value" })
	cb := h.authorize(h.start())
	_, err := h.callback(cb)
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" {
		t.Fatalf("Callback = %v; want invalid_client", err)
	}
	for _, s := range []string{"wrong-secret-value", param(t, cb, "code")} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals a secret", err)
		}
	}
}
