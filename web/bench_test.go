package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// The benchmarks of the signed-in request. Each measures one request
// through a middleware into a handler, on a session made by a real sign-in
// through rptest:
//
//   - BenchmarkSignedIn/<session>/bare/<handler>: the handler alone, with no
//     middleware and no session: the floor that the others are compared to.
//   - BenchmarkSignedIn/<session>/library/<handler>: Site.Require.
//   - BenchmarkSignedIn/<session>/reference/<handler>: a hand-written
//     middleware with only the standard library: the same session data as
//     one JSON document in one cookie, sealed with AES-256-GCM; each request
//     base64-decodes and opens the cookie, unmarshals the JSON into a
//     struct and checks the expiry.
//
// Sessions: "typical" is the rptest user of the other tests (a profile
// and no groups); "entra300" an Entra ID user in 300 groups with random
// group object IDs (upn, oid, tid, roles, ...). Handlers: "none" reads the
// local account only, "name" ClaimsFrom(ctx).Name, "groups" the groups
// claim.

// benchUsers are the users of the benchmark sessions.
var benchUsers = map[string]rptest.User{"typical": alice, "entra300": entraUser(300, randomGUIDs)}

// randomGUIDs returns n group object IDs as Entra makes them: random
// version 4 GUIDs, from a fixed seed so that runs are comparable.
func randomGUIDs(n int) []any {
	r := mrand.New(mrand.NewPCG(1, 2))
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff,
			0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
	}
	return out
}

// entraUser returns an Entra-shaped user in n groups made by groups.
func entraUser(n int, groups func(int) []any) rptest.User {
	return rptest.User{Subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", Claims: map[string]any{
		"name":               "Pat Example",
		"email":              "pat@contoso.example",
		"preferred_username": "pat@contoso.example",
		"upn":                "pat@contoso.example",
		"oid":                "00000000-0000-0000-66f3-3332eca7ea81",
		"tid":                "9188040d-6c67-4c5b-b112-36a304b66dad",
		"sid":                "0016c4d2-7b5e-4f41-8a3e-5d6c2f3b9e10",
		"ver":                "2.0",
		"roles":              []string{"Reader", "Writer", "Approver"},
		"aio":                "AWQAm/8TAAAAzK5uTGsl0BkX7qgFfAvJ7wOQ4Rx6F9Q2KZCoAq5mGgW3hN8xE1pQ5kY0vRbJdL4aT9sUcWnE7fH2iM6oP3rB",
		"rh":                 "0.AX0AJkz1kRc7S0q5RfQpFx3nAbM1T9wKQm2mVf0hY8jX2ZB9AGk.",
		"uti":                "p2sLkBk5T0y3gQe6Z9aWAA",
		"groups":             groups(n),
	}}
}

// benchSignIn signs user in through rptest and returns the app and the
// request that carries the session cookies.
func benchSignIn(b *testing.B, user rptest.User) (*webApp, *http.Request) {
	a := newWebApp(b, map[string][]rptest.User{"mock": {user}}, nil)
	if status, _, _ := a.login("mock", "", "/me"); status != 200 {
		b.Fatalf("sign-in: %d", status)
	}
	src := a.requestWithCookies()
	req := httptest.NewRequest("GET", "/me", nil)
	for _, c := range src.Cookies() {
		req.AddCookie(c)
	}
	return a, req
}

// benchHandlers are the handlers behind each middleware.
var benchHandlers = []struct {
	name string
	h    func(*testing.B) http.Handler
}{
	{"none", func(b *testing.B) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sinkUser = UserFrom(r.Context()) })
	}},
	{"name", func(b *testing.B) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sinkString = ClaimsFrom(r.Context()).Name })
	}},
	{"groups", func(b *testing.B) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sinkInt = len(ClaimsFrom(r.Context()).Groups) })
	}},
}

var (
	sinkUser   any
	sinkString string
	sinkInt    int
)

func BenchmarkSignedIn(b *testing.B) {
	for _, sess := range []string{"typical", "entra300"} {
		b.Run(sess, func(b *testing.B) {
			a, req := benchSignIn(b, benchUsers[sess])
			ref := newRefMiddleware(b, a, req)
			for _, mw := range []struct {
				name string
				wrap func(http.Handler) http.Handler
				req  *http.Request
			}{
				{"bare", func(h http.Handler) http.Handler { return h }, httptest.NewRequest("GET", "/me", nil)},
				{"library", a.web.Require, req},
				{"reference", ref.wrap, ref.req},
			} {
				for _, h := range benchHandlers {
					b.Run(mw.name+"/"+h.name, func(b *testing.B) {
						handler := mw.wrap(h.h(b))
						w := httptest.NewRecorder()
						handler.ServeHTTP(w, mw.req)
						if w.Code != 200 {
							b.Fatalf("status %d", w.Code)
						}
						b.ReportAllocs()
						for b.Loop() {
							handler.ServeHTTP(w, mw.req)
						}
						b.ReportMetric(float64(len(mw.req.Header.Get("Cookie"))), "cookie-bytes")
					})
				}
			}
		})
	}
}

// refUser, refClaims and refSession are the reference middleware's
// session: the same data as the library's, as plain structs.
type refUser struct {
	ID, Username, Email, Name, GivenName, FamilyName, PhoneNumber string
	Groups                                                        []string
	Admin                                                         bool
	Attributes                                                    map[string]string
}

type refClaims struct {
	Issuer            string   `json:"iss"`
	Subject           string   `json:"sub"`
	Audience          string   `json:"aud"`
	Expiry            int64    `json:"exp"`
	IssuedAt          int64    `json:"iat"`
	Nonce             string   `json:"nonce"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	UPN               string   `json:"upn"`
	OID               string   `json:"oid"`
	TID               string   `json:"tid"`
	SID               string   `json:"sid"`
	Ver               string   `json:"ver"`
	AIO               string   `json:"aio"`
	RH                string   `json:"rh"`
	UTI               string   `json:"uti"`
	Roles             []string `json:"roles"`
	Groups            []string `json:"groups"`
}

type refSession struct {
	Provider     string    `json:"provider"`
	User         refUser   `json:"user"`
	Claims       refClaims `json:"claims"`
	IDToken      string    `json:"id_token"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       int64     `json:"expiry"`
	Created      int64     `json:"created"`
}

type refKey struct{}

// refMiddleware is the reference: AES-GCM and encoding/json, nothing else.
type refMiddleware struct {
	aead cipher.AEAD
	req  *http.Request
	now  func() time.Time
}

// newRefMiddleware seals the session data that the library's cookies in
// req hold into one reference cookie.
func newRefMiddleware(b *testing.B, a *webApp, req *http.Request) *refMiddleware {
	s, ok := a.web.sessions.Load(req)
	if !ok {
		b.Fatal("no library session")
	}
	d, err := decodeSession(s.Data)
	if err != nil {
		b.Fatal(err)
	}
	rs := refSession{Provider: d.Provider, IDToken: d.IDToken, AccessToken: d.AccessToken, RefreshToken: d.RefreshToken,
		Expiry: d.Expiry, Created: s.Created.Unix()}
	if u := d.User; u != nil {
		rs.User = refUser{ID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name, GivenName: u.GivenName,
			FamilyName: u.FamilyName, PhoneNumber: u.PhoneNumber, Groups: u.Groups, Admin: u.Admin, Attributes: u.Attributes}
	}
	if err := json.Unmarshal(d.Claims, &rs.Claims); err != nil {
		b.Fatal(err)
	}
	plain, err := json.Marshal(rs)
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte("ref")))
	m := &refMiddleware{aead: aead, req: httptest.NewRequest("GET", "/me", nil), now: a.clock.Now}
	m.req.AddCookie(&http.Cookie{Name: "ref_session", Value: sealed})
	return m
}

func (m *refMiddleware) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("ref_session")
		if err != nil {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(c.Value)
		if err != nil || len(raw) < m.aead.NonceSize() {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		n := m.aead.NonceSize()
		plain, err := m.aead.Open(nil, raw[:n], raw[n:], []byte("ref"))
		if err != nil {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		s := new(refSession)
		if err := json.Unmarshal(plain, s); err != nil || m.now().Unix() >= s.Created+8*3600 {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), refKey{}, s)))
	})
}

// signInSetCookies signs a fresh browser of a in with provider and returns
// the Set-Cookie headers of the callback's response.
func signInSetCookies(t testing.TB, a *webApp, provider string) []string {
	t.Helper()
	resp := a.raw("GET", "/login/"+provider+"?return_to=/me", nil)
	resp = a.raw("GET", resp.Header.Get("Location"), nil) // the provider
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp = a.raw("GET", cb.RequestURI(), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	var out []string
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, a.web.sessions.CookieName()) {
			out = append(out, h)
		}
	}
	return out
}
