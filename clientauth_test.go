package rp

import (
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

func selfSigned(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestClientAuthenticationMethods(t *testing.T) {
	const special = `s3cr%t:+/ &=é`
	rsaK, ecK := rsaKey(t), ecKey(t, elliptic.P256())
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: rsaK.Public(), KeyID: "rsa-1", Use: "sig"},
		{Key: ecK.Public(), KeyID: "ec-1", Use: "sig"},
	}}
	cert := selfSigned(t, rsaK)
	for _, tc := range []struct {
		name   string
		op     rptest.Config
		mod    func(*Config)
		method string
	}{
		{"basic with special characters", rptest.Config{ClientAuth: "client_secret_basic", ClientSecret: special},
			func(c *Config) { c.ClientSecret = special }, "client_secret_basic"},
		{"post", rptest.Config{ClientAuth: "client_secret_post"}, nil, "client_secret_post"},
		{"post chosen from discovery", rptest.Config{ClientAuth: "client_secret_post"}, func(c *Config) { c.ClientAuth = "" }, "client_secret_post"},
		{"none (public client, PKCE)", rptest.Config{ClientAuth: "none"}, func(c *Config) { c.ClientSecret = "" }, "none"},
		{"private_key_jwt RSA with certificate", rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks},
			func(c *Config) {
				c.ClientSecret, c.ClientKey, c.ClientKeyID, c.ClientCertificate = "", rsaK, "rsa-1", cert
			}, "private_key_jwt"},
		{"private_key_jwt EC", rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks},
			func(c *Config) { c.ClientSecret, c.ClientKey, c.ClientKeyID = "", ecK, "ec-1" }, "private_key_jwt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.op, func(c *Config) {
				if tc.mod != nil {
					tc.mod(c)
				} else {
					c.ClientAuth = tc.method
				}
			})
			h.opts.ReturnTo = "/"
			if _, err := h.login(); err != nil {
				t.Fatalf("login: %v", err)
			}
			if got := h.op.LastClientAuthMethod(); got != tc.method {
				t.Fatalf("the provider saw %q; want %q", got, tc.method)
			}
			if tc.method == "private_key_jwt" {
				hdr := h.op.LastClientAssertionHeader()
				if hdr["kid"] != h.rp.cfg.ClientKeyID {
					t.Errorf("assertion kid %v", hdr["kid"])
				}
				if h.rp.cfg.ClientCertificate != nil {
					sum := sha256.Sum256(cert.Raw)
					if hdr["x5t#S256"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
						t.Errorf("assertion x5t#S256 %v", hdr["x5t#S256"])
					}
				}
			}
		})
	}
}

func TestClientAuthenticationMismatchRefused(t *testing.T) {
	h := newHarness(t, rptest.Config{ClientAuth: "client_secret_basic"}, func(c *Config) { c.ClientAuth = "client_secret_post" })
	_, err := h.login()
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" {
		t.Fatalf("login = %v; want invalid_client", err)
	}
}

func TestClientKeyMustSign(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	_, err := newRPFor(op, func(c *Config) {
		c.ClientAuth = "private_key_jwt"
		c.ClientKey = ecKey(t, elliptic.P224())
	})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New with a P-224 key = %v; want a config error", err)
	}
}
