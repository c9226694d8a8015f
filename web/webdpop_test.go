package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// sessionInfoOf runs a Require'd handler with the browser's cookies and
// returns what it saw.
func (a *webApp) sessionInfoOf() *SessionInfo {
	a.t.Helper()
	var info *SessionInfo
	rec := httptest.NewRecorder()
	a.web.Require(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		info = SessionFrom(r.Context())
	})).ServeHTTP(rec, a.requestWithCookies())
	if info == nil {
		a.t.Fatalf("not signed in: %d", rec.Code)
	}
	return info
}

func TestWebDPoPSessionKeepsTheKey(t *testing.T) {
	a := newWebAppRP(t, oneProvider, func(c *rp.Config) { c.DPoP = true }, func(c *Config) { c.IdleTimeout = 4 * time.Hour })
	if status, _, body := a.login("mock", "", "/me"); status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	op := a.ops["mock"]
	s, d := a.sessionOf(a.requestWithCookies().Cookies())
	if s.Data[0] != sessionFormatDPoP || d.DPoPKey == "" {
		t.Fatalf("session format %d, key %v; want format %d with the key", s.Data[0], d.DPoPKey != "", sessionFormatDPoP)
	}
	key, err := d.dpopKey()
	if err != nil || key.Thumbprint() != op.AccessTokenJKT(d.AccessToken) {
		t.Fatalf("the session's key (%v) is not the one the access token is bound to", err)
	}
	info := a.sessionInfoOf()
	if info.AuthorizationScheme() != "DPoP" || !info.DPoPKey().Equal(key) {
		t.Fatalf("scheme %q; want DPoP and the session's key", info.AuthorizationScheme())
	}
	proof, err := info.DPoPProof("GET", "https://api.example.com/items?x=1", "n")
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(jws.Signatures[0].Protected.JSONWebKey)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	_ = json.Unmarshal(payload, &c)
	if c["htu"] != "https://api.example.com/items" || c["nonce"] != "n" || c["iat"] != float64(a.clock.Now().Unix()) || c["ath"] == nil {
		t.Fatalf("proof claims %v", c)
	}

	// The refresh is made with the session's key (rptest refuses another
	// for the bound refresh token), and the key stays in the session.
	a.clock.Advance(rptest.DefaultTokenTTL)
	tokenCalls := op.Requests(rptest.EndpointToken)
	if status, _, _ := a.get("/me"); status != http.StatusOK || op.Requests(rptest.EndpointToken) != tokenCalls+1 || op.Requests(rptest.EndpointAuthorize) != 1 {
		t.Fatalf("/me after expiry: %d; want 200 after one refresh, without signing in again", status)
	}
	_, d2 := a.sessionOf(a.requestWithCookies().Cookies())
	if d2.AccessToken == d.AccessToken || d2.DPoPKey != d.DPoPKey {
		t.Fatalf("the refresh did not keep the session's key (new token %v, same key %v)", d2.AccessToken != d.AccessToken, d2.DPoPKey == d.DPoPKey)
	}
	if op.AccessTokenJKT(d2.AccessToken) != key.Thumbprint() {
		t.Fatal("the refreshed access token is not bound to the session's key")
	}
}

func TestWebSessionWithoutDPoPUnchanged(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	a.login("mock", "", "/me")
	s, d := a.sessionOf(a.requestWithCookies().Cookies())
	if s.Data[0] != sessionFormat || d.DPoPKey != "" {
		t.Fatalf("session format %d with key %v; want format %d without", s.Data[0], d.DPoPKey != "", sessionFormat)
	}
	info := a.sessionInfoOf()
	if info.AuthorizationScheme() != "Bearer" || info.DPoPKey() != nil {
		t.Fatal("a session without DPoP reports a key")
	}
	if _, err := info.DPoPProof("GET", "https://api.example.com/", ""); !errors.Is(err, ErrNoDPoPKey) {
		t.Fatalf("DPoPProof: %v; want ErrNoDPoPKey", err)
	}
}

func TestSessionFormatDPoPRoundTrip(t *testing.T) {
	k, _ := rp.NewDPoPKey()
	b, _ := k.MarshalBinary()
	for _, app := range []map[string]string{nil, {"a": "1", "b": "2"}} {
		d := &sessionData{Provider: "p", Subject: "s", AccessToken: "at", RefreshToken: "rt", Claims: json.RawMessage(`{}`), App: app}
		plain, err := d.encode()
		if err != nil {
			t.Fatal(err)
		}
		want := byte(sessionFormat)
		if app != nil {
			want = sessionFormatApp
		}
		if plain[0] != want {
			t.Fatalf("without a key: format %d; want %d", plain[0], want)
		}
		d.DPoPKey = string(b)
		enc, err := d.encode()
		if err != nil {
			t.Fatal(err)
		}
		if enc[0] != sessionFormatDPoP {
			t.Fatalf("with a key: format %d", enc[0])
		}
		back, err := decodeSession(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, d) {
			t.Fatalf("round trip: %+v; want %+v", back, d)
		}
	}
	// Non-canonical format 5: an empty key, or an empty App written as a
	// count of none.
	for _, bad := range [][]byte{
		{sessionFormatDPoP, 10, 1, 'p', 0, 0, 0, 0, 0, 0, 0, 0, coldRaw, 0, idTokenNone},
		{sessionFormatDPoP, 11, 1, 'p', 0, 0, 0, 0, 0, 0, 1, 1, 'k', coldRaw, 0, idTokenNone},
	} {
		if _, err := decodeSession(bad); !errors.Is(err, errSessionFormat) {
			t.Errorf("decode %v: %v; want errSessionFormat", bad, err)
		}
	}
	good := []byte{sessionFormatDPoP, 11, 1, 'p', 0, 0, 0, 0, 0, 0, 0, 1, 'k', coldRaw, 0, idTokenNone}
	if d, err := decodeSession(good); err != nil || d.DPoPKey != "k" {
		t.Fatalf("decode a minimal format 5: %v", err)
	}
	// A key that does not parse makes the session unreadable at refresh.
	if _, err := (&sessionData{DPoPKey: "k"}).dpopKey(); !errors.Is(err, errSessionFormat) {
		t.Fatalf("bad key: %v; want errSessionFormat", err)
	}
}
