package rp

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

func dpopOn(c *Config) { c.DPoP, c.UserInfo = true, UserInfoAlways }

// decodeProof verifies a proof's signature with its own jwk header and
// returns the header and the claims.
func decodeProof(t *testing.T, proof string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("proof does not parse as an ES256 JWS: %v", err)
	}
	h := jws.Signatures[0].Protected
	if h.JSONWebKey == nil {
		t.Fatal("proof has no jwk header")
	}
	payload, err := jws.Verify(h.JSONWebKey)
	if err != nil {
		t.Fatalf("proof does not verify with its jwk: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return h, claims
}

func athOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestDPoPSignInUserInfoAndRefresh(t *testing.T) {
	h := newHarness(t, rptest.Config{}, dpopOn)
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	key := res.Tokens.DPoPKey
	if res.Tokens.TokenType != "DPoP" || key == nil {
		t.Fatalf("token type %q, key %v; want DPoP with a key", res.Tokens.TokenType, key != nil)
	}
	if got := h.op.AccessTokenJKT(string(res.Tokens.AccessToken)); got != key.Thumbprint() {
		t.Fatalf("access token bound to %q; want the session key %q", got, key.Thumbprint())
	}
	if h.op.Requests(rptest.EndpointUserInfo) != 1 || h.op.LastDPoPProof(rptest.EndpointUserInfo) == "" {
		t.Fatal("userinfo was not called with a DPoP proof")
	}
	tok, _, err := h.rp.RefreshDPoP(context.Background(), res.Tokens.RefreshToken, key, res.Claims)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if !tok.DPoPKey.Equal(key) || tok.TokenType != "DPoP" {
		t.Fatalf("refreshed tokens: type %q, same key %v; want DPoP with the session key", tok.TokenType, tok.DPoPKey.Equal(key))
	}
	if got := h.op.AccessTokenJKT(string(tok.AccessToken)); got != key.Thumbprint() {
		t.Fatalf("refreshed access token bound to %q; want %q", got, key.Thumbprint())
	}
	// The refresh token is bound to the session key: another key is refused.
	_, _, err = h.rp.Refresh(context.Background(), tok.RefreshToken, res.Claims)
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || !te.Refresh {
		t.Fatalf("refresh with a new key: %v; want the provider's invalid_grant", err)
	}
}

func TestDPoPProofContents(t *testing.T) {
	h := newHarness(t, rptest.Config{}, dpopOn)
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	now := h.clock.Now().Unix()
	hdr, c := decodeProof(t, h.op.LastDPoPProof(rptest.EndpointToken))
	if hdr.ExtraHeaders["typ"] != "dpop+jwt" || hdr.Algorithm != "ES256" || hdr.KeyID != "" {
		t.Fatalf("header typ %v alg %q kid %q; want dpop+jwt, ES256, no kid", hdr.ExtraHeaders["typ"], hdr.Algorithm, hdr.KeyID)
	}
	if !hdr.JSONWebKey.IsPublic() {
		t.Fatal("the jwk header carries the private key")
	}
	raw, _ := json.Marshal(hdr.JSONWebKey)
	if strings.Contains(string(raw), `"d"`) {
		t.Fatalf("jwk header %s has a private part", raw)
	}
	if c["htm"] != "POST" || c["htu"] != h.op.URL+rptest.PathToken || c["iat"] != float64(now) {
		t.Fatalf("token proof claims %v; want htm POST, htu the token endpoint, iat now", c)
	}
	if jti, _ := c["jti"].(string); len(jti) < 32 {
		t.Fatalf("jti %q; want a random one", jti)
	}
	if _, ok := c["ath"]; ok {
		t.Fatal("token request proof has ath")
	}
	if _, ok := c["nonce"]; ok {
		t.Fatal("proof has a nonce the server never gave")
	}
	_, u := decodeProof(t, h.op.LastDPoPProof(rptest.EndpointUserInfo))
	if u["htm"] != "GET" || u["htu"] != h.op.URL+rptest.PathUserInfo || u["ath"] != athOf(string(res.Tokens.AccessToken)) {
		t.Fatalf("userinfo proof claims %v; want htm GET, htu userinfo, ath of the access token", u)
	}
	if u["jti"] == c["jti"] {
		t.Fatal("two proofs share a jti")
	}

	// An application's own call: query and fragment stay out of htu.
	p, err := res.Tokens.DPoPKey.ProofAt(h.clock.Now(), "PUT", "https://api.example.com/v1/items?id=7#top", res.Tokens.AccessToken, "n-1")
	if err != nil {
		t.Fatal(err)
	}
	ahdr, a := decodeProof(t, p)
	if a["htm"] != "PUT" || a["htu"] != "https://api.example.com/v1/items" || a["nonce"] != "n-1" || a["ath"] != athOf(string(res.Tokens.AccessToken)) {
		t.Fatalf("application proof claims %v", a)
	}
	if tp, _ := ahdr.JSONWebKey.Thumbprint(crypto.SHA256); base64.RawURLEncoding.EncodeToString(tp) != res.Tokens.DPoPKey.Thumbprint() {
		t.Fatal("Thumbprint is not the RFC 7638 thumbprint of the proof's jwk")
	}
}

func TestDPoPProofRefusesBadInput(t *testing.T) {
	k, err := NewDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, url, nonce string }{
		{"", "https://api.example.com/", ""},
		{"G ET", "https://api.example.com/", ""},
		{"GET", "/relative", ""},
		{"GET", "ftp://api.example.com/", ""},
		{"GET", "https://api.example.com/", "bad nonce"},
		{"GET", "https://api.example.com/", `q"uote`},
	} {
		if _, err := k.Proof(tc.method, tc.url, "", tc.nonce); !errors.Is(err, ErrDPoPProof) {
			t.Errorf("Proof(%q, %q, nonce %q): %v; want ErrDPoPProof", tc.method, tc.url, tc.nonce, err)
		}
	}
	var nilKey *DPoPKey
	if _, err := nilKey.Proof("GET", "https://api.example.com/", "", ""); !errors.Is(err, ErrDPoPProof) {
		t.Errorf("nil key: %v; want ErrDPoPProof", err)
	}
}

func TestDPoPNonceRetry(t *testing.T) {
	h := newHarness(t, rptest.Config{DPoPRequireNonce: true}, dpopOn)
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if n := h.op.Requests(rptest.EndpointToken); n != 2 {
		t.Fatalf("%d token requests; want 2 (use_dpop_nonce, then the retry)", n)
	}
	if n := h.op.Requests(rptest.EndpointUserInfo); n != 2 {
		t.Fatalf("%d userinfo requests; want 2 (use_dpop_nonce, then the retry)", n)
	}
	if _, c := decodeProof(t, h.op.LastDPoPProof(rptest.EndpointUserInfo)); c["nonce"] == nil {
		t.Fatal("the userinfo retry has no nonce")
	}
	if _, _, err := h.rp.RefreshDPoP(context.Background(), res.Tokens.RefreshToken, res.Tokens.DPoPKey, res.Claims); err != nil {
		t.Fatalf("refresh: %v", err)
	}
}

func TestDPoPNonceRetriedOnlyOnce(t *testing.T) {
	h := newHarness(t, rptest.Config{DPoPRequireNonce: true}, dpopOn)
	h.op.SetFaults(rptest.Faults{DPoP: rptest.DPoPFaults{RotateNonce: true}})
	_, err := h.login()
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "use_dpop_nonce" || te.StatusCode != 400 {
		t.Fatalf("login: %v; want the token endpoint's use_dpop_nonce", err)
	}
	if n := h.op.Requests(rptest.EndpointToken); n != 2 {
		t.Fatalf("%d token requests; want 2", n)
	}
}

func TestDPoPWithPushedAuthorization(t *testing.T) {
	k := ecKey(t, elliptic.P256())
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: "ec-1", Use: "sig"}}}
	// Nonces everywhere and private_key_jwt: each retry needs a fresh
	// client assertion, which rptest refuses to see twice.
	h := newHarness(t, rptest.Config{ClientAuth: "private_key_jwt", ClientJWKS: jwks, DPoPRequireNonce: true}, func(c *Config) {
		dpopOn(c)
		c.ClientSecret, c.ClientKey, c.ClientKeyID, c.PushedAuthorization = "", k, "ec-1", true
	})
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	jkt := h.op.LastAuthorizeParams().Get("dpop_jkt")
	if jkt == "" || jkt != res.Tokens.DPoPKey.Thumbprint() {
		t.Fatalf("dpop_jkt %q; want the session key's thumbprint %q", jkt, res.Tokens.DPoPKey.Thumbprint())
	}
	if n := h.op.Requests(rptest.EndpointPAR); n != 2 || h.op.LastDPoPProof(rptest.EndpointPAR) == "" {
		t.Fatalf("%d pushes; want 2 with DPoP proofs (use_dpop_nonce, then the retry)", n)
	}
}

func TestDPoPJKTWithoutPARNotSent(t *testing.T) {
	h := newHarness(t, rptest.Config{}, dpopOn)
	if _, err := h.login(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if h.op.LastAuthorizeParams().Has("dpop_jkt") {
		t.Fatal("dpop_jkt sent without PAR")
	}
}

func TestDPoPTokenType(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dpop      bool
		tokenType string
		want      error
	}{
		{"downgrade to Bearer", true, "Bearer", ErrDPoPDowngrade},
		{"downgrade to another type", true, "mac", ErrDPoPDowngrade},
		{"DPoP token when off", false, "DPoP", ErrDPoPUnrequested},
		{"dpop token when off", false, "dpop", ErrDPoPUnrequested},
		{"lower case accepted", true, "dpop", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, func(c *Config) { c.DPoP = tc.dpop })
			h.op.SetFaults(rptest.Faults{DPoP: rptest.DPoPFaults{TokenType: tc.tokenType}})
			res, err := h.login()
			if tc.want == nil {
				if err != nil || res.Tokens.TokenType != "DPoP" {
					t.Fatalf("login: %v; want success with token type DPoP", err)
				}
				return
			}
			var te *TokenError
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrTokenExchange) || !errors.As(err, &te) || te.Refresh {
				t.Fatalf("login: %v; want a code exchange *TokenError matching %v", err, tc.want)
			}
		})
	}
}

func TestDPoPRefreshDowngradeRefused(t *testing.T) {
	h := newHarness(t, rptest.Config{}, dpopOn)
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	h.op.SetFaults(rptest.Faults{DPoP: rptest.DPoPFaults{TokenType: "Bearer"}})
	tok, _, err := h.rp.RefreshDPoP(context.Background(), res.Tokens.RefreshToken, res.Tokens.DPoPKey, res.Claims)
	var te *TokenError
	if !errors.Is(err, ErrDPoPDowngrade) || !errors.As(err, &te) || !te.Refresh || tok != nil {
		t.Fatalf("refresh: %v; want a refresh *TokenError matching ErrDPoPDowngrade", err)
	}
}

func TestDPoPOffSendsNoProof(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.UserInfo = UserInfoAlways })
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if res.Tokens.DPoPKey != nil || res.Tokens.TokenType != "Bearer" {
		t.Fatalf("key %v, type %q; want Bearer without a key", res.Tokens.DPoPKey != nil, res.Tokens.TokenType)
	}
	if h.op.LastDPoPProof(rptest.EndpointToken) != "" || h.op.LastDPoPProof(rptest.EndpointUserInfo) != "" {
		t.Fatal("a DPoP proof was sent with DPoP off")
	}
}

func TestDPoPConfigRefused(t *testing.T) {
	op := rptest.NewServer(rptest.Config{DPoPSigningAlgs: []string{"PS256", "EdDSA"}})
	t.Cleanup(op.Close)
	cfg := Config{Authority: op.Issuer(), ClientID: op.ClientID(), ClientSecret: Secret(op.ClientSecret()),
		RedirectURL: "http://127.0.0.1/callback", DPoP: true}
	_, err := New(context.Background(), cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "DPoP" {
		t.Fatalf("New: %v; want a *ConfigError about DPoP", err)
	}
	cfg.DPoP = false
	if _, err := New(context.Background(), cfg); err != nil {
		t.Fatalf("New without DPoP: %v", err)
	}

	cfg = Config{Authority: "https://op.example.com", ClientID: "c", RedirectURL: "https://app.example.com/cb",
		DPoP: true, ResponseType: "id_token"}
	err = cfg.Validate()
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "DPoP" {
		t.Fatalf("Validate: %v; want a *ConfigError about DPoP", err)
	}
}

func TestDPoPProviderWithoutAlgsAccepted(t *testing.T) {
	md := &ProviderMetadata{}
	if ps := dpopProviderProblems(&Config{DPoP: true}, md); len(ps) != 0 {
		t.Fatalf("problems %v; want none when the provider does not advertise algorithms", ps)
	}
	md.DPoPSigningAlgValuesSupported = []string{"RS256", "ES256"}
	if ps := dpopProviderProblems(&Config{DPoP: true}, md); len(ps) != 0 {
		t.Fatalf("problems %v; want none when ES256 is advertised", ps)
	}
}
