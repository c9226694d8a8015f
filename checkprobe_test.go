package rp

import (
	"context"
	"crypto/elliptic"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// jsonAnswer answers status with a JSON body.
func jsonAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// htmlAnswer answers status with an HTML page.
func htmlAnswer(status int, page string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(page))
	}
}

func TestCheckOfflineAccess(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	cfg := checkConfigFor(op)
	cfg.Scopes = []string{"openid", "offline_access"}
	r := Check(context.Background(), cfg, CheckOptions{})
	wantCheckSummary(t, r, strings.Replace(checkAllOK, "OK scopes", "WARN scopes", 1))
	if f := checkFinding(t, r, "scopes"); !strings.Contains(f.Message, "offline_access") || !strings.Contains(f.Message, "prompt=consent") || !strings.Contains(f.Message, "refresh token") {
		t.Errorf("scopes message %q", f.Message)
	}
	cfg.Prompt = "consent"
	r = Check(context.Background(), cfg, CheckOptions{})
	wantCheckSummary(t, r, checkAllOK)
	if f := checkFinding(t, r, "scopes"); f.Message != "requesting openid offline_access" {
		t.Errorf("with Prompt consent, scopes message %q", f.Message)
	}
}

func TestCheckCredentialProbe(t *testing.T) {
	const secret = "s3cret-for-check-test"
	rsaK, ecK := rsaKey(t), ecKey(t, elliptic.P256())
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: rsaK.Public(), KeyID: "rsa-1", Use: "sig"}}}
	for _, tc := range []struct {
		name     string
		op       rptest.Config
		mod      func(*Config)
		want     CheckStatus
		words    string
		requests int
	}{
		{"basic, right secret", rptest.Config{ClientSecret: secret}, nil, CheckOK, "accepted the client credentials", 2},
		{"basic, wrong secret", rptest.Config{ClientSecret: secret}, func(c *Config) { c.ClientSecret = "wrong-secret-0815" }, CheckFail, "rejected the client ID or secret", 1},
		{"post, right secret", rptest.Config{ClientSecret: secret, ClientAuth: "client_secret_post"}, func(c *Config) { c.ClientAuth = "client_secret_post" }, CheckOK, "accepted the client credentials", 2},
		{"post, wrong secret", rptest.Config{ClientSecret: secret, ClientAuth: "client_secret_post"}, func(c *Config) { c.ClientAuth, c.ClientSecret = "client_secret_post", "wrong-secret-0815" }, CheckFail, "rejected the client ID or secret", 1},
		{"wrong client ID", rptest.Config{ClientSecret: secret}, func(c *Config) { c.ClientID = "other-app" }, CheckFail, "rejected the client ID or secret", 1},
		{"private_key_jwt, right key", rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks},
			func(c *Config) { c.ClientSecret, c.ClientKey, c.ClientKeyID = "", rsaK, "rsa-1" }, CheckOK, "accepted the client credentials", 2},
		{"private_key_jwt, wrong key", rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks},
			func(c *Config) { c.ClientSecret, c.ClientKey = "", ecK }, CheckFail, "rejected the client ID or key", 1},
		{"public client", rptest.Config{ClientAuth: "none"}, func(c *Config) { c.ClientSecret = "" }, CheckOK, "no secret or key to test", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := rptest.NewServer(tc.op)
			defer op.Close()
			cfg := checkConfigFor(op)
			cfg.ClientSecret = secret
			if tc.mod != nil {
				tc.mod(&cfg)
			}
			r := Check(context.Background(), cfg, CheckOptions{})
			f := checkFinding(t, r, "credentials")
			if f.Status != tc.want || !strings.Contains(f.Message, tc.words) {
				t.Errorf("credentials: %v %q; want %v and %q", f.Status, f.Message, tc.want, tc.words)
			}
			if n, m := op.Requests("token"), op.LastClientAuthMethod(); n != tc.requests || m != "" {
				t.Errorf("%d token requests, last successful %q; want %d and no token issued", n, m, tc.requests)
			}
			if s := r.String(); strings.Contains(s, secret) || strings.Contains(s, "wrong-secret-0815") {
				t.Errorf("report shows a secret:\n%s", s)
			}
		})
	}
}

func TestCheckSkipCredentialProbe(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	r := Check(context.Background(), checkConfigFor(op), CheckOptions{SkipCredentialProbe: true})
	wantCheckSummary(t, r, strings.TrimSuffix(checkAllOK, ", OK credentials"))
	if n := op.Requests("token"); n != 0 {
		t.Errorf("%d token requests; want none", n)
	}
}

// The probe is a code exchange with a made-up code, as the RP would send
// it, and whatever the provider answers, no token reaches the report. An
// invalid_grant counts only when the same request with a made-up secret is
// refused as a wrong client: a provider that looks at the code first answers
// invalid_grant to any secret.
func TestCheckCredentialProbeAnswers(t *testing.T) {
	const secret = "s3cret-for-check-test"
	// clientFirst authenticates the client before it looks at the code.
	clientFirst := func(w http.ResponseWriter, r *http.Request) {
		if _, pass, _ := r.BasicAuth(); pass != secret {
			jsonAnswer(401, `{"error":"invalid_client"}`)(w, r)
			return
		}
		jsonAnswer(400, `{"error":"invalid_grant","error_description":"unknown code"}`)(w, r)
	}
	// codeFirst refuses every made-up code before it looks at the client,
	// as zitadel's provider does, but authenticates the client (whose
	// secret is want) before it looks at a refresh token.
	codeFirst := func(want string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, pass, _ := r.BasicAuth()
			if r.PostFormValue("grant_type") == "refresh_token" && pass != want {
				jsonAnswer(401, `{"error":"invalid_client"}`)(w, r)
				return
			}
			jsonAnswer(400, `{"error":"invalid_grant"}`)(w, r)
		}
	}
	for _, tc := range []struct {
		name     string
		token    http.HandlerFunc
		want     CheckStatus
		words    string
		requests int32
	}{
		{"invalid_grant, made-up secret refused", clientFirst, CheckOK, "the provider accepted the client credentials: the made-up code was refused as invalid_grant, while the same request with a made-up secret was refused as a wrong client (HTTP 401 invalid_client)", 2},
		{"invalid_grant whatever the secret", jsonAnswer(400, `{"error":"invalid_grant","error_description":"unknown code"}`), CheckWarn, "could not tell whether the client credentials are right: this provider looks at the code (and the refresh token) before the client's secret", 4},
		{"code checked first, refresh token after the client", codeFirst(secret), CheckOK, "a made-up refresh token was refused as invalid_grant, while the same request with a made-up secret was refused as a wrong client (HTTP 401 invalid_client)", 4},
		{"code checked first, wrong secret", codeFirst("the-provider-knows-another"), CheckFail, "rejected the client ID or secret (HTTP 401 invalid_client, to a refresh request with a made-up refresh token)", 3},
		{"invalid_grant, then a server error", func(w http.ResponseWriter, r *http.Request) {
			if _, pass, _ := r.BasicAuth(); pass != secret {
				htmlAnswer(500, `<h1>oops</h1>`)(w, r)
				return
			}
			jsonAnswer(400, `{"error":"invalid_grant"}`)(w, r)
		}, CheckWarn, "and the same request with a made-up secret got HTTP 500", 2},
		{"unsupported_grant_type", jsonAnswer(400, `{"error":"unsupported_grant_type"}`), CheckWarn, `could not tell whether the client credentials are right: the provider answered HTTP 400 unsupported_grant_type`, 1},
		{"401 without a body", jsonAnswer(401, ``), CheckFail, "rejected the client ID or secret (HTTP 401)", 1},
		{"invalid_client echoing the secret", jsonAnswer(400, `{"error":"invalid_client","error_description":"bad secret `+secret+`"}`), CheckFail, `rejected the client ID or secret (HTTP 400 invalid_client "bad secret [redacted]")`, 1},
		{"server error", htmlAnswer(500, `<h1>oops</h1>`), CheckWarn, "could not tell", 1},
		{"made-up code redeemed", jsonAnswer(200, `{"access_token":"at-4711","token_type":"Bearer","id_token":"x.y.z"}`), CheckFail, "redeemed a made-up authorization code", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			var form atomic.Value
			var controlPass atomic.Value
			op := checkProvider(t, nil, `{"keys":[`+checkECKey(t, "k1")+`]}`, func(w http.ResponseWriter, r *http.Request) {
				_, pass, _ := r.BasicAuth()
				if n.Add(1) == 1 {
					_ = r.ParseForm()
					form.Store(r.PostForm)
					if pass != secret {
						t.Errorf("first request: basic authentication with %q", pass)
					}
				} else if n.Load() == 2 {
					controlPass.Store(pass)
				}
				tc.token(w, r)
			})
			cfg := Config{Authority: op.URL, ClientID: "app", ClientSecret: secret, RedirectURL: "https://app.example.com/cb"}
			r := Check(context.Background(), cfg, CheckOptions{})
			f := checkFinding(t, r, "credentials")
			if f.Status != tc.want || !strings.Contains(f.Message, tc.words) || n.Load() != tc.requests {
				t.Errorf("%v %q after %d requests; want %v, %q after %d", f.Status, f.Message, n.Load(), tc.want, tc.words, tc.requests)
			}
			if p, _ := controlPass.Load().(string); tc.requests >= 2 && (p == secret || !strings.HasPrefix(p, "rp-check-wrong-")) {
				t.Errorf("control request authenticated with %q; want a made-up secret", p)
			}
			v, _ := form.Load().(url.Values)
			if v.Get("grant_type") != "authorization_code" || len(v.Get("code")) < 32 || v.Get("redirect_uri") != cfg.RedirectURL ||
				len(v.Get("code_verifier")) != 43 || v.Has("client_secret") {
				t.Errorf("token request form %v", v)
			}
			if s := r.String(); strings.Contains(s, secret) || strings.Contains(s, "at-4711") || strings.Contains(s, v.Get("code")) {
				t.Errorf("report shows a secret, code or token:\n%s", s)
			}
		})
	}
}

func TestCheckRedirectURLProbe(t *testing.T) {
	const registered = "https://app.example.com/callback"
	op := rptest.NewServer(rptest.Config{RedirectURIs: []string{registered}})
	defer op.Close()

	cfg := checkConfigFor(op)
	r := Check(context.Background(), cfg, CheckOptions{SkipCredentialProbe: true})
	f := checkFinding(t, r, "redirect_url")
	if f.Status != CheckOK || !strings.Contains(f.Message, "registered") {
		t.Errorf("registered URL: %v %q", f.Status, f.Message)
	}
	p := op.LastAuthorizeParams()
	if p.Get("prompt") != "none" || p.Get("redirect_uri") != registered || p.Get("client_id") != op.ClientID() ||
		p.Get("response_type") != "code" || p.Get("code_challenge_method") != "S256" || p.Get("state") == "" || p.Get("nonce") == "" {
		t.Errorf("authorization request %v", p)
	}

	// The probe sends what a login sends.
	cfg.DisablePKCE, cfg.ExtraAuthParams = true, url.Values{"audience": {"api://x"}}
	_ = Check(context.Background(), cfg, CheckOptions{SkipCredentialProbe: true})
	if p := op.LastAuthorizeParams(); p.Has("code_challenge") || p.Has("code_challenge_method") || p.Get("audience") != "api://x" || p.Get("prompt") != "none" {
		t.Errorf("authorization request without PKCE, with an extra parameter: %v", p)
	}
	cfg.DisablePKCE, cfg.ExtraAuthParams = false, nil

	cfg.RedirectURL = "https://app.example.com/callback/"
	r = Check(context.Background(), cfg, CheckOptions{SkipCredentialProbe: true})
	wantCheckSummary(t, r, strings.Replace(strings.TrimSuffix(checkAllOK, ", OK credentials"), "OK redirect_url", "FAIL redirect_url", 1))
	if f := checkFinding(t, r, "redirect_url"); !strings.Contains(f.Message, "the provider rejected this redirect URL") || !strings.Contains(f.Message, "redirect_uri is not registered") {
		t.Errorf("unregistered URL: %q", f.Message)
	}

	// A signed-in user gets a code, which is never redeemed.
	op.AddUser(rptest.User{Subject: "alice"})
	cfg.RedirectURL = registered
	r = Check(context.Background(), cfg, CheckOptions{SkipCredentialProbe: true})
	if f := checkFinding(t, r, "redirect_url"); f.Status != CheckOK || op.Requests("token") != 0 {
		t.Errorf("with a signed-in user: %v %q after %d token requests", f.Status, f.Message, op.Requests("token"))
	}
}

func TestCheckRedirectURLAnswers(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name      string
		authorize http.HandlerFunc
		endpoint  string // authorization_endpoint, when not the provider's
		want      CheckStatus
		words     []string
	}{
		{"back with a code", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://app.example.com/cb?code=c0de&state="+r.URL.Query().Get("state"), http.StatusSeeOther)
		}, "", CheckOK, []string{"registered"}},
		{"to the login page", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/login?client_id=app", http.StatusFound)
		}, "", CheckWarn, []string{"could not tell", "sign-in page"}},
		{"to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://app.example.com.evil.example/cb", http.StatusFound)
		}, "", CheckWarn, []string{"could not tell"}},
		{"HTML error page", htmlAnswer(400, "<html><head><title>Error</title><style>p{}</style></head><body><h1>Sorry</h1><p>redirect_uri_mismatch:\n the redirect URI in the request does not match</p></body></html>"),
			"", CheckFail, []string{"the provider rejected this redirect URL", `"Error Sorry redirect_uri_mismatch: the redirect URI in the request does not match"`}},
		{"200 error page", htmlAnswer(200, "<p>AADSTS50011: The redirect URI specified in the request does not match</p>"),
			"", CheckFail, []string{"the provider rejected this redirect URL", "AADSTS50011"}},
		{"200 page without an error", htmlAnswer(200, "<form>Sign in</form>"), "", CheckWarn, []string{"could not tell", "Sign in"}},
		{"JSON error", jsonAnswer(400, `{"error":"invalid_request","error_description":"Invalid parameter: redirect_uri"}`),
			"", CheckFail, []string{"the provider rejected this redirect URL", `invalid_request "Invalid parameter: redirect_uri"`}},
		{"server error", htmlAnswer(503, "down"), "", CheckWarn, []string{"could not tell", "503"}},
		{"unreachable", nil, closed.URL + "/authorize", CheckWarn, []string{"could not tell", "did not answer at " + strings.TrimPrefix(closed.URL, "http://")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var edit func(string, map[string]any)
			if tc.endpoint != "" {
				edit = func(_ string, d map[string]any) { d["authorization_endpoint"] = tc.endpoint }
			}
			routes := map[string]http.HandlerFunc{}
			if tc.authorize != nil {
				routes["/authorize"] = tc.authorize
			}
			op := checkProviderWith(t, edit, `{"keys":[`+checkECKey(t, "k1")+`]}`, routes)
			cfg := Config{Authority: op.URL, ClientID: "app", ClientSecret: "check-secret-value", RedirectURL: "https://app.example.com/cb"}
			r := Check(context.Background(), cfg, CheckOptions{})
			wantCheckSummary(t, r, strings.Replace(checkAllOK, "OK redirect_url", tc.want.String()+" redirect_url", 1))
			f := checkFinding(t, r, "redirect_url")
			for _, w := range tc.words {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message %q lacks %q", f.Message, w)
				}
			}
			if strings.Contains(f.Message, "c0de") {
				t.Errorf("message shows the code: %q", f.Message)
			}
		})
	}
}

func TestCheckPostLogoutRedirectURL(t *testing.T) {
	const bye = "https://app.example.com/bye"
	op := rptest.NewServer(rptest.Config{PostLogoutRedirectURIs: []string{bye}})
	defer op.Close()
	base := strings.TrimSuffix(checkAllOK, ", OK credentials")
	for _, tc := range []struct {
		url, want, words string
	}{
		{bye, "OK post_logout_redirect_url", "registered"},
		{bye + "/", "FAIL post_logout_redirect_url", "post_logout_redirect_uri is not registered"},
		{"http://app.example.com/bye", "FAIL post_logout_redirect_url", "use https"},
	} {
		before := op.Requests("end_session")
		r := Check(context.Background(), checkConfigFor(op), CheckOptions{SkipCredentialProbe: true, PostLogoutRedirectURL: tc.url})
		wantCheckSummary(t, r, base+", "+tc.want)
		if f := checkFinding(t, r, "post_logout_redirect_url"); !strings.Contains(f.Message, tc.words) {
			t.Errorf("%s: message %q lacks %q", tc.url, f.Message, tc.words)
		}
		if n := op.Requests("end_session") - before; (n == 1) != strings.HasPrefix(tc.url, "https") {
			t.Errorf("%s: %d end-session requests", tc.url, n)
		}
	}
	if p := op.Requests("end_session"); p != 2 {
		t.Errorf("%d end-session requests", p)
	}
	// Without the option, the end-session endpoint is not probed.
	r := Check(context.Background(), checkConfigFor(op), CheckOptions{SkipCredentialProbe: true})
	wantCheckSummary(t, r, base)
}

func TestCheckPostLogoutRedirectURLAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(string, map[string]any)
		logout http.HandlerFunc
		want   CheckStatus
		words  string
	}{
		{"no end-session endpoint", func(_ string, d map[string]any) { delete(d, "end_session_endpoint") }, nil, CheckWarn, "no end_session_endpoint"},
		{"confirmation page", nil, htmlAnswer(200, "<p>Do you want to sign out?</p>"), CheckWarn, "could not tell"},
		{"needs id_token_hint", nil, htmlAnswer(400, "<p>id_token_hint is required</p>"), CheckWarn, `could not tell whether it is registered: the provider answered HTTP 400 "id_token_hint is required"`},
		{"refused", nil, htmlAnswer(400, "<p>Invalid post_logout_redirect_uri</p>"), CheckFail, "the provider rejected this post-logout redirect URL"},
		{"elsewhere", nil, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/signed-out", http.StatusFound) }, CheckWarn, "could not tell"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := map[string]http.HandlerFunc{}
			if tc.logout != nil {
				routes["/logout"] = tc.logout
			}
			op := checkProviderWith(t, tc.edit, `{"keys":[`+checkECKey(t, "k1")+`]}`, routes)
			cfg := Config{Authority: op.URL, ClientID: "app", ClientSecret: "check-secret-value", RedirectURL: "https://app.example.com/cb"}
			r := Check(context.Background(), cfg, CheckOptions{PostLogoutRedirectURL: "https://app.example.com/bye"})
			wantCheckSummary(t, r, checkAllOK+", "+tc.want.String()+" post_logout_redirect_url")
			if f := checkFinding(t, r, "post_logout_redirect_url"); !strings.Contains(f.Message, tc.words) {
				t.Errorf("message %q lacks %q", f.Message, tc.words)
			}
		})
	}
}
