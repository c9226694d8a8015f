package rptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// dpopSigner makes DPoP proofs for tests, with what edit changes.
type dpopSigner struct {
	key *ecdsa.PrivateKey
	now func() time.Time
}

func newDPoPSigner(t *testing.T, now func() time.Time) *dpopSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &dpopSigner{key: k, now: now}
}

func (d *dpopSigner) jkt(t *testing.T) string {
	t.Helper()
	sum, err := (&jose.JSONWebKey{Key: &d.key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}

type proofEdit struct {
	typ      string            // default dpop+jwt
	noJWK    bool              // leave the jwk header out
	signWith *ecdsa.PrivateKey // sign with another key than the jwk's
	claims   map[string]any    // set (nil value: delete) over the defaults
}

func (d *dpopSigner) proof(t *testing.T, method, u, accessToken string, e proofEdit) string {
	t.Helper()
	claims := map[string]any{"jti": randomString(16), "htm": method, "htu": u, "iat": d.now().Unix()}
	if accessToken != "" {
		claims["ath"] = s256(accessToken) // base64url(SHA-256), as PKCE
	}
	for k, v := range e.claims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	typ := e.typ
	if typ == "" {
		typ = "dpop+jwt"
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if !e.noJWK {
		opts = opts.WithHeader("jwk", jose.JSONWebKey{Key: &d.key.PublicKey})
	}
	key := d.key
	if e.signWith != nil {
		key = e.signWith
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
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

// dpopTokenCall posts form to the token endpoint with the given DPoP
// headers and the default credentials.
func dpopTokenCall(t *testing.T, s *Server, form url.Values, proofs ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID(), s.ClientSecret())
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return do(t, s, req)
}

func userInfoCall(t *testing.T, s *Server, scheme, token string, proofs ...string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+PathUserInfo, nil)
	req.Header.Set("Authorization", scheme+" "+token)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	status, _, hdr := do(t, s, req)
	return status, hdr
}

func TestDPoPDiscoveryAdvertisesAlgs(t *testing.T) {
	s, _ := newTest(t, nil)
	_, doc, _ := do(t, s, mustRequest(t, s.URL+PathDiscovery))
	got, _ := json.Marshal(doc["dpop_signing_alg_values_supported"])
	want, _ := json.Marshal(DefaultDPoPSigningAlgs)
	if string(got) != string(want) {
		t.Fatalf("dpop_signing_alg_values_supported %s; want %s", got, want)
	}
}

func TestDPoPTokenBoundAndUsed(t *testing.T) {
	s, clock := newTest(t, nil)
	d := newDPoPSigner(t, clock.Now)
	status, body, _ := dpopTokenCall(t, s, codeForm(getCode(t, s, nil)), d.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("token: %d %v; want 200 with token_type DPoP", status, body)
	}
	at, _ := body["access_token"].(string)
	if got := s.AccessTokenJKT(at); got != d.jkt(t) {
		t.Fatalf("bound to %q; want %q", got, d.jkt(t))
	}
	if st, _ := userInfoCall(t, s, "DPoP", at, d.proof(t, "GET", s.URL+PathUserInfo, at, proofEdit{})); st != http.StatusOK {
		t.Fatalf("userinfo with a good proof: %d; want 200", st)
	}
	other := newDPoPSigner(t, clock.Now)
	for _, tc := range []struct {
		name, scheme string
		proofs       []string
		wantErr      string
	}{
		{"bound token as Bearer", "Bearer", nil, "invalid_token"},
		{"no proof", "DPoP", nil, "invalid_dpop_proof"},
		{"wrong ath", "DPoP", []string{d.proof(t, "GET", s.URL+PathUserInfo, "other-token", proofEdit{})}, "invalid_dpop_proof"},
		{"no ath", "DPoP", []string{d.proof(t, "GET", s.URL+PathUserInfo, "", proofEdit{})}, "invalid_dpop_proof"},
		{"another key", "DPoP", []string{other.proof(t, "GET", s.URL+PathUserInfo, at, proofEdit{})}, "invalid_token"},
	} {
		st, hdr := userInfoCall(t, s, tc.scheme, at, tc.proofs...)
		if st != http.StatusUnauthorized || dpopChallenge(hdr) != tc.wantErr {
			t.Errorf("%s: %d %q; want 401 with a DPoP challenge error=%q", tc.name, st, hdr.Get("WWW-Authenticate"), tc.wantErr)
		}
	}
	// The refresh token is bound too.
	rt, _ := body["refresh_token"].(string)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	status, body, _ = dpopTokenCall(t, s, form, other.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
	status, body, _ = dpopTokenCall(t, s, form, d.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("refresh with the bound key: %d %v", status, body)
	}
}

// dpopChallenge is the error of the DPoP challenge in hdr, or "".
func dpopChallenge(hdr http.Header) string {
	v := hdr.Get("WWW-Authenticate")
	if !strings.HasPrefix(v, "DPoP ") {
		return ""
	}
	_, rest, _ := strings.Cut(v, `error="`)
	code, _, _ := strings.Cut(rest, `"`)
	return code
}

func TestDPoPBadProofsRefused(t *testing.T) {
	s, clock := newTest(t, nil)
	d := newDPoPSigner(t, clock.Now)
	tokenURL := s.URL + PathToken
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	replayed := d.proof(t, "POST", tokenURL, "", proofEdit{})
	if status, body, _ := dpopTokenCall(t, s, codeForm(getCode(t, s, nil)), replayed); status != http.StatusOK {
		t.Fatalf("first use: %d %v", status, body)
	}
	for _, tc := range []struct {
		name   string
		proofs []string
	}{
		{"wrong typ", []string{d.proof(t, "POST", tokenURL, "", proofEdit{typ: "JWT"})}},
		{"no jwk", []string{d.proof(t, "POST", tokenURL, "", proofEdit{noJWK: true})}},
		{"signed by another key", []string{d.proof(t, "POST", tokenURL, "", proofEdit{signWith: stranger})}},
		{"wrong htm", []string{d.proof(t, "GET", tokenURL, "", proofEdit{})}},
		{"wrong htu", []string{d.proof(t, "POST", s.URL+PathUserInfo, "", proofEdit{})}},
		{"no jti", []string{d.proof(t, "POST", tokenURL, "", proofEdit{claims: map[string]any{"jti": nil}})}},
		{"no iat", []string{d.proof(t, "POST", tokenURL, "", proofEdit{claims: map[string]any{"iat": nil}})}},
		{"stale iat", []string{d.proof(t, "POST", tokenURL, "", proofEdit{claims: map[string]any{"iat": clock.Now().Add(-2 * DPoPProofWindow).Unix()}})}},
		{"future iat", []string{d.proof(t, "POST", tokenURL, "", proofEdit{claims: map[string]any{"iat": clock.Now().Add(2 * DPoPProofWindow).Unix()}})}},
		{"ath without a token", []string{d.proof(t, "POST", tokenURL, "at", proofEdit{})}},
		{"two proofs", []string{d.proof(t, "POST", tokenURL, "", proofEdit{}), d.proof(t, "POST", tokenURL, "", proofEdit{})}},
		{"replayed jti", []string{replayed}},
		{"not a JWS", []string{"x.y"}},
	} {
		status, body, _ := dpopTokenCall(t, s, codeForm(getCode(t, s, nil)), tc.proofs...)
		if status != http.StatusBadRequest || body["error"] != "invalid_dpop_proof" {
			t.Errorf("%s: %d %v; want 400 invalid_dpop_proof", tc.name, status, body)
		}
	}
	// htu's query and fragment are not compared.
	p := d.proof(t, "POST", tokenURL+"?x=1#f", "", proofEdit{})
	if status, body, _ := dpopTokenCall(t, s, codeForm(getCode(t, s, nil)), p); status != http.StatusOK {
		t.Fatalf("htu with query: %d %v; want 200", status, body)
	}
}

func TestDPoPAlgsConfigured(t *testing.T) {
	s, clock := newTest(t, func(c *Config) { c.DPoPSigningAlgs = []string{"PS256"} })
	d := newDPoPSigner(t, clock.Now)
	status, body, _ := dpopTokenCall(t, s, codeForm(getCode(t, s, nil)), d.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_dpop_proof")
}

func TestDPoPJKTBindsCode(t *testing.T) {
	s, clock := newTest(t, nil)
	d, other := newDPoPSigner(t, clock.Now), newDPoPSigner(t, clock.Now)
	withJKT := func(v url.Values) { v.Set("dpop_jkt", d.jkt(t)) }
	status, body, _ := dpopTokenCall(t, s, codeForm(getCode(t, s, withJKT)), other.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
	status, body, _ = dpopTokenCall(t, s, codeForm(getCode(t, s, withJKT)))
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
	status, body, _ = dpopTokenCall(t, s, codeForm(getCode(t, s, withJKT)), d.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("the bound key: %d %v", status, body)
	}
}

func TestDPoPPARBinding(t *testing.T) {
	s, clock := newTest(t, nil)
	d, other := newDPoPSigner(t, clock.Now), newDPoPSigner(t, clock.Now)
	push := func(jkt string, proofs ...string) (int, map[string]any) {
		form := authParams(s, nil)
		if jkt != "" {
			form.Set("dpop_jkt", jkt)
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL+PathPAR, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(s.ClientID(), s.ClientSecret())
		for _, p := range proofs {
			req.Header.Add("DPoP", p)
		}
		status, body, _ := do(t, s, req)
		return status, body
	}
	status, body := push(other.jkt(t), d.proof(t, "POST", s.URL+PathPAR, "", proofEdit{}))
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")
	// A proof without dpop_jkt binds the code to its key.
	status, body = push("", d.proof(t, "POST", s.URL+PathPAR, "", proofEdit{}))
	if status != http.StatusCreated {
		t.Fatalf("push: %d %v", status, body)
	}
	uri, _ := body["request_uri"].(string)
	_, q := authorize(t, s, url.Values{"client_id": {s.ClientID()}, "request_uri": {uri}})
	status, body, _ = dpopTokenCall(t, s, codeForm(q.Get("code")), other.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
}

func TestDPoPRequireNonce(t *testing.T) {
	s, clock := newTest(t, func(c *Config) { c.DPoPRequireNonce = true })
	d := newDPoPSigner(t, clock.Now)
	code := getCode(t, s, nil)
	status, body, hdr := dpopTokenCall(t, s, codeForm(code), d.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	wantOAuthError(t, status, body, http.StatusBadRequest, "use_dpop_nonce")
	nonce := hdr.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("no DPoP-Nonce header")
	}
	status, body, _ = dpopTokenCall(t, s, codeForm(code), d.proof(t, "POST", s.URL+PathToken, "", proofEdit{claims: map[string]any{"nonce": "stale"}}))
	wantOAuthError(t, status, body, http.StatusBadRequest, "use_dpop_nonce")
	status, body, _ = dpopTokenCall(t, s, codeForm(code), d.proof(t, "POST", s.URL+PathToken, "", proofEdit{claims: map[string]any{"nonce": nonce}}))
	if status != http.StatusOK {
		t.Fatalf("with the nonce: %d %v", status, body)
	}
	at, _ := body["access_token"].(string)
	st, uh := userInfoCall(t, s, "DPoP", at, d.proof(t, "GET", s.URL+PathUserInfo, at, proofEdit{claims: map[string]any{"nonce": nonce}}))
	if st != http.StatusUnauthorized || dpopChallenge(uh) != "use_dpop_nonce" || uh.Get("DPoP-Nonce") == "" || uh.Get("DPoP-Nonce") == nonce {
		t.Fatalf("userinfo with the token endpoint's nonce: %d %v; want 401 use_dpop_nonce with its own nonce", st, uh)
	}
	un := uh.Get("DPoP-Nonce")
	if st, _ := userInfoCall(t, s, "DPoP", at, d.proof(t, "GET", s.URL+PathUserInfo, at, proofEdit{claims: map[string]any{"nonce": un}})); st != http.StatusOK {
		t.Fatalf("userinfo with its nonce: %d", st)
	}
}

func TestDPoPTokenTypeFault(t *testing.T) {
	s, clock := newTest(t, nil)
	d := newDPoPSigner(t, clock.Now)
	s.SetFaults(Faults{DPoP: DPoPFaults{TokenType: "Bearer"}})
	status, body, _ := dpopTokenCall(t, s, codeForm(getCode(t, s, nil)), d.proof(t, "POST", s.URL+PathToken, "", proofEdit{}))
	if status != http.StatusOK || body["token_type"] != "Bearer" {
		t.Fatalf("downgrade fault: %d %v", status, body)
	}
}
