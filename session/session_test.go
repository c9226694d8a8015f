package session

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoundTripSmall(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	b := newBrowser()
	s := m.New([]byte(`{"sub":"alice"}`))
	b.save(t, m, s)
	if len(b.cookies) != 1 {
		t.Fatalf("small session written to %d cookies; want 1: %v", len(b.cookies), b.cookies)
	}
	got, ok := m.Load(b.request())
	if !ok {
		t.Fatal("Load of a saved session reported no session")
	}
	sameSession(t, got, s)
}

func TestRoundTripEmpty(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	b := newBrowser()
	s := m.New(nil)
	b.save(t, m, s)
	got, ok := m.Load(b.request())
	if !ok || got.Data == nil || len(got.Data) != 0 {
		t.Fatalf("Load = %v, %v; want a session with empty, non-nil data", got, ok)
	}
}

func TestRoundTripLarge(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	b := newBrowser()
	s := m.New(entraPayload(t))
	rec := b.save(t, m, s)
	if len(b.cookies) < 3 {
		t.Fatalf("%d-byte payload written to %d cookies; want several chunks", len(s.Data), len(b.cookies))
	}
	total := 0
	for _, h := range setCookies(rec) {
		c, err := http.ParseSetCookie(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Value) > maxCookieValue {
			t.Errorf("cookie %s value is %d bytes; limit %d", c.Name, len(c.Value), maxCookieValue)
		}
		total += len(c.Value)
	}
	if total > defaultMaxSize {
		t.Errorf("cookie values total %d bytes; MaxSize %d", total, defaultMaxSize)
	}
	got, ok := m.Load(b.request())
	if !ok {
		t.Fatal("Load of a chunked session reported no session")
	}
	sameSession(t, got, s)
	t.Logf("%d-byte payload in %d cookies, %d bytes of values", len(s.Data), len(b.cookies), total)
}

func TestChunkBoundaries(t *testing.T) {
	// Random payloads do not compress, so these sizes put the sealed value
	// on both sides of each chunk boundary.
	m, _ := newTestManager(t, Config{})
	for _, n := range []int{0, 1, 2700, 2720, 2740, 2760, 5540, 5560, 5580, 5600, 5620, 17000} {
		b := newBrowser()
		s := m.New(randomBytes(n))
		b.save(t, m, s)
		got, ok := m.Load(b.request())
		if !ok {
			t.Fatalf("payload of %d bytes in %d cookies: no session", n, len(b.cookies))
		}
		sameSession(t, got, s)
	}
}

func TestTooLarge(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	rec := httptest.NewRecorder()
	s := m.New(randomBytes(64 << 10))
	before := s.LastSeen
	err := m.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), s)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save of 64 KiB random payload = %v; want ErrTooLarge", err)
	}
	if h := setCookies(rec); len(h) != 0 {
		t.Fatalf("failed Save wrote cookies: %q", h)
	}
	if !s.LastSeen.Equal(before) {
		t.Fatal("failed Save changed LastSeen")
	}
}

func TestTooLargeUncompressed(t *testing.T) {
	// Over 1 MiB of zeros compresses to almost nothing, but is refused so
	// that no cookie can inflate beyond that bound.
	m, _ := newTestManager(t, Config{})
	rec := httptest.NewRecorder()
	if err := m.Save(rec, nil, m.New(make([]byte, maxBody+1))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save = %v; want ErrTooLarge", err)
	}
	b := newBrowser()
	s := m.New(make([]byte, maxBody-idLen-20))
	b.save(t, m, s)
	if _, ok := m.Load(b.request()); !ok {
		t.Fatal("a compressible payload just under the bound did not load")
	}
}

func TestMaxSizeSmaller(t *testing.T) {
	m, _ := newTestManager(t, Config{MaxSize: 4096})
	b := newBrowser()
	s := m.New(randomBytes(2850))
	b.save(t, m, s)
	if len(b.cookies) != 2 {
		t.Fatalf("got %d cookies; want 2", len(b.cookies))
	}
	if _, ok := m.Load(b.request()); !ok {
		t.Fatal("no session")
	}
	if err := m.Save(httptest.NewRecorder(), nil, m.New(randomBytes(3200))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Save over MaxSize = %v; want ErrTooLarge", err)
	}
}

func TestNewDistinctIDs(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	seen := make(map[string]bool)
	for range 1000 {
		s := m.New(nil)
		if !validID(s.ID) {
			t.Fatalf("ID %q is not 43 base64url characters", s.ID)
		}
		if seen[s.ID] {
			t.Fatalf("ID %q drawn twice", s.ID)
		}
		seen[s.ID] = true
		if !s.Created.Equal(s.LastSeen) {
			t.Fatal("Created and LastSeen differ in a new session")
		}
	}
}

func TestSaveShrinkDeletesChunks(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	b := newBrowser()
	s := m.New(entraPayload(t))
	b.save(t, m, s)
	n := len(b.cookies)
	if n < 3 {
		t.Fatalf("large session in %d cookies; want several", n)
	}
	s.Data = []byte(`{"sub":"alice"}`)
	rec := b.save(t, m, s)
	deleted := map[string]bool{}
	for _, h := range setCookies(rec) {
		c, _ := http.ParseSetCookie(h)
		if c.MaxAge < 0 {
			deleted[c.Name] = true
			if !strings.Contains(h, "Max-Age=0") || !strings.Contains(h, "Path=/") || !strings.Contains(h, "Secure") {
				t.Errorf("deletion %q lacks the cookie's attributes", h)
			}
		}
	}
	for i := 1; i < n; i++ {
		if name := chunkName(m.CookieName(), i); !deleted[name] {
			t.Errorf("leftover chunk %s not deleted; Set-Cookie: %q", name, setCookies(rec))
		}
	}
	if len(deleted) != n-1 || len(b.cookies) != 1 {
		t.Fatalf("deleted %v, browser keeps %v", deleted, b.cookies)
	}
	got, ok := m.Load(b.request())
	if !ok {
		t.Fatal("no session after shrinking")
	}
	sameSession(t, got, s)
}

func TestSaveRejectsMisuse(t *testing.T) {
	m, clock := newTestManager(t, Config{})
	rec := httptest.NewRecorder()
	if err := m.Save(rec, nil, nil); err == nil {
		t.Error("Save(nil) succeeded")
	}
	if err := m.Touch(rec, nil, nil); err == nil {
		t.Error("Touch(nil) succeeded")
	}
	if err := m.Save(rec, nil, &Session{ID: "fixed", Created: clock.Now()}); err == nil {
		t.Error("Save of a hand-made ID succeeded")
	}
	if err := m.Save(rec, nil, &Session{ID: newID()}); !errors.Is(err, ErrExpired) {
		t.Errorf("Save of a session created at the zero time = %v; want ErrExpired", err)
	}
	if h := setCookies(rec); len(h) != 0 {
		t.Fatalf("failed Saves wrote cookies: %q", h)
	}
}

func TestCookieAttributes(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		m, _ := newTestManager(t, Config{Insecure: insecure})
		rec := httptest.NewRecorder()
		if err := m.Save(rec, nil, m.New(entraPayload(t))); err != nil {
			t.Fatal(err)
		}
		if m.Secure() == insecure {
			t.Errorf("Insecure=%v: Secure() = %v", insecure, m.Secure())
		}
		wantName := "__Host-rp_session"
		if insecure {
			wantName = "rp_session"
		}
		if m.CookieName() != wantName {
			t.Errorf("Insecure=%v: CookieName() = %q; want %q", insecure, m.CookieName(), wantName)
		}
		headers := setCookies(rec)
		if len(headers) < 2 {
			t.Fatalf("want several cookies, got %q", headers)
		}
		for _, h := range headers {
			c, err := http.ParseSetCookie(h)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != wantName && !strings.HasPrefix(c.Name, wantName+".") {
				t.Errorf("cookie name %q; want %q or a chunk of it", c.Name, wantName)
			}
			if c.Secure == insecure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("Insecure=%v: cookie attributes %q", insecure, h)
			}
			if c.MaxAge != int(defaultAbsoluteTimeout.Seconds()) {
				t.Errorf("Max-Age %d; want %d", c.MaxAge, int(defaultAbsoluteTimeout.Seconds()))
			}
		}
	}
}

func TestDestroyDeletesAllCookies(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	b := newBrowser()
	s := m.New(entraPayload(t))
	b.save(t, m, s)
	rec := httptest.NewRecorder()
	m.Destroy(rec, b.request(), s)
	b.apply(rec)
	if len(b.cookies) != 0 {
		t.Fatalf("cookies left after Destroy: %v", b.cookies)
	}
	for _, h := range setCookies(rec) {
		if !strings.Contains(h, "Max-Age=0") || !strings.Contains(h, "Secure") || !strings.Contains(h, "HttpOnly") {
			t.Errorf("deletion %q lacks the cookie's attributes", h)
		}
	}
	// A nil request and session still delete the base cookie.
	rec = httptest.NewRecorder()
	m.Destroy(rec, nil, nil)
	if h := setCookies(rec); len(h) != 1 || !strings.HasPrefix(h[0], "__Host-rp_session=;") {
		t.Fatalf("Destroy(nil, nil) wrote %q", h)
	}
}

func TestLoadNilRequest(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	if s, ok := m.Load(nil); ok || s != nil {
		t.Fatal("Load(nil) found a session")
	}
	if _, ok := m.Load(httptest.NewRequest(http.MethodGet, "/", nil)); ok {
		t.Fatal("Load without cookies found a session")
	}
}
