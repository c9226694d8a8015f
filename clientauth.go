package rp

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// jwtBearer is the client_assertion_type of private_key_jwt (RFC 7523).
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// oauthAuthStyle maps a client authentication method to x/oauth2's style.
// x/oauth2 form-encodes the client ID and secret before HTTP Basic, as RFC
// 6749 section 2.3.1 requires.
func oauthAuthStyle(method string) oauth2.AuthStyle {
	if method == "client_secret_basic" {
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}

// assertionSigner makes private_key_jwt client assertions.
type assertionSigner struct {
	signer   jose.Signer
	clientID string
	audience string
	now      func() time.Time
}

func newAssertionSigner(c *Config, audience string) (*assertionSigner, error) {
	alg, err := c.clientKeyAlgorithm()
	if err != nil {
		return nil, err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if c.ClientKeyID != "" {
		opts = opts.WithHeader("kid", c.ClientKeyID)
	}
	if c.ClientCertificate != nil {
		sum := sha256.Sum256(c.ClientCertificate.Raw)
		opts = opts.WithHeader("x5t#S256", base64.RawURLEncoding.EncodeToString(sum[:]))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: c.ClientKey}, opts)
	if err != nil {
		return nil, fmt.Errorf("rp: ClientKey cannot sign client assertions: %w", err)
	}
	return &assertionSigner{signer: signer, clientID: c.ClientID, audience: audience, now: c.Now}, nil
}

// keyAlgorithm picks the signature algorithm for a client key.
func keyAlgorithm(key crypto.Signer) (jose.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return jose.RS256, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
	}
	return "", fmt.Errorf("rp: ClientKey must be an RSA or ECDSA (P-256, P-384, P-521) private key, not %T", key)
}

// assertion returns a fresh, single-use client assertion.
func (s *assertionSigner) assertion() (string, error) {
	now := s.now()
	return jwt.Signed(s.signer).Claims(jwt.Claims{
		Issuer:   s.clientID,
		Subject:  s.clientID,
		Audience: jwt.Audience{s.audience},
		ID:       randomString(),
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(2 * time.Minute)),
	}).Serialize()
}

// assertionTransport adds a client assertion to every form POST to the
// token endpoint, so x/oauth2's code exchange and refresh authenticate
// with private_key_jwt.
type assertionTransport struct {
	base     http.RoundTripper
	tokenURL string
	signer   *assertionSigner
}

func (t *assertionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.String() != t.tokenURL || req.Body == nil {
		return t.base.RoundTrip(req)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	a, err := t.signer.assertion()
	if err != nil {
		return nil, err
	}
	form.Set("client_assertion_type", jwtBearer)
	form.Set("client_assertion", a)
	encoded := form.Encode()
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(strings.NewReader(encoded))
	out.ContentLength = int64(len(encoded))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte(encoded))), nil }
	return t.base.RoundTrip(out)
}

// tokenClient returns the HTTP client for token endpoint calls: client
// itself, or for private_key_jwt one that adds client assertions.
func tokenClient(client *http.Client, c *Config, method, tokenURL string) (*http.Client, error) {
	if method != "private_key_jwt" {
		return client, nil
	}
	return assertionClient(client, c, tokenURL, tokenURL)
}

// assertionClient returns a copy of client that adds a private_key_jwt
// client assertion, with audience aud, to every form POST to endpoint. A
// ClientKey that cannot sign is a *ConfigError.
func assertionClient(client *http.Client, c *Config, endpoint, aud string) (*http.Client, error) {
	signer, err := newAssertionSigner(c, aud)
	if err != nil {
		return nil, &ConfigError{Problems: []ConfigProblem{{Field: "ClientKey", Message: err.Error()}}}
	}
	wrapped := *client
	wrapped.Transport = &assertionTransport{base: client.Transport, tokenURL: endpoint, signer: signer}
	return &wrapped, nil
}
