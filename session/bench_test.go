package session

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// typicalPayload returns about 1 KB of JSON: identity claims, a few groups
// and a refresh token.
func typicalPayload(b *testing.B) []byte {
	payload, err := json.Marshal(map[string]any{
		"provider": "entra",
		"user":     map[string]any{"id": 4711, "username": "alice", "email": "alice@contoso.example", "name": "Alice Example"},
		"claims": map[string]any{
			"iss": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
			"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
			"preferred_username": "alice@contoso.example", "name": "Alice Example",
			"groups": []string{"2c6a8d0e-3f1b-4c1e-9a8e-1b2c3d4e5f60", "7d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"},
		},
		"refresh_token": base64.RawURLEncoding.EncodeToString(randomBytes(420)),
		"expiry":        1700003600,
	})
	if err != nil {
		b.Fatal(err)
	}
	return payload
}

func BenchmarkLoad(b *testing.B) {
	for _, mode := range []struct {
		name  string
		store Store
	}{{"cookie", nil}, {"store", NewMemoryStore()}} {
		b.Run(mode.name, func(b *testing.B) {
			m, _ := newTestManager(b, Config{Store: mode.store, Now: time.Now})
			payload := typicalPayload(b)
			rec := httptest.NewRecorder()
			if err := m.Save(rec, nil, m.New(payload)); err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, c := range rec.Result().Cookies() {
				r.AddCookie(c)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := m.Load(r); !ok {
					b.Fatal("no session")
				}
			}
			b.ReportMetric(float64(len(payload)), "payload-bytes")
			b.ReportMetric(float64(len(r.Header.Get("Cookie"))), "cookie-bytes")
		})
	}
}

func BenchmarkSave(b *testing.B) {
	for _, mode := range []struct {
		name  string
		store Store
	}{{"cookie", nil}, {"store", NewMemoryStore()}} {
		b.Run(mode.name, func(b *testing.B) {
			m, _ := newTestManager(b, Config{Store: mode.store, Now: time.Now})
			s := m.New(typicalPayload(b))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Save(discardWriter{}, r, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the last headers.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
