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
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// checkAllOK is what a correct configuration against rptest reports.
const checkAllOK = "OK discovery, OK issuer, OK jwks, OK signing_algs, OK response_type, OK response_mode, OK scopes, OK pkce, OK client_auth, " +
	"OK backchannel_logout, OK frontchannel_logout, OK redirect_url, OK credentials"

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
// /token, with checkProviderWith's other defaults. edit may change the
// document; its issuer is the server's URL.
func checkProvider(t *testing.T, edit func(base string, doc map[string]any), jwks string, token http.HandlerFunc) *httptest.Server {
	t.Helper()
	routes := map[string]http.HandlerFunc{}
	if token != nil {
		routes["/token"] = token
	}
	return checkProviderWith(t, edit, jwks, routes)
}

// checkProviderWith is checkProvider with handlers for any paths. By
// default /authorize sends the browser back to redirect_uri with
// error=login_required, /token refuses a made-up secret ("rp-check-wrong-…")
// with invalid_client and any other request's grant with invalid_grant, as
// for a made-up code, and /logout redirects to post_logout_redirect_uri.
func checkProviderWith(t *testing.T, edit func(base string, doc map[string]any), jwks string, routes map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	defaults := map[string]http.HandlerFunc{
		"/authorize": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Query().Get("redirect_uri")+"?error=login_required&state="+r.URL.Query().Get("state"), http.StatusFound)
		},
		"/token": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, pass, _ := r.BasicAuth()
			if strings.HasPrefix(pass, "rp-check-wrong-") || strings.HasPrefix(r.PostFormValue("client_secret"), "rp-check-wrong-") {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		},
		"/logout": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Query().Get("post_logout_redirect_uri"), http.StatusFound)
		},
	}
	var doc []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := routes[r.URL.Path]; h != nil {
			h(w, r)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, wellKnownPath):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
		case r.URL.Path == "/jwks":
			_, _ = w.Write([]byte(jwks))
		case defaults[r.URL.Path] != nil:
			defaults[r.URL.Path](w, r)
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
		"end_session_endpoint":                  srv.URL + "/logout",
		"response_types_supported":              []string{"code"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"backchannel_logout_supported":          true,
		"backchannel_logout_session_supported":  true,
		"frontchannel_logout_supported":         true,
		"frontchannel_logout_session_supported": true,
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
	r := Check(context.Background(), checkConfigFor(op), CheckOptions{})
	wantCheckSummary(t, r, checkAllOK)
	if !r.OK() || strings.Contains(r.String(), op.ClientSecret()) {
		t.Errorf("OK() = %v, report:\n%s", r.OK(), r)
	}
	if n, m := op.Requests("token"), op.LastClientAuthMethod(); n != 2 || m != "" {
		t.Errorf("%d token requests, last successful one %q; want 2 (the probe and its control) and no token issued", n, m)
	}

	cfg := checkConfigFor(op)
	cfg.RedirectURL = "http://127.0.0.1:8080/callback"
	r = Check(context.Background(), cfg, CheckOptions{})
	wantCheckSummary(t, r, strings.Replace(checkAllOK, "OK redirect_url", "WARN redirect_url, OK redirect_url", 1))
	if f := checkFinding(t, r, "redirect_url"); !strings.Contains(f.Message, "development") || !strings.Contains(f.Message, "https") {
		t.Errorf("redirect_url message %q", f.Message)
	}
	if !r.OK() {
		t.Error("a warning made the report fail")
	}
}

func TestCheckWrongIssuer(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	op.SetFaults(rptest.Faults{DiscoveryIssuer: "https://evil.example"})
	r := Check(context.Background(), checkConfigFor(op), CheckOptions{})
	wantCheckSummary(t, r, strings.Replace(strings.Replace(checkAllOK, "OK issuer", "FAIL issuer", 1), "OK credentials", "WARN credentials", 1))
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
		{"unreachable", rptest.Faults{}, true, "host and port"},
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
			r := Check(context.Background(), cfg, CheckOptions{})
			wantCheckSummary(t, r, "FAIL discovery, OK scopes")
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
	good := checkAllOK
	for _, tc := range []struct {
		name string
		edit func(string, map[string]any)
		jwks string // "" means one key with a kid
		mod  func(*Config)
		want string
	}{
		{"good", nil, "", nil, good},
		{"unsupported response type", nil, "", func(c *Config) { c.ResponseType = "id_token" },
			"OK discovery, OK issuer, OK jwks, OK signing_algs, FAIL response_type, WARN response_mode, OK scopes, OK client_auth, OK backchannel_logout, OK frontchannel_logout, OK redirect_url, OK credentials"},
		{"response types not advertised", set("response_types_supported", nil), "", nil, strings.Replace(good, "OK response_type", "WARN response_type", 1)},
		{"form_post not offered", set("response_modes_supported", []string{"query"}), "", func(c *Config) { c.ResponseMode = "form_post" },
			strings.Replace(good, "OK response_mode", "FAIL response_mode", 1)},
		{"JARM not offered, reported once", set("response_modes_supported", []string{"query"}), "", func(c *Config) { c.ResponseMode = "query.jwt" },
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
	// Without a client ID and a usable redirect URL, neither is probed.
	wantCheckSummary(t, r, "FAIL config, FAIL config, "+strings.TrimSuffix(checkAllOK, ", OK redirect_url, OK credentials"))
	if !strings.HasPrefix(r.Findings[0].Message, "ClientID: ") || !strings.HasPrefix(r.Findings[1].Message, "RedirectURL: ") || !strings.Contains(r.Findings[1].Message, "use https") {
		t.Errorf("config findings %q", r.Findings[:2])
	}
	if n, m := op.Requests("authorize"), op.Requests("token"); n != 0 || m != 0 {
		t.Errorf("%d authorization and %d token requests; want none", n, m)
	}
}

// A bad redirect URL is reported once, not by Validate and again by the
// redirect_url check.
func TestCheckBadRedirectURLReportedOnce(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	for _, bad := range []string{"http://app.example.com/callback", "https://app.example.com/cb#x", "/callback"} {
		cfg := checkConfigFor(op)
		cfg.RedirectURL = bad
		r := Check(context.Background(), cfg, CheckOptions{})
		wantCheckSummary(t, r, "FAIL config, "+strings.Replace(checkAllOK, "OK redirect_url, ", "", 1))
		if n := strings.Count(r.String(), "RedirectURL"); n != 1 || !strings.HasPrefix(r.Findings[0].Message, "RedirectURL: ") {
			t.Errorf("%s: RedirectURL named %d times in\n%s", bad, n, r)
		}
	}
	if n := op.Requests("authorize"); n != 0 {
		t.Errorf("the bad redirect URLs were probed (%d requests)", n)
	}
}

// failingTransport fails the test at any request.
type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request to %s", r.URL)
	return nil, errors.New("no requests expected")
}

// A provider location that the configuration refuses is not contacted,
// and nothing else is checked.
func TestCheckStopsAtUnusableProviderLocation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		field string
	}{
		{"http authority", func(c *Config) { c.Authority = "http://example.com" }, "Authority: "},
		{"http metadata URL", func(c *Config) {
			c.Authority, c.MetadataURL = "", "http://example.com/.well-known/openid-configuration"
		}, "MetadataURL: "},
		{"http token endpoint", func(c *Config) {
			c.Authority = "https://idp.example"
			c.Endpoints = &Endpoints{Authorization: "https://idp.example/a", Token: "http://idp.example/t", JWKS: "https://idp.example/k"}
		}, "Endpoints.Token: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{ClientID: "app", ClientSecret: "check-secret-value", RedirectURL: "https://app.example.com/cb",
				HTTPClient: &http.Client{Transport: failingTransport{t}}}
			tc.mod(&cfg)
			r := Check(context.Background(), cfg, CheckOptions{PostLogoutRedirectURL: "https://app.example.com/bye"})
			wantCheckSummary(t, r, "FAIL config")
			if !strings.HasPrefix(r.Findings[0].Message, tc.field) || !strings.Contains(r.Findings[0].Message, "plain http") {
				t.Errorf("finding %q", r.Findings[0].Message)
			}
		})
	}
}

func TestCheckUnreachableAuthority(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	host := strings.TrimPrefix(closed.URL, "http://")
	r := Check(context.Background(), Config{Authority: closed.URL, ClientID: "app", ClientSecret: "check-secret-value", RedirectURL: "https://app.example.com/cb"}, CheckOptions{})
	wantCheckSummary(t, r, "FAIL discovery, OK scopes")
	if f := r.Findings[0]; !strings.Contains(f.Message, "the provider did not answer at "+host) || !strings.Contains(f.Message, "is the host and port of Authority right?") {
		t.Errorf("discovery message %q", f.Message)
	}
}

func TestCheckManualEndpoints(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	cfg := checkConfigFor(op)
	cfg.Endpoints = &Endpoints{Authorization: op.URL + rptest.PathAuthorize, Token: op.URL + rptest.PathToken, JWKS: op.URL + rptest.PathJWKS}
	r := Check(context.Background(), cfg, CheckOptions{})
	wantCheckSummary(t, r, checkAllOK)
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
