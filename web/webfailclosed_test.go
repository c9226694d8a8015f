package web

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oidcrp/rp"

	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/session"
)

// TestWebLogoutWithFailingStoreFailsClosed: when the session store cannot
// be read or cannot delete, logout deletes the browser's cookies, answers
// 503 through the ErrorHandler with ErrLogoutIncomplete, skips the
// provider's end-session, and logs one line at Error.
func TestWebLogoutWithFailingStoreFailsClosed(t *testing.T) {
	down := errors.New("dial tcp 127.0.0.1:6379: connection refused")
	readOnly := errors.New("READONLY You can't write against a read only replica")
	for _, tc := range []struct {
		name     string
		get, del error
	}{
		{"store down", down, nil},
		{"read-only replica", nil, readOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newBrokenStore()
			var logs testlog.Buffer
			var handled error
			a := newWebApp(t, oneProvider, func(c *Config) {
				c.SessionStore = store
				c.Logger = logs.Logger()
				c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, status int, err error) {
					handled = err
					http.Error(w, ErrorMessage(err), status)
				}
			})
			a.login("mock", "", "/me")
			old := a.requestWithCookies().Cookies()
			store.fail(tc.get, tc.del)

			resp := a.logout()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("logout with a failing store: %d %q; want 503", resp.StatusCode, resp.Header.Get("Location"))
			}
			want := tc.get
			if want == nil {
				want = tc.del
			}
			if !errors.Is(handled, ErrLogoutIncomplete) || !errors.Is(handled, session.ErrStore) || !errors.Is(handled, want) {
				t.Fatalf("ErrorHandler got %v; want ErrLogoutIncomplete wrapping the store's error", handled)
			}
			if c := setCookie(resp, a.web.sessions.CookieName()); c == nil || c.MaxAge >= 0 {
				t.Fatalf("logout with a failing store did not delete the session cookie: %q", resp.Header.Values("Set-Cookie"))
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			line := logs.Only(t, evLogoutFailed)
			if line["level"] != "ERROR" || line["error_kind"] != "logout_incomplete" || line["ref"] != rp.ErrorRef(handled) || rp.ErrorRef(handled) == "" {
				t.Fatalf("log line %v; want ERROR with error_kind logout_incomplete and the ref given to the ErrorHandler", line)
			}
			if strings.Contains(logs.String(), evLogout+`"`) {
				t.Fatalf("a failed logout was also logged as a logout:\n%s", logs.String())
			}
			if tc.del != nil {
				// The store still holds the session, but this process
				// refuses it once it failed to delete it.
				store.fail(nil, nil)
				if status := a.statusWith(old); status != http.StatusUnauthorized {
					t.Fatalf("the old cookie after an incomplete logout: %d; want 401", status)
				}
			}
		})
	}
}

// TestWebLogoutIncompletePage: the default page says that the sign-out
// may not have reached every device and shows the reference.
func TestWebLogoutIncompletePage(t *testing.T) {
	store := newBrokenStore()
	a := newWebApp(t, oneProvider, func(c *Config) { c.SessionStore = store })
	a.login("mock", "", "/me")
	store.fail(errors.New("store down"), nil)
	req, _ := http.NewRequest("POST", a.srv.URL+"/logout", nil)
	req.Header.Set("Origin", a.srv.URL)
	resp, err := a.noRedir.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "may not have reached every device") ||
		!strings.Contains(string(body), "Reference: <code>") || strings.Contains(string(body), "store down") {
		t.Fatalf("incomplete logout page %d: %s", resp.StatusCode, body)
	}
}

// statusWith returns the status of GET /me (as a script) with cookies.
func (a *webApp) statusWith(cookies []*http.Cookie) int {
	a.t.Helper()
	resp := <-a.getMeAsync(cookies)
	if resp == nil {
		a.t.FailNow()
	}
	return resp.StatusCode
}

// TestWebRequireWithFailingStore: a signed-in request whose session the
// store cannot read is not let in (401), and the failure is logged once at
// Error instead of passing for "no session".
func TestWebRequireWithFailingStore(t *testing.T) {
	store := newBrokenStore()
	var logs testlog.Buffer
	a := newWebApp(t, oneProvider, func(c *Config) {
		c.SessionStore = store
		c.Logger = logs.Logger()
	})
	a.login("mock", "", "/me")
	cookies := a.requestWithCookies().Cookies()
	if status := a.statusWith(cookies); status != http.StatusOK {
		t.Fatalf("signed-in request: %d; want 200", status)
	}
	store.fail(errors.New("dial tcp 127.0.0.1:6379: connection refused"), nil)
	if status := a.statusWith(cookies); status != http.StatusUnauthorized {
		t.Fatalf("signed-in request with the store down: %d; want 401", status)
	}
	line := logs.Only(t, "rp: session store failed; request treated as not signed in")
	if line["level"] != "ERROR" || line["error_kind"] != "session_store" {
		t.Fatalf("log line %v; want ERROR with error_kind session_store", line)
	}
	store.fail(nil, nil)
	if status := a.statusWith(cookies); status != http.StatusOK {
		t.Fatalf("signed-in request once the store is back: %d; want 200 (the session was kept)", status)
	}
}
