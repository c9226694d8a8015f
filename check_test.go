package rp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// checkAllOK is what a correct configuration against rptest reports.
const checkAllOK = "OK discovery, OK issuer, OK jwks, OK signing_algs, OK response_type, OK response_mode, OK scopes, OK pkce, OK client_auth, OK redirect_url"

// summary lists the report's findings as "STATUS check, …".
func checkSummary(r *CheckReport) string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, f.Status.String()+" "+f.Check)
	}
	return strings.Join(s, ", ")
}

func wantCheckSummary(t *testing.T, r *CheckReport, want string) {
	t.Helper()
	if got := checkSummary(r); got != want {
		t.Fatalf("findings\n got: %s\nwant: %s\nreport:\n%s", got, want, r)
	}
}

// finding returns the first finding of check, failing the test without one.
func checkFinding(t *testing.T, r *CheckReport, check string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no %q finding in\n%s", check, r)
	return Finding{}
}

func checkConfigFor(op *rptest.Server) Config {
	return Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: Secret(op.ClientSecret()),
		RedirectURL:  "https://app.example.com/callback",
	}
}

// checkECKey returns the JSON of a fresh P-256 public signing key.
func checkECKey(t *testing.T, kid string) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkProvider serves a hand-written discovery document (at every path
// ending in the well-known suffix), the key set jwks at /jwks and token at
// /token. edit may change the document; its issuer is the server's URL.
func checkProvider(t *testing.T, edit func(base string, doc map[string]any), jwks string, token http.HandlerFunc) *httptest.Server {
	t.Helper()
	var doc []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, wellKnownPath):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
		case r.URL.Path == "/jwks":
			_, _ = w.Write([]byte(jwks))
		case r.URL.Path == "/token" && token != nil:
			token(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	d := map[string]any{
		"issuer":                                srv.URL,
		"authorization_endpoint":                srv.URL + "/authorize",
		"token_endpoint":                        srv.URL + "/token",
		"jwks_uri":                              srv.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	if edit != nil {
		edit(srv.URL, d)
	}
	var err error
	if doc, err = json.Marshal(d); err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestCheckGoodConfiguration(t *testing.T) {
	op := rptest.NewServer(rptest.Config{ClientSecret: "s3cret-for-check-test"})
	defer op.Close()
	r := Check(context.Background(), checkConfigFor(op), CheckOptions{TryClientCredentials: true})
	wantCheckSummary(t, r, checkAllOK+", OK client_secret")
	// rptest authenticates the client, then refuses the grant with
	// unsupported_grant_type; the wrong-secret request proves the order.
	if f := checkFinding(t, r, "client_secret"); !strings.Contains(f.Message, "not enabled") || op.Requests("token") != 2 {
		t.Errorf("client_secret %q after %d token requests; want accepted after 2", f.Message, op.Requests("token"))
	}
	if !r.OK() || strings.Contains(r.String(), op.ClientSecret()) {
		t.Errorf("OK() = %v, report:\n%s", r.OK(), r)
	}

	cfg := checkConfigFor(op)
	cfg.RedirectURL = "http://127.0.0.1:8080/callback"
	r = Check(context.Background(), cfg, CheckOptions{})
	wantCheckSummary(t, r, strings.Replace(checkAllOK, "OK redirect_url", "WARN redirect_url", 1))
	if f := checkFinding(t, r, "redirect_url"); !strings.Contains(f.Message, "development") || !strings.Contains(f.Message, "registered at the provider exactly") {
		t.Errorf("redirect_url message %q", f.Message)
	}
	if !r.OK() {
		t.Error("a warning made the report fail")
	}
}

func TestCheckClientSecret(t *testing.T) {
	const secret = "s3cret-for-check-test"
	op := rptest.NewServer(rptest.Config{ClientSecret: secret})
	defer op.Close()
	for _, tc := range []struct {
		auth, secret string
		want         CheckStatus
		requests     int
	}{
		{"", secret, CheckOK, 2},
		{"client_secret_post", secret, CheckOK, 2},
		{"", "wrong-secret-0815", CheckFail, 1},
		{"client_secret_post", "wrong-secret-0815", CheckFail, 1},
	} {
		before := op.Requests("token")
		cfg := checkConfigFor(op)
		cfg.ClientAuth, cfg.ClientSecret = tc.auth, Secret(tc.secret)
		r := Check(context.Background(), cfg, CheckOptions{TryClientCredentials: true})
		f := checkFinding(t, r, "client_secret")
		if f.Status != tc.want || op.Requests("token")-before != tc.requests {
			t.Errorf("%s/%s: %v %q after %d requests; want %v after %d", tc.auth, tc.secret, f.Status, f.Message, op.Requests("token")-before, tc.want, tc.requests)
		}
		if tc.want == CheckFail && !strings.Contains(f.Message, "rejected the client ID or secret") {
			t.Errorf("message %q", f.Message)
		}
		if s := r.String(); strings.Contains(s, tc.secret) || strings.Contains(s, secret) {
			t.Errorf("report shows the secret:\n%s", s)
		}
	}
}

func TestCheckTokenEndpointAnswers(t *testing.T) {
	const secret = "s3cret-for-check-test"
	answer := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	checksSecretLast := func(w http.ResponseWriter, r *http.Request) {
		if _, pass, _ := r.BasicAuth(); pass != secret {
			answer(401, `{"error":"invalid_client"}`)(w, r)
			return
		}
		answer(400, `{"error":"unsupported_grant_type"}`)(w, r)
	}
	for _, tc := range []struct {
		name     string
		token    http.HandlerFunc
		auth     string
		want     CheckStatus
		requests int32
	}{
		{"token issued", answer(200, `{"access_token":"at-4711","token_type":"Bearer"}`), "", CheckOK, 1},
		{"unauthorized_client", answer(400, `{"error":"unauthorized_client"}`), "", CheckOK, 1},
		{"grant refused before the secret", answer(400, `{"error":"unsupported_grant_type"}`), "", CheckWarn, 2},
		{"grant refused after the secret", checksSecretLast, "", CheckOK, 2},
		{"invalid_client echoing the secret", answer(400, `{"error":"invalid_client","error_description":"bad secret `+secret+`"}`), "", CheckFail, 1},
		{"server error", answer(500, `oops`), "", CheckWarn, 1},
		{"public client", answer(200, `{}`), "none", CheckWarn, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			op := checkProvider(t, nil, `{"keys":[`+checkECKey(t, "k1")+`]}`, func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				tc.token(w, r)
			})
			cfg := Config{Authority: op.URL, ClientID: "app", ClientSecret: secret, ClientAuth: tc.auth, RedirectURL: "https://app.example.com/cb"}
			r := Check(context.Background(), cfg, CheckOptions{TryClientCredentials: true})
			if f := checkFinding(t, r, "client_secret"); f.Status != tc.want || n.Load() != tc.requests {
				t.Errorf("%v %q after %d requests; want %v after %d", f.Status, f.Message, n.Load(), tc.want, tc.requests)
			}
			if s := r.String(); strings.Contains(s, secret) || strings.Contains(s, "at-4711") {
				t.Errorf("report shows a secret or token:\n%s", s)
			}
		})
	}
}

func TestCheckWrongIssuer(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	op.SetFaults(rptest.Faults{DiscoveryIssuer: "https://evil.example"})
	r := Check(context.Background(), checkConfigFor(op), CheckOptions{TryClientCredentials: true})
	wantCheckSummary(t, r, strings.Replace(checkAllOK, "OK issuer", "FAIL issuer", 1)+", WARN client_secret")
	if f := checkFinding(t, r, "issuer"); !strings.Contains(f.Message, `"https://evil.example"`) || r.OK() {
		t.Errorf("issuer message %q, OK() = %v", f.Message, r.OK())
	}
	if n := op.Requests("token"); n != 0 {
		t.Errorf("the secret was sent to the token endpoint of a provider with the wrong issuer (%d requests)", n)
	}
}

func TestCheckDiscoveryFailures(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
		closed bool
		detail string
	}{
		{"unreachable", rptest.Faults{}, true, "request failed"},
		{"404", rptest.Faults{DiscoveryStatus: 404}, false, "404 Not Found"},
		{"not JSON", rptest.Faults{DiscoveryBody: []byte("<html>sign in</html>")}, false, "not a JSON discovery document"},
		{"no jwks_uri", rptest.Faults{OmitJWKSURI: true}, false, "jwks_uri is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := rptest.NewServer(rptest.Config{})
			defer op.Close()
			op.SetFaults(tc.faults)
			cfg := checkConfigFor(op)
			if tc.closed {
				cfg.Authority = closed.URL
			}
			r := Check(context.Background(), cfg, CheckOptions{TryClientCredentials: true})
			wantCheckSummary(t, r, "FAIL discovery, OK scopes, OK redirect_url")
			if f := checkFinding(t, r, "discovery"); !strings.Contains(f.Message, cfg.Authority+wellKnownPath) || !strings.Contains(f.Message, tc.detail) {
				t.Errorf("discovery message %q; want the URL and %q", f.Message, tc.detail)
			}
		})
	}
}

func TestCheckProviderCapabilities(t *testing.T) {
	set := func(k string, v any) func(string, map[string]any) {
		return func(_ string, d map[string]any) { d[k] = v }
	}
	good := "OK discovery, OK issuer, OK jwks, OK signing_algs, OK response_type, OK response_mode, OK scopes, OK pkce, OK client_auth, OK redirect_url"
	for _, tc := range []struct {
		name string
		edit func(string, map[string]any)
		jwks string // "" means one key with a kid
		mod  func(*Config)
		want string
	}{
		{"good", nil, "", nil, good},
		{"unsupported response type", nil, "", func(c *Config) { c.ResponseType = "id_token" },
			"OK discovery, OK issuer, OK jwks, OK signing_algs, FAIL response_type, WARN response_mode, OK scopes, OK client_auth, OK redirect_url"},
		{"response types not advertised", set("response_types_supported", nil), "", nil, strings.Replace(good, "OK response_type", "WARN response_type", 1)},
		{"form_post not offered", set("response_modes_supported", []string{"query"}), "", func(c *Config) { c.ResponseMode = "form_post" },
			strings.Replace(good, "OK response_mode", "FAIL response_mode", 1)},
		{"no keys", nil, `{"keys":[]}`, nil, strings.Replace(good, "OK jwks", "FAIL jwks", 1)},
		{"not a key set", nil, `[1]`, nil, strings.Replace(good, "OK jwks", "FAIL jwks", 1)},
		{"malformed key", nil, "bad", nil, strings.Replace(good, "OK jwks", "WARN jwks", 1)},
		{"key without kid", nil, "two", nil, strings.Replace(good, "OK jwks", "WARN jwks", 1)},
		{"HMAC only", set("id_token_signing_alg_values_supported", []string{"HS256"}), "", nil, strings.Replace(good, "OK signing_algs", "FAIL signing_algs", 1)},
		{"none offered", set("id_token_signing_alg_values_supported", []string{"ES256", "none"}), "", nil, strings.Replace(good, "OK signing_algs", "WARN signing_algs", 1)},
		{"algs disjoint", nil, "", func(c *Config) { c.SigningAlgs = []string{"RS256"} }, strings.Replace(good, "OK signing_algs", "FAIL signing_algs", 1)},
		{"unknown scopes", set("scopes_supported", []string{"openid"}), "", nil, strings.Replace(good, "OK scopes", "WARN scopes, WARN scopes", 1)},
		{"PKCE plain only", set("code_challenge_methods_supported", []string{"plain"}), "", nil, strings.Replace(good, "OK pkce", "FAIL pkce", 1)},
		{"PKCE not advertised", set("code_challenge_methods_supported", nil), "", nil, strings.Replace(good, "OK pkce", "WARN pkce", 1)},
		{"PKCE off", nil, "", func(c *Config) { c.DisablePKCE = true }, strings.Replace(good, "OK pkce", "WARN pkce", 1)},
		{"basic not offered", set("token_endpoint_auth_methods_supported", []string{"private_key_jwt"}), "", nil, strings.Replace(good, "OK client_auth", "FAIL client_auth", 1)},
		{"basic by default", nil, "", func(c *Config) { c.ClientAuth = "client_secret_post" }, strings.Replace(good, "OK client_auth", "FAIL client_auth", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jwks := tc.jwks
			switch jwks {
			case "":
				jwks = `{"keys":[` + checkECKey(t, "k1") + `]}`
			case "bad":
				jwks = `{"keys":[` + checkECKey(t, "k1") + `,{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`
			case "two":
				jwks = `{"keys":[` + checkECKey(t, "k1") + `,` + checkECKey(t, "") + `]}`
			}
			op := checkProvider(t, tc.edit, jwks, nil)
			cfg := Config{Authority: op.URL, ClientID: "app", ClientSecret: "check-secret-value", RedirectURL: "https://app.example.com/cb"}
			if tc.mod != nil {
				tc.mod(&cfg)
			}
			wantCheckSummary(t, Check(context.Background(), cfg, CheckOptions{}), tc.want)
		})
	}
}

func TestCheckTenants(t *testing.T) {
	template := func(base string, d map[string]any) { d["issuer"] = base + "/{tenantid}/v2.0" }
	const tid = "8a0e3f1c-5b2d-4c6e-9f70-1a2b3c4d5e6f"
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no tenant decision", func(*Config) {}, "FAIL issuer"},
		{"allowed tenants", func(c *Config) { c.AllowedTenants = []string{tid} }, "OK issuer"},
		{"domain instead of ID", func(c *Config) { c.AllowedTenants = []string{tid, "contoso.com"} }, "OK issuer, WARN issuer"},
		{"any tenant", func(c *Config) { c.AllowAnyTenant = true }, "OK issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := checkProvider(t, template, `{"keys":[`+checkECKey(t, "k1")+`]}`, nil)
			cfg := Config{Authority: op.URL + "/common/v2.0", ClientID: "app", ClientSecret: "check-secret-value", RedirectURL: "https://app.example.com/cb"}
			tc.mod(&cfg)
			r := Check(context.Background(), cfg, CheckOptions{})
			wantCheckSummary(t, r, strings.Replace(checkAllOK, "OK issuer", tc.want, 1))
			if f := checkFinding(t, r, "issuer"); f.Status == CheckFail && !strings.Contains(f.Message, "AllowedTenants") {
				t.Errorf("issuer message %q does not name the fix", f.Message)
			}
		})
	}
}

func TestCheckInvalidConfig(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	cfg := checkConfigFor(op)
	cfg.ClientID, cfg.RedirectURL = "", "http://app.example.com/callback"
	r := Check(context.Background(), cfg, CheckOptions{})
	wantCheckSummary(t, r, "FAIL config, FAIL config, "+strings.Replace(checkAllOK, "OK redirect_url", "FAIL redirect_url", 1))
	if !strings.HasPrefix(r.Findings[0].Message, "ClientID: ") || !strings.HasPrefix(r.Findings[1].Message, "RedirectURL: ") {
		t.Errorf("config findings %q", r.Findings[:2])
	}
	if f := checkFinding(t, r, "redirect_url"); !strings.Contains(f.Message, "use https") {
		t.Errorf("redirect_url message %q", f.Message)
	}
}

func TestCheckManualEndpoints(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	cfg := checkConfigFor(op)
	cfg.Endpoints = &Endpoints{Authorization: op.URL + rptest.PathAuthorize, Token: op.URL + rptest.PathToken, JWKS: op.URL + rptest.PathJWKS}
	r := Check(context.Background(), cfg, CheckOptions{TryClientCredentials: true})
	wantCheckSummary(t, r, checkAllOK+", OK client_secret")
	if op.Requests("discovery") != 0 {
		t.Error("Check fetched discovery although Endpoints are set")
	}
}

func TestCheckReportString(t *testing.T) {
	r := &CheckReport{secret: "hunter2", Findings: []Finding{
		{Check: "issuer", Status: CheckFail, Message: "wrong"},
		{Check: "redirect_url", Status: CheckWarn, Message: "said hunter2"},
		{Check: "pkce", Status: CheckOK, Message: "fine"},
	}}
	want := "FAIL  issuer        wrong\nWARN  redirect_url  said [redacted]\nOK    pkce          fine\n"
	if got := r.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	if r.OK() || !(&CheckReport{Findings: r.Findings[1:]}).OK() {
		t.Error("OK() must be false exactly when a finding fails")
	}
	if got := []string{CheckOK.String(), CheckWarn.String(), CheckFail.String(), CheckStatus(7).String()}; !slices.Equal(got, []string{"OK", "WARN", "FAIL", "CheckStatus(7)"}) {
		t.Errorf("statuses %q", got)
	}
}

func TestCheckReportsWhatNewWouldRefuse(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	key, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Authority: op.Issuer(), ClientID: op.ClientID(), RedirectURL: "http://127.0.0.1/cb",
		ClientAuth: "private_key_jwt", ClientKey: key}
	if _, err := New(context.Background(), cfg); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New = %v; want the P-224 key refused", err)
	}
	report := Check(context.Background(), cfg, CheckOptions{})
	for _, f := range report.Findings {
		if f.Check == "config" && f.Status == CheckFail && strings.HasPrefix(f.Message, "ClientKey:") {
			return
		}
	}
	t.Fatalf("Check did not report the unusable ClientKey:\n%s", report)
}
