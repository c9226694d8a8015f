package rptest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	testRedirect = "http://rp.example/callback"
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

// allAlgs are the algorithms tests accept when parsing tokens.
var allAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}

// newFakeClock returns a Clock at a fixed time.
func newFakeClock() *Clock {
	return NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

var alice = User{
	Subject: "alice",
	Claims: map[string]any{
		"email":              "alice@example.com",
		"email_verified":     true,
		"preferred_username": "alice1",
		"groups":             []string{"admins"},
	},
	UserInfo: map[string]any{"phone_number": "+1 555 0100"},
}

var bob = User{
	Subject: "bob",
	Claims:  map[string]any{"email": "bob@example.com", "preferred_username": "bobby"},
}

// newTest starts a server with alice (default) and bob, a fake clock and
// testRedirect registered, after letting edit adjust the config.
func newTest(t *testing.T, edit func(*Config)) (*Server, *Clock) {
	t.Helper()
	clock := newFakeClock()
	cfg := Config{
		RedirectURIs: []string{testRedirect},
		Now:          clock.Now,
		Users:        []User{alice, bob},
	}
	if edit != nil {
		edit(&cfg)
	}
	s := NewServer(cfg)
	t.Cleanup(s.Close)
	return s, clock
}

// noRedirect returns a client for s that stops at the first redirect.
func noRedirect(s *Server) *http.Client {
	c := *s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// s256 computes the S256 code_challenge of verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// leftHalfSHA256 computes an RS256/ES256 at_hash the long way.
func leftHalfSHA256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// authParams returns a well-formed authorization request for s with PKCE
// S256 over testVerifier; edit may change it.
func authParams(s *Server, edit func(url.Values)) url.Values {
	v := url.Values{
		"client_id":             {s.ClientID()},
		"redirect_uri":          {testRedirect},
		"response_type":         {"code"},
		"scope":                 {"openid profile email"},
		"state":                 {"state-123"},
		"nonce":                 {"nonce-456"},
		"code_challenge":        {s256(testVerifier)},
		"code_challenge_method": {"S256"},
	}
	if edit != nil {
		edit(v)
	}
	return v
}

// get performs a GET without following redirects.
func get(t *testing.T, s *Server, rawURL string) *http.Response {
	t.Helper()
	resp, err := noRedirect(s).Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// authorize sends params to the authorization endpoint, requires a 302 and
// returns the parsed Location and its query.
func authorize(t *testing.T, s *Server, params url.Values) (*url.URL, url.Values) {
	t.Helper()
	resp := get(t, s, s.URL+"/authorize?"+params.Encode())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("authorize: bad Location: %v", err)
	}
	return loc, loc.Query()
}

// getCode runs the authorization request edited by edit and returns the code.
func getCode(t *testing.T, s *Server, edit func(url.Values)) string {
	t.Helper()
	_, q := authorize(t, s, authParams(s, edit))
	code := q.Get("code")
	if code == "" {
		t.Fatalf("authorize: no code in response %v", q)
	}
	return code
}

// codeForm is the token request that redeems code with testVerifier.
func codeForm(code string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {testRedirect},
		"code_verifier": {testVerifier},
	}
}

// tokenCall posts form to the token endpoint, authenticating with HTTP
// Basic as id/secret unless id is "". It returns the status, the JSON body
// and the headers.
func tokenCall(t *testing.T, s *Server, form url.Values, id, secret string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return do(t, s, req)
}

// do sends req and decodes a JSON body.
func do(t *testing.T, s *Server, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", req.Method, req.URL, raw, err)
		}
	}
	return resp.StatusCode, body, resp.Header
}

// exchange redeems code with the default credentials and requires success.
func exchange(t *testing.T, s *Server, code string) map[string]any {
	t.Helper()
	status, body, hdr := tokenCall(t, s, codeForm(code), s.ClientID(), s.ClientSecret())
	if status != http.StatusOK {
		t.Fatalf("token: status %d body %v", status, body)
	}
	if got := hdr.Get("Cache-Control"); got != "no-store" {
		t.Errorf("token: Cache-Control %q, want no-store", got)
	}
	return body
}

// login runs a full code flow and returns the token response.
func login(t *testing.T, s *Server) map[string]any {
	t.Helper()
	return exchange(t, s, getCode(t, s, nil))
}

// wantOAuthError checks an RFC 6749 error response.
func wantOAuthError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantCode {
		t.Fatalf("got status %d body %v, want %d error=%s", status, body, wantStatus, wantCode)
	}
}

// fetchJWKS downloads the server's key set.
func fetchJWKS(t *testing.T, s *Server) jose.JSONWebKeySet {
	t.Helper()
	resp, err := s.Client().Get(s.URL + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("jwks: %v", err)
	}
	return set
}

// verifyIDToken checks token's signature against the JWKS and returns its
// claims and header.
func verifyIDToken(t *testing.T, s *Server, token string) (map[string]any, jose.Header) {
	t.Helper()
	claims, hdr, err := tryVerify(fetchJWKS(t, s), token)
	if err != nil {
		t.Fatalf("ID token does not verify: %v", err)
	}
	return claims, hdr
}

// tryVerify verifies token against set and returns its claims and header.
func tryVerify(set jose.JSONWebKeySet, token string) (map[string]any, jose.Header, error) {
	tok, err := jwt.ParseSigned(token, allAlgs)
	if err != nil {
		return nil, jose.Header{}, err
	}
	var claims map[string]any
	if err := tok.Claims(set, &claims); err != nil {
		return nil, tok.Headers[0], err
	}
	return claims, tok.Headers[0], nil
}

// unverifiedParts decodes a compact JWT without checking anything.
func unverifiedParts(t *testing.T, token string) (header, claims map[string]any, sig string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	return header, claims, parts[2]
}
