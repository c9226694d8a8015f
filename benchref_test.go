package rp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// refRP is the hand-written standard-library relying party the callback
// benchmark measures the library against: the floor of a code-flow
// callback with the library's round trip and checks, written for speed and
// nothing else (no key refetch, no Entra templates, no log line, no replay
// memory). It is a benchmark baseline only.
type refRP struct {
	issuer, tokenURL      string
	clientID, secret      string
	client                *http.Client
	keys                  map[string]*rsa.PublicKey // RS256 keys of the JWKS, by kid
	skew                  time.Duration
	sealer                *txSealer
	authorizationEndpoint string
}

// refTokenResponse is the token endpoint's answer (RFC 6749 section 5.1).
type refTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	IDToken     string `json:"id_token"`
}

// refAudience is aud: one string or an array of strings.
type refAudience []string

func (a *refAudience) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*a = refAudience{s}
		return nil
	}
	return json.Unmarshal(data, (*[]string)(a))
}

// refIDClaims are the ID token claims the reference checks and returns.
type refIDClaims struct {
	benchClaims
	Issuer   string      `json:"iss"`
	Audience refAudience `json:"aud"`
	Expiry   *int64      `json:"exp"`
	IssuedAt *int64      `json:"iat"`
	NotBef   *int64      `json:"nbf"`
	Nonce    string      `json:"nonce"`
	AtHash   string      `json:"at_hash"`
}

// newRefRP loads the provider's metadata and keys the plain way. This is
// set-up, outside the timed loop; go-jose only turns the JWKS into RSA
// public keys here.
func newRefRP(b testing.TB, cb *callbackBench) *refRP {
	b.Helper()
	ref := &refRP{issuer: cb.op.Issuer(), clientID: cb.op.ClientID(), secret: cb.op.ClientSecret(),
		client: cb.freshClient(), keys: map[string]*rsa.PublicKey{}, skew: DefaultClockSkew, sealer: newTxSealer(b)}
	var md struct {
		Issuer   string `json:"issuer"`
		AuthURL  string `json:"authorization_endpoint"`
		TokenURL string `json:"token_endpoint"`
		JWKSURI  string `json:"jwks_uri"`
	}
	ref.getJSON(b, ref.issuer+"/.well-known/openid-configuration", &md)
	if md.Issuer != ref.issuer {
		b.Fatalf("issuer %q", md.Issuer)
	}
	ref.tokenURL, ref.authorizationEndpoint = cb.front.URL(), md.AuthURL
	var set jose.JSONWebKeySet
	ref.getJSON(b, md.JWKSURI, &set)
	for _, k := range set.Keys {
		if pub, ok := k.Key.(*rsa.PublicKey); ok && k.Use != "enc" {
			ref.keys[k.KeyID] = pub
		}
	}
	if len(ref.keys) == 0 {
		b.Fatal("no RSA key in the JWKS")
	}
	return ref
}

func (ref *refRP) getJSON(b testing.TB, u string, v any) {
	b.Helper()
	resp, err := ref.client.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}

// loginURL is the authorization request of tx.
func (ref *refRP) loginURL(tx benchTx) string {
	sum := sha256.Sum256([]byte(tx.Verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {ref.clientID},
		"redirect_uri":          {benchRedirect},
		"scope":                 {"openid profile email"},
		"state":                 {tx.State},
		"nonce":                 {tx.Nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	return ref.authorizationEndpoint + "?" + q.Encode()
}

// callback completes a login.
func (ref *refRP) callback(w http.ResponseWriter, req *http.Request) (*refIDClaims, error) {
	q := req.URL.Query()
	now := time.Now()
	tx, err := ref.sealer.open(w, req, q.Get("state"), now)
	if err != nil {
		return nil, err
	}
	if q.Get("iss") != ref.issuer {
		return nil, errors.New("iss parameter mismatch")
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		return nil, errors.New("authorization error")
	}
	tok, err := ref.redeem(req.Context(), q.Get("code"), tx.Verifier)
	if err != nil {
		return nil, err
	}
	return ref.verify(tok, tx, now)
}

// redeem posts the code to the token endpoint, bounded by a deadline and a
// body limit.
func (ref *refRP) redeem(ctx context.Context, code, verifier string) (*refTokenResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, benchTimeout)
	defer cancel()
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {benchRedirect},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ref.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(url.QueryEscape(ref.clientID), url.QueryEscape(ref.secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := ref.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token endpoint answered %d", resp.StatusCode)
	}
	var tok refTokenResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, MaxResponseSize)).Decode(&tok); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "Bearer") || tok.IDToken == "" {
		return nil, errors.New("incomplete token response")
	}
	return &tok, nil
}

// verify checks the ID token of tok for the login tx at now: the RS256
// signature with the JWKS key its kid names, then iss, aud, azp, exp, iat
// (not before the login began), nbf, sub, nonce and at_hash.
func (ref *refRP) verify(tok *refTokenResponse, tx *benchTx, now time.Time) (*refIDClaims, error) {
	raw := tok.IDToken
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, errors.New("not a JWS")
	}
	header, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil, err
	}
	var hdr struct {
		Alg  string   `json:"alg"`
		Kid  string   `json:"kid"`
		Crit []string `json:"crit"`
	}
	if err := json.Unmarshal(header, &hdr); err != nil {
		return nil, err
	}
	if hdr.Alg != "RS256" || hdr.Crit != nil {
		return nil, errors.New("unacceptable header")
	}
	key := ref.keys[hdr.Kid]
	if key == nil {
		return nil, errors.New("unknown key")
	}
	sig, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(raw[:len(h)+1+len(p)]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, err
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, err
	}
	var c refIDClaims
	if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
		return nil, err
	}
	unix := now.Unix()
	skew := int64(ref.skew / time.Second)
	switch {
	case c.Issuer != ref.issuer:
		return nil, errors.New("iss")
	case !slices.Contains(c.Audience, ref.clientID):
		return nil, errors.New("aud")
	case c.Azp != "" && c.Azp != ref.clientID, len(c.Audience) > 1 && c.Azp == "":
		return nil, errors.New("azp")
	case c.Expiry == nil || unix >= *c.Expiry+skew:
		return nil, errors.New("exp")
	case c.IssuedAt == nil || *c.IssuedAt > unix+skew || *c.IssuedAt < tx.Created-skew:
		return nil, errors.New("iat")
	case c.NotBef != nil && *c.NotBef > unix+skew:
		return nil, errors.New("nbf")
	case c.Subject == "":
		return nil, errors.New("sub")
	case subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(tx.Nonce)) != 1:
		return nil, errors.New("nonce")
	}
	if c.AtHash != "" {
		sum := sha256.Sum256([]byte(tok.AccessToken))
		if c.AtHash != base64.RawURLEncoding.EncodeToString(sum[:16]) {
			return nil, errors.New("at_hash")
		}
	}
	return &c, nil
}

func benchCallbackReference(b *testing.B) {
	cb := newCallbackBench(b)
	ref := newRefRP(b, cb)
	prepare := func() *http.Request {
		tx := newBenchTx()
		return callbackRequest(cb.authorize(b, ref.loginURL(tx), tx.Verifier), ref.sealer.cookie(tx))
	}
	runCallbacks(b, prepare, func(w http.ResponseWriter, req *http.Request) error {
		c, err := ref.callback(w, req)
		if err != nil {
			return err
		}
		if c.Subject != "110169484474386276334" || c.Email == "" {
			return errors.New("wrong claims")
		}
		return nil
	})
}

// TestReferenceRPRefuses keeps the baseline honest: the hand-written
// reference refuses what the library refuses among the checks it makes.
func TestReferenceRPRefuses(t *testing.T) {
	cb := newCallbackBench(t)
	ref := newRefRP(t, cb)
	tx := newBenchTx()
	now := time.Now()
	good := func() map[string]any {
		return map[string]any{"iss": cb.op.Issuer(), "sub": "alice", "aud": cb.op.ClientID(), "nonce": tx.Nonce,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	sign := func(edit func(map[string]any)) string {
		c := good()
		if edit != nil {
			edit(c)
		}
		raw, err := cb.op.SignIDToken(c)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	if _, err := ref.verify(&refTokenResponse{AccessToken: "a", IDToken: sign(nil)}, &tx, now); err != nil {
		t.Fatalf("a good token was refused: %v", err)
	}
	bad := map[string]string{
		"iss":       sign(func(c map[string]any) { c["iss"] = "https://evil.example" }),
		"aud":       sign(func(c map[string]any) { c["aud"] = "other" }),
		"azp":       sign(func(c map[string]any) { c["aud"] = []string{cb.op.ClientID(), "other"} }),
		"exp":       sign(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }),
		"iat":       sign(func(c map[string]any) { c["iat"] = now.Add(-time.Hour).Unix() }),
		"nbf":       sign(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() }),
		"sub":       sign(func(c map[string]any) { delete(c, "sub") }),
		"nonce":     sign(func(c map[string]any) { c["nonce"] = "other" }),
		"at_hash":   sign(func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }),
		"signature": sign(nil)[:len(sign(nil))-4] + "AAAA",
		"not a JWS": "a.b",
	}
	for name, raw := range bad {
		if _, err := ref.verify(&refTokenResponse{AccessToken: "a", IDToken: raw}, &tx, now); err == nil {
			t.Errorf("%s: the reference accepted a bad token", name)
		}
	}
}
