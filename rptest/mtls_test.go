package rptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// selfSignedCert returns a self-signed client certificate and its key.
func selfSignedCert(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// withCertificate returns a copy of s.MTLSClient presenting cert.
func withCertificate(s *Server, cert *x509.Certificate, key *ecdsa.PrivateKey) *http.Client {
	tr := s.MTLSClient().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}}
	return &http.Client{Transport: tr}
}

func TestMTLSDiscovery(t *testing.T) {
	s := NewServer(Config{MTLS: true})
	defer s.Close()
	if !strings.HasPrefix(s.MTLSURL, "https://127.0.0.1:") {
		t.Fatalf("MTLSURL %q", s.MTLSURL)
	}
	doc := getDiscovery(t, s)
	want := map[string]any{
		"token_endpoint":                        s.MTLSURL + PathToken,
		"userinfo_endpoint":                     s.MTLSURL + PathUserInfo,
		"pushed_authorization_request_endpoint": s.MTLSURL + PathPAR,
	}
	got, _ := doc["mtls_endpoint_aliases"].(map[string]any)
	if len(got) != len(want) {
		t.Fatalf("mtls_endpoint_aliases %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("alias %s = %v; want %v", k, got[k], v)
		}
	}
	if doc["tls_client_certificate_bound_access_tokens"] != true {
		t.Error("tls_client_certificate_bound_access_tokens is not true")
	}
	s.SetFaults(Faults{MTLS: MTLSFaults{OmitAliases: true}})
	if _, ok := getDiscovery(t, s)["mtls_endpoint_aliases"]; ok {
		t.Error("OmitAliases left the aliases in")
	}
	plain := NewServer(Config{})
	defer plain.Close()
	if plain.MTLSClient() != nil {
		t.Error("MTLSClient without MTLS is not nil")
	}
}

func getDiscovery(t *testing.T, s *Server) map[string]any {
	t.Helper()
	resp, err := http.Get(s.URL + PathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestMTLSTokenEndpointClientCertificate(t *testing.T) {
	cert, key := selfSignedCert(t)
	other, otherKey := selfSignedCert(t)
	s := NewServer(Config{ClientAuth: ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{cert}})
	defer s.Close()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"unknown"}, "client_id": {s.ClientID()}}
	for _, tc := range []struct {
		name   string
		client *http.Client
		url    string
		form   url.Values
		status int
		body   string
	}{
		{"no certificate at the alias", s.MTLSClient(), s.MTLSURL + PathToken, form, 401,
			`{"error":"invalid_client","error_description":"client certificate required"}`},
		{"plain endpoint", withCertificate(s, cert, key), s.URL + PathToken, form, 401,
			`{"error":"invalid_client","error_description":"client certificate required"}`},
		{"unregistered certificate", withCertificate(s, other, otherKey), s.MTLSURL + PathToken, form, 401,
			`{"error":"invalid_client","error_description":"client certificate is not registered for the client"}`},
		{"other client_id", withCertificate(s, cert, key), s.MTLSURL + PathToken,
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"unknown"}, "client_id": {"other"}}, 401,
			`{"error":"invalid_client","error_description":"unknown client"}`},
		{"registered certificate: authenticated, then the grant is checked", withCertificate(s, cert, key), s.MTLSURL + PathToken, form, 400,
			`{"error":"invalid_grant","error_description":"unknown or revoked refresh_token"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.client.PostForm(tc.url, tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || string(b) != tc.body {
				t.Fatalf("answer %d %s; want %d %s", resp.StatusCode, b, tc.status, tc.body)
			}
		})
	}
	if got := s.Requests(EndpointMTLSToken); got != 4 {
		t.Fatalf("%d requests counted at the mTLS token endpoint; want 4", got)
	}
}

func TestMTLSConfigPanics(t *testing.T) {
	for name, cfg := range map[string]Config{
		"tls_client_auth without CAs":        {ClientAuth: ClientAuthTLS, TLSClientAuthSubjectDN: "CN=x"},
		"tls_client_auth without subject":    {ClientAuth: ClientAuthTLS, TLSClientCAs: x509.NewCertPool()},
		"self_signed without certificates":   {ClientAuth: ClientAuthSelfSignedTLS},
		"self_signed with a nil certificate": {ClientAuth: ClientAuthSelfSignedTLS, ClientCertificates: []*x509.Certificate{nil}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("NewServer did not panic")
				}
			}()
			NewServer(cfg).Close()
		})
	}
}
