//go:build integration

package integration

import (
	"crypto"
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

// TestNodeProviderMTLSSignIn signs in at oidc-provider with each mTLS
// client authentication method and certificate-bound tokens: the RP
// builds its certificate-presenting client from a plain transport that
// trusts the provider's HTTPS listener, authenticates at the token alias
// with the certificate alone, reads userinfo at the userinfo alias, and
// the access token it gets is bound: the userinfo alias answers it with
// the certificate and refuses it without.
func TestNodeProviderMTLSSignIn(t *testing.T) {
	for _, tc := range []struct {
		name, client, method string
		cert                 func(*nodeOP) tls.Certificate
	}{
		{"TLSClientAuth", "mtls", rp.ClientAuthTLS, func(op *nodeOP) tls.Certificate { return op.mtlsCert }},
		{"SelfSignedTLSClientAuth", "mtls-self-signed", rp.ClientAuthSelfSignedTLS, func(op *nodeOP) tls.Certificate { return op.selfSignedCert }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := setupNode(t)
			cert := tc.cert(op)
			cfg := op.rpConfig(t, newBackChannel(), tc.client)
			cfg.HTTPClient = &http.Client{Transport: op.tlsTransport(), Timeout: 10 * time.Second}
			cfg.ClientAuth, cfg.ClientSecret, cfg.CertificateBoundTokens = tc.method, "", true
			cfg.ClientCertificate, cfg.ClientKey, cfg.ClientKeyID = cert.Leaf, cert.PrivateKey.(crypto.Signer), ""
			s := op.signIn(t, nil, cfg, alice)
			token := string(s.res.Tokens.AccessToken)
			userinfo := func(certs ...tls.Certificate) int {
				req, err := http.NewRequest(http.MethodGet, op.mtlsBase+nodeUserinfoPath, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := (&http.Client{Transport: op.tlsTransport(certs...), Timeout: 10 * time.Second}).Do(req)
				if err != nil {
					t.Fatalf("userinfo: %v", err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if got := userinfo(cert); got != http.StatusOK {
				t.Errorf("userinfo with the client certificate answered %d; want 200", got)
			}
			if got := userinfo(); got != http.StatusUnauthorized {
				t.Errorf("userinfo without the client certificate answered %d; want 401: the token is not certificate-bound", got)
			}
		})
	}
}
