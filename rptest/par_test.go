package rptest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// push posts params to the PAR endpoint with Basic id/secret (none when
// id is "") and returns the status and JSON body.
func push(t *testing.T, s *Server, params url.Values, id, secret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+PathPAR, strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	status, body, _ := do(t, s, req)
	return status, body
}

// authorizePage sends params to the authorization endpoint and returns the
// status and body of a page answer.
func authorizePage(t *testing.T, s *Server, params url.Values) (int, string) {
	t.Helper()
	resp, err := noRedirect(s).Get(s.URL + PathAuthorize + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pushed pushes the standard parameters and returns the request_uri.
func pushed(t *testing.T, s *Server) string {
	t.Helper()
	status, body := push(t, s, authParams(s, nil), s.ClientID(), s.ClientSecret())
	uri, _ := body["request_uri"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(uri, requestURIPrefix) || body["expires_in"] != float64(60) {
		t.Fatalf("push = %d %v", status, body)
	}
	return uri
}

func byURI(s *Server, uri string) url.Values {
	return url.Values{"client_id": {s.ClientID()}, "request_uri": {uri}}
}

func TestPARFlow(t *testing.T) {
	s, _ := newTest(t, nil)
	uri := pushed(t, s)
	_, q := authorize(t, s, byURI(s, uri))
	if q.Get("code") == "" || q.Get("state") != "state-123" {
		t.Fatalf("response %v; want a code for the pushed state", q)
	}
	if got := s.LastAuthorizeParams(); got.Get("nonce") != "nonce-456" || got.Has("request_uri") {
		t.Fatalf("the authorization request saw %v; want the pushed parameters", got)
	}
}

func TestPARRejected(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     func(*Config)
		prepare func(t *testing.T, s *Server, c *Clock) url.Values
		want    string
	}{
		{"unknown request_uri", nil, func(t *testing.T, s *Server, _ *Clock) url.Values {
			return byURI(s, requestURIPrefix+"nope")
		}, "rptest: invalid_request_uri: unknown request_uri\n"},
		{"foreign request_uri", nil, func(t *testing.T, s *Server, _ *Clock) url.Values {
			return byURI(s, "https://elsewhere.example/r")
		}, "rptest: invalid_request_uri: request_uri was not issued by this provider\n"},
		{"used twice", nil, func(t *testing.T, s *Server, _ *Clock) url.Values {
			uri := pushed(t, s)
			authorize(t, s, byURI(s, uri))
			return byURI(s, uri)
		}, "rptest: invalid_request_uri: request_uri was already used\n"},
		{"expired", nil, func(t *testing.T, s *Server, c *Clock) url.Values {
			uri := pushed(t, s)
			c.Advance(DefaultPARLifetime)
			return byURI(s, uri)
		}, "rptest: invalid_request_uri: request_uri expired\n"},
		{"another client_id", nil, func(t *testing.T, s *Server, _ *Clock) url.Values {
			return url.Values{"client_id": {"other"}, "request_uri": {pushed(t, s)}}
		}, "rptest: invalid_request_uri: request_uri was pushed by another client\n"},
		{"required and absent", func(c *Config) { c.RequirePushedAuthorization = true }, func(t *testing.T, s *Server, _ *Clock) url.Values {
			return authParams(s, nil)
		}, "rptest: invalid_request: pushed authorization requests are required: send request_uri\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newTest(t, tc.cfg)
			status, body := authorizePage(t, s, tc.prepare(t, s, c))
			if status != http.StatusBadRequest || body != tc.want {
				t.Fatalf("authorize = %d %q; want 400 %q", status, body, tc.want)
			}
		})
	}
}

func TestPARPushRejected(t *testing.T) {
	s, _ := newTest(t, nil)
	status, body := push(t, s, authParams(s, nil), s.ClientID(), "wrong")
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	status, body = push(t, s, authParams(s, func(v url.Values) { v.Set("request_uri", "x") }), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")
	if s.Requests(EndpointPAR) != 2 {
		t.Fatalf("%d pushes counted; want 2", s.Requests(EndpointPAR))
	}
}

func TestPARFaults(t *testing.T) {
	s, _ := newTest(t, nil)
	s.SetFaults(Faults{PushedAuthorization: PARFaults{Error: "invalid_scope", Description: "no"}})
	status, body := push(t, s, authParams(s, nil), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_scope")
	s.SetFaults(Faults{PushedAuthorization: PARFaults{OmitRequestURI: true, ExpiresIn: -5}})
	status, body = push(t, s, authParams(s, nil), s.ClientID(), s.ClientSecret())
	if _, has := body["request_uri"]; status != http.StatusCreated || has || body["expires_in"] != float64(-5) {
		t.Fatalf("push = %d %v; want 201 without request_uri and expires_in -5", status, body)
	}
}

func TestPARDiscovery(t *testing.T) {
	for _, required := range []bool{false, true} {
		s, _ := newTest(t, func(c *Config) { c.RequirePushedAuthorization = required })
		status, doc, _ := do(t, s, mustRequest(t, s.URL+PathDiscovery))
		if status != 200 || doc["pushed_authorization_request_endpoint"] != s.URL+PathPAR ||
			doc["require_pushed_authorization_requests"] != required || doc["request_parameter_supported"] != true {
			t.Fatalf("discovery %d %v", status, doc)
		}
	}
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// requestObject signs the standard parameters, edited, as a request
// object with the client's EC key.
func requestObject(t *testing.T, s *Server, keys clientKeys, now time.Time, edit func(map[string]any), hdr map[jose.HeaderKey]any) string {
	t.Helper()
	claims := map[string]any{
		"iss": s.ClientID(), "aud": s.Issuer(), "client_id": s.ClientID(),
		"exp": now.Add(time.Minute).Unix(), "nbf": now.Unix(), "iat": now.Unix(), "jti": "j-1", "max_age": 600,
	}
	for k, vs := range authParams(s, nil) {
		claims[k] = vs[0]
	}
	if edit != nil {
		edit(claims)
	}
	h := map[jose.HeaderKey]any{jose.HeaderType: requestObjectType}
	for k, v := range hdr {
		h[k] = v
	}
	return signAssertion(t, jose.ES256, keys.ec, "ec-1", claims, h)
}

func TestRequestObjectAccepted(t *testing.T) {
	keys := newClientKeys(t)
	s, c := newTest(t, func(cfg *Config) { cfg.ClientJWKS = keys.jwks() })
	obj := requestObject(t, s, keys, c.Now(), nil, nil)
	_, q := authorize(t, s, url.Values{"client_id": {s.ClientID()}, "request": {obj}})
	if q.Get("code") == "" || s.RequestObjectsVerified() != 1 || s.LastAuthorizeParams().Get("max_age") != "600" {
		t.Fatalf("response %v, %d objects, params %v", q, s.RequestObjectsVerified(), s.LastAuthorizeParams())
	}
	// Pushed: the object travels in the pushed body.
	status, body := push(t, s, url.Values{"request": {requestObject(t, s, keys, c.Now(), nil, nil)}}, s.ClientID(), s.ClientSecret())
	if status != http.StatusCreated {
		t.Fatalf("push %d %v", status, body)
	}
	if _, q := authorize(t, s, byURI(s, body["request_uri"].(string))); q.Get("code") == "" || s.RequestObjectsVerified() != 2 {
		t.Fatalf("pushed request object: %v", q)
	}
}

func TestRequestObjectRejected(t *testing.T) {
	keys, other := newClientKeys(t), newClientKeys(t)
	for _, tc := range []struct {
		name  string
		edit  func(map[string]any)
		hdr   map[jose.HeaderKey]any
		other bool
		want  string
	}{
		{"typ JWT", nil, map[jose.HeaderKey]any{jose.HeaderType: "JWT"}, false, "request object typ must be oauth-authz-req+jwt"},
		{"another key", nil, nil, true, "request object: signature does not verify"},
		{"iss", func(m map[string]any) { m["iss"] = "x" }, nil, false, "request object iss must be the client_id"},
		{"client_id", func(m map[string]any) { m["client_id"] = "x" }, nil, false, "request object client_id must be the request's client_id"},
		{"aud", func(m map[string]any) { m["aud"] = "https://other.example" }, nil, false, "request object aud must be the issuer"},
		{"no exp", func(m map[string]any) { delete(m, "exp") }, nil, false, "request object has no exp"},
		{"expired", func(m map[string]any) { m["exp"] = m["iat"] }, nil, false, "request object expired"},
		{"nbf ahead", func(m map[string]any) { m["nbf"] = m["exp"].(int64) + 3600 }, nil, false, "request object is not valid yet (nbf)"},
		{"no jti", func(m map[string]any) { delete(m, "jti") }, nil, false, "request object has no jti"},
		{"fractional max_age", func(m map[string]any) { m["max_age"] = 1.5 }, nil, false, "request object member max_age is not an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newTest(t, func(cfg *Config) { cfg.ClientJWKS = keys.jwks() })
			k := keys
			if tc.other {
				k = other
			}
			obj := requestObject(t, s, k, c.Now(), tc.edit, tc.hdr)
			status, body := authorizePage(t, s, url.Values{"client_id": {s.ClientID()}, "request": {obj}})
			want := "rptest: invalid_request_object: " + tc.want + "\n"
			if status != http.StatusBadRequest || body != want {
				t.Fatalf("authorize = %d %q; want 400 %q", status, body, want)
			}
			if s.RequestObjectsVerified() != 0 {
				t.Fatal("counted as verified")
			}
		})
	}
}
