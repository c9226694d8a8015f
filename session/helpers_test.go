package session

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct{ t time.Time }

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// newTestManager returns a Manager for cfg, filling in a secret and a fake
// clock when cfg has none.
func newTestManager(t testing.TB, cfg Config) (*Manager, *fakeClock) {
	t.Helper()
	clock := newClock()
	if cfg.Secrets == nil {
		cfg.Secrets = [][]byte{secret(1)}
	}
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, clock
}

// browser is a minimal cookie jar for one origin: it applies Set-Cookie
// headers and sends its cookies back.
type browser struct{ cookies map[string]string }

func newBrowser() *browser { return &browser{cookies: map[string]string{}} }

// apply records the cookies set by a response.
func (b *browser) apply(rec *httptest.ResponseRecorder) {
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
}

// request returns a request carrying the browser's cookies, in name order.
func (b *browser) request() *http.Request {
	return requestWith(b.cookies)
}

// requestWith returns a request carrying cookies, in name order.
func requestWith(cookies map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://app.example.com/", nil)
	names := make([]string, 0, len(cookies))
	for n := range cookies {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		r.AddCookie(&http.Cookie{Name: n, Value: cookies[n]})
	}
	return r
}

// rawRequest returns a request whose Cookie header is exactly header.
func rawRequest(header string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://app.example.com/", nil)
	r.Header.Set("Cookie", header)
	return r
}

// save saves s with m for b and applies the response to b.
func (b *browser) save(t testing.TB, m *Manager, s *Session) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := m.Save(rec, b.request(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	b.apply(rec)
	return rec
}

// clone returns a copy of the browser's cookies.
func (b *browser) clone() map[string]string {
	c := make(map[string]string, len(b.cookies))
	for k, v := range b.cookies {
		c[k] = v
	}
	return c
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// entraPayload returns a JSON payload like the claims and tokens of an
// Entra ID user in 300 groups: about 12 KB of group GUIDs and a 3 KB
// random token.
func entraPayload(t testing.TB) []byte {
	t.Helper()
	groups := make([]string, 300)
	for i := range groups {
		u := randomBytes(16)
		groups[i] = fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	}
	payload, err := json.Marshal(map[string]any{
		"iss":                "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
		"sub":                "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
		"preferred_username": "alice@contoso.example",
		"name":               "Alice Example",
		"groups":             groups,
		"id_token":           base64.RawURLEncoding.EncodeToString(randomBytes(2250)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

// setCookies returns the Set-Cookie headers of rec.
func setCookies(rec *httptest.ResponseRecorder) []string {
	return rec.Result().Header.Values("Set-Cookie")
}

// sameSession fails t unless got holds what want holds.
func sameSession(t testing.TB, got, want *Session) {
	t.Helper()
	if got.ID != want.ID || !bytes.Equal(got.Data, want.Data) ||
		!got.Created.Equal(want.Created) || !got.LastSeen.Equal(want.LastSeen) {
		t.Fatalf("loaded session %q (%d bytes, created %v, last seen %v); want %q (%d bytes, created %v, last seen %v)",
			got.ID, len(got.Data), got.Created, got.LastSeen, want.ID, len(want.Data), want.Created, want.LastSeen)
	}
}
