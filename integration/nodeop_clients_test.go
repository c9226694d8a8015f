//go:build integration

package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The provider side of the features whose sign-ins the RP does not drive
// yet: these tests speak the protocol by hand, without the RP, to show that
// the clients registered for JARM, encryption, signed userinfo and DPoP get
// what their metadata asks for.

// rawCode sends the browser to the authorization endpoint with the
// client's id and extra parameters, signs in as alice and returns the
// callback's query and the PKCE verifier.
func (op *nodeOP) rawCode(t *testing.T, client string, extra url.Values) (url.Values, string) {
	t.Helper()
	var mu sync.Mutex
	var got url.Values
	op.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			mu.Lock()
			got = r.URL.Query()
			mu.Unlock()
		}
		io.WriteString(w, "ok")
	}))
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {client}, "response_type": {"code"}, "redirect_uri": {op.callbackURL},
		"scope": {"openid email"}, "state": {"st-" + rand.Text()}, "nonce": {"n-" + rand.Text()},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	b := newBrowser(t)
	login := b.get(op.issuer + nodeAuthPath + "?" + q.Encode())
	landed := b.signIn(login, alice)
	mu.Lock()
	defer mu.Unlock()
	if landed.URL.Path != "/callback" || got == nil {
		t.Fatalf("the sign-in did not reach the callback:\n%s", landed)
	}
	return got, verifier
}

// rawToken exchanges code with client_secret_basic and, with a DPoP key,
// a DPoP proof (and nonce); it returns the status, the DPoP-Nonce header
// and the decoded body.
func (op *nodeOP) rawToken(t *testing.T, client, code, verifier string, dpop *ecdsa.PrivateKey, nonce string) (int, string, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {op.callbackURL}, "code_verifier": {verifier}}
	req, err := http.NewRequest(http.MethodPost, op.issuer+nodeTokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(client), url.QueryEscape(op.clients[client].Secret))
	if dpop != nil {
		req.Header.Set("DPoP", dpopProof(t, dpop, http.MethodPost, op.issuer+nodeTokenPath, nonce))
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header.Get("DPoP-Nonce"), body
}

// dpopProof is a DPoP proof (RFC 9449) for method and target.
func dpopProof(t *testing.T, key *ecdsa.PrivateKey, method, target, nonce string) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"jti": rand.Text(), "htm": method, "htu": target, "iat": time.Now().Unix()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	proof, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return proof
}

// rawUserinfo calls userinfo with a bearer token and returns the status,
// the content type and the body.
func (op *nodeOP) rawUserinfo(t *testing.T, accessToken string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, op.issuer+nodeUserinfoPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// TestNodeProviderJARM: with response_mode query.jwt the "jarm" client's
// callback gets one response parameter, a JWT signed with RS256 by the
// provider, carrying the code, the state, iss and aud.
func TestNodeProviderJARM(t *testing.T) {
	op := setupNode(t)
	cb, _ := op.rawCode(t, "jarm", url.Values{"response_mode": {"query.jwt"}, "state": {"jarm-state"}})
	if len(cb) != 1 || cb.Get("response") == "" {
		t.Fatalf("callback query %v, want only response", cb)
	}
	hdr, claims := jwtParts(t, cb.Get("response"))
	if hdr["alg"] != "RS256" || claims["iss"] != op.issuer || claims["aud"] != "jarm" || claims["state"] != "jarm-state" ||
		claims["code"] == nil || claims["exp"] == nil {
		t.Errorf("JARM response header %v claims %v", hdr, claims)
	}
}

// TestNodeProviderEncryption: the "encrypted" and "encrypted-ec" clients'
// ID tokens are JWEs for their registered keys, holding a signed JWT; the
// "encrypted" client's userinfo is a JWE too, and "signed-userinfo"'s a
// JWT signed with ES256.
func TestNodeProviderEncryption(t *testing.T) {
	op := setupNode(t)
	for _, tc := range []struct {
		client, alg, enc string
		key              any
	}{
		{"encrypted", "RSA-OAEP-256", "A256GCM", op.encRSA},
		{"encrypted-ec", "ECDH-ES+A256KW", "A128CBC-HS256", op.encEC},
	} {
		t.Run(tc.client, func(t *testing.T) {
			cb, verifier := op.rawCode(t, tc.client, nil)
			status, _, body := op.rawToken(t, tc.client, cb.Get("code"), verifier, nil, "")
			idToken, _ := body["id_token"].(string)
			if status != http.StatusOK || strings.Count(idToken, ".") != 4 {
				t.Fatalf("token response %d: want an encrypted (5-part) ID token, got %d parts", status, strings.Count(idToken, ".")+1)
			}
			jwe, err := jose.ParseEncryptedCompact(idToken, []jose.KeyAlgorithm{jose.KeyAlgorithm(tc.alg)},
				[]jose.ContentEncryption{jose.ContentEncryption(tc.enc)})
			if err != nil {
				t.Fatalf("ID token JWE (%s, %s): %v", tc.alg, tc.enc, err)
			}
			inner, err := jwe.Decrypt(tc.key)
			if err != nil {
				t.Fatalf("decrypting the ID token: %v", err)
			}
			if _, claims := jwtParts(t, string(inner)); claims["sub"] != alice.ID || claims["aud"] != tc.client {
				t.Errorf("decrypted ID token claims %v", claims)
			}
			if tc.client != "encrypted" {
				return
			}
			at, _ := body["access_token"].(string)
			status, ctype, ui := op.rawUserinfo(t, at)
			if status != http.StatusOK || !strings.HasPrefix(ctype, "application/jwt") || strings.Count(ui, ".") != 4 {
				t.Errorf("userinfo %d %q with %d parts, want an encrypted application/jwt", status, ctype, strings.Count(ui, ".")+1)
			}
		})
	}
	t.Run("signed-userinfo", func(t *testing.T) {
		cb, verifier := op.rawCode(t, "signed-userinfo", nil)
		_, _, body := op.rawToken(t, "signed-userinfo", cb.Get("code"), verifier, nil, "")
		at, _ := body["access_token"].(string)
		status, ctype, ui := op.rawUserinfo(t, at)
		if status != http.StatusOK || !strings.HasPrefix(ctype, "application/jwt") {
			t.Fatalf("userinfo %d %q, want a signed application/jwt", status, ctype)
		}
		hdr, claims := jwtParts(t, ui)
		if hdr["alg"] != "ES256" || claims["sub"] != alice.ID || claims["aud"] != "signed-userinfo" || claims["iss"] != op.issuer {
			t.Errorf("signed userinfo header %v claims %v", hdr, claims)
		}
	})
}

// TestNodeProviderDPoP: the "dpop" client's code exchange needs a DPoP
// proof and then issues a DPoP-bound token; "dpop-nonce" first answers
// use_dpop_nonce with a nonce, and takes a proof that carries it.
func TestNodeProviderDPoP(t *testing.T) {
	op := setupNode(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("dpop", func(t *testing.T) {
		cb, verifier := op.rawCode(t, "dpop", nil)
		if status, _, body := op.rawToken(t, "dpop", cb.Get("code"), verifier, nil, ""); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			// The provider's reason, "DPoP proof JWT not provided", stays in its log.
			t.Errorf("code exchange without a DPoP proof answered %d %v, want 400 invalid_grant", status, body)
		}
		cb, verifier = op.rawCode(t, "dpop", nil)
		status, _, body := op.rawToken(t, "dpop", cb.Get("code"), verifier, key, "")
		if status != http.StatusOK || body["token_type"] != "DPoP" {
			t.Errorf("code exchange with a DPoP proof answered %d token_type %v, want 200 DPoP", status, body["token_type"])
		}
	})
	t.Run("dpop-nonce", func(t *testing.T) {
		cb, verifier := op.rawCode(t, "dpop-nonce", nil)
		status, nonce, body := op.rawToken(t, "dpop-nonce", cb.Get("code"), verifier, key, "")
		if status != http.StatusBadRequest || body["error"] != "use_dpop_nonce" || nonce == "" {
			t.Fatalf("code exchange without a nonce answered %d %v, DPoP-Nonce set %v; want 400 use_dpop_nonce with one", status, body["error"], nonce != "")
		}
		status, _, body = op.rawToken(t, "dpop-nonce", cb.Get("code"), verifier, key, nonce)
		if status != http.StatusOK || body["token_type"] != "DPoP" {
			t.Errorf("code exchange with the nonce answered %d %v, want 200 DPoP", status, body)
		}
	})
}
