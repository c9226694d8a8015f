package rptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// clientKeys are the client's private keys for private_key_jwt tests.
type clientKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

func newClientKeys(t *testing.T) clientKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return clientKeys{rsa: rk, ec: ek}
}

// jwks publishes the public halves under kids "rsa-1" and "ec-1".
func (k clientKeys) jwks() *jose.JSONWebKeySet {
	return &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.rsa.PublicKey, KeyID: "rsa-1", Use: "sig"},
		{Key: &k.ec.PublicKey, KeyID: "ec-1", Use: "sig"},
	}}
}

// signAssertion signs claims with key under alg, with kid in the header
// when non-empty and the extra header fields.
func signAssertion(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any, extra map[jose.HeaderKey]any) string {
	t.Helper()
	if kid != "" {
		key = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for k, v := range extra {
		opts = opts.WithHeader(k, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertionClaims are valid client assertion claims for s at now, with a
// fresh jti.
func assertionClaims(s *Server, now time.Time) map[string]any {
	return map[string]any{
		"iss": s.ClientID(),
		"sub": s.ClientID(),
		"aud": s.URL + PathToken,
		"exp": now.Add(time.Minute).Unix(),
		"iat": now.Unix(),
		"jti": randomString(16),
	}
}

// assertionForm is a code redemption authenticated by assertion.
func assertionForm(s *Server, code, assertion string) url.Values {
	form := codeForm(code)
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", assertion)
	return form
}

// authAttempts are token requests for s, one per client authentication
// method, each correct for that method.
func authAttempts(t *testing.T, s *Server, keys clientKeys, now func() time.Time) map[string]func() (int, map[string]any) {
	return map[string]func() (int, map[string]any){
		ClientAuthSecretBasic: func() (int, map[string]any) {
			status, body, _ := tokenCall(t, s, codeForm(getCode(t, s, nil)), s.ClientID(), s.ClientSecret())
			return status, body
		},
		ClientAuthSecretPost: func() (int, map[string]any) {
			form := codeForm(getCode(t, s, nil))
			form.Set("client_id", s.ClientID())
			form.Set("client_secret", s.ClientSecret())
			status, body, _ := tokenCall(t, s, form, "", "")
			return status, body
		},
		ClientAuthPrivateKeyJWT: func() (int, map[string]any) {
			a := signAssertion(t, jose.RS256, keys.rsa, "rsa-1", assertionClaims(s, now()), nil)
			status, body, _ := tokenCall(t, s, assertionForm(s, getCode(t, s, nil), a), "", "")
			return status, body
		},
		ClientAuthNone: func() (int, map[string]any) {
			form := codeForm(getCode(t, s, nil))
			form.Set("client_id", s.ClientID())
			status, body, _ := tokenCall(t, s, form, "", "")
			return status, body
		},
	}
}

func TestClientAuthStrict(t *testing.T) {
	keys := newClientKeys(t)
	for _, configured := range []string{ClientAuthSecretBasic, ClientAuthSecretPost, ClientAuthPrivateKeyJWT, ClientAuthNone} {
		t.Run(configured, func(t *testing.T) {
			s, clock := newTest(t, func(c *Config) {
				c.ClientAuth = configured
				c.ClientJWKS = keys.jwks()
				if configured != ClientAuthNone {
					c.ClientSecret = "the-secret"
				}
			})
			_, doc, _ := discovery(t, s)
			if got := strList(doc["token_endpoint_auth_methods_supported"]); !slices.Equal(got, []string{configured}) {
				t.Errorf("token_endpoint_auth_methods_supported %v", got)
			}
			algs := strList(doc["token_endpoint_auth_signing_alg_values_supported"])
			if (configured == ClientAuthPrivateKeyJWT) != slices.Contains(algs, "RS256") {
				t.Errorf("token_endpoint_auth_signing_alg_values_supported %v", algs)
			}
			for method, attempt := range authAttempts(t, s, keys, clock.Now) {
				status, body := attempt()
				if method == configured {
					if status != http.StatusOK || s.LastClientAuthMethod() != method {
						t.Errorf("%s refused: %d %v (last method %q)", method, status, body, s.LastClientAuthMethod())
					}
				} else {
					wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
				}
			}
			if configured == ClientAuthNone {
				// Under none the secret is empty, so the Basic and post
				// attempts above sent the client's own (empty)
				// credentials, and were refused all the same. And none
				// implies PKCE.
				_, q := authorize(t, s, authParams(s, func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }))
				if q.Get("error") != "invalid_request" {
					t.Errorf("none without PKCE: %v", q)
				}
			}
		})
	}
}

func TestClientAuthDefault(t *testing.T) {
	keys := newClientKeys(t)
	s, clock := newTest(t, func(c *Config) { c.ClientJWKS = keys.jwks() })
	if s.LastClientAuthMethod() != "" {
		t.Errorf("LastClientAuthMethod before any request: %q", s.LastClientAuthMethod())
	}
	attempts := authAttempts(t, s, keys, clock.Now)
	for _, method := range []string{ClientAuthSecretBasic, ClientAuthSecretPost} {
		if status, body := attempts[method](); status != http.StatusOK || s.LastClientAuthMethod() != method {
			t.Errorf("%s: %d %v, last %q", method, status, body, s.LastClientAuthMethod())
		}
	}
	for _, method := range []string{ClientAuthPrivateKeyJWT, ClientAuthNone} {
		status, body := attempts[method]()
		wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	}
	if s.LastClientAuthMethod() != ClientAuthSecretPost {
		t.Errorf("a failed request changed LastClientAuthMethod to %q", s.LastClientAuthMethod())
	}

	// A refused grant does not count as a successful request.
	status, body, _ := tokenCall(t, s, codeForm("nope"), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
	if s.LastClientAuthMethod() != ClientAuthSecretPost {
		t.Errorf("LastClientAuthMethod %q after a refused grant", s.LastClientAuthMethod())
	}

	// Two methods at once are an invalid_request.
	a := signAssertion(t, jose.RS256, keys.rsa, "rsa-1", assertionClaims(s, clock.Now()), nil)
	status, body, _ = tokenCall(t, s, assertionForm(s, getCode(t, s, nil), a), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")

	// The public client still gets none, in the default mode.
	p, _ := newTest(t, func(c *Config) { c.PublicClient = true })
	_, doc, _ := discovery(t, p)
	if got := strList(doc["token_endpoint_auth_methods_supported"]); !slices.Equal(got, []string{"client_secret_basic", "client_secret_post", "none"}) {
		t.Errorf("public client methods %v", got)
	}
	form := codeForm(getCode(t, p, nil))
	form.Set("client_id", p.ClientID())
	if status, body, _ := tokenCall(t, p, form, "", ""); status != http.StatusOK || p.LastClientAuthMethod() != ClientAuthNone {
		t.Errorf("none: %d %v %q", status, body, p.LastClientAuthMethod())
	}
}

func TestClientAuthChallengeHeader(t *testing.T) {
	keys := newClientKeys(t)
	s, _ := newTest(t, func(c *Config) { c.ClientAuth = ClientAuthPrivateKeyJWT; c.ClientJWKS = keys.jwks() })
	form := codeForm(getCode(t, s, nil))
	form.Set("client_id", s.ClientID())
	form.Set("client_secret", s.ClientSecret())
	status, body, hdr := tokenCall(t, s, form, "", "")
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	if hdr.Get("WWW-Authenticate") != "" {
		t.Errorf("Basic challenge although Basic is not accepted: %q", hdr.Get("WWW-Authenticate"))
	}
	status, body, hdr = tokenCall(t, s, codeForm(getCode(t, s, nil)), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no challenge after a Basic attempt: %q", hdr.Get("WWW-Authenticate"))
	}
}

func TestBasicSpecialCharacters(t *testing.T) {
	const id, secret = "app:1/é", "%:+/ &=é"
	s, _ := newTest(t, func(c *Config) {
		c.ClientID, c.ClientSecret, c.ClientAuth = id, secret, ClientAuthSecretBasic
	})
	// RFC 6749 section 2.3.1: form-urlencode each, then Basic.
	if status, body, _ := tokenCall(t, s, codeForm(getCode(t, s, nil)), id, secret); status != http.StatusOK {
		t.Fatalf("encoded credentials: %d %v", status, body)
	}
	if s.LastClientAuthMethod() != ClientAuthSecretBasic {
		t.Errorf("LastClientAuthMethod %q", s.LastClientAuthMethod())
	}
	// The raw secret, not form-urlencoded, does not match: "+" would
	// decode to a space and "%:+" is not valid encoding.
	req, _ := http.NewRequest(http.MethodPost, s.URL+PathToken, strings.NewReader(codeForm(getCode(t, s, nil)).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), secret)
	status, body, _ := do(t, s, req)
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	// A near miss: the secret with its space encoded as %20 still decodes
	// to the same value and is accepted.
	req, _ = http.NewRequest(http.MethodPost, s.URL+PathToken, strings.NewReader(codeForm(getCode(t, s, nil)).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), strings.ReplaceAll(url.QueryEscape(secret), "+", "%20"))
	if status, body, _ := do(t, s, req); status != http.StatusOK {
		t.Errorf("%%20 for space: %d %v", status, body)
	}
}

func TestNewServerRejectsClientAuthConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"unknown method":       {ClientAuth: "client_secret_jwt"},
		"private_key_jwt bare": {ClientAuth: ClientAuthPrivateKeyJWT},
		"only symmetric keys":  {ClientAuth: ClientAuthPrivateKeyJWT, ClientJWKS: &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "k"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewServer accepted the configuration")
				}
			}()
			NewServer(cfg).Close()
		})
	}
}
