package session

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// otherChar returns a character other than c: the next one in the base64url
// alphabet for characters of that alphabet, 'A' for anything else.
func otherChar(c byte) byte {
	if i := strings.IndexByte(b64Alphabet, c); i >= 0 {
		return b64Alphabet[(i+1)%len(b64Alphabet)]
	}
	return 'A'
}

// cookieHeader returns a Cookie header for cookies in name order, with the
// values as given, even ones net/http would refuse to send.
func cookieHeader(cookies map[string]string) string {
	names := make([]string, 0, len(cookies))
	for n := range cookies {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + cookies[n]
	}
	return strings.Join(parts, "; ")
}

// mustReject fails t when m loads a session from cookies.
func mustReject(t *testing.T, m *Manager, what string, cookies map[string]string) {
	t.Helper()
	if s, ok := m.Load(rawRequest(cookieHeader(cookies))); ok || s != nil {
		t.Fatalf("%s: Load found a session", what)
	}
}

// flipEvery tampers with every stride-th byte of cookie name, and with each
// of its first and last 8 bytes, in two ways: another base64url character
// and the low bit flipped.
func flipEvery(t *testing.T, m *Manager, cookies map[string]string, name string, stride int) int {
	t.Helper()
	orig := cookies[name]
	tried := 0
	for i := 0; i < len(orig); i++ {
		if i%stride != 0 && i >= 8 && i < len(orig)-8 {
			continue
		}
		for _, c := range []byte{otherChar(orig[i]), orig[i] ^ 1} {
			v := []byte(orig)
			v[i] = c
			cookies[name] = string(v)
			mustReject(t, m, fmt.Sprintf("%s byte %d = %q", name, i, c), cookies)
			tried++
		}
	}
	cookies[name] = orig
	return tried
}

func TestTamperSingleCookie(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	b := newBrowser()
	b.save(t, m, m.New([]byte(`{"sub":"alice","name":"Alice"}`)))
	name := m.CookieName()
	cookies := b.clone()
	if len(cookies) != 1 {
		t.Fatalf("want one cookie, got %v", cookies)
	}
	if _, ok := m.Load(rawRequest(cookieHeader(cookies))); !ok {
		t.Fatal("the untouched cookie does not load")
	}
	tried := flipEvery(t, m, cookies, name, 1)
	orig := cookies[name]
	for _, n := range []int{0, 1, 2, 3, 10, len(orig) / 2, len(orig) - 5, len(orig) - 4, len(orig) - 3, len(orig) - 2, len(orig) - 1} {
		mustReject(t, m, "truncated", map[string]string{name: orig[:n]})
	}
	for _, v := range []string{
		orig + "A", orig + "AA", orig + "AAAA", orig + "=", orig + ".",
		orig[2:], "2" + orig[1:], "0" + orig[1:], "01." + orig[2:], "+1." + orig[2:], "-1." + orig[2:],
		" " + orig, "1" + orig, strings.Replace(orig, ".", "..", 1),
	} {
		mustReject(t, m, "altered "+v[:4], map[string]string{name: v})
	}
	t.Logf("%d single-byte alterations of a %d-byte cookie rejected", tried, len(orig))
}

func TestTamperChunked(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	b := newBrowser()
	s := m.New(entraPayload(t))
	b.save(t, m, s)
	cookies := b.clone()
	name := m.CookieName()
	n := len(cookies)
	if n < 3 {
		t.Fatalf("want several chunks, got %d", n)
	}
	if _, ok := m.Load(rawRequest(cookieHeader(cookies))); !ok {
		t.Fatal("the untouched cookies do not load")
	}
	// A stride prime to 4 alters every position within base64 quanta;
	// every byte takes about 2s, 8s with -race.
	stride := 3
	if testing.Short() {
		stride = 17
	}
	tried := 0
	for i := range n {
		cn := name
		if i > 0 {
			cn = chunkName(name, i)
		}
		tried += flipEvery(t, m, cookies, cn, stride)

		// Drop this chunk.
		c := b.clone()
		delete(c, cn)
		mustReject(t, m, "dropped "+cn, c)

		// Truncate this chunk.
		for _, k := range []int{1, 2, 3, 4, 100} {
			c := b.clone()
			c[cn] = c[cn][:len(c[cn])-k]
			mustReject(t, m, "truncated "+cn, c)
		}
	}
	t.Logf("%d single-byte alterations over %d chunks rejected", tried, n)

	// Reorder chunks.
	c := b.clone()
	c[chunkName(name, 1)], c[chunkName(name, 2)] = c[chunkName(name, 2)], c[chunkName(name, 1)]
	mustReject(t, m, "swapped chunks 1 and 2", c)
	c = b.clone()
	first := strings.SplitN(c[name], ".", 2)
	c[name] = first[0] + "." + c[chunkName(name, 1)]
	c[chunkName(name, 1)] = first[1]
	mustReject(t, m, "swapped chunks 0 and 1", c)

	// Wrong counts.
	for _, count := range []string{"0", "1", "2", "4", "5", "7", "8", "99", "999", "1000", "03", "+3", "-3", "3 ", ""} {
		if count == first[0] {
			continue
		}
		c := b.clone()
		c[name] = count + "." + first[1]
		mustReject(t, m, "count "+count, c)
	}

	// A chunk from another session of the same size.
	other := newBrowser()
	for len(other.cookies) != n {
		other = newBrowser()
		other.save(t, m, m.New(entraPayload(t)))
	}
	for i := 1; i < n; i++ {
		c := b.clone()
		c[chunkName(name, i)] = other.cookies[chunkName(name, i)]
		mustReject(t, m, "foreign chunk", c)
	}
	c = b.clone()
	c[name] = other.cookies[name]
	mustReject(t, m, "foreign base cookie", c)

	// A forged cookie of the same name, sent first, shadows the real one.
	header := name + "=" + first[0] + ".AAAA; " + cookieHeader(b.cookies)
	if _, ok := m.Load(rawRequest(header)); ok {
		t.Fatal("a forged duplicate base cookie loaded")
	}
}

func TestForeignValues(t *testing.T) {
	payload := []byte(`{"sub":"alice"}`)
	m, _ := newTestManager(t, Config{})
	name := m.CookieName()

	// Sealed with another secret.
	foreign, _ := newTestManager(t, Config{Secrets: [][]byte{secret(9)}})
	b := newBrowser()
	b.save(t, foreign, foreign.New(payload))
	mustReject(t, m, "another secret", b.cookies)

	// Sealed for another cookie name, renamed.
	otherName, _ := newTestManager(t, Config{Name: "other_app"})
	b = newBrowser()
	b.save(t, otherName, otherName.New(payload))
	mustReject(t, m, "renamed from __Host-other_app", map[string]string{name: b.cookies["__Host-other_app"]})

	// Sealed without the __Host- prefix (Insecure), moved under it.
	insecure, _ := newTestManager(t, Config{Insecure: true})
	b = newBrowser()
	b.save(t, insecure, insecure.New(payload))
	mustReject(t, m, "insecure cookie moved under __Host-", map[string]string{name: b.cookies["rp_session"]})

	// A store reference given to a cookie-mode Manager, and the reverse.
	stored, _ := newTestManager(t, Config{Store: NewMemoryStore()})
	b = newBrowser()
	b.save(t, stored, stored.New(payload))
	mustReject(t, m, "store reference in cookie mode", b.cookies)
	b = newBrowser()
	b.save(t, m, m.New(payload))
	mustReject(t, stored, "cookie envelope in store mode", b.cookies)

	// A chunk moved into the base cookie.
	b = newBrowser()
	b.save(t, m, m.New(entraPayload(t)))
	mustReject(t, m, "chunk as base", map[string]string{name: "1." + b.cookies[chunkName(name, 1)]})
}

func TestKeyRotation(t *testing.T) {
	payload := []byte(`{"sub":"alice"}`)
	old, _ := newTestManager(t, Config{Secrets: [][]byte{secret(1)}})
	rotated, _ := newTestManager(t, Config{Secrets: [][]byte{secret(2), secret(1)}})
	onlyNew, _ := newTestManager(t, Config{Secrets: [][]byte{secret(2)}})

	for _, payload := range [][]byte{payload, entraPayload(t)} {
		b := newBrowser()
		s := old.New(payload)
		b.save(t, old, s)
		got, ok := rotated.Load(b.request())
		if !ok {
			t.Fatal("a Manager with [new, old] does not open a session sealed with old")
		}
		sameSession(t, got, s)
		if _, ok := onlyNew.Load(b.request()); ok {
			t.Fatal("a Manager with only [new] opened a session sealed with old")
		}
		// Saving again under rotation seals with the new secret.
		b.save(t, rotated, got)
		if _, ok := onlyNew.Load(b.request()); !ok {
			t.Fatal("a session re-saved after rotation does not open with the new secret")
		}
		if _, ok := old.Load(b.request()); ok {
			t.Fatal("a session re-saved after rotation opens with only the old secret")
		}
	}
}

func TestCanonicalBase64(t *testing.T) {
	if chunkLen%4 != 0 {
		t.Fatalf("chunkLen %d is not a multiple of 4", chunkLen)
	}
	for _, c := range []struct {
		v  string
		ok bool
	}{
		{"AAAA", true}, {"AA", true}, {"AB", false}, {"AQ", true}, {"AAA", true}, {"AAB", false}, {"AAE", true}, {"A", false}, {"A!", false},
	} {
		if got := canonical(c.v); got != c.ok {
			t.Errorf("canonical(%q) = %v; want %v", c.v, got, c.ok)
		}
	}
}
