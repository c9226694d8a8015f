package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
)

// TestRequireWithRouters mounts the same middleware under the standard
// ServeMux (with a Go 1.22 method and wildcard pattern), chi and
// gorilla/mux, and checks that signed-in requests reach the handler with
// the router's path values intact while others are refused.
func TestRequireWithRouters(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	a.login("mock", "", "/")
	cookies := a.requestWithCookies().Cookies()

	show := func(param func(*http.Request) string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s:%s", UserFrom(r.Context()).Username, param(r))
		})
	}
	std := http.NewServeMux()
	std.Handle("GET /items/{id}", a.web.Require(show(func(r *http.Request) string { return r.PathValue("id") })))
	c := chi.NewRouter()
	c.With(a.web.Require).Get("/items/{id}", show(func(r *http.Request) string { return chi.URLParam(r, "id") }).ServeHTTP)
	g := mux.NewRouter()
	g.Handle("/items/{id}", a.web.Require(show(func(r *http.Request) string { return mux.Vars(r)["id"] }))).Methods("GET")

	for name, h := range map[string]http.Handler{"ServeMux": std, "chi": c, "gorilla/mux": g} {
		req := httptest.NewRequest("GET", "/items/42", nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if body, _ := io.ReadAll(rec.Body); rec.Code != 200 || string(body) != "alice:42" {
			t.Errorf("%s signed in: %d %q", name, rec.Code, body)
		}
		anon := httptest.NewRequest("GET", "/items/42", nil)
		anon.Header.Set("Accept", "text/html")
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, anon)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login/mock?return_to=%2Fitems%2F42" {
			t.Errorf("%s anonymous: %d %q", name, rec.Code, rec.Header().Get("Location"))
		}
	}
}

// BenchmarkRequire measures the middleware on a signed-in request: opening
// the sealed session cookie and putting the session in the context.
func BenchmarkRequire(b *testing.B) {
	a := newWebApp(b, oneProvider, nil)
	a.login("mock", "", "/")
	cookies := a.requestWithCookies().Cookies()
	h := a.web.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if UserFrom(r.Context()) == nil {
			b.Fatal("no user")
		}
	}))
	req := httptest.NewRequest("GET", "/me", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
