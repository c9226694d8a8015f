package rp

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

func TestRequestObjectLogin(t *testing.T) {
	ec, rsaK := ecKey(t, elliptic.P256()), rsaKey(t)
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: ec.Public(), KeyID: "ec-1", Use: "sig"},
		{Key: rsaK.Public(), KeyID: "rsa-1", Use: "sig"},
	}}
	for _, tc := range []struct {
		name string
		par  bool
		mod  func(*Config)
		keys []string // the browser URL's parameters
	}{
		{"JAR alone, EC key", false, func(c *Config) { c.ClientKey, c.ClientKeyID = ec, "ec-1" }, []string{"client_id", "request", "response_type", "scope"}},
		{"JAR alone, RSA key, max_age and claims", false, func(c *Config) {
			c.ClientKey, c.ClientKeyID, c.MaxAge = rsaK, "rsa-1", time.Hour
			c.ClaimsParameter = json.RawMessage(`{"id_token":{"email":null}}`)
		}, []string{"client_id", "request", "response_type", "scope"}},
		{"PAR and JAR", true, func(c *Config) { c.ClientKey, c.ClientKeyID = ec, "ec-1" }, []string{"client_id", "request_uri"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks}, func(c *Config) {
				c.RequestObject, c.PushedAuthorization, c.ClientSecret = true, tc.par, ""
				tc.mod(c)
			})
			loc := h.start()
			if got := queryKeys(t, loc); !slices.Equal(got, tc.keys) {
				t.Fatalf("browser URL carries %v; want %v", got, tc.keys)
			}
			if _, err := h.callback(h.authorize(loc)); err != nil {
				t.Fatalf("login: %v", err)
			}
			if n := h.op.RequestObjectsVerified(); n != 1 {
				t.Fatalf("the provider verified %d request objects; want 1", n)
			}
			seen := h.op.LastAuthorizeParams()
			for _, k := range []string{"redirect_uri", "scope", "state", "nonce", "code_challenge", "response_type"} {
				if seen.Get(k) == "" {
					t.Errorf("the provider did not see %s in the request object", k)
				}
			}
			if h.rp.cfg.MaxAge > 0 && seen.Get("max_age") != "3600" {
				t.Errorf("max_age %q; want 3600", seen.Get("max_age"))
			}
			if tc.par && h.op.Requests(rptest.EndpointPAR) != 1 {
				t.Error("the request object was not pushed")
			}
		})
	}
}

// requestObjectClaims decodes the payload and header of the request
// object in the authorization URL u, without verifying it.
func requestObjectClaims(t *testing.T, u string) (map[string]any, jose.Header) {
	t.Helper()
	pu, _ := url.Parse(u)
	jws, err := jose.ParseSignedCompact(pu.Query().Get("request"), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		t.Fatal(err)
	}
	return claims, jws.Signatures[0].Header
}

func TestRequestObjectClaims(t *testing.T) {
	ec := ecKey(t, elliptic.P256())
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "ec-1", Use: "sig"}}}
	h := newHarness(t, rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks}, func(c *Config) { c.RequestObject, c.ClientKey, c.ClientKeyID = true, ec, "ec-1" })
	claims, hdr := requestObjectClaims(t, h.start())
	if hdr.ExtraHeaders[jose.HeaderType] != "oauth-authz-req+jwt" || hdr.KeyID != "ec-1" || hdr.Algorithm != "ES256" {
		t.Fatalf("header %+v", hdr)
	}
	now := float64(h.clock.Now().Unix())
	if claims["iss"] != h.op.ClientID() || claims["client_id"] != h.op.ClientID() || claims["aud"] != h.op.Issuer() {
		t.Errorf("iss %v client_id %v aud %v", claims["iss"], claims["client_id"], claims["aud"])
	}
	if claims["iat"] != now || claims["nbf"] != now || claims["exp"] != now+300 {
		t.Errorf("iat %v nbf %v exp %v; want %v, %v, %v", claims["iat"], claims["nbf"], claims["exp"], now, now, now+300)
	}
	if jti, _ := claims["jti"].(string); len(jti) < 40 {
		t.Errorf("jti %q", jti)
	}
}

func TestRequestObjectNeedsClientKey(t *testing.T) {
	c := Config{Authority: "https://op.example", ClientID: "c", RedirectURL: "https://app.example/cb", RequestObject: true}
	var ce *ConfigError
	if err := c.Validate(); !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "ClientKey" ||
		!strings.Contains(ce.Problems[0].Message, "request objects") {
		t.Fatalf("Validate = %v; want a ClientKey problem", err)
	}
}

func TestRequestObjectRefusedByProvider(t *testing.T) {
	ec, other := ecKey(t, elliptic.P256()), ecKey(t, elliptic.P256())
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: other.Public(), KeyID: "ec-1", Use: "sig"}}}
	h := newHarness(t, rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks}, func(c *Config) { c.RequestObject, c.ClientKey, c.ClientKeyID = true, ec, "ec-1" })
	if status, _ := h.get(h.start()); status != 400 {
		t.Fatalf("a request object signed by another key answered %d; want 400", status)
	}
	if h.op.RequestObjectsVerified() != 0 {
		t.Fatal("the provider accepted a request object with a bad signature")
	}
}

func TestRequestObjectKeyMustSign(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	_, err := newRPFor(op, func(c *Config) {
		c.RequestObject, c.ClientAuth, c.ClientKey = true, "client_secret_basic", ecKey(t, elliptic.P224())
	})
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "ClientKey" {
		t.Fatalf("New with a P-224 request object key = %v; want a ClientKey problem", err)
	}
}

func TestPushedAuthorizationKeepsEndpointQuery(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	r, err := New(context.Background(), Config{
		Endpoints: &Endpoints{Issuer: op.Issuer(), Authorization: op.URL + rptest.PathAuthorize + "?p=policy", Token: op.URL + rptest.PathToken,
			JWKS: op.URL + rptest.PathJWKS, PAR: op.URL + rptest.PathPAR},
		ClientID: op.ClientID(), ClientSecret: Secret(op.ClientSecret()),
		RedirectURL: "http://127.0.0.1/callback", PushedAuthorization: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := r.AuthURL(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://127.0.0.1/login", nil), LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := queryKeys(t, u); !slices.Equal(got, []string{"client_id", "p", "request_uri"}) {
		t.Fatalf("browser URL carries %v; want client_id, p and request_uri", got)
	}
}
