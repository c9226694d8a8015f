package rptest

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// tokenFailsWith logs in under faults f and requires the token endpoint to
// answer server_error.
func tokenFailsWith(t *testing.T, s *Server, f Faults) {
	t.Helper()
	s.SetFaults(f)
	defer s.SetFaults(Faults{})
	status, body, _ := tokenCall(t, s, codeForm(getCode(t, s, nil)), s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusInternalServerError, "server_error")
}

// signature returns the decoded signature of a compact JWS.
func signature(t *testing.T, tok string) []byte {
	t.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestScrambleSignature(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s, _ := newTest(t, func(c *Config) { c.SigningAlg = alg })
			kid := fetchJWKS(t, s).Keys[0].KeyID
			tok := idTokenWith(t, s, Faults{ScrambleSignature: true})
			hdr, claims, _ := unverifiedParts(t, tok)
			if hdr["alg"] != alg || hdr["kid"] != kid || claims["sub"] != "alice" {
				t.Fatalf("header %v claims %v", hdr, claims)
			}
			if _, _, err := tryVerify(fetchJWKS(t, s), tok); err == nil {
				t.Fatal("a scrambled signature verifies")
			}
			// Inverting the bits again gives back a valid signature.
			restored := editSignature(tok, func(sig []byte) {
				for i := range sig {
					sig[i] ^= 0xff
				}
			})
			verifyIDToken(t, s, restored)
		})
	}
}

func TestZeroECDSASignature(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.SigningAlg = "ES256" })
	for _, tc := range []struct {
		which        string
		zeroR, zeroS bool
	}{{"r", true, false}, {"s", false, true}, {"rs", true, true}} {
		tok := idTokenWith(t, s, Faults{ZeroECDSASignature: tc.which})
		sig := signature(t, tok)
		allZero := func(b []byte) bool { return strings.Count(string(b), "\x00") == len(b) }
		if len(sig) != 64 || allZero(sig[:32]) != tc.zeroR || allZero(sig[32:]) != tc.zeroS {
			t.Errorf("%s: signature %x", tc.which, sig)
		}
		if _, _, err := tryVerify(fetchJWKS(t, s), tok); err == nil {
			t.Errorf("%s: a zeroed signature verifies", tc.which)
		}
	}
	tokenFailsWith(t, s, Faults{ZeroECDSASignature: "x"})
	tokenFailsWith(t, s, Faults{ZeroECDSASignature: "r", HS256WithPublicKey: true})
	rsa, _ := newTest(t, nil)
	tokenFailsWith(t, rsa, Faults{ZeroECDSASignature: "r"})
}

func TestHS256WithPublicKey(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		s, _ := newTest(t, func(c *Config) { c.SigningAlg = alg })
		published := fetchJWKS(t, s).Keys[0]
		tok := idTokenWith(t, s, Faults{HS256WithPublicKey: true})
		hdr, _, _ := unverifiedParts(t, tok)
		if hdr["alg"] != "HS256" || hdr["kid"] != published.KeyID {
			t.Fatalf("%s: header %v", alg, hdr)
		}
		// Anyone can compute the secret from the published key.
		der, err := x509.MarshalPKIXPublicKey(published.Key)
		if err != nil {
			t.Fatal(err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.HS256})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(secret); err != nil {
			t.Errorf("%s: the HMAC does not verify with the public key's PEM: %v", alg, err)
		}
		noKid := idTokenWith(t, s, Faults{HS256WithPublicKey: true, OmitKid: true})
		if hdr, _, _ := unverifiedParts(t, noKid); hdr["kid"] != nil {
			t.Errorf("%s: OmitKid: header %v", alg, hdr)
		}
	}
}

func TestHeaderExtrasAndCrit(t *testing.T) {
	s, _ := newTest(t, nil)
	rogue := s.RogueKey()
	tok := idTokenWith(t, s, Faults{
		HeaderExtras: map[string]any{"jku": "https://evil.example/jwks", "x5u": "https://evil.example/cert", "jwk": rogue},
	})
	hdr, _, _ := unverifiedParts(t, tok)
	jwk, _ := hdr["jwk"].(map[string]any)
	if hdr["jku"] != "https://evil.example/jwks" || hdr["x5u"] != "https://evil.example/cert" || jwk["kid"] != rogue.KeyID || jwk["d"] != nil {
		t.Fatalf("header %v", hdr)
	}
	verifyIDToken(t, s, tok) // still signed by the real key

	tok = idTokenWith(t, s, Faults{Crit: []string{"urn:example:a", "exp"}, HeaderExtras: map[string]any{"exp": 1, "typ": "other"}})
	hdr, _, _ = unverifiedParts(t, tok)
	crit, _ := hdr["crit"].([]any)
	if len(crit) != 2 || crit[0] != "urn:example:a" || hdr["urn:example:a"] != true || hdr["exp"] != float64(1) || hdr["typ"] != "other" {
		t.Fatalf("header %v", hdr)
	}
	if _, _, err := tryVerify(fetchJWKS(t, s), tok); err == nil {
		t.Error("go-jose accepts an unknown critical header")
	}
	tok = idTokenWith(t, s, Faults{Crit: []string{}})
	if hdr, _, _ := unverifiedParts(t, tok); hdr["crit"] == nil {
		t.Errorf("empty Crit: header %v", hdr)
	}
}

func TestRogueKeyNeverPublished(t *testing.T) {
	s, _ := newTest(t, nil)
	rogue := s.RogueKey()
	for _, k := range fetchJWKS(t, s).Keys {
		if k.KeyID == rogue.KeyID {
			t.Fatal("the rogue key is published")
		}
	}
	if !rogue.IsPublic() {
		t.Fatal("RogueKey returned private material")
	}
	// A BadSignature token names the published kid but carries the rogue
	// key's signature.
	bad := idTokenWith(t, s, Faults{BadSignature: true})
	jws, err := jose.ParseSignedCompact(bad, allAlgs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(rogue.Key); err != nil {
		t.Fatalf("BadSignature token does not verify with RogueKey: %v", err)
	}
}

func TestRotateBeforeSigning(t *testing.T) {
	s, _ := newTest(t, nil)
	f := Faults{RotateBeforeSigning: true}
	first := idTokenWith(t, s, f)
	verifyIDToken(t, s, first)
	second := idTokenWith(t, s, f)
	verifyIDToken(t, s, second)
	h1, _, _ := unverifiedParts(t, first)
	h2, _, _ := unverifiedParts(t, second)
	if h1["kid"] == h2["kid"] {
		t.Fatal("the key was not rotated before the second token")
	}
	if set := fetchJWKS(t, s); len(set.Keys) != 1 || set.Keys[0].KeyID != h2["kid"] {
		t.Fatalf("JWKS %v; want only the newest key", set.Keys)
	}
}

// rawJWKS fetches the JWKS as JSON values.
func rawJWKS(t *testing.T, s *Server) []map[string]any {
	t.Helper()
	resp, err := s.Client().Get(s.URL + PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set.Keys
}

func TestPublishedExtraAndUnusableKeys(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s, _ := newTest(t, func(c *Config) { c.SigningAlg = alg })
			own := fetchJWKS(t, s).Keys[0]
			extra, err := newSigningKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			s.SetFaults(Faults{PublishUnusableKeys: true, ExtraJWKS: []jose.JSONWebKey{extra.publicJWK()}})
			keys := rawJWKS(t, s)
			var ktys []string
			for _, k := range keys {
				ktys = append(ktys, k["kty"].(string)+"/"+k["use"].(string))
			}
			if got, want := strings.Join(ktys, " "), map[string]string{
				"RS256": "EC/sig OKP/sig oct/sig RSA/enc OKP/sig XYZ/sig RSA/sig RSA/sig",
				"ES256": "EC/sig OKP/sig oct/sig EC/enc OKP/sig XYZ/sig EC/sig EC/sig",
				"EdDSA": "EC/sig OKP/enc oct/sig OKP/enc OKP/sig XYZ/sig OKP/sig OKP/sig",
			}[alg]; got != want {
				t.Fatalf("JWKS key types %s; want %s", got, want)
			}
			for i, k := range keys[:6] {
				if k["kid"] != own.KeyID {
					t.Errorf("unusable key %d has kid %v; want the current %s", i, k["kid"], own.KeyID)
				}
			}
			if keys[6]["kid"] != extra.kid || keys[7]["kid"] != own.KeyID {
				t.Errorf("extra and own keys out of order: %v", keys[6:])
			}
			if keys[0]["crv"] != "P-384" || keys[0]["alg"] != alg || keys[2]["k"] == nil || keys[4]["crv"] != "X25519" {
				t.Errorf("unusable keys %v", keys[:6])
			}
			// Tokens are still signed by the server's own key only.
			tok := idTokenWith(t, s, Faults{PublishUnusableKeys: true})
			verifyIDToken(t, s, tok)
		})
	}
}

func TestExtraJWKSCopied(t *testing.T) {
	s, _ := newTest(t, nil)
	extra, _ := newSigningKey("RS256")
	keys := []jose.JSONWebKey{extra.publicJWK()}
	crit := []string{"a"}
	hdr := map[string]any{"jku": "x"}
	s.SetFaults(Faults{ExtraJWKS: keys, Crit: crit, HeaderExtras: hdr})
	keys[0].KeyID, crit[0], hdr["jku"] = "changed", "changed", "changed"
	f := s.currentFaults()
	if f.ExtraJWKS[0].KeyID != extra.kid || f.Crit[0] != "a" || f.HeaderExtras["jku"] != "x" {
		t.Fatalf("faults changed after SetFaults: %+v", f)
	}
}

func TestHugeResponse(t *testing.T) {
	s, _ := newTest(t, nil)
	read := func(req *http.Request) (*http.Response, map[string]any) {
		t.Helper()
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if len(raw) <= 1<<20 || resp.ContentLength != -1 || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, %d bytes, Content-Length %d; want 200, over 1 MiB, none",
				req.URL.Path, resp.StatusCode, len(raw), resp.ContentLength)
		}
		return resp, body
	}
	get := func(path string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		return req
	}

	s.SetFaults(Faults{HugeResponse: EndpointDiscovery})
	if _, doc := read(get(PathDiscovery)); doc["issuer"] != s.URL {
		t.Errorf("discovery %v", doc["issuer"])
	}
	s.SetFaults(Faults{HugeResponse: EndpointJWKS})
	if _, set := read(get(PathJWKS)); len(set["keys"].([]any)) != 1 {
		t.Errorf("jwks keys %v", set["keys"])
	}
	s.SetFaults(Faults{HugeResponse: EndpointToken})
	code := getCode(t, s, nil)
	req, _ := http.NewRequest(http.MethodPost, s.URL+PathToken, strings.NewReader(codeForm(code).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID(), s.ClientSecret())
	_, tok := read(req)
	if tok["access_token"] == nil || tok["id_token"] == nil {
		t.Fatalf("token response %v", tok["access_token"])
	}
	s.SetFaults(Faults{HugeResponse: EndpointUserInfo})
	req = get(PathUserInfo)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	if _, info := read(req); info["sub"] != "alice" {
		t.Errorf("userinfo sub %v", info["sub"])
	}
	// Other endpoints are not padded.
	if body := fetchJWKS(t, s); len(body.Keys) != 1 {
		t.Errorf("jwks %v", body)
	}
}

func TestSlowEndpoint(t *testing.T) {
	s, _ := newTest(t, nil)
	for _, ep := range []struct{ name, path string }{
		{EndpointDiscovery, PathDiscovery}, {EndpointJWKS, PathJWKS}, {EndpointToken, PathToken}, {EndpointUserInfo, PathUserInfo},
	} {
		s.SetFaults(Faults{SlowEndpoint: ep.name})
		before := s.Requests(ep.name)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+ep.path, nil)
		resp, err := s.Client().Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v; want the client's deadline to expire", ep.name, err)
		}
		if s.Requests(ep.name) != before+1 {
			t.Errorf("%s: the stalled request was not counted", ep.name)
		}
	}
	// Other endpoints answer.
	s.SetFaults(Faults{SlowEndpoint: EndpointUserInfo})
	fetchJWKS(t, s)
}

func TestSlowEndpointReleasedByClose(t *testing.T) {
	s := NewServer(Config{})
	s.SetFaults(Faults{SlowEndpoint: EndpointDiscovery})
	done := make(chan error, 1)
	go func() {
		resp, err := s.Client().Get(s.URL + PathDiscovery)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Requests(EndpointDiscovery) == 0 {
		runtime.Gosched()
	}
	s.Close() // must not hang on the stalled request
	<-done
	s.Close()
}

func TestTokenErrorCode(t *testing.T) {
	s, _ := newTest(t, nil)
	code := getCode(t, s, nil)
	for _, tc := range []struct {
		f          Faults
		status     int
		wwwAuth    string
		wantDescr  any
		wantErrStr string
	}{
		{Faults{TokenErrorCode: "invalid_grant", TokenErrorDescription: "code expired"}, 400, "", "code expired", "invalid_grant"},
		{Faults{TokenErrorCode: "invalid_client"}, 401, `Basic realm="rptest"`, nil, "invalid_client"},
		{Faults{TokenErrorCode: "temporarily_unavailable", TokenStatus: 503}, 503, "", nil, "temporarily_unavailable"},
		{Faults{TokenErrorCode: "x", TokenStatus: 42}, 500, "", nil, "x"},
	} {
		s.SetFaults(tc.f)
		status, body, hdr := tokenCall(t, s, codeForm(code), s.ClientID(), s.ClientSecret())
		wantOAuthError(t, status, body, tc.status, tc.wantErrStr)
		if body["error_description"] != tc.wantDescr || hdr.Get("WWW-Authenticate") != tc.wwwAuth {
			t.Errorf("%+v: body %v, WWW-Authenticate %q", tc.f, body, hdr.Get("WWW-Authenticate"))
		}
	}
	s.SetFaults(Faults{})
	exchange(t, s, code) // the code was not consumed
}

func TestTokenShapedIDTokens(t *testing.T) {
	s, _ := newTest(t, nil)
	at := idTokenWith(t, s, Faults{IDTokenIsAccessToken: true})
	claims, hdr := verifyIDToken(t, s, at)
	if hdr.ExtraHeaders["typ"] != "at+jwt" || claims["client_id"] != s.ClientID() || claims["aud"] != s.ClientID() ||
		claims["sub"] != "alice" || claims["iss"] != s.URL || claims["scope"] != "openid profile email" || claims["jti"] == nil {
		t.Errorf("access token: header %v claims %v", hdr.ExtraHeaders, claims)
	}
	for _, c := range []string{"nonce", "at_hash", "c_hash", "email"} {
		if claims[c] != nil {
			t.Errorf("access token has %s", c)
		}
	}
	// ExtraIDTokenClaims still apply, e.g. to copy the nonce.
	at = idTokenWith(t, s, Faults{IDTokenIsAccessToken: true, ExtraIDTokenClaims: map[string]any{"nonce": "nonce-456"}})
	if claims, _ := verifyIDToken(t, s, at); claims["nonce"] != "nonce-456" {
		t.Errorf("ExtraIDTokenClaims ignored: %v", claims)
	}

	lt := idTokenWith(t, s, Faults{IDTokenIsLogoutToken: true})
	claims, hdr = verifyIDToken(t, s, lt)
	events, _ := claims["events"].(map[string]any)
	if hdr.ExtraHeaders["typ"] != "logout+jwt" || events == nil || events[backChannelLogoutEvent] == nil ||
		claims["nonce"] != nil || claims["sid"] == nil || claims["sub"] != "alice" || claims["aud"] != s.ClientID() {
		t.Errorf("logout token: header %v claims %v", hdr.ExtraHeaders, claims)
	}
	// Signature faults apply as to ID tokens.
	if _, _, err := tryVerify(fetchJWKS(t, s), idTokenWith(t, s, Faults{IDTokenIsLogoutToken: true, BadSignature: true})); err == nil {
		t.Error("BadSignature ignored")
	}
}
