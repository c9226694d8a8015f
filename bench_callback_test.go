package rp

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/oidcrp/rp/rptest"
)

// The callback benchmark completes one code-flow login per iteration
// against rptest on 127.0.0.1, in three ways, in one run:
//
//   - lib: RP.Callback;
//   - gooidc: the usual go-oidc + x/oauth2 glue;
//   - reference: a hand-written standard-library RP (benchref_test.go).
//
// Each iteration does the same work in all three: open the login's
// AES-GCM-sealed cookie and delete it, check state (constant time), the
// login's expiry and the RFC 9207 iss parameter, redeem the code with the
// PKCE verifier and client_secret_basic over a kept-alive loopback
// connection (the token endpoint round trip), verify the RS256 ID token
// with the cached JWKS key (signature, iss, aud, azp, exp, iat, sub),
// check nonce and at_hash, and decode the user's claims. Userinfo is off
// for all three. The logins (authorization request and the provider's
// redirect carrying the code) are made before the timed loop. The
// provider runs in the same process, so its work and allocations for the
// token request are in every variant's numbers alike.

// benchRedirect is the redirect URL of every variant. The callback
// requests are served in-process, so nothing listens there.
const benchRedirect = "http://127.0.0.1:1/callback"

// benchTimeout bounds each request to the token endpoint in the glue and
// the reference, as the library's HTTPTimeout does.
const benchTimeout = 10 * time.Second

// googleLikeUser has the claims of a Google Workspace account, giving an
// ID token of about 1 KB like Google's and Okta's.
func googleLikeUser(clientID string) rptest.User {
	return rptest.User{Subject: "110169484474386276334", Claims: map[string]any{
		"azp":            clientID,
		"email":          "alice.example@example-corp.com",
		"email_verified": true,
		"hd":             "example-corp.com",
		"name":           "Alice Example",
		"given_name":     "Alice",
		"family_name":    "Example",
		"locale":         "en",
		"picture":        "https://lh3.googleusercontent.com/a/ACg8ocKxVbJ4nLq3GfHc2yW0dTzR8pE5sM1uO7iA9kQwXyZ=s96-c",
	}}
}

// callbackBench is the provider and the helpers the three variants share.
type callbackBench struct {
	op     *rptest.Server
	nofoll *http.Client // does not follow the provider's redirect
	front  *tokenFront  // the token endpoint the RPs use
}

func newCallbackBench(b testing.TB) *callbackBench {
	b.Helper()
	op := rptest.NewServer(rptest.Config{RedirectURIs: []string{benchRedirect}})
	b.Cleanup(op.Close)
	op.AddUser(googleLikeUser(op.ClientID()))
	op.SetDefaultUser("110169484474386276334")
	c := *op.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cb := &callbackBench{op: op, nofoll: &c}
	cb.front = newTokenFront(b, cb)
	return cb
}

// freshClient returns a client of its own for one variant: its own
// connection pool, keep-alives on, no timeout (each variant bounds its
// requests its own way).
func (cb *callbackBench) freshClient() *http.Client {
	return &http.Client{Transport: cb.op.Client().Transport.(*http.Transport).Clone()}
}

// authorize sends the browser to authURL and returns the provider's
// authorization response, as the browser would bring it to the callback.
// The code is redeemed with verifier at once, through the front.
func (cb *callbackBench) authorize(b testing.TB, authURL, verifier string) url.Values {
	b.Helper()
	resp, err := cb.nofoll.Get(authURL)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		b.Fatalf("provider answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cb.front.mint(b, loc.Query().Get("code"), verifier)
	return loc.Query()
}

// callbackRequest is the browser's request to the callback.
func callbackRequest(resp url.Values, cookie *http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodGet, benchRedirect+"?"+resp.Encode(), nil)
	req.AddCookie(cookie)
	return req
}

// runCallbacks prepares b.N+1 logins, completes one untimed (filling the
// key caches and opening the connection), then times the other b.N.
func runCallbacks(b *testing.B, prepare func() *http.Request, complete func(http.ResponseWriter, *http.Request) error) {
	b.Helper()
	reqs := make([]*http.Request, b.N+1)
	for i := range reqs {
		reqs[i] = prepare()
	}
	if err := complete(httptest.NewRecorder(), reqs[b.N]); err != nil {
		b.Fatal(err)
	}
	runtime.GC() // of the set-up's garbage, so that it is not charged to the loop
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := complete(httptest.NewRecorder(), reqs[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallback compares a full code-flow callback of the library with
// go-oidc + x/oauth2 glue and a hand-written standard-library RP doing the
// same round trip and checks (see the comment at the top of this file).
func BenchmarkCallback(b *testing.B) {
	b.Run("impl=lib", benchCallbackLib)
	b.Run("impl=gooidc", benchCallbackGoOIDC)
	b.Run("impl=reference", benchCallbackReference)
}

func benchCallbackLib(b *testing.B) {
	cb := newCallbackBench(b)
	op := cb.op.URL
	r, err := New(context.Background(), Config{
		Authority: cb.op.Issuer(),
		// The provider's own endpoints, but for the token endpoint.
		Endpoints:    &Endpoints{Authorization: op + "/authorize", Token: cb.front.URL(), JWKS: op + "/jwks"},
		ClientID:     cb.op.ClientID(),
		ClientSecret: Secret(cb.op.ClientSecret()),
		RedirectURL:  benchRedirect,
		HTTPClient:   cb.freshClient(),
		UserInfo:     UserInfoNever,
		// An application's own logger; the default formats lines for
		// io.Discard, which no application would measure.
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	prepare := func() *http.Request {
		w := httptest.NewRecorder()
		authURL, err := r.AuthURL(w, httptest.NewRequest(http.MethodGet, "/login", nil), LoginOptions{})
		if err != nil {
			b.Fatal(err)
		}
		c := w.Result().Cookies()[0]
		plain, err := r.openTx(c.Name, c.Value)
		var tx transaction
		if err != nil || json.Unmarshal(plain, &tx) != nil {
			b.Fatal("cannot read the login transaction")
		}
		return callbackRequest(cb.authorize(b, authURL, tx.Verifier), c)
	}
	runCallbacks(b, prepare, func(w http.ResponseWriter, req *http.Request) error {
		res, err := r.Callback(w, req)
		if err != nil {
			return err
		}
		if res.Claims.Subject != "110169484474386276334" || res.Claims.Email == "" {
			return errors.New("wrong claims")
		}
		return nil
	})
}

// benchTx is the login transaction the glue and the reference keep in
// their sealed cookie.
type benchTx struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Created  int64  `json:"c"`
	Expiry   int64  `json:"e"`
}

// benchTxCookie is the name of the glue's and the reference's login
// cookie.
const benchTxCookie = "login_tx"

// txSealer seals the glue's and the reference's login cookie with
// AES-256-GCM, bound to the cookie name, the way an application would.
type txSealer struct{ aead cipher.AEAD }

func newTxSealer(b testing.TB) *txSealer {
	b.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	return &txSealer{aead: aead}
}

func (s *txSealer) cookie(tx benchTx) *http.Cookie {
	plain, _ := json.Marshal(tx)
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := s.aead.Seal(nonce, nonce, plain, []byte(benchTxCookie))
	return &http.Cookie{Name: benchTxCookie, Value: base64.RawURLEncoding.EncodeToString(sealed),
		Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// open finds, deletes and opens the login cookie of req and checks the
// response's state against it and the login's expiry.
func (s *txSealer) open(w http.ResponseWriter, req *http.Request, state string, now time.Time) (*benchTx, error) {
	c, err := req.Cookie(benchTxCookie)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: benchTxCookie, Path: "/", MaxAge: -1, HttpOnly: true})
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(sealed) < s.aead.NonceSize() {
		return nil, errors.New("bad login cookie")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(benchTxCookie))
	if err != nil {
		return nil, errors.New("bad login cookie")
	}
	var tx benchTx
	if err := json.Unmarshal(plain, &tx); err != nil {
		return nil, errors.New("bad login cookie")
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(tx.State)) != 1 {
		return nil, errors.New("state mismatch")
	}
	if now.Unix() >= tx.Expiry {
		return nil, errors.New("login expired")
	}
	return &tx, nil
}

// newBenchTx starts a login of the glue or the reference.
func newBenchTx() benchTx {
	now := time.Now()
	return benchTx{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Created: now.Unix(), Expiry: now.Add(DefaultLoginTimeout).Unix()}
}

// benchClaims are the claims the glue and the reference decode for the
// application, as Result.Claims has them.
type benchClaims struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
	Picture       string `json:"picture"`
	Locale        string `json:"locale"`
	HostedDomain  string `json:"hd"`
	Azp           string `json:"azp"`
}

func benchCallbackGoOIDC(b *testing.B) {
	cb := newCallbackBench(b)
	client := cb.freshClient()
	ctx := oidc.ClientContext(context.Background(), client)
	provider, err := oidc.NewProvider(ctx, cb.op.Issuer())
	if err != nil {
		b.Fatal(err)
	}
	issuer := cb.op.Issuer()
	verifier := provider.Verifier(&oidc.Config{ClientID: cb.op.ClientID(), SupportedSigningAlgs: []string{"RS256"}})
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	endpoint.TokenURL = cb.front.URL()
	conf := &oauth2.Config{ClientID: cb.op.ClientID(), ClientSecret: cb.op.ClientSecret(), Endpoint: endpoint,
		RedirectURL: benchRedirect, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	sealer := newTxSealer(b)
	prepare := func() *http.Request {
		tx := newBenchTx()
		u := conf.AuthCodeURL(tx.State, oidc.Nonce(tx.Nonce), oauth2.S256ChallengeOption(tx.Verifier))
		return callbackRequest(cb.authorize(b, u, tx.Verifier), sealer.cookie(tx))
	}
	runCallbacks(b, prepare, func(w http.ResponseWriter, req *http.Request) error {
		q := req.URL.Query()
		tx, err := sealer.open(w, req, q.Get("state"), time.Now())
		if err != nil {
			return err
		}
		if q.Get("iss") != issuer {
			return errors.New("iss parameter mismatch")
		}
		if q.Get("error") != "" {
			return errors.New("authorization error")
		}
		ctx, cancel := context.WithTimeout(req.Context(), benchTimeout)
		defer cancel()
		ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
		tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(tx.Verifier))
		if err != nil {
			return err
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(ctx, raw)
		if err != nil {
			return err
		}
		// What go-oidc leaves to the application.
		if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(tx.Nonce)) != 1 {
			return errors.New("nonce mismatch")
		}
		if idt.AccessTokenHash != "" {
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				return err
			}
		}
		if idt.IssuedAt.Before(time.Unix(tx.Created, 0).Add(-DefaultClockSkew)) || idt.IssuedAt.After(time.Now().Add(DefaultClockSkew)) {
			return errors.New("iat out of range")
		}
		var claims benchClaims
		if err := idt.Claims(&claims); err != nil {
			return err
		}
		if claims.Azp != "" && claims.Azp != conf.ClientID || len(idt.Audience) > 1 && claims.Azp == "" {
			return errors.New("azp mismatch")
		}
		if claims.Subject == "" || claims.Email == "" {
			return fmt.Errorf("wrong claims %+v", claims)
		}
		return nil
	})
}
