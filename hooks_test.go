package rp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
)

var errAppSays = errors.New("app: not this one")

// wantHookRefused asserts that a step failed with the app's error through
// the named hook: errors.Is finds both errAppSays and ErrHookRefused.
func wantHookRefused(t *testing.T, res *Result, err error, hook string) {
	t.Helper()
	var he *HookError
	if res != nil || !errors.Is(err, errAppSays) || !errors.Is(err, ErrHookRefused) || errors.Is(err, ErrHookPanicked) ||
		!errors.As(err, &he) || he.Hook != hook {
		t.Fatalf("Callback = %+v, %v; want no result and an error of hook %s matching errAppSays and ErrHookRefused", res, err, hook)
	}
}

// TestHookAuthorizationRequest: the hook sees the per-login parameters,
// its additions and changes reach the provider's authorization endpoint,
// and a parameter it deletes is not sent.
func TestHookAuthorizationRequest(t *testing.T) {
	var seen *AuthRequest
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.ExtraAuthParams = url.Values{"audience": {"api"}}
		c.Hooks.AuthorizationRequest = func(ctx context.Context, a *AuthRequest) error {
			seen = &AuthRequest{Request: a.Request, ReturnTo: a.ReturnTo, Params: url.Values{}}
			for k, vs := range a.Params {
				seen.Params[k] = vs
			}
			a.Params.Set("domain_hint", a.Request.Header.Get("X-Tenant")+".example.com")
			a.Params.Set("login_hint", "bob@example.com")
			a.Params.Set("acr_values", "mfa")
			a.Params.Del("prompt")
			return nil
		}
	})
	h.opts = LoginOptions{ReturnTo: "/reports", Prompt: "login", LoginHint: "alice@example.com"}
	req, _ := http.NewRequest("GET", h.app.URL+"/login", nil)
	req.Header.Set("X-Tenant", "contoso")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login answered %d", resp.StatusCode)
	}
	if seen == nil || seen.ReturnTo != "/reports" || seen.Params.Get("prompt") != "login" ||
		seen.Params.Get("login_hint") != "alice@example.com" || seen.Params.Get("audience") != "api" || seen.Params.Has("state") {
		t.Fatalf("the hook saw %+v; want return_to /reports, prompt login, login_hint, audience and no state", seen)
	}
	h.authorize(resp.Header.Get("Location"))
	got := h.op.LastAuthorizeParams()
	for k, v := range map[string]string{"domain_hint": "contoso.example.com", "login_hint": "bob@example.com", "acr_values": "mfa", "audience": "api"} {
		if got.Get(k) != v {
			t.Errorf("the provider got %s = %q; want %q", k, got.Get(k), v)
		}
	}
	if got.Has("prompt") {
		t.Errorf("the provider got prompt %q; the hook deleted it", got.Get("prompt"))
	}
	if len(got.Get("state")) < 43 || len(got.Get("nonce")) < 43 || got.Get("code_challenge_method") != "S256" {
		t.Errorf("the protocol's parameters are missing: %v", got)
	}
}

// TestHookAuthorizationRequestReserved: a reserved parameter set by the
// hook, or a prompt LoginOptions would refuse, fails the login with
// ErrInvalidLoginOption and ErrHookRefused, and sets no cookie; a hook's
// own error fails it with that error.
func TestHookAuthorizationRequestReserved(t *testing.T) {
	set := func(k, v string) func(context.Context, *AuthRequest) error {
		return func(_ context.Context, a *AuthRequest) error { a.Params.Set(k, v); return nil }
	}
	for _, tc := range []struct {
		name string
		hook func(context.Context, *AuthRequest) error
		want error
	}{
		{"state", set("state", "mine"), ErrInvalidLoginOption},
		{"nonce", set("nonce", "mine"), ErrInvalidLoginOption},
		{"redirect_uri", set("redirect_uri", "https://evil.example/cb"), ErrInvalidLoginOption},
		{"code_challenge", set("code_challenge", "x"), ErrInvalidLoginOption},
		{"client_id", set("client_id", "other"), ErrInvalidLoginOption},
		{"response_type", set("response_type", "token"), ErrInvalidLoginOption},
		{"scope", set("scope", "openid admin"), ErrInvalidLoginOption},
		{"max_age", set("max_age", "0"), ErrInvalidLoginOption},
		{"bad prompt", set("prompt", "none login"), ErrInvalidLoginOption},
		{"app error", func(context.Context, *AuthRequest) error { return errAppSays }, errAppSays},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, func(c *Config) { c.Hooks.AuthorizationRequest = tc.hook })
			rec := httptest.NewRecorder()
			u, err := h.rp.AuthURL(rec, httptest.NewRequest("GET", h.app.URL+"/login", nil), LoginOptions{})
			var he *HookError
			if u != "" || !errors.Is(err, tc.want) || !errors.Is(err, ErrHookRefused) || !errors.As(err, &he) || he.Hook != "AuthorizationRequest" {
				t.Fatalf("AuthURL = %q, %v; want %v and ErrHookRefused from AuthorizationRequest", u, err, tc.want)
			}
			if c := rec.Result().Cookies(); len(c) != 0 {
				t.Fatalf("a refused login set cookies %v", c)
			}
		})
	}
}

// TestHookAuthorizationResponse: the hook sees every response before any
// check, a forged one included, without its code; changing what it got
// changes nothing; its error fails the sign-in before the token endpoint.
func TestHookAuthorizationResponse(t *testing.T) {
	var seen []*AuthResponse
	fail := false
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.Hooks.AuthorizationResponse = func(_ context.Context, a *AuthResponse) error {
			seen = append(seen, a)
			a.Params.Set("state", "changed")
			if fail {
				return errAppSays
			}
			return nil
		}
	})
	cb := h.authorize(h.start())
	if res, err := h.callback(cb); err != nil || res == nil {
		t.Fatalf("sign-in: %v", err)
	}
	if len(seen) != 1 || seen[0].Method != "GET" || !seen[0].HasCode || seen[0].HasTokens || seen[0].Params.Has("code") {
		t.Fatalf("the hook saw %+v; want a GET with a code it is not shown", seen)
	}
	// A forged response reaches the hook, then fails its state check.
	if _, err := h.callback(withParam(t, cb, "state", "forged")); !errors.Is(err, ErrStateUnknown) || len(seen) != 2 || seen[1].Params.Get("state") != "changed" {
		t.Fatalf("forged response: %v, hook calls %d; want ErrStateUnknown after the hook", err, len(seen))
	}
	fail = true
	tokenCalls := h.op.Requests(rptest.EndpointToken)
	res, err := h.login()
	wantHookRefused(t, res, err, "AuthorizationResponse")
	if n := h.op.Requests(rptest.EndpointToken); n != tokenCalls {
		t.Fatalf("the token endpoint was called after the hook refused")
	}
}

// TestHookTokenResponse: the hook sees the verified tokens and the granted
// scope; its error fails the sign-in before userinfo.
func TestHookTokenResponse(t *testing.T) {
	var seen *TokenResponse
	var refuse error
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.UserInfo = UserInfoAlways
		c.Hooks.TokenResponse = func(_ context.Context, tok *TokenResponse) error {
			seen = tok
			tok.Tokens.AccessToken = "changed"
			return refuse
		}
	})
	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	if seen == nil || seen.Tokens.AccessToken == "" || seen.Tokens.IDToken == "" || res.Tokens.AccessToken == "changed" {
		t.Fatalf("the hook saw %+v; result tokens %v", seen, res.Tokens)
	}
	// The ID token was verified before: a bad signature never reaches it.
	seen = nil
	h.op.SetFaults(rptest.Faults{BadSignature: true})
	if _, err := h.login(); !errors.Is(err, ErrIDTokenSignature) || seen != nil {
		t.Fatalf("bad signature: %v, hook called %v; want ErrIDTokenSignature without the hook", err, seen != nil)
	}
	h.op.SetFaults(rptest.Faults{})
	refuse = errAppSays
	before := h.op.Requests(rptest.EndpointUserInfo)
	res, err = h.login()
	wantHookRefused(t, res, err, "TokenResponse")
	if h.op.Requests(rptest.EndpointUserInfo) != before {
		t.Fatal("userinfo was called after the hook refused")
	}
}

// TestHookIDTokenValidated: the hook runs after the library's checks
// (RequireACR), sees a copy of the verified claims, may add claims that do
// not decide who signs in, and its refusal fails the sign-in.
func TestHookIDTokenValidated(t *testing.T) {
	calls := 0 // -100 once the second RP's hook ran
	var hook func(*IDTokenInfo) error
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.UserInfo = UserInfoNever
		c.Hooks.IDTokenValidated = func(_ context.Context, id *IDTokenInfo) error {
			calls++
			return hook(id)
		}
	})
	hook = func(id *IDTokenInfo) error {
		if id.Claims["sub"] != "alice-sub" {
			t.Errorf("the hook saw sub %v", id.Claims["sub"])
		}
		id.Claims["sub"] = "mallory"
		id.Add["department"] = "finance"
		id.Add["name"] = "Not Alice"
		return nil
	}
	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	if res.Claims.Subject != "alice-sub" || res.Claims.Raw["department"] != "finance" || res.Claims.Name != "Alice Example" {
		t.Fatalf("claims %+v; want alice-sub, the added department, the provider's name", res.Claims)
	}
	// Claims that decide who signs in cannot be added.
	for _, claim := range []string{"email", "email_verified", "sub", "preferred_username", "upn"} {
		hook = func(id *IDTokenInfo) error { id.Add[claim] = "x"; return nil }
		if res, err := h.login(); res != nil || !errors.Is(err, ErrHookRefused) {
			t.Errorf("adding %s: %+v, %v; want ErrHookRefused", claim, res, err)
		}
	}
	hook = func(*IDTokenInfo) error { return errAppSays }
	res, err = h.login()
	wantHookRefused(t, res, err, "IDTokenValidated")

	// The library's checks come first: an acr other than the required one
	// never reaches the hook.
	h2 := newHarness(t, rptest.Config{}, func(c *Config) {
		c.ACRValues, c.RequireACR = []string{"mfa"}, true
		c.Hooks.IDTokenValidated = func(context.Context, *IDTokenInfo) error { calls = -100; return nil }
	})
	h2.op.SetFaults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"acr": "pwd"}})
	if _, err := h2.login(); !errors.Is(err, ErrIDTokenACR) || calls < 0 {
		t.Fatalf("acr pwd: %v, hook called %v; want ErrIDTokenACR without the hook", err, calls < 0)
	}
}

// TestHookUserInfoReceived: the hook sees userinfo's claims and the
// ID token's, what IDTokenValidated added, and may add more; it is not
// called when userinfo is not.
func TestHookUserInfoReceived(t *testing.T) {
	var seen *UserInfoData
	var refuse error
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.UserInfo = UserInfoAlways
		c.Hooks.IDTokenValidated = func(_ context.Context, id *IDTokenInfo) error { id.Add["tier"] = "gold"; return nil }
		c.Hooks.UserInfoReceived = func(_ context.Context, u *UserInfoData) error {
			seen = u
			u.Add["cost_center"] = "42"
			return refuse
		}
	})
	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	if seen == nil || seen.UserInfo["sub"] != "alice-sub" || seen.IDToken["sub"] != "alice-sub" || seen.Add["tier"] != "gold" {
		t.Fatalf("the hook saw %+v", seen)
	}
	if res.Claims.Raw["cost_center"] != "42" || res.Claims.Raw["tier"] != "gold" {
		t.Fatalf("claims %v; want both added claims", res.Claims.Raw)
	}
	refuse = errAppSays
	res, err = h.login()
	wantHookRefused(t, res, err, "UserInfoReceived")

	called := false
	h2 := newHarness(t, rptest.Config{}, func(c *Config) {
		c.UserInfo = UserInfoNever
		c.Hooks.UserInfoReceived = func(context.Context, *UserInfoData) error { called = true; return nil }
	})
	if _, err := h2.login(); err != nil || called {
		t.Fatalf("without userinfo: %v, hook called %v", err, called)
	}
}

// TestHookPanic: a hook's panic fails the step with ErrHookPanicked (not
// ErrHookRefused) and is logged at Error with the hook's name, for each
// hook of the RP.
func TestHookPanic(t *testing.T) {
	boom := func() { panic("boom\nwith a newline") }
	for _, name := range []string{"AuthorizationRequest", "AuthorizationResponse", "TokenResponse", "IDTokenValidated", "UserInfoReceived"} {
		t.Run(name, func(t *testing.T) {
			var logs testlog.Buffer
			h := newHarness(t, rptest.Config{}, func(c *Config) {
				c.Logger = logs.Logger()
				c.UserInfo = UserInfoAlways
				switch name {
				case "AuthorizationRequest":
					c.Hooks.AuthorizationRequest = func(context.Context, *AuthRequest) error { boom(); return nil }
				case "AuthorizationResponse":
					c.Hooks.AuthorizationResponse = func(context.Context, *AuthResponse) error { boom(); return nil }
				case "TokenResponse":
					c.Hooks.TokenResponse = func(context.Context, *TokenResponse) error { boom(); return nil }
				case "IDTokenValidated":
					c.Hooks.IDTokenValidated = func(context.Context, *IDTokenInfo) error { boom(); return nil }
				case "UserInfoReceived":
					c.Hooks.UserInfoReceived = func(context.Context, *UserInfoData) error { boom(); return nil }
				}
			})
			var err error
			var res *Result
			if name == "AuthorizationRequest" {
				_, err = h.rp.AuthURL(httptest.NewRecorder(), httptest.NewRequest("GET", h.app.URL+"/login", nil), LoginOptions{})
			} else {
				res, err = h.login()
			}
			var he *HookError
			if res != nil || !errors.Is(err, ErrHookPanicked) || errors.Is(err, ErrHookRefused) || !errors.As(err, &he) || he.Hook != name {
				t.Fatalf("%+v, %v; want ErrHookPanicked from %s", res, err, name)
			}
			line := logs.Only(t, "rp: hook panicked")
			if line["level"] != "ERROR" || line["hook"] != name || !strings.Contains(line["panic"].(string), "boom") || strings.Contains(line["panic"].(string), "\n") {
				t.Fatalf("log line %v", line)
			}
			if name != "AuthorizationRequest" {
				if refusal := logs.Only(t, evSignInRefused); refusal["error_kind"] != "hook_panicked" || refusal["level"] != "ERROR" {
					t.Fatalf("refusal line %v", refusal)
				}
			}
		})
	}
}
