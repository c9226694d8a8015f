package rp

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oidcrp/rp/rptest"
)

// roundTripperFunc is a custom http.RoundTripper.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// wantProblem checks that err is a *ConfigError with exactly one problem,
// for field, with message msg.
func wantProblem(t *testing.T, err error, field, msg string) {
	t.Helper()
	var ce *ConfigError
	if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &ce) {
		t.Fatalf("error %v; want a *ConfigError", err)
	}
	if len(ce.Problems) != 1 || ce.Problems[0].Field != field || ce.Problems[0].Message != msg {
		t.Fatalf("problems %+v; want one for %s: %q", ce.Problems, field, msg)
	}
}

func TestMTLSConfigRefused(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	cert := selfSigned(t, key)
	otherKey := ecKey(t, elliptic.P256())
	ssOP := rptest.Config{ClientAuth: rptest.ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{cert}}
	for _, tc := range []struct {
		name       string
		op         rptest.Config
		mod        func(*Config)
		field, msg string
	}{
		{"no certificate", ssOP, func(c *Config) { c.ClientAuth, c.ClientKey = ClientAuthSelfSignedTLS, key },
			"ClientCertificate", "set the client certificate that ClientAuth self_signed_tls_client_auth presents in TLS"},
		{"no key", ssOP, func(c *Config) { c.ClientAuth, c.ClientCertificate = ClientAuthTLS, cert },
			"ClientKey", "set the private key of ClientCertificate, which ClientAuth tls_client_auth needs for TLS"},
		{"key of another certificate", ssOP, func(c *Config) {
			c.ClientAuth, c.ClientCertificate, c.ClientKey = ClientAuthSelfSignedTLS, cert, otherKey
		}, "ClientKey", "is not the private key of ClientCertificate (their public keys differ); set the key the certificate was issued for"},
		{"custom RoundTripper", ssOP, func(c *Config) {
			c.ClientAuth, c.ClientCertificate, c.ClientKey = ClientAuthSelfSignedTLS, cert, key
			c.HTTPClient = &http.Client{Transport: roundTripperFunc(http.DefaultTransport.RoundTrip)}
		}, "HTTPClient", "ClientAuth self_signed_tls_client_auth needs an *http.Transport to present the client certificate with, but the transport is a rp.roundTripperFunc; " +
			"use an http.Client whose Transport is nil or an *http.Transport (the RP clones it and adds the certificate)"},
		{"nil intermediate", ssOP, func(c *Config) {
			c.ClientAuth, c.ClientCertificate, c.ClientKey = ClientAuthSelfSignedTLS, cert, key
			c.ClientCertificateChain = []*x509.Certificate{nil}
		}, "ClientCertificateChain", "certificate 0 is nil; list the intermediate certificates after ClientCertificate, leaf first"},
		{"bound tokens without a certificate", rptest.Config{MTLS: true}, func(c *Config) { c.CertificateBoundTokens = true; c.ClientKey = key },
			"ClientCertificate", "set the client certificate that CertificateBoundTokens presents in TLS"},
		{"bound tokens the provider does not offer", rptest.Config{}, func(c *Config) {
			c.CertificateBoundTokens, c.ClientCertificate, c.ClientKey, c.ClientAuth = true, cert, key, "client_secret_basic"
		}, "CertificateBoundTokens", "the provider does not advertise tls_client_certificate_bound_access_tokens, so it would issue tokens that are not bound to the certificate; turn CertificateBoundTokens off, or enable the feature at the provider"},
		{"method the provider does not offer", rptest.Config{MTLS: true}, func(c *Config) {
			c.ClientAuth, c.ClientCertificate, c.ClientKey = ClientAuthTLS, cert, key
		}, "ClientAuth", `the provider does not offer tls_client_auth (its token_endpoint_auth_methods_supported are ["client_secret_basic" "client_secret_post"]); choose one of those`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.op, nil)
			err := h.mtlsRP(func(c *Config, _ *rptest.Server) { c.ClientSecret = Secret(h.op.ClientSecret()); tc.mod(c) })
			wantProblem(t, err, tc.field, tc.msg)
		})
	}
}

func TestMTLSEndpointsConfig(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	cert := selfSigned(t, key)
	op := rptest.NewServer(rptest.Config{ClientAuth: rptest.ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{cert}})
	t.Cleanup(op.Close)
	endpoints := func(a *MTLSEndpointAliases) *Endpoints {
		return &Endpoints{Issuer: op.Issuer(), Authorization: op.URL + rptest.PathAuthorize, Token: op.URL + rptest.PathToken,
			JWKS: op.URL + rptest.PathJWKS, UserInfo: op.URL + rptest.PathUserInfo, MTLSEndpointAliases: a}
	}
	cfg := func(a *MTLSEndpointAliases) Config {
		return Config{Endpoints: endpoints(a), ClientID: op.ClientID(), RedirectURL: "http://127.0.0.1:1/callback",
			ClientAuth: ClientAuthSelfSignedTLS, ClientCertificate: cert, ClientKey: key, CertificateBoundTokens: true, HTTPClient: op.MTLSClient()}
	}
	t.Run("aliases by hand, bound tokens trusted", func(t *testing.T) {
		r, err := New(context.Background(), cfg(&MTLSEndpointAliases{Token: op.MTLSURL + rptest.PathToken, UserInfo: op.MTLSURL + rptest.PathUserInfo}))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if got, want := r.tokenEndpoint(), op.MTLSURL+rptest.PathToken; got != want {
			t.Fatalf("token endpoint %q; want %q", got, want)
		}
		if got, want := r.userInfoEndpoint(), op.MTLSURL+rptest.PathUserInfo; got != want {
			t.Fatalf("userinfo endpoint %q; want %q", got, want)
		}
		if got, want := r.parEndpoint(), ""; got != want {
			t.Fatalf("PAR endpoint %q; want %q", got, want)
		}
	})
	t.Run("plain http alias", func(t *testing.T) {
		_, err := New(context.Background(), cfg(&MTLSEndpointAliases{Token: "http://op.example/token"}))
		wantProblem(t, err, "Endpoints.MTLSEndpointAliases",
			`"http://op.example/token" uses plain http; use https (http is only allowed for localhost and loopback addresses)`)
	})
}

func TestMTLSDiscoveryAliasChecked(t *testing.T) {
	op := rptest.NewServer(rptest.Config{MTLS: true})
	t.Cleanup(op.Close)
	resp, err := http.Get(op.URL + rptest.PathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	aliases := doc["mtls_endpoint_aliases"].(map[string]any)
	aliases["userinfo_endpoint"] = "ftp://op.example/userinfo"
	body, _ := json.Marshal(doc)
	op.SetFaults(rptest.Faults{DiscoveryBody: body})
	_, err = newRPFor(op, nil)
	var de *DiscoveryError
	if !errors.Is(err, ErrMetadataIncomplete) || !errors.As(err, &de) {
		t.Fatalf("New: %v; want ErrMetadataIncomplete", err)
	}
	if want := `mtls_endpoint_aliases.userinfo_endpoint: "ftp://op.example/userinfo" has scheme "ftp"; use https`; de.Detail != want {
		t.Fatalf("detail %q; want %q", de.Detail, want)
	}
	// The well-formed document is loaded with its aliases.
	op.SetFaults(rptest.Faults{})
	r, err := newRPFor(op, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	md := r.Metadata()
	if md.MTLSEndpointAliases == nil || md.MTLSEndpointAliases.Token != op.MTLSURL+rptest.PathToken || !md.TLSClientCertificateBoundAccessTokens {
		t.Fatalf("metadata %+v lacks the mTLS aliases", md.MTLSEndpointAliases)
	}
}

func TestCheckCertificateBindingShapes(t *testing.T) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: ecKey(t, elliptic.P256())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	token := func(claims map[string]any) string {
		s, err := jwt.Signed(signer).Claims(claims).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const thumb = "dGh1bWJwcmludA"
	r := &RP{mtls: &mtlsState{thumbprint: thumb}}
	for _, tc := range []struct {
		name  string
		token string
		bad   bool
	}{
		{"opaque token", "c29tZS1vcGFxdWUtdG9rZW4", false},
		{"three parts, not a JWT", "a.b.c", false},
		{"JWT without cnf", token(map[string]any{"sub": "x"}), false},
		{"cnf with another confirmation method", token(map[string]any{"cnf": map[string]any{"jkt": "abc"}}), false},
		{"matching thumbprint", token(map[string]any{"cnf": map[string]any{"x5t#S256": thumb}}), false},
		{"other thumbprint", token(map[string]any{"cnf": map[string]any{"x5t#S256": thumb + "x"}}), true},
		{"thumbprint not a string", token(map[string]any{"cnf": map[string]any{"x5t#S256": 7}}), true},
		{"cnf not an object", token(map[string]any{"cnf": "x5t"}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.checkCertificateBinding(tc.token, false)
			if tc.bad != errors.Is(err, ErrAccessTokenCertificateMismatch) || (!tc.bad && err != nil) {
				t.Fatalf("error %v; want mismatch %v", err, tc.bad)
			}
		})
	}
	// Without mTLS the token is not looked at.
	if err := (&RP{}).checkCertificateBinding(token(map[string]any{"cnf": "x"}), false); err != nil {
		t.Fatalf("without mTLS: %v", err)
	}
}

func TestCheckDoesNotProbeMTLSCredentials(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	cert := selfSigned(t, key)
	op := rptest.NewServer(rptest.Config{ClientAuth: rptest.ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{cert}})
	t.Cleanup(op.Close)
	cfg := checkConfigFor(op)
	cfg.ClientSecret, cfg.ClientAuth, cfg.ClientCertificate, cfg.ClientKey, cfg.HTTPClient = "", ClientAuthSelfSignedTLS, cert, key, op.MTLSClient()
	r := Check(context.Background(), cfg, CheckOptions{})
	f := checkFinding(t, r, "credentials")
	want := "not tried: the client authenticates with its TLS client certificate (self_signed_tls_client_auth), which only a real sign-in tests"
	if f.Status != CheckWarn || f.Message != want {
		t.Fatalf("credentials: %v %q; want WARN %q", f.Status, f.Message, want)
	}
	if n := op.Requests(rptest.EndpointToken) + op.Requests(rptest.EndpointMTLSToken); n != 0 {
		t.Fatalf("%d token requests; want none", n)
	}
	if f := checkFinding(t, r, "client_auth"); f.Status != CheckOK {
		t.Fatalf("client_auth: %v %q", f.Status, f.Message)
	}
}
