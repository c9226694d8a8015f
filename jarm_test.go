package rp

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// jarmHarness is a harness whose RP asks for the JARM response mode mode.
func jarmHarness(t *testing.T, opCfg rptest.Config, responseType, mode string, mod ...func(*Config)) *harness {
	t.Helper()
	return newHarness(t, opCfg, func(c *Config) {
		c.ResponseType, c.ResponseMode = responseType, mode
		for _, m := range mod {
			m(c)
		}
	})
}

// TestJARMSignIn: in every JARM mode the provider's response is one
// parameter, "response", delivered as the mode says, and the login
// completes with the parameters of the verified JWT.
func TestJARMSignIn(t *testing.T) {
	for _, tc := range []struct {
		rt, mode   string
		wantMethod string
	}{
		{"code", "query.jwt", http.MethodGet},
		{"code", "form_post.jwt", http.MethodPost},
		{"code", "fragment.jwt", http.MethodPost}, // the relay page POSTs the fragment
		{"code", "jwt", http.MethodGet},           // query.jwt for code
		{"code id_token", "fragment.jwt", http.MethodPost},
		{"code id_token", "form_post.jwt", http.MethodPost},
		{"id_token", "jwt", http.MethodPost}, // fragment.jwt for tokens
		{"id_token token", "form_post.jwt", http.MethodPost},
	} {
		t.Run(tc.rt+"/"+tc.mode, func(t *testing.T) {
			h := jarmHarness(t, rptest.Config{}, tc.rt, tc.mode)
			method, v := h.respond(h.start())
			if got := h.op.LastAuthorizeParams().Get("response_mode"); got != tc.mode {
				t.Fatalf("response_mode sent %q; want %q", got, tc.mode)
			}
			if method != tc.wantMethod || len(v) != 1 || v.Get("response") == "" {
				t.Fatalf("the response came by %s with %d parameters; want %s with only response", method, len(v), tc.wantMethod)
			}
			res, err := h.deliver(method, v)
			if err != nil {
				t.Fatalf("Callback: %v", err)
			}
			if res.Claims.Subject != "alice-sub" || res.Tokens.IDToken == "" {
				t.Fatalf("result %+v", res.Claims)
			}
			want := 0
			if responseTypeHas(tc.rt, "code") {
				want = 1
			}
			if n := h.op.Requests(rptest.EndpointToken); n != want {
				t.Errorf("token requests %d; want %d", n, want)
			}
		})
	}
}

// TestJARMFragmentRelay: with fragment.jwt (and "jwt" for a response type
// that returns tokens) the bare GET of the redirect URL gets the relay
// page; with query.jwt and form_post.jwt it does not.
func TestJARMFragmentRelay(t *testing.T) {
	for _, tc := range []struct {
		rt, mode string
		relay    bool
	}{
		{"code", "fragment.jwt", true},
		{"id_token", "jwt", true},
		{"code", "jwt", false},
		{"code", "query.jwt", false},
		{"code", "form_post.jwt", false},
	} {
		h := jarmHarness(t, rptest.Config{}, tc.rt, tc.mode)
		rec := httptest.NewRecorder()
		if got := h.rp.RelayFragment(rec, httptest.NewRequest("GET", "/callback", nil)); got != tc.relay {
			t.Errorf("%s/%s: RelayFragment = %v; want %v", tc.rt, tc.mode, got, tc.relay)
		}
	}
}

// TestJARMFormPostCookie: with form_post.jwt the transaction cookie is
// sent on the provider's cross-site POST, as with form_post.
func TestJARMFormPostCookie(t *testing.T) {
	h := jarmHarness(t, rptest.Config{}, "code", "form_post.jwt")
	for _, mode := range []string{"form_post", "form_post.jwt"} {
		h.rp.cfg.ResponseMode = mode
		c := h.rp.txCookie("n", nil)
		h.rp.cfg.ResponseMode = "query"
		plain := h.rp.txCookie("n", nil)
		if c.SameSite == plain.SameSite {
			t.Errorf("%s: the cookie's SameSite is %v, as for query", mode, c.SameSite)
		}
	}
}

// TestJARMErrorResponse: an error response inside the JWT is a
// *AuthorizationError, after its state was checked.
func TestJARMErrorResponse(t *testing.T) {
	h := jarmHarness(t, rptest.Config{}, "code", "form_post.jwt")
	h.op.SetFaults(rptest.Faults{AuthorizeError: "access_denied", AuthorizeErrorDescription: "no"})
	_, err := h.deliver(h.respond(h.start()))
	var ae *AuthorizationError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Description != "no" {
		t.Fatalf("Callback = %v; want access_denied", err)
	}

	// The state is checked first: an error response for another state is
	// a state error.
	h.op.SetFaults(rptest.Faults{AuthorizeError: "access_denied", ResponseState: ptr("forged")})
	if _, err := h.deliver(h.respond(h.start())); !errors.Is(err, ErrStateUnknown) {
		t.Fatalf("Callback = %v; want ErrStateUnknown", err)
	}
}

// TestJARMRejections: every rule of the response JWT refuses with its
// exact kind, before the state is used and before any code is redeemed;
// the error text never holds the JWT.
func TestJARMRejections(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode string
		jf   rptest.JARMFaults
		f    rptest.Faults
		mod  func(*Config)
		want error
	}{
		{name: "plain response", jf: rptest.JARMFaults{Plain: true}, want: ErrResponseJWTMissing},
		{name: "plain response, query", mode: "query.jwt", jf: rptest.JARMFaults{Plain: true}, want: ErrResponseJWTMissing},
		{name: "parameter beside response", jf: rptest.JARMFaults{ExtraParams: url.Values{"state": {"x"}}}, want: ErrResponseJWTMissing},
		{name: "iss parameter beside response", mode: "query.jwt", jf: rptest.JARMFaults{ExtraParams: url.Values{"iss": {"x"}}}, want: ErrResponseJWTMissing},
		{name: "bad signature", jf: rptest.JARMFaults{BadSignature: true}, want: ErrResponseJWTSignature},
		{name: "bad signature, fragment", mode: "fragment.jwt", jf: rptest.JARMFaults{BadSignature: true}, want: ErrResponseJWTSignature},
		{name: "alg none", jf: rptest.JARMFaults{AlgNone: true}, want: ErrResponseJWTAlgorithm},
		{name: "alg not in SigningAlgs", mod: func(c *Config) { c.SigningAlgs = []string{"ES256"} }, want: ErrResponseJWTAlgorithm},
		{name: "wrong iss", jf: rptest.JARMFaults{Issuer: "https://evil.example"}, want: ErrResponseJWTIssuer},
		{name: "no iss", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"iss": nil}}, want: ErrResponseJWTIssuer},
		{name: "iss not a string", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"iss": 7}}, want: ErrResponseJWTMalformed},
		{name: "wrong aud", jf: rptest.JARMFaults{Audience: []string{"other-client"}}, want: ErrResponseJWTAudience},
		{name: "no aud", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"aud": nil}}, want: ErrResponseJWTAudience},
		{name: "aud not strings", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"aud": []any{1}}}, want: ErrResponseJWTAudience},
		{name: "expired", jf: rptest.JARMFaults{Expired: true}, want: ErrResponseJWTExpired},
		{name: "expired beyond skew", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"exp": "now-61s"}}, want: ErrResponseJWTExpired},
		{name: "no exp", jf: rptest.JARMFaults{OmitExp: true}, want: ErrResponseJWTExpired},
		{name: "nbf ahead", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"nbf": "now+61s"}}, want: ErrResponseJWTExpired},
		{name: "exp not a number", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"exp": "soon"}}, want: ErrResponseJWTMalformed},
		{name: "a parameter not a string", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"session_state": 7}}, want: ErrResponseJWTMalformed},
		{name: "state not a string", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"state": []any{"x"}}}, want: ErrResponseJWTMalformed},
		{name: "null parameter", jf: rptest.JARMFaults{ExtraClaims: map[string]any{"code": json.RawMessage("null")}}, want: ErrResponseJWTMalformed},
		{name: "wrong iss inside error response", f: rptest.Faults{AuthorizeError: "access_denied"}, jf: rptest.JARMFaults{Issuer: "https://evil.example"}, want: ErrResponseJWTIssuer},
		{name: "state inside not this login's", f: rptest.Faults{ResponseState: ptr("forged")}, want: ErrStateUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mode := cmp.Or(tc.mode, "form_post.jwt")
			mods := []func(*Config){func(c *Config) { c.UserInfo = UserInfoAlways }}
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			h := jarmHarness(t, rptest.Config{}, "code", mode, mods...)
			f := tc.f
			f.JARM = tc.jf
			f.JARM.ExtraClaims = relativeTimes(h.clock.Now(), tc.jf.ExtraClaims)
			h.op.SetFaults(f)
			method, v := h.respond(h.start())
			res, err := h.deliver(method, v)
			if !errors.Is(err, tc.want) || res != nil {
				t.Fatalf("Callback = %v; want %v", err, tc.want)
			}
			if (tc.want != ErrStateUnknown) != errors.Is(err, ErrResponseJWT) {
				t.Fatalf("Callback = %v; matches ErrResponseJWT %v", err, errors.Is(err, ErrResponseJWT))
			}
			if n, u := h.op.Requests(rptest.EndpointToken), h.op.Requests(rptest.EndpointUserInfo); n != 0 || u != 0 {
				t.Fatalf("after the rejection: %d token and %d userinfo requests; want none", n, u)
			}
			if raw := v.Get("response"); raw != "" {
				for part := range strings.SplitSeq(raw, ".") {
					if len(part) > 8 && strings.Contains(err.Error(), part) {
						t.Fatalf("the error %q holds the response JWT", err)
					}
				}
			}
		})
	}
}

// relativeTimes replaces the values "now-61s" and "now+61s" in claims by
// those times as NumericDates.
func relativeTimes(now time.Time, claims map[string]any) map[string]any {
	for k, v := range claims {
		switch v {
		case "now-61s":
			claims[k] = now.Add(-61 * time.Second).Unix()
		case "now+61s":
			claims[k] = now.Add(61 * time.Second).Unix()
		case "now-59s":
			claims[k] = now.Add(-59 * time.Second).Unix()
		}
	}
	return claims
}

// TestJARMAcceptedEdges: an exp within the clock skew, an nbf just
// passed, an aud list naming the client and claims the RP does not know
// are accepted.
func TestJARMAcceptedEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		jf   rptest.JARMFaults
	}{
		{"exp within skew", rptest.JARMFaults{ExtraClaims: map[string]any{"exp": "now-59s"}}},
		{"nbf passed", rptest.JARMFaults{ExtraClaims: map[string]any{"nbf": "now-59s"}}},
		{"aud list", rptest.JARMFaults{Audience: []string{"test-client", "other"}}},
		{"unknown string parameter", rptest.JARMFaults{ExtraClaims: map[string]any{"session_state": "abc"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := jarmHarness(t, rptest.Config{}, "code", "query.jwt")
			jf := tc.jf
			jf.ExtraClaims = relativeTimes(h.clock.Now(), jf.ExtraClaims)
			h.op.SetFaults(rptest.Faults{JARM: jf})
			if _, err := h.deliver(h.respond(h.start())); err != nil {
				t.Fatalf("Callback: %v", err)
			}
		})
	}
}

// TestJARMDirectResponses: responses an attacker may post by hand.
func TestJARMDirectResponses(t *testing.T) {
	h := jarmHarness(t, rptest.Config{}, "code", "form_post.jwt")
	h.start()
	for _, tc := range []struct {
		name string
		v    url.Values
		want error
	}{
		{"encrypted", url.Values{"response": {"eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"}}, ErrResponseJWTEncrypted},
		{"not a JWT", url.Values{"response": {"garbage"}}, ErrResponseJWTMalformed},
		{"three dots of garbage", url.Values{"response": {"a.b.c"}}, ErrResponseJWTMalformed},
		{"empty response", url.Values{"response": {""}}, ErrResponseJWTMissing},
		{"no parameters", url.Values{}, ErrResponseJWTMissing},
		{"over-long", url.Values{"response": {strings.Repeat("a", maxParamLen+1)}}, ErrMalformedResponse},
	} {
		if _, err := h.deliver(http.MethodPost, tc.v); !errors.Is(err, tc.want) {
			t.Errorf("%s: Callback = %v; want %v", tc.name, err, tc.want)
		}
	}
	if n := h.op.Requests(rptest.EndpointToken); n != 0 {
		t.Fatalf("%d token requests; want none", n)
	}
}

// TestJARMPlainModeIgnoresResponseParam: without a JARM mode a "response"
// parameter is not unwrapped.
func TestJARMPlainModeIgnoresResponseParam(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseMode = "form_post" })
	h.op.SetFaults(rptest.Faults{JARM: rptest.JARMFaults{Plain: true}})
	if _, err := h.deliver(h.respond(h.start())); err != nil {
		t.Fatalf("Callback: %v", err)
	}
	_, err := h.deliver(http.MethodPost, url.Values{"response": {"a.b.c"}})
	if !errors.Is(err, ErrStateMissing) {
		t.Fatalf("Callback = %v; want ErrStateMissing", err)
	}
}

// TestJARMKeyRefetch: a response JWT signed with a new key is verified
// after one refetch of the keys, and shares the untrusted refetch budget
// of the front channel: a second new kid within the cooldown is refused.
func TestJARMKeyRefetch(t *testing.T) {
	h := jarmHarness(t, rptest.Config{}, "code", "query.jwt")
	if _, err := h.deliver(h.respond(h.start())); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	h.op.RotateKey(false)
	if _, err := h.deliver(h.respond(h.start())); err != nil {
		t.Fatalf("after a rotation: %v", err)
	}
	if n := h.op.Requests(rptest.EndpointJWKS); n != 2 {
		t.Fatalf("%d key fetches; want 2", n)
	}
	h.op.RotateKey(false)
	if _, err := h.deliver(h.respond(h.start())); !errors.Is(err, ErrResponseJWTSignature) {
		t.Fatalf("a second rotation within the cooldown: %v; want ErrResponseJWTSignature", err)
	}
	h.clock.Advance(keyRefetchCooldown)
	if _, err := h.deliver(h.respond(h.start())); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
}

// TestJARMEntraTemplateIssuer: under a multi-tenant issuer the JWT's iss
// follows the iss parameter's rule: the template itself, or an allowed
// tenant's issuer.
func TestJARMEntraTemplateIssuer(t *testing.T) {
	op := rptest.Config{EntraMultiTenant: true, Users: []rptest.User{{Subject: "u", Claims: map[string]any{"tid": "t1"}}}}
	for _, tc := range []struct {
		tenant string
		want   error
	}{{"", nil}, {"t1", nil}, {"t2", ErrResponseJWTIssuer}} {
		h := jarmHarness(t, op, "code", "query.jwt", func(c *Config) {
			c.MetadataURL = c.Authority + "/.well-known/openid-configuration"
			c.Authority += "/common/v2.0"
			c.AllowedTenants = []string{"t1"}
		})
		if tc.tenant != "" {
			h.op.SetFaults(rptest.Faults{JARM: rptest.JARMFaults{Issuer: h.op.URL + "/" + tc.tenant + "/v2.0"}})
		}
		if _, err := h.deliver(h.respond(h.start())); !errors.Is(err, tc.want) {
			t.Errorf("tenant %q: Callback = %v; want %v", tc.tenant, err, tc.want)
		}
	}
}

// TestJARMHookSeesVerifiedParams: the audit hook sees the parameters of
// the verified JWT, without the code.
func TestJARMHookSeesVerifiedParams(t *testing.T) {
	var got *AuthResponse
	h := jarmHarness(t, rptest.Config{}, "code", "form_post.jwt", func(c *Config) {
		c.Hooks.AuthorizationResponse = func(_ context.Context, a *AuthResponse) error { got = a; return nil }
	})
	if _, err := h.deliver(h.respond(h.start())); err != nil {
		t.Fatalf("Callback: %v", err)
	}
	if got == nil || !got.HasCode || got.Params.Get("state") == "" || got.Params.Get("iss") != h.op.Issuer() ||
		got.Params.Has("response") || got.Params.Has("code") || got.Params.Has("exp") || got.Params.Has("aud") {
		t.Fatalf("hook saw %+v", got)
	}
}

// TestJARMResponseStateTag: the tag of a JARM response is read from its
// JWT's state.
func TestJARMResponseStateTag(t *testing.T) {
	h := jarmHarness(t, rptest.Config{}, "code", "form_post.jwt", func(c *Config) { c.TransactionTag = "conn.v3" })
	_, v := h.respond(h.start())
	req := httptest.NewRequest(http.MethodPost, "/callback", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if tag := ResponseStateTag(httptest.NewRecorder(), req); tag != "conn.v3" {
		t.Fatalf("ResponseStateTag = %q; want conn.v3", tag)
	}
	req = httptest.NewRequest(http.MethodGet, "/callback?response=a.b.c", nil)
	if tag := ResponseStateTag(httptest.NewRecorder(), req); tag != "" {
		t.Fatalf("ResponseStateTag of garbage = %q", tag)
	}
}

// TestJARMConfig: the JARM modes are accepted; query.jwt is refused for
// the response types that return tokens, as query is.
func TestJARMConfig(t *testing.T) {
	base := Config{Authority: "https://op.example", ClientID: "c", RedirectURL: "https://app.example/cb"}
	for _, tc := range []struct {
		rt, mode string
		ok       bool
	}{
		{"", "jwt", true}, {"", "query.jwt", true}, {"", "form_post.jwt", true}, {"", "fragment.jwt", true},
		{"id_token", "jwt", true}, {"id_token", "form_post.jwt", true}, {"code id_token", "fragment.jwt", true},
		{"code", "query.jwt", true},
		{"id_token", "query.jwt", false}, {"code token", "query.jwt", false},
		{"", "JWT", false}, {"", "form_post.JWT", false}, {"", "query.jwt.jwt", false}, {"", ".jwt", false},
	} {
		c := base
		c.ResponseType, c.ResponseMode = tc.rt, tc.mode
		err := c.Validate()
		var ce *ConfigError
		if tc.ok && err != nil {
			t.Errorf("%q/%q: %v", tc.rt, tc.mode, err)
		}
		if !tc.ok && (!errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "ResponseMode") {
			t.Errorf("%q/%q: Validate = %v; want one ResponseMode problem", tc.rt, tc.mode, err)
		}
	}
}

// TestJARMModeNotAdvertised: New refuses a JARM mode the provider's
// response_modes_supported leaves out, and accepts it when the provider
// lists no modes.
func TestJARMModeNotAdvertised(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	t.Cleanup(op.Close)
	doc := discoveryDoc(t, op)
	cfg := Config{Authority: op.Issuer(), ClientID: op.ClientID(), ClientSecret: Secret(op.ClientSecret()),
		RedirectURL: "http://127.0.0.1/cb", ResponseMode: "query.jwt"}
	for _, tc := range []struct {
		modes any
		ok    bool
	}{
		{[]string{"query", "fragment", "form_post"}, false},
		{[]string{"query", "jwt", "form_post.jwt"}, false},
		{[]string{"query.jwt"}, true},
		{nil, true},
	} {
		doc["response_modes_supported"] = tc.modes
		if tc.modes == nil {
			delete(doc, "response_modes_supported")
		}
		body, _ := json.Marshal(doc)
		op.SetFaults(rptest.Faults{DiscoveryBody: body})
		_, err := New(context.Background(), cfg)
		var ce *ConfigError
		switch {
		case tc.ok && err != nil:
			t.Errorf("modes %v: New: %v", tc.modes, err)
		case !tc.ok && (!errors.As(err, &ce) || !slices.ContainsFunc(ce.Problems, func(p ConfigProblem) bool { return p.Field == "ResponseMode" })):
			t.Errorf("modes %v: New = %v; want a ResponseMode problem", tc.modes, err)
		}
	}
}

// discoveryDoc fetches op's discovery document.
func discoveryDoc(t *testing.T, op *rptest.Server) map[string]any {
	t.Helper()
	resp, err := op.Client().Get(op.URL + rptest.PathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestJARMErrorKinds: each rejection has its own error_kind, and the
// forged or downgraded ones are suspicious.
func TestJARMErrorKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, kind := range []error{ErrResponseJWTMissing, ErrResponseJWTMalformed, ErrResponseJWTEncrypted, ErrResponseJWTAlgorithm,
		ErrResponseJWTSignature, ErrResponseJWTIssuer, ErrResponseJWTAudience, ErrResponseJWTExpired} {
		err := responseJWTErr(kind, "detail")
		code := ErrorCode(err)
		if code == "other" || seen[code] || !strings.HasPrefix(code, "response_jwt_") {
			t.Errorf("%v: error_kind %q", kind, code)
		}
		seen[code] = true
		if !errors.Is(err, ErrResponseJWT) || !errors.Is(err, kind) {
			t.Errorf("%v does not match ErrResponseJWT and its kind", err)
		}
		if ErrorMessage(err) != "The identity provider's answer could not be verified." {
			t.Errorf("%v: message %q", kind, ErrorMessage(err))
		}
	}
	for _, kind := range []error{ErrResponseJWTMissing, ErrResponseJWTSignature, ErrResponseJWTIssuer, ErrResponseJWTAudience, ErrResponseJWTAlgorithm} {
		if !Suspicious(responseJWTErr(kind, "")) {
			t.Errorf("%v is not suspicious", kind)
		}
	}
	if Suspicious(responseJWTErr(ErrResponseJWTExpired, "")) {
		t.Error("an expired response JWT is suspicious")
	}
}

// TestJARMWithPAR: the JARM mode is pushed with the other parameters.
func TestJARMWithPAR(t *testing.T) {
	h := jarmHarness(t, rptest.Config{}, "code", "form_post.jwt", func(c *Config) { c.PushedAuthorization = true })
	method, v := h.respond(h.start())
	if method != http.MethodPost || len(v) != 1 || v.Get("response") == "" {
		t.Fatalf("the response came by %s with %v; want a form with only response", method, slices.Collect(maps.Keys(v)))
	}
	if _, err := h.deliver(method, v); err != nil {
		t.Fatalf("Callback: %v", err)
	}
	if n := h.op.Requests(rptest.EndpointPAR); n != 1 {
		t.Fatalf("%d pushed requests; want 1", n)
	}
}
