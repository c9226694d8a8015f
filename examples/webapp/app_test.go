package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
)

// testApp is the app served on a loopback listener, signing in at the
// embedded mock provider.
type testApp struct {
	*httptest.Server
	issuer string
}

// startApp starts the app and its mock provider. The listener is created
// first, so that the RP's redirect URL names the port the app really has.
func startApp(t *testing.T) *testApp {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	redirect := "http://" + ts.Listener.Addr().String() + "/callback"
	op, hints := startMock(redirect)
	t.Cleanup(op.Close)
	a, err := newApp(t.Context(), rp.Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: rp.Secret(op.ClientSecret()),
		RedirectURL:  redirect,
		Logger:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, hints)
	if err != nil {
		ts.Listener.Close()
		t.Fatalf("newApp: %v", err)
	}
	ts.Config.Handler = a.handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &testApp{Server: ts, issuer: op.Issuer()}
}

// hop is one redirect a client followed.
type hop struct {
	from    *url.URL
	status  int
	cookies []*http.Cookie
}

// browser is an HTTP client with a cookie jar that records the redirects
// it follows.
type browser struct {
	*http.Client
	hops []hop
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{Client: &http.Client{Jar: jar}}
	b.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		resp := req.Response
		b.hops = append(b.hops, hop{from: resp.Request.URL, status: resp.StatusCode, cookies: resp.Cookies()})
		return nil
	}
	return b
}

// noRedirects makes the client return redirects instead of following them.
func (b *browser) noRedirects() *browser {
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

// get fetches u and returns the response and its body.
func (b *browser) get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// callbackHop returns the redirect answered by the callback.
func (b *browser) callbackHop(t *testing.T) hop {
	t.Helper()
	for _, h := range b.hops {
		if h.from.Path == "/callback" {
			return h
		}
	}
	t.Fatalf("the login never reached /callback; redirects: %v", b.hops)
	return hop{}
}

func TestLoginAndLogout(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t)

	resp, body := b.get(t, app.URL+"/login?login_hint=bob")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != app.URL+"/" {
		t.Fatalf("login ended with %d at %s, want 200 at %s/", resp.StatusCode, resp.Request.URL, app.URL)
	}
	cb := b.callbackHop(t)
	if cb.status != http.StatusSeeOther {
		t.Errorf("callback answered %d, want 303", cb.status)
	}
	var session *http.Cookie
	for _, c := range cb.cookies {
		if c.Name == "webapp_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("the callback set no session cookie")
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/" {
		t.Errorf("session cookie %v: want HttpOnly, SameSite=Lax, Path=/, not Secure on http", session)
	}
	if id, err := base64.RawURLEncoding.DecodeString(session.Value); err != nil || len(id) != 32 {
		t.Errorf("session ID %q is not 32 random bytes", session.Value)
	}

	for _, want := range []string{"bob@example.com", "<code>bob</code>", "Bob Example", `action="/logout"`, "Sign out",
		"<code>email_verified</code></th><td><code>true</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "alice") {
		t.Error("home page mentions alice although bob signed in")
	}

	resp, err := b.PostForm(app.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	body = readBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Fatalf("logout ended with %d at %s, want 200 at /", resp.StatusCode, resp.Request.URL)
	}
	if !strings.Contains(body, `href="/login"`) || !strings.Contains(body, "Sign in") {
		t.Errorf("home page after logout has no sign-in link:\n%s", body)
	}
	if strings.Contains(body, "bob@example.com") || strings.Contains(body, "Sign out") {
		t.Errorf("home page after logout still shows the user:\n%s", body)
	}
	u, _ := url.Parse(app.URL)
	for _, c := range b.Jar.Cookies(u) {
		t.Errorf("cookie %s left in the browser after logout", c.Name)
	}
}

func TestLoginReturnsToPage(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t)
	// No login_hint: the mock signs in its default user, alice.
	resp, body := b.get(t, app.URL+"/login?return_to="+url.QueryEscape("/?welcome=1"))
	if resp.StatusCode != http.StatusOK || resp.Request.URL.RequestURI() != "/?welcome=1" {
		t.Fatalf("login ended with %d at %s, want 200 at /?welcome=1", resp.StatusCode, resp.Request.URL)
	}
	if !strings.Contains(body, "alice@example.com") {
		t.Errorf("home page does not show alice:\n%s", body)
	}
}

func TestHomeOffersTestUsers(t *testing.T) {
	app := startApp(t)
	resp, body := newBrowser(t).get(t, app.URL+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("home: %d", resp.StatusCode)
	}
	for _, want := range []string{`href="/login"`, `href="/login?login_hint=alice"`, `href="/login?login_hint=bob"`} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %s:\n%s", want, body)
		}
	}
}

func TestCallbackWithBogusState(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t)
	resp, body := b.get(t, app.URL+"/callback?state=bogus&code=SECRET-CODE")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if !strings.Contains(body, "The sign-in link expired or was already used; please sign in again") {
		t.Errorf("page does not say the sign-in link expired:\n%s", body)
	}
	if !strings.Contains(body, `href="/"`) {
		t.Error("error page has no link home")
	}
	if strings.Contains(body, "SECRET-CODE") {
		t.Error("error page shows the code")
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "webapp_session" {
			t.Errorf("a failed callback set the session cookie %v", c)
		}
	}
	u, _ := url.Parse(app.URL)
	if cookies := b.Jar.Cookies(u); len(cookies) != 0 {
		t.Errorf("a failed callback left cookies: %v", cookies)
	}
}

func TestCallbackReplayed(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t)
	if resp, _ := b.get(t, app.URL+"/login?login_hint=alice"); resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	cb := b.callbackHop(t)
	resp, body := b.get(t, cb.from.String())
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired or was already used") {
		t.Errorf("replayed callback: %d\n%s", resp.StatusCode, body)
	}
}

func TestCallbackProviderErrorIsEscaped(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t).noRedirects()
	resp, _ := b.get(t, app.URL+"/login")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: %d, want 302 to the provider", resp.StatusCode)
	}
	authz, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	// Answer as a provider that refuses the login, with hostile text.
	q := url.Values{
		"state":             {authz.Query().Get("state")},
		"iss":               {app.issuer},
		"error":             {"access_denied"},
		"error_description": {`<script>alert("x")</script>`},
	}
	resp, body := b.get(t, app.URL+"/callback?"+q.Encode())
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	for _, want := range []string{"The identity provider returned an error", "access_denied",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("error page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("error page contains the provider's markup unescaped")
	}
}

func TestLoginRefusesForeignReturnTo(t *testing.T) {
	app := startApp(t)
	b := newBrowser(t).noRedirects()
	resp, body := b.get(t, app.URL+"/login?return_to="+url.QueryEscape("https://evil.example/"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("redirected to %s", loc)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("a refused login set cookies: %v", resp.Cookies())
	}
	if !strings.Contains(body, "not on this site") {
		t.Errorf("page does not explain the refusal:\n%s", body)
	}
}

func TestLogoutNeedsPost(t *testing.T) {
	app := startApp(t)
	resp, _ := newBrowser(t).get(t, app.URL+"/logout")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: %d, want 405", resp.StatusCode)
	}
}

func TestCallbackErrorPage(t *testing.T) {
	const expired = "The sign-in link expired or was already used; please sign in again"
	for _, tc := range []struct {
		err   error
		title string
	}{
		{&rp.ProviderError{Code: "login_required"}, "The identity provider returned an error"},
		{fmt.Errorf("wrapped: %w", &rp.ProviderError{Code: "x"}), "The identity provider returned an error"},
		{rp.ErrStateUnknown, expired},
		{rp.ErrStateExpired, expired},
		{rp.ErrStateReused, expired},
		{rp.ErrStateInvalid, expired},
		{rp.ErrStateMissing, expired},
		{&rp.IDTokenError{Kind: rp.ErrIDTokenExpired}, "The identity provider's token was rejected"},
		{&rp.TokenError{StatusCode: 400, Code: "invalid_grant"}, "The code exchange failed"},
		{rp.ErrMissingIDToken, "Sign-in failed"},
		{errors.New("something else"), "Sign-in failed"},
	} {
		if got := callbackErrorPage(tc.err).Title; got != tc.title {
			t.Errorf("%v: title %q, want %q", tc.err, got, tc.title)
		}
	}
	p := callbackErrorPage(&rp.ProviderError{Code: "access_denied", Description: "no"})
	if p.ProviderCode != "access_denied" || p.ProviderDescription != "no" {
		t.Errorf("provider error page %+v lacks the code and description", p)
	}
}

func TestNewAppRefusesRedirectPathOfAnotherPage(t *testing.T) {
	for _, redirect := range []string{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/login", "http://127.0.0.1:8080/logout"} {
		_, err := newApp(t.Context(), rp.Config{Authority: "http://127.0.0.1:1", ClientID: "c", RedirectURL: redirect}, nil)
		if err == nil {
			t.Errorf("newApp accepted redirect URL %s", redirect)
		}
	}
}

func TestSecureSessionCookie(t *testing.T) {
	c := newSessionStore(true).cookie("id", 60)
	if !c.Secure || !strings.HasPrefix(c.Name, "__Host-") || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("https session cookie %v: want Secure, __Host- prefixed, HttpOnly, SameSite=Lax", c)
	}
}
