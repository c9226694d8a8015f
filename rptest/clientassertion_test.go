package rptest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// newJWTTest starts a server that accepts only private_key_jwt with keys.
func newJWTTest(t *testing.T, keys clientKeys) (*Server, *Clock) {
	t.Helper()
	return newTest(t, func(c *Config) { c.ClientAuth = ClientAuthPrivateKeyJWT; c.ClientJWKS = keys.jwks() })
}

// redeemWith redeems a fresh code authenticated by assertion.
func redeemWith(t *testing.T, s *Server, assertion string) (int, map[string]any) {
	t.Helper()
	status, body, _ := tokenCall(t, s, assertionForm(s, getCode(t, s, nil), assertion), "", "")
	return status, body
}

func TestPrivateKeyJWTAccepted(t *testing.T) {
	keys := newClientKeys(t)
	s, clock := newJWTTest(t, keys)
	if s.LastClientAssertionHeader() != nil {
		t.Error("LastClientAssertionHeader before any assertion")
	}
	thumb := sha256.Sum256([]byte("pretend DER certificate"))
	x5t := base64.RawURLEncoding.EncodeToString(thumb[:])
	cases := []struct {
		name  string
		alg   jose.SignatureAlgorithm
		key   any
		kid   string
		edit  func(map[string]any)
		extra map[jose.HeaderKey]any
	}{
		{"RSA with kid and x5t#S256", jose.RS256, keys.rsa, "rsa-1", nil, map[jose.HeaderKey]any{"x5t#S256": x5t}},
		{"RSA PS256 without kid", jose.PS256, keys.rsa, "", nil, nil},
		{"EC with kid", jose.ES256, keys.ec, "ec-1", nil, nil},
		{"EC without kid", jose.ES256, keys.ec, "", nil, nil},
		{"aud is the issuer", jose.RS256, keys.rsa, "rsa-1", func(c map[string]any) { c["aud"] = s.URL }, nil},
		{"aud array", jose.RS256, keys.rsa, "rsa-1", func(c map[string]any) { c["aud"] = []string{"https://x.example", s.URL + PathToken} }, nil},
		{"iat within a minute ahead", jose.RS256, keys.rsa, "rsa-1", func(c map[string]any) { c["iat"] = clock.Now().Add(59 * time.Second).Unix() }, nil},
		{"no iat", jose.RS256, keys.rsa, "rsa-1", func(c map[string]any) { delete(c, "iat") }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims := assertionClaims(s, clock.Now())
			if c.edit != nil {
				c.edit(claims)
			}
			a := signAssertion(t, c.alg, c.key, c.kid, claims, c.extra)
			form := assertionForm(s, getCode(t, s, nil), a)
			form.Set("client_id", s.ClientID()) // optional, and must match
			status, body, _ := tokenCall(t, s, form, "", "")
			if status != http.StatusOK || body["id_token"] == nil {
				t.Fatalf("%d %v", status, body)
			}
			if s.LastClientAuthMethod() != ClientAuthPrivateKeyJWT {
				t.Errorf("LastClientAuthMethod %q", s.LastClientAuthMethod())
			}
			hdr := s.LastClientAssertionHeader()
			if hdr["alg"] != string(c.alg) || hdr["typ"] != "JWT" {
				t.Errorf("header %v", hdr)
			}
			if kid, ok := hdr["kid"]; (c.kid == "" && ok) || (c.kid != "" && kid != c.kid) {
				t.Errorf("header kid %v, want %q", kid, c.kid)
			}
			if c.extra != nil && hdr["x5t#S256"] != x5t {
				t.Errorf("header x5t#S256 %v, want %s", hdr["x5t#S256"], x5t)
			}
		})
	}
	// The returned header is a copy.
	s.LastClientAssertionHeader()["alg"] = "changed"
	if s.LastClientAssertionHeader()["alg"] == "changed" {
		t.Error("LastClientAssertionHeader shares its map")
	}
}

func TestPrivateKeyJWTRejected(t *testing.T) {
	keys := newClientKeys(t)
	other := newClientKeys(t)
	s, clock := newJWTTest(t, keys)
	now := clock.Now()
	valid := func(edit func(map[string]any)) map[string]any {
		c := assertionClaims(s, now)
		if edit != nil {
			edit(c)
		}
		return c
	}
	sign := func(claims map[string]any) string {
		return signAssertion(t, jose.RS256, keys.rsa, "rsa-1", claims, nil)
	}
	cases := []struct {
		name string
		want string // part of error_description
		form func(code string) url.Values
	}{
		{"wrong aud", "aud must", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["aud"] = "https://other.example/token" })))
		}},
		{"no aud", "aud must", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { delete(c, "aud") })))
		}},
		{"expired", "expired", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() })))
		}},
		{"exp is now", "expired", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["exp"] = now.Unix() })))
		}},
		{"no exp", "no exp", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { delete(c, "exp") })))
		}},
		{"iat in the future", "iat is in the future", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["iat"] = now.Add(2 * time.Minute).Unix() })))
		}},
		{"nbf in the future", "nbf", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["nbf"] = now.Add(2 * time.Minute).Unix() })))
		}},
		{"no jti", "no jti", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { delete(c, "jti") })))
		}},
		{"wrong iss", "iss must", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["iss"] = "someone-else" })))
		}},
		{"wrong sub", "sub must", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["sub"] = "someone-else" })))
		}},
		{"string exp", "malformed", func(code string) url.Values {
			return assertionForm(s, code, sign(valid(func(c map[string]any) { c["exp"] = "tomorrow" })))
		}},
		{"unknown kid", "kid rsa-2", func(code string) url.Values {
			return assertionForm(s, code, signAssertion(t, jose.RS256, keys.rsa, "rsa-2", valid(nil), nil))
		}},
		{"unknown key, known kid", "does not verify", func(code string) url.Values {
			return assertionForm(s, code, signAssertion(t, jose.RS256, other.rsa, "rsa-1", valid(nil), nil))
		}},
		{"unknown key, no kid", "does not verify", func(code string) url.Values {
			return assertionForm(s, code, signAssertion(t, jose.ES256, other.ec, "", valid(nil), nil))
		}},
		{"EC key under the RSA kid", "does not verify", func(code string) url.Values {
			return assertionForm(s, code, signAssertion(t, jose.ES256, keys.ec, "rsa-1", valid(nil), nil))
		}},
		{"HMAC", "asymmetric", func(code string) url.Values {
			return assertionForm(s, code, signAssertion(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "", valid(nil), nil))
		}},
		{"alg none", "asymmetric", func(code string) url.Values {
			tok, err := unsignedJWT(valid(nil))
			if err != nil {
				t.Fatal(err)
			}
			return assertionForm(s, code, tok)
		}},
		{"garbage", "asymmetric", func(code string) url.Values { return assertionForm(s, code, "a.b.c") }},
		{"empty assertion", "missing client_assertion", func(code string) url.Values { return assertionForm(s, code, "") }},
		{"wrong assertion type", "client_assertion_type", func(code string) url.Values {
			f := assertionForm(s, code, sign(valid(nil)))
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
			return f
		}},
		{"no assertion type", "client_assertion_type", func(code string) url.Values {
			f := assertionForm(s, code, sign(valid(nil)))
			f.Del("client_assertion_type")
			return f
		}},
		{"client_id mismatch", "unknown client", func(code string) url.Values {
			f := assertionForm(s, code, sign(valid(nil)))
			f.Set("client_id", "someone-else")
			return f
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := tokenCall(t, s, c.form(getCode(t, s, nil)), "", "")
			wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
			if d, _ := body["error_description"].(string); !strings.Contains(d, c.want) {
				t.Errorf("error_description %q, want it to mention %q", d, c.want)
			}
		})
	}
	if s.LastClientAssertionHeader() != nil || s.LastClientAuthMethod() != "" {
		t.Error("a rejected assertion was recorded")
	}

	t.Run("reused jti", func(t *testing.T) {
		claims := valid(nil)
		if status, body := redeemWith(t, s, sign(claims)); status != http.StatusOK {
			t.Fatalf("first use: %d %v", status, body)
		}
		status, body := redeemWith(t, s, sign(claims))
		wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
		// Even re-signed by another accepted key.
		status, body = redeemWith(t, s, signAssertion(t, jose.ES256, keys.ec, "ec-1", claims, nil))
		wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	})
	t.Run("expires with the clock", func(t *testing.T) {
		a := sign(assertionClaims(s, clock.Now()))
		clock.Advance(time.Minute)
		status, body := redeemWith(t, s, a)
		wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	})
}

func TestPrivateKeyJWTRefresh(t *testing.T) {
	keys := newClientKeys(t)
	s, clock := newJWTTest(t, keys)
	status, tok := redeemWith(t, s, signAssertion(t, jose.ES256, keys.ec, "ec-1", assertionClaims(s, clock.Now()), nil))
	if status != http.StatusOK {
		t.Fatalf("%d %v", status, tok)
	}
	form := url.Values{
		"grant_type":            {"refresh_token"},
		"refresh_token":         {tok["refresh_token"].(string)},
		"client_assertion_type": {jwtBearerAssertion},
		"client_assertion":      {signAssertion(t, jose.ES256, keys.ec, "ec-1", assertionClaims(s, clock.Now()), nil)},
	}
	if status, body, _ := tokenCall(t, s, form, "", ""); status != http.StatusOK {
		t.Errorf("refresh with private_key_jwt: %d %v", status, body)
	}
}

func TestPrivateKeyJWTPrivateKeysInJWKS(t *testing.T) {
	// A JWKS built from private keys is reduced to the public halves.
	keys := newClientKeys(t)
	s, clock := newTest(t, func(c *Config) {
		c.ClientAuth = ClientAuthPrivateKeyJWT
		c.ClientJWKS = &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: keys.rsa, KeyID: "rsa-1"}}}
	})
	if status, body := redeemWith(t, s, signAssertion(t, jose.RS256, keys.rsa, "rsa-1", assertionClaims(s, clock.Now()), nil)); status != http.StatusOK {
		t.Errorf("%d %v", status, body)
	}
	if k := s.clientJWKS.Keys[0]; !k.IsPublic() {
		t.Error("the server kept a private key")
	}
}
