package rptest

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// withLoginPage turns Config.LoginPage on for newTest.
func withLoginPage(c *Config) { c.LoginPage = true }

// fetchPage GETs the authorization endpoint with params and returns the
// response and its body, without following redirects.
func fetchPage(t *testing.T, s *Server, params url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect(s).Get(s.URL + PathAuthorize + "?" + params.Encode())
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

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// hiddenFields returns the hidden fields of a login page, unescaped.
func hiddenFields(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if len(v) == 0 {
		t.Fatalf("login page has no hidden fields:\n%s", page)
	}
	return v
}

// choose posts form (the page's fields plus the chosen user) to the
// authorization endpoint, requires a 302 and returns the Location's query.
func choose(t *testing.T, s *Server, form url.Values, sub string) url.Values {
	t.Helper()
	form.Set(chosenUserParam, sub)
	resp, err := noRedirect(s).PostForm(s.URL+PathAuthorize, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("choosing %s: status %d, want 302", sub, resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != testRedirect {
		t.Fatalf("choosing %s: redirected to %q", sub, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func TestLoginPageChoosesUser(t *testing.T) {
	s, _ := newTest(t, withLoginPage)
	params := authParams(s, func(v url.Values) { v.Set("ui_locales", "en") })
	resp, page := fetchPage(t, s, params)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("authorize: %d %s, want the login page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, h := range []string{"Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("login page lacks %s", h)
		}
	}
	for _, want := range []string{`value="alice"`, `value="bob"`, "alice@example.com", "bob@example.com", `action="` + s.URL + `/authorize"`} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %s:\n%s", want, page)
		}
	}
	form := hiddenFields(t, page)
	for name := range params {
		if form.Get(name) != params.Get(name) {
			t.Errorf("hidden %s = %q, want %q", name, form.Get(name), params.Get(name))
		}
	}

	q := choose(t, s, form, "bob")
	if q.Get("state") != "state-123" || q.Get("iss") != s.URL || q.Get("code") == "" {
		t.Fatalf("authorization response %v", q)
	}
	claims, _ := verifyIDToken(t, s, exchange(t, s, q.Get("code"))["id_token"].(string))
	if claims["sub"] != "bob" || claims["nonce"] != "nonce-456" {
		t.Errorf("ID token sub %v nonce %v, want bob and the request's nonce", claims["sub"], claims["nonce"])
	}
}

func TestLoginPageSkippedForHintedUser(t *testing.T) {
	s, _ := newTest(t, withLoginPage)
	for _, hint := range []string{"bob", "bobby", "bob@example.com"} {
		code := getCode(t, s, func(v url.Values) { v.Set("login_hint", hint) })
		claims, _ := verifyIDToken(t, s, exchange(t, s, code)["id_token"].(string))
		if claims["sub"] != "bob" {
			t.Errorf("login_hint %s signed in %v, want bob", hint, claims["sub"])
		}
	}
	resp, _ := fetchPage(t, s, authParams(s, func(v url.Values) { v.Set("login_hint", "nobody") }))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("unknown login_hint: %d, want the login page", resp.StatusCode)
	}
}

func TestLoginPageRefusals(t *testing.T) {
	s, _ := newTest(t, withLoginPage)
	// prompt=none cannot show a page.
	_, q := authorize(t, s, authParams(s, func(v url.Values) { v.Set("prompt", "none") }))
	if q.Get("error") != "login_required" || q.Get("state") != "state-123" {
		t.Errorf("prompt=none: %v, want error=login_required", q)
	}
	// A user that does not exist.
	q = choose(t, s, authParams(s, nil), "mallory")
	if q.Get("error") != "login_required" || q.Get("code") != "" {
		t.Errorf("unknown chosen user: %v, want error=login_required", q)
	}
	// The chosen user only counts in a POST body, not in the query.
	resp, _ := fetchPage(t, s, authParams(s, func(v url.Values) { v.Set(chosenUserParam, "bob") }))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s in the query: %d, want the login page", chosenUserParam, resp.StatusCode)
	}
	// Request errors are still answered before any page.
	_, q = authorize(t, s, authParams(s, func(v url.Values) { v.Set("scope", "profile") }))
	if q.Get("error") != "invalid_scope" {
		t.Errorf("scope without openid: %v, want error=invalid_scope", q)
	}
	// No users: nobody to choose.
	empty, _ := newTest(t, func(c *Config) { c.LoginPage, c.Users = true, nil })
	_, q = authorize(t, empty, authParams(empty, nil))
	if q.Get("error") != "login_required" {
		t.Errorf("no users: %v, want error=login_required", q)
	}
}

func TestLoginPageEscapes(t *testing.T) {
	s, _ := newTest(t, func(c *Config) {
		c.LoginPage = true
		c.Users = []User{{Subject: `"><script>x</script>`, Claims: map[string]any{"name": "<b>Eve</b>"}}}
	})
	state := `"><img src=x onerror=alert(1)>`
	_, page := fetchPage(t, s, authParams(s, func(v url.Values) { v.Set("state", state) }))
	for _, bad := range []string{"<script>", "<img", "<b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("login page contains %s unescaped:\n%s", bad, page)
		}
	}
	form := hiddenFields(t, page)
	if form.Get("state") != state {
		t.Errorf("hidden state %q, want %q", form.Get("state"), state)
	}
	if q := choose(t, s, form, `"><script>x</script>`); q.Get("code") == "" || q.Get("state") != state {
		t.Errorf("authorization response %v", q)
	}
}

func TestNoLoginPageByDefault(t *testing.T) {
	s, _ := newTest(t, nil)
	resp, body := fetchPage(t, s, authParams(s, nil))
	if resp.StatusCode != http.StatusFound || strings.Contains(body, "<form") {
		t.Errorf("default config: %d, want a redirect without a page", resp.StatusCode)
	}
}
