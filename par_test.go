package rp

import (
	"context"
	"crypto/elliptic"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/internal/netlimit"
	"github.com/oidcrp/rp/rptest"
)

// queryKeys returns the sorted parameter names of the URL u.
func queryKeys(t *testing.T, u string) []string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range pu.Query() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// startErr starts a login through AuthURL and returns its error and
// whether a transaction cookie was set.
func (h *harness) startErr() (error, bool) {
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, h.app.URL+"/login", nil)
	_, err := h.rp.AuthURL(w, req, LoginOptions{})
	return err, len(w.Result().Cookies()) > 0
}

func TestPushedAuthorizationLogin(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   rptest.Config
		mod  func(*Config)
	}{
		{"configured, client_secret_basic", rptest.Config{}, func(c *Config) { c.PushedAuthorization = true }},
		{"configured, client_secret_post", rptest.Config{ClientAuth: "client_secret_post"},
			func(c *Config) { c.PushedAuthorization, c.ClientAuth = true, "client_secret_post" }},
		{"required by the provider", rptest.Config{RequirePushedAuthorization: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.op, tc.mod)
			loc := h.start()
			if got := queryKeys(t, loc); !slices.Equal(got, []string{"client_id", "request_uri"}) {
				t.Fatalf("browser URL carries %v; want only client_id and request_uri", got)
			}
			if _, err := h.callback(h.authorize(loc)); err != nil {
				t.Fatalf("login: %v", err)
			}
			if n := h.op.Requests(rptest.EndpointPAR); n != 1 {
				t.Fatalf("%d pushes; want 1", n)
			}
			seen := h.op.LastAuthorizeParams()
			for _, k := range []string{"redirect_uri", "scope", "state", "nonce", "code_challenge", "response_type"} {
				if seen.Get(k) == "" {
					t.Errorf("the provider did not see %s in the pushed request", k)
				}
			}
			if seen.Has("client_secret") {
				t.Error("the pushed credentials reached the authorization request")
			}
			// request_uri is single use: replaying the URL fails.
			if status, _ := h.get(loc); status != http.StatusBadRequest {
				t.Fatalf("replayed request_uri answered %d; want 400", status)
			}
		})
	}
}

func TestPushedAuthorizationPrivateKeyJWT(t *testing.T) {
	k := ecKey(t, elliptic.P256())
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: "ec-1", Use: "sig"}}}
	h := newHarness(t, rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks}, func(c *Config) {
		c.ClientSecret, c.ClientKey, c.ClientKeyID, c.PushedAuthorization = "", k, "ec-1", true
	})
	if _, err := h.login(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if n := h.op.Requests(rptest.EndpointPAR); n != 1 {
		t.Fatalf("%d pushes; want 1", n)
	}
}

func TestPushedAuthorizationRequestURIExpires(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.PushedAuthorization = true })
	loc := h.start()
	h.clock.Advance(rptest.DefaultPARLifetime)
	if status, _ := h.get(loc); status != http.StatusBadRequest {
		t.Fatalf("expired request_uri answered %d; want 400", status)
	}
}

func TestPushedAuthorizationFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults rptest.Faults
		status int
		code   string
		detail string // "" for an error response
	}{
		{"error response", rptest.Faults{PushedAuthorization: rptest.PARFaults{Error: "invalid_request", Description: "bad\x00 scope"}},
			400, "invalid_request", ""},
		{"missing request_uri", rptest.Faults{PushedAuthorization: rptest.PARFaults{OmitRequestURI: true}}, 201, "", "the response has no request_uri"},
		{"request_uri not a URI", rptest.Faults{PushedAuthorization: rptest.PARFaults{RequestURI: "no scheme"}}, 201, "", "the response's request_uri is not a URI"},
		{"relative request_uri", rptest.Faults{PushedAuthorization: rptest.PARFaults{RequestURI: "abc"}}, 201, "", "the response's request_uri is not an absolute URI"},
		{"missing expires_in", rptest.Faults{PushedAuthorization: rptest.PARFaults{OmitExpiresIn: true}}, 201, "", "the response has no expires_in"},
		{"negative expires_in", rptest.Faults{PushedAuthorization: rptest.PARFaults{ExpiresIn: -1}}, 201, "", "the response's expires_in is not a positive integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, func(c *Config) { c.PushedAuthorization = true })
			h.op.SetFaults(tc.faults)
			err, cookie := h.startErr()
			var pe *PushedAuthorizationError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPushedAuthorization) {
				t.Fatalf("AuthURL = %v; want a *PushedAuthorizationError", err)
			}
			if pe.StatusCode != tc.status || pe.Code != tc.code || pe.Detail != tc.detail {
				t.Fatalf("error %+v; want status %d code %q detail %q", pe, tc.status, tc.code, tc.detail)
			}
			if got := errors.Is(err, ErrPushedAuthorizationResponse); got != (tc.detail != "") {
				t.Fatalf("errors.Is(ErrPushedAuthorizationResponse) = %v", got)
			}
			if tc.code != "" && pe.Description != "bad scope" {
				t.Fatalf("description %q; want it sanitized to %q", pe.Description, "bad scope")
			}
			if cookie {
				t.Fatal("a failed push still set a transaction cookie")
			}
		})
	}
}

func TestPushedAuthorizationOversizedResponse(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.PushedAuthorization = true })
	h.op.SetFaults(rptest.Faults{HugeResponse: rptest.EndpointPAR})
	err, _ := h.startErr()
	var pe *PushedAuthorizationError
	if !errors.As(err, &pe) || !errors.Is(err, netlimit.ErrTooLarge) || pe.StatusCode != 201 {
		t.Fatalf("AuthURL = %v; want a push failing on the size limit", err)
	}
}

func TestPushedAuthorizationClientAuthRefused(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.PushedAuthorization, c.ClientSecret = true, "wrong-secret" })
	err, _ := h.startErr()
	var pe *PushedAuthorizationError
	if !errors.As(err, &pe) || pe.StatusCode != 401 || pe.Code != "invalid_client" {
		t.Fatalf("AuthURL = %v; want 401 invalid_client", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatal("the error names the secret")
	}
}

func TestPushedAuthorizationNeedsEndpoint(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	_, err := New(context.Background(), Config{
		Endpoints:           &Endpoints{Issuer: op.Issuer(), Authorization: op.URL + rptest.PathAuthorize, Token: op.URL + rptest.PathToken, JWKS: op.URL + rptest.PathJWKS},
		ClientID:            op.ClientID(),
		ClientSecret:        Secret(op.ClientSecret()),
		RedirectURL:         "http://127.0.0.1/callback",
		PushedAuthorization: true,
	})
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "PushedAuthorization" {
		t.Fatalf("New = %v; want a PushedAuthorization problem", err)
	}
	// With Endpoints.PAR it works.
	r, err := New(context.Background(), Config{
		Endpoints: &Endpoints{Issuer: op.Issuer(), Authorization: op.URL + rptest.PathAuthorize, Token: op.URL + rptest.PathToken,
			JWKS: op.URL + rptest.PathJWKS, PAR: op.URL + rptest.PathPAR},
		ClientID: op.ClientID(), ClientSecret: Secret(op.ClientSecret()),
		RedirectURL: "http://127.0.0.1/callback", PushedAuthorization: true,
	})
	if err != nil || r.Metadata().PushedAuthorizationRequestEndpoint != op.URL+rptest.PathPAR {
		t.Fatalf("New with Endpoints.PAR = %v", err)
	}
}

func TestPushedAuthorizationEndpointValidated(t *testing.T) {
	c := Config{Endpoints: &Endpoints{Issuer: "https://op.example", Authorization: "https://op.example/a", Token: "https://op.example/t",
		JWKS: "https://op.example/k", PAR: "http://op.example/par"}, ClientID: "c", RedirectURL: "https://app.example/cb"}
	var ce *ConfigError
	if err := c.Validate(); !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "Endpoints.PAR" {
		t.Fatalf("Validate = %v; want an Endpoints.PAR problem", err)
	}
}

func TestRequiredPushedAuthorizationNeedsEndpointInDiscovery(t *testing.T) {
	op := rptest.NewServer(rptest.Config{RequirePushedAuthorization: true})
	defer op.Close()
	doc := map[string]any{"issuer": op.Issuer(), "authorization_endpoint": op.URL + rptest.PathAuthorize,
		"token_endpoint": op.URL + rptest.PathToken, "jwks_uri": op.URL + rptest.PathJWKS,
		"require_pushed_authorization_requests": true}
	op.SetFaults(rptest.Faults{DiscoveryBody: mustJSON(t, doc)})
	_, err := newRPFor(op, nil)
	if !errors.Is(err, ErrMetadataIncomplete) || !strings.Contains(err.Error(), "pushed_authorization_request_endpoint is missing") {
		t.Fatalf("New = %v; want the missing endpoint reported", err)
	}
}
