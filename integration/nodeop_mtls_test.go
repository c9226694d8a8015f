//go:build integration

package integration

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestNodeProviderMTLSAliases: discovery names the HTTPS listener's
// endpoints in mtls_endpoint_aliases, and there the provider authenticates
// the "mtls" client by its CA-issued certificate and "mtls-self-signed" by
// its registered one: a token request with an unknown code gets past
// client authentication to invalid_grant, and without the certificate, or
// with the other client's, is refused with invalid_client. This is the
// provider side of the mTLS sign-ins, checked without the RP.
func TestNodeProviderMTLSAliases(t *testing.T) {
	op := setupNode(t)
	var doc struct {
		Aliases map[string]string `json:"mtls_endpoint_aliases"`
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(op.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	for name, path := range map[string]string{"token_endpoint": nodeTokenPath, "userinfo_endpoint": nodeUserinfoPath,
		"pushed_authorization_request_endpoint": nodePARPath} {
		if got := doc.Aliases[name]; got != op.mtlsBase+path {
			t.Errorf("mtls_endpoint_aliases.%s = %q, want %q", name, got, op.mtlsBase+path)
		}
	}
	for _, tc := range []struct {
		name, client string
		certs        []tls.Certificate
		status       int
		code         string
	}{
		{"CAIssued", "mtls", []tls.Certificate{op.mtlsCert}, http.StatusBadRequest, "invalid_grant"},
		{"SelfSigned", "mtls-self-signed", []tls.Certificate{op.selfSignedCert}, http.StatusBadRequest, "invalid_grant"},
		{"CAIssuedWithoutCertificate", "mtls", nil, http.StatusUnauthorized, "invalid_client"},
		{"SelfSignedWithoutCertificate", "mtls-self-signed", nil, http.StatusUnauthorized, "invalid_client"},
		{"SelfSignedWithTheOtherCertificate", "mtls-self-signed", []tls.Certificate{op.mtlsCert}, http.StatusUnauthorized, "invalid_client"},
		{"CAIssuedWithASelfSignedCertificate", "mtls", []tls.Certificate{op.selfSignedCert}, http.StatusUnauthorized, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := &http.Client{Transport: op.tlsTransport(tc.certs...), Timeout: 10 * time.Second}
			form := url.Values{"grant_type": {"authorization_code"}, "code": {"no-such-code"},
				"redirect_uri": {op.callbackURL}, "client_id": {tc.client}, "code_verifier": {strings.Repeat("v", 43)}}
			resp, err := client.PostForm(doc.Aliases["token_endpoint"], form)
			if err != nil {
				t.Fatalf("token request at the alias: %v", err)
			}
			defer resp.Body.Close()
			var body struct {
				Error string `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tc.status || body.Error != tc.code {
				t.Errorf("token endpoint answered %d %q, want %d %q", resp.StatusCode, body.Error, tc.status, tc.code)
			}
		})
	}
}
