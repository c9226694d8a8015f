package web

import (
	"net/http"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// TestSignInBesideConnections: a session started by the application's
// own SignIn (a password sign-in, no provider) stays signed in on a Site
// with Connections; it is not taken for a deleted connection.
func TestSignInBesideConnections(t *testing.T) {
	clock := newFakeClock()
	a := newConnApp(t, clock, connection.NewMemoryStore(connection.MemoryConfig{}), nil)
	a.srv.Config.Handler.(*http.ServeMux).HandleFunc("POST /password", func(w http.ResponseWriter, r *http.Request) {
		if err := a.web.SignIn(w, r, &rp.User{ID: "local-1", Username: "localadmin"}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	resp, err := a.browser.Post(a.srv.URL+"/password", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SignIn: %d", resp.StatusCode)
	}
	if status, path, body := a.get("/me"); status != http.StatusOK || path != "/me" || body != "user=localadmin provider=" {
		t.Fatalf("/me after SignIn: %d at %s %q; want 200 at /me user=localadmin provider=", status, path, body)
	}
}
