package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary cookie values to Load, in cookie mode and in
// store mode. The seeds are real sessions, so mutations explore values
// close to valid ones. Load must never panic, and may only ever return a
// session that was saved.
func FuzzLoad(f *testing.F) {
	clock := newClock()
	cookieMode, _ := newTestManager(f, Config{Now: clock.Now})
	storeMode, _ := newTestManager(f, Config{Now: clock.Now, Store: &MemoryStore{Now: clock.Now}})
	name := cookieMode.CookieName()
	// Fuzzing workers run this function again and get the seeds from the
	// coordinator, so the seed sessions have fixed IDs (and the clock and
	// secret are fixed) for every process to recognise them.
	saved := map[string]bool{}
	seed := func(m *Manager, id byte, data []byte) *browser {
		s := m.New(data)
		s.ID = strings.Repeat(string(id), idLen)
		b := newBrowser()
		b.save(f, m, s)
		saved[s.ID] = true
		return b
	}
	small := seed(cookieMode, 'A', []byte(`{"sub":"alice"}`))
	large := seed(cookieMode, 'B', entraPayload(f))
	stored := seed(storeMode, 'C', []byte("x"))
	for _, c := range []struct {
		m *Manager
		b *browser
	}{{cookieMode, small}, {cookieMode, large}, {storeMode, stored}} {
		if _, ok := c.m.Load(c.b.request()); !ok {
			f.Fatal("a seed session does not load")
		}
	}

	f.Add(small.cookies[name], "", "", "")
	f.Add(large.cookies[name], large.cookies[name+".1"], large.cookies[name+".2"], large.cookies[name+".3"])
	f.Add(stored.cookies[name], "", "", "")
	f.Add("2.AAAA", "AAAA", "", "")
	f.Add("1.", "", "", "")
	f.Add("999.x", "x", "x", "x")
	f.Add(`"1.AA"`, "", "", "")
	f.Add("1.A; "+name+"=1.B", ";;;", "=", "\x00\xff")

	f.Fuzz(func(t *testing.T, base, c1, c2, c3 string) {
		// Raw header: values may hold any byte, including ';' and '='.
		header := name + "=" + base + "; " + name + ".1=" + c1 + "; " + name + ".2=" + c2 + "; " + name + ".3=" + c3
		if strings.ContainsAny(header, "\r\n") {
			return // cannot occur in a parsed request header
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", header)
		for _, m := range []*Manager{cookieMode, storeMode} {
			got, ok := m.Load(r)
			if ok != (got != nil) {
				t.Fatalf("Load = %v, %v", got, ok)
			}
			if ok && !saved[got.ID] {
				t.Fatalf("Load returned session %q that was never saved", got.ID)
			}
		}
		storeMode.Destroy(httptest.NewRecorder(), r, nil)
		cookieMode.Destroy(httptest.NewRecorder(), r, nil)
		if _, ok := storeMode.Load(stored.request()); !ok {
			stored.save(t, storeMode, &Session{ID: strings.Repeat("C", idLen), Data: []byte("x"), Created: clock.Now()})
		}
	})
}
