package rp

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// testCA is a certificate authority that issues client certificates.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key := ecKey(t, elliptic.P256())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rp test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	cert := createCert(t, tmpl, tmpl, key, key)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a client certificate for subject, and its key.
func (ca *testCA) issue(t *testing.T, subject pkix.Name) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key := ecKey(t, elliptic.P256())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	return createCert(t, tmpl, ca.cert, key, ca.key), key
}

func createCert(t *testing.T, tmpl, parent *x509.Certificate, key, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

var clientSubject = pkix.Name{CommonName: "rp-client", Organization: []string{"Example"}}

// mtlsRP replaces h.rp with an RP of the harness's base configuration,
// adjusted by mod (which also sees the provider, e.g. to set faults before
// discovery), and returns New's error.
func (h *harness) mtlsRP(mod func(*Config, *rptest.Server)) error {
	h.t.Helper()
	cfg := Config{
		Authority:   h.op.Issuer(),
		ClientID:    h.op.ClientID(),
		RedirectURL: h.app.URL + "/callback",
		HTTPClient:  h.op.MTLSClient(),
		Now:         h.clock.Now,
		Logger:      slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg, h.op)
	}
	rp, err := New(context.Background(), cfg)
	if err != nil {
		return err
	}
	h.rp = rp
	return nil
}

// newMTLSHarness is newHarness with the RP of mtlsRP.
func newMTLSHarness(t *testing.T, opCfg rptest.Config, mod func(*Config, *rptest.Server)) *harness {
	t.Helper()
	h := newHarness(t, opCfg, nil)
	if err := h.mtlsRP(mod); err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// wantEndpointRequests checks the provider's request counts per endpoint.
func wantEndpointRequests(t *testing.T, op *rptest.Server, want map[string]int) {
	t.Helper()
	for ep, n := range want {
		if got := op.Requests(ep); got != n {
			t.Errorf("%s got %d requests; want %d", ep, got, n)
		}
	}
}

func TestMTLSClientAuthSignIn(t *testing.T) {
	ca := newTestCA(t)
	caCert, caKey := ca.issue(t, clientSubject)
	ssKey := ecKey(t, elliptic.P256())
	ssCert := selfSigned(t, ssKey)
	for _, tc := range []struct {
		method string
		op     rptest.Config
		cert   *x509.Certificate
		key    crypto.Signer
	}{
		{ClientAuthTLS, rptest.Config{ClientAuth: rptest.ClientAuthTLS, TLSClientCAs: ca.pool, TLSClientAuthSubjectDN: clientSubject.String()}, caCert, caKey},
		{ClientAuthSelfSignedTLS, rptest.Config{ClientAuth: rptest.ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{ssCert}}, ssCert, ssKey},
	} {
		t.Run(tc.method, func(t *testing.T) {
			h := newMTLSHarness(t, tc.op, func(c *Config, _ *rptest.Server) {
				c.ClientAuth, c.ClientCertificate, c.ClientKey = tc.method, tc.cert, tc.key
			})
			res, err := h.login()
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if got := h.op.LastClientAuthMethod(); got != tc.method {
				t.Fatalf("the provider saw client authentication %q; want %q", got, tc.method)
			}
			wantEndpointRequests(t, h.op, map[string]int{rptest.EndpointMTLSToken: 1, rptest.EndpointToken: 0,
				rptest.EndpointMTLSUserInfo: 1, rptest.EndpointUserInfo: 0})
			if _, _, err := h.rp.Refresh(context.Background(), res.Tokens.RefreshToken, res.Claims); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			wantEndpointRequests(t, h.op, map[string]int{rptest.EndpointMTLSToken: 2, rptest.EndpointToken: 0})
			// The application's client was cloned, not changed.
			tr := h.op.MTLSClient().Transport.(*http.Transport)
			if tr.TLSClientConfig != nil && (len(tr.TLSClientConfig.Certificates) > 0 || tr.TLSClientConfig.GetClientCertificate != nil) {
				t.Fatal("the RP gave the application's HTTPClient its client certificate")
			}
		})
	}
}

func TestMTLSPushedAuthorizationUsesAlias(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	cert := selfSigned(t, key)
	h := newMTLSHarness(t, rptest.Config{ClientAuth: rptest.ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{cert}},
		func(c *Config, _ *rptest.Server) {
			c.ClientAuth, c.ClientCertificate, c.ClientKey, c.PushedAuthorization = ClientAuthSelfSignedTLS, cert, key, true
		})
	if _, err := h.login(); err != nil {
		t.Fatalf("login: %v", err)
	}
	wantEndpointRequests(t, h.op, map[string]int{rptest.EndpointMTLSPAR: 1, rptest.EndpointPAR: 0, rptest.EndpointMTLSToken: 1})
}

func TestMTLSClientAuthRefused(t *testing.T) {
	ca := newTestCA(t)
	goodCert, goodKey := ca.issue(t, clientSubject)
	otherCert, otherKey := ca.issue(t, pkix.Name{CommonName: "someone-else", Organization: []string{"Example"}})
	rogueCert, rogueKey := newTestCA(t).issue(t, clientSubject)
	ssKey := ecKey(t, elliptic.P256())
	ssCert := selfSigned(t, ssKey)
	tlsOP := rptest.Config{ClientAuth: rptest.ClientAuthTLS, TLSClientCAs: ca.pool, TLSClientAuthSubjectDN: clientSubject.String()}
	for _, tc := range []struct {
		name   string
		op     rptest.Config
		method string
		cert   *x509.Certificate
		key    crypto.Signer
		faults rptest.Faults
		desc   string
		plain  bool // the token request went to the plain endpoint
	}{
		{"untrusted authority", tlsOP, ClientAuthTLS, rogueCert, rogueKey, rptest.Faults{},
			"client certificate is not issued by a trusted authority", false},
		{"other subject", tlsOP, ClientAuthTLS, otherCert, otherKey, rptest.Faults{},
			"client certificate subject does not match tls_client_auth_subject_dn", false},
		{"unregistered self-signed", rptest.Config{ClientAuth: rptest.ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{ssCert}},
			ClientAuthSelfSignedTLS, goodCert, goodKey, rptest.Faults{}, "client certificate is not registered for the client", false},
		{"no alias: certificate absent at the plain endpoint", tlsOP, ClientAuthTLS, goodCert, goodKey,
			rptest.Faults{MTLS: rptest.MTLSFaults{OmitAliases: true}}, "client certificate required", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newMTLSHarness(t, tc.op, func(c *Config, op *rptest.Server) {
				op.SetFaults(tc.faults)
				c.ClientAuth, c.ClientCertificate, c.ClientKey = tc.method, tc.cert, tc.key
			})
			_, err := h.login()
			var te *TokenError
			if !errors.Is(err, ErrTokenExchange) || !errors.As(err, &te) {
				t.Fatalf("login error %v; want a *TokenError", err)
			}
			if te.StatusCode != http.StatusUnauthorized || te.Code != "invalid_client" || te.Description != tc.desc {
				t.Fatalf("token error %d %q %q; want 401 invalid_client %q", te.StatusCode, te.Code, te.Description, tc.desc)
			}
			want := map[string]int{rptest.EndpointMTLSToken: 1, rptest.EndpointToken: 0}
			if tc.plain {
				want = map[string]int{rptest.EndpointMTLSToken: 0, rptest.EndpointToken: 1}
			}
			wantEndpointRequests(t, h.op, want)
		})
	}
}

func TestMTLSOffIgnoresAliases(t *testing.T) {
	h := newHarness(t, rptest.Config{MTLS: true}, nil)
	if _, err := h.login(); err != nil {
		t.Fatalf("login: %v", err)
	}
	wantEndpointRequests(t, h.op, map[string]int{rptest.EndpointToken: 1, rptest.EndpointMTLSToken: 0,
		rptest.EndpointUserInfo: 1, rptest.EndpointMTLSUserInfo: 0})
}

// boundTokenHarness signs in with private_key_jwt and certificate-bound
// tokens.
func boundTokenHarness(t *testing.T, faults rptest.Faults) *harness {
	t.Helper()
	key := ecKey(t, elliptic.P256())
	cert := selfSigned(t, key)
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "ec-1", Use: "sig"}}}
	return newMTLSHarness(t, rptest.Config{ClientAuth: rptest.ClientAuthPrivateKeyJWT, ClientJWKS: jwks, MTLS: true},
		func(c *Config, op *rptest.Server) {
			op.SetFaults(faults)
			c.ClientAuth, c.ClientKey, c.ClientKeyID, c.ClientCertificate = "private_key_jwt", key, "ec-1", cert
			c.CertificateBoundTokens = true
		})
}

func TestCertificateBoundTokens(t *testing.T) {
	h := boundTokenHarness(t, rptest.Faults{})
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if got := h.op.LastClientAuthMethod(); got != rptest.ClientAuthPrivateKeyJWT {
		t.Fatalf("client authentication %q; want private_key_jwt", got)
	}
	wantEndpointRequests(t, h.op, map[string]int{rptest.EndpointMTLSToken: 1, rptest.EndpointToken: 0,
		rptest.EndpointMTLSUserInfo: 1, rptest.EndpointUserInfo: 0})
	if strings.Count(string(res.Tokens.AccessToken), ".") != 2 {
		t.Fatal("the provider issued no JWT access token: the binding was not checked")
	}
	if _, _, err := h.rp.Refresh(context.Background(), res.Tokens.RefreshToken, res.Claims); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	// The bound token is refused at userinfo without the certificate.
	req, _ := http.NewRequest(http.MethodGet, h.op.MTLSURL+rptest.PathUserInfo, nil)
	req.Header.Set("Authorization", "Bearer "+string(res.Tokens.AccessToken))
	resp, err := h.op.MTLSClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("userinfo without the certificate answered %d; want 401", resp.StatusCode)
	}
}

func TestCertificateBindingMismatch(t *testing.T) {
	wrong := rptest.Faults{MTLS: rptest.MTLSFaults{Thumbprint: "bm90LXRoZS1jbGllbnQncy1jZXJ0aWZpY2F0ZS10aHVtYnByaW50"}}
	t.Run("code exchange", func(t *testing.T) {
		h := boundTokenHarness(t, wrong)
		_, err := h.login()
		var te *TokenError
		if !errors.Is(err, ErrAccessTokenCertificateMismatch) || !errors.As(err, &te) || te.Refresh {
			t.Fatalf("login error %v; want a code exchange *TokenError with ErrAccessTokenCertificateMismatch", err)
		}
		if n := h.op.Requests(rptest.EndpointMTLSUserInfo); n != 0 {
			t.Fatalf("the mismatched token was used at userinfo %d times", n)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		h := boundTokenHarness(t, rptest.Faults{})
		res, err := h.login()
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		h.op.SetFaults(wrong)
		tokens, _, err := h.rp.Refresh(context.Background(), res.Tokens.RefreshToken, res.Claims)
		var te *TokenError
		if tokens != nil || !errors.Is(err, ErrAccessTokenCertificateMismatch) || !errors.As(err, &te) || !te.Refresh {
			t.Fatalf("refresh gave %v, %v; want a refresh *TokenError with ErrAccessTokenCertificateMismatch", tokens, err)
		}
		if ErrorCode(err) != "access_token_certificate_mismatch" {
			t.Fatalf("ErrorCode %q", ErrorCode(err))
		}
	})
}
