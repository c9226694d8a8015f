package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/session"
)

// refusedTokenBody is exactly what the back-channel logout endpoint
// answers to a logout token its provider's RP refuses.
const refusedTokenBody = `{"error":"invalid_request","error_description":"invalid logout token"}`

// logoutToken has op make a logout token with opts.
func logoutToken(t *testing.T, op *rptest.Server, opts rptest.LogoutTokenOptions) string {
	t.Helper()
	tok, err := op.LogoutToken(opts)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// deliverLogoutToken POSTs tok to the back-channel logout path of
// provider "mock" of the Site served at base, as the provider's server
// does (a form, no cookies), and returns the answer and its body.
func deliverLogoutToken(t *testing.T, base, tok string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"logout_token": {tok}}.Encode()
	resp, err := http.Post(base+"/backchannel-logout/mock", formType, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// wantTokenRefused asserts that resp is exactly the answer to a refused
// logout token: 400, JSON, not stored, the fixed body.
func wantTokenRefused(t *testing.T, name string, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest || body != refusedTokenBody ||
		resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: %d (Content-Type %q, Cache-Control %q) %s; want 400, application/json, no-store, %s",
			name, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), body, refusedTokenBody)
	}
}

// wantTokenAccepted asserts that resp is the answer to an accepted logout
// token: 200, not stored, an empty body.
func wantTokenAccepted(t *testing.T, name string, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%s: %d (Cache-Control %q) %q; want 200, no-store, an empty body", name, resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
}

// TestBackchannelLogoutSpoiltTokens: each spoilt logout token rptest can
// make, naming the signed-in session, is answered exactly 400 with the
// JSON error body, logged with its exact kind, and ends nothing.
func TestBackchannelLogoutSpoiltTokens(t *testing.T) {
	var logs testlog.Buffer
	a := newWebApp(t, oneProvider, func(c *Config) { c.Logger = logs.Logger() })
	a.login("mock", "", "/me")
	cookies := a.requestWithCookies().Cookies()
	op := a.ops["mock"]
	sids := op.SessionIDs(alice.Subject)
	if len(sids) != 1 {
		t.Fatalf("sessions at the provider %q; want one", sids)
	}
	sid := sids[0]
	for _, tc := range []struct {
		name string
		opts rptest.LogoutTokenOptions
		kind string
	}{
		{"neither sub nor sid", rptest.LogoutTokenOptions{}, "logout_token_missing_claim"},
		{"another issuer", rptest.LogoutTokenOptions{Issuer: "https://evil.example"}, "logout_token_issuer"},
		{"another audience", rptest.LogoutTokenOptions{Audience: []string{"other-client"}}, "logout_token_audience"},
		{"empty audience", rptest.LogoutTokenOptions{Audience: []string{}}, "logout_token_audience"},
		{"no audience", rptest.LogoutTokenOptions{OmitAudience: true}, "logout_token_audience"},
		{"another azp", rptest.LogoutTokenOptions{ExtraClaims: map[string]any{"azp": "other-client"}}, "logout_token_audience"},
		{"stale iat", rptest.LogoutTokenOptions{IssuedAt: -rp.MaxLogoutTokenAge - rp.DefaultClockSkew - time.Second}, "logout_token_stale"},
		{"iat in the future", rptest.LogoutTokenOptions{IssuedAt: 2 * time.Minute}, "logout_token_issued_in_future"},
		{"no iat", rptest.LogoutTokenOptions{OmitIssuedAt: true}, "logout_token_missing_claim"},
		{"expired", rptest.LogoutTokenOptions{Expiry: -2 * time.Minute}, "logout_token_expired"},
		{"no jti", rptest.LogoutTokenOptions{OmitJTI: true}, "logout_token_missing_claim"},
		{"nonce", rptest.LogoutTokenOptions{Nonce: "n-1"}, "logout_token_nonce"},
		{"no events", rptest.LogoutTokenOptions{OmitEvents: true}, "logout_token_event"},
		{"events not an object", rptest.LogoutTokenOptions{EventsNotObject: true}, "logout_token_event"},
		{"no back-channel event", rptest.LogoutTokenOptions{OmitEvent: true}, "logout_token_event"},
		{"event not an object", rptest.LogoutTokenOptions{EventNotObject: true}, "logout_token_event"},
		{"typ JWT (an ID token's)", rptest.LogoutTokenOptions{Type: "JWT"}, "logout_token_type"},
		{"unknown kid", rptest.LogoutTokenOptions{UnknownKid: true}, "logout_token_signature"},
		{"bad signature", rptest.LogoutTokenOptions{BadSignature: true}, "logout_token_signature"},
		{"alg none", rptest.LogoutTokenOptions{AlgNone: true}, "logout_token_algorithm"},
	} {
		if tc.name != "neither sub nor sid" {
			tc.opts.SessionID = sid
		}
		before := len(refusalLines(t, &logs))
		resp, body := deliverLogoutToken(t, a.srv.URL, logoutToken(t, op, tc.opts))
		wantTokenRefused(t, tc.name, resp, body)
		lines := refusalLines(t, &logs)
		if len(lines) != before+1 || lines[len(lines)-1]["error_kind"] != tc.kind || lines[len(lines)-1]["level"] != "WARN" {
			t.Errorf("%s: log lines %v; want one more, at WARN, of kind %s", tc.name, lines[before:], tc.kind)
		}
		if status := a.statusWith(cookies); status != http.StatusOK {
			t.Fatalf("%s: the session afterwards: %d; want 200 (nothing ended)", tc.name, status)
		}
	}
	for _, l := range logs.Lines(t) {
		if l["msg"] == evBackchannelLogout {
			t.Errorf("a refused token was logged as a logout: %v", l)
		}
	}
}

// refusalLines returns the log lines of refused back-channel logouts.
func refusalLines(t *testing.T, logs *testlog.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logs.Lines(t) {
		if l["msg"] == evBackchannelFailed {
			out = append(out, l)
		}
	}
	return out
}

// aliceAtOther has alice's subject at another provider, as another
// account.
var aliceAtOther = rptest.User{Subject: alice.Subject, Claims: map[string]any{"preferred_username": "alice-other"}}

// backchannelModes are the deployments back-channel logout works in: one
// process with the defaults (cookie sessions, the in-process Shared), and
// two instances sharing a SessionStore or a SharedStore, where the token
// reaches the other instance.
var backchannelModes = []struct {
	name string
	set  func(c *Config, store session.Store, shared SharedStore)
	two  bool
}{
	{"defaults", func(*Config, session.Store, SharedStore) {}, false},
	{"store", sharedModes[0].set, true},
	{"cookie", sharedModes[1].set, true},
}

// TestBackchannelLogoutValidTokens: a valid logout token naming only a sid
// ends that session only and answers 200 with Cache-Control: no-store;
// one naming only a sub ends all of that subject's sessions at that
// provider (two), not those at another provider nor another user's; a token
// used once is refused the second time, and another token with its jti
// too, ending nothing.
func TestBackchannelLogoutValidTokens(t *testing.T) {
	for _, mode := range backchannelModes {
		t.Run(mode.name, func(t *testing.T) {
			store := session.NewMemoryStore()
			a := newWebApp(t, map[string][]rptest.User{"mock": {alice, bob}, "other": {aliceAtOther}}, func(c *Config) {
				mode.set(c, store, newMemShared(c.Now))
			})
			target := a.srv.URL // where the provider's token arrives
			if mode.two {
				b := httptest.NewServer(a.otherInstance(nil).Handler())
				t.Cleanup(b.Close)
				target = b.URL
			}
			op := a.ops["mock"]
			a.login("mock", "alice", "/me")
			first := a.newBrowser()
			a.login("mock", "alice", "/me")
			second := a.newBrowser()
			a.login("mock", "alice", "/me")
			third := a.newBrowser()
			if status, _, body := a.login("other", "alice-sub", "/me"); status != http.StatusOK {
				t.Fatalf("sign-in at the other provider: %d %s", status, body)
			}
			atOther := a.newBrowser()
			a.login("mock", "bob", "/me")
			bobs := a.newBrowser()
			sids := op.SessionIDs(alice.Subject)
			if len(sids) != 3 || sids[0] == sids[1] || sids[1] == sids[2] {
				t.Fatalf("alice's sessions at the provider %q; want three", sids)
			}
			want := map[string]int{"first": 200, "second": 200, "third": 200, "other provider": 200, "bob": 200}
			check := func(step string) {
				t.Helper()
				for name, c := range map[string][]*http.Cookie{"first": first, "second": second, "third": third, "other provider": atOther, "bob": bobs} {
					if status := a.statusWith(c); status != want[name] {
						t.Errorf("%s: %s session: %d; want %d", step, name, status, want[name])
					}
				}
			}
			check("before any logout")

			bySID := logoutToken(t, op, rptest.LogoutTokenOptions{SessionID: sids[0], JTI: "jti-sid"})
			resp, body := deliverLogoutToken(t, target, bySID)
			wantTokenAccepted(t, "sid only", resp, body)
			want["first"] = 401
			check("after the sid's logout")

			resp, body = deliverLogoutToken(t, target, bySID)
			wantTokenRefused(t, "the same token again", resp, body)
			resp, body = deliverLogoutToken(t, a.srv.URL, logoutToken(t, op, rptest.LogoutTokenOptions{SessionID: sids[1], JTI: "jti-sid"}))
			wantTokenRefused(t, "another token with a used jti", resp, body)
			check("after replays")

			resp, body = deliverLogoutToken(t, target, logoutToken(t, op, rptest.LogoutTokenOptions{Subject: alice.Subject}))
			wantTokenAccepted(t, "sub only", resp, body)
			want["second"], want["third"] = 401, 401
			check("after the sub's logout")
		})
	}
}
