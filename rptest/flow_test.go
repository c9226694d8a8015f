package rptest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCodeFlow(t *testing.T) {
	s, clock := newTest(t, nil)
	loc, q := authorize(t, s, authParams(s, nil))
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("redirected to %q, want %q", got, testRedirect)
	}
	if q.Get("state") != "state-123" || q.Get("iss") != s.URL || len(q.Get("code")) != 43 {
		t.Fatalf("authorization response %v", q)
	}

	tok := exchange(t, s, q.Get("code"))
	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3600) ||
		tok["scope"] != "openid profile email" || tok["access_token"] == "" || tok["refresh_token"] == nil {
		t.Fatalf("token response %v", tok)
	}
	claims, hdr := verifyIDToken(t, s, tok["id_token"].(string))
	if hdr.Algorithm != "RS256" || hdr.KeyID != fetchJWKS(t, s).Keys[0].KeyID {
		t.Errorf("header alg %q kid %q", hdr.Algorithm, hdr.KeyID)
	}
	now := clock.Now()
	want := map[string]any{
		"iss":            s.URL,
		"sub":            "alice",
		"aud":            s.ClientID(),
		"nonce":          "nonce-456",
		"iat":            float64(now.Unix()),
		"exp":            float64(now.Add(time.Hour).Unix()),
		"auth_time":      float64(now.Unix()),
		"at_hash":        leftHalfSHA256(tok["access_token"].(string)),
		"email":          "alice@example.com",
		"email_verified": true,
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if _, ok := claims["phone_number"]; ok {
		t.Error("UserInfo-only claim leaked into the ID token")
	}
	for _, ep := range []string{EndpointAuthorize, EndpointToken} {
		if s.Requests(ep) != 1 {
			t.Errorf("Requests(%s) = %d, want 1", ep, s.Requests(ep))
		}
	}
}

func TestAuthorizeNoRedirectErrors(t *testing.T) {
	s, _ := newTest(t, nil)
	cases := map[string]func(url.Values){
		"unknown client":     func(v url.Values) { v.Set("client_id", "nope") },
		"missing client":     func(v url.Values) { v.Del("client_id") },
		"missing redirect":   func(v url.Values) { v.Del("redirect_uri") },
		"relative redirect":  func(v url.Values) { v.Set("redirect_uri", "/callback") },
		"redirect fragment":  func(v url.Values) { v.Set("redirect_uri", testRedirect+"#x") },
		"unregistered":       func(v url.Values) { v.Set("redirect_uri", "http://evil.example/callback") },
		"repeated client_id": func(v url.Values) { v.Add("client_id", "x") },
		"bad escape":         nil,
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			raw := s.URL + "/authorize?" + authParams(s, edit).Encode()
			if edit == nil {
				raw = s.URL + "/authorize?client_id=%zz"
			}
			resp := get(t, s, raw)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("status %d Location %q, want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

func TestAuthorizeRedirectErrors(t *testing.T) {
	s, _ := newTest(t, nil)
	cases := []struct {
		name string
		edit func(url.Values)
		want string
	}{
		{"plain OAuth implicit", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		{"unknown response_type", func(v url.Values) { v.Set("response_type", "code code") }, "unsupported_response_type"},
		{"no response_type", func(v url.Values) { v.Del("response_type") }, "invalid_request"},
		{"no openid", func(v url.Values) { v.Set("scope", "profile") }, "invalid_scope"},
		{"method without challenge", func(v url.Values) { v.Del("code_challenge") }, "invalid_request"},
		{"bad method", func(v url.Values) { v.Set("code_challenge_method", "S512") }, "invalid_request"},
		{"short challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, "invalid_request"},
		{"repeated state", func(v url.Values) { v.Add("state", "again") }, "invalid_request"},
		{"bad response_mode", func(v url.Values) { v.Set("response_mode", "web_message") }, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, q := authorize(t, s, authParams(s, c.edit))
			if q.Get("error") != c.want || q.Get("code") != "" || q.Get("iss") != s.URL {
				t.Errorf("response %v, want error=%s with iss and no code", q, c.want)
			}
		})
	}
}

func TestAuthorizeUserSelection(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.Users = nil })
	_, q := authorize(t, s, authParams(s, nil))
	if q.Get("error") != "login_required" || q.Get("state") != "state-123" {
		t.Fatalf("no users: %v", q)
	}

	s.AddUser(alice)
	s.AddUser(bob)
	for hint, want := range map[string]string{"": "alice", "bob": "bob", "bobby": "bob", "bob@example.com": "bob", "stranger": "alice"} {
		code := getCode(t, s, func(v url.Values) { v.Set("login_hint", hint) })
		claims, _ := verifyIDToken(t, s, exchange(t, s, code)["id_token"].(string))
		if claims["sub"] != want {
			t.Errorf("login_hint %q signed in %v, want %s", hint, claims["sub"], want)
		}
	}

	s.SetDefaultUser("bob")
	claims, _ := verifyIDToken(t, s, login(t, s)["id_token"].(string))
	if claims["sub"] != "bob" {
		t.Errorf("default user %v, want bob", claims["sub"])
	}
	s.AddUser(User{Subject: "bob", Claims: map[string]any{"name": "Robert"}})
	claims, _ = verifyIDToken(t, s, login(t, s)["id_token"].(string))
	if claims["name"] != "Robert" || claims["email"] != nil {
		t.Errorf("replaced user claims %v", claims)
	}
	s.SetDefaultUser("")
	if _, q := authorize(t, s, authParams(s, nil)); q.Get("error") != "login_required" {
		t.Errorf("signed out: %v", q)
	}
}

func TestAuthorizeResponseShapes(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.RedirectURIs = nil })

	// Existing query of the redirect_uri is kept; any absolute URI works.
	loc, q := authorize(t, s, authParams(s, func(v url.Values) {
		v.Set("redirect_uri", "https://app.example/cb?tenant=7")
	}))
	if loc.Host != "app.example" || q.Get("tenant") != "7" || q.Get("code") == "" {
		t.Errorf("redirect %v", loc)
	}

	// No state in the request: none in the response.
	if _, q := authorize(t, s, authParams(s, func(v url.Values) { v.Del("state") })); q.Has("state") {
		t.Errorf("state invented: %v", q)
	}

	// Fragment mode.
	loc, _ = authorize(t, s, authParams(s, func(v url.Values) { v.Set("response_mode", "fragment") }))
	frag, _ := url.ParseQuery(loc.Fragment)
	if loc.RawQuery != "" || frag.Get("code") == "" || frag.Get("state") != "state-123" {
		t.Errorf("fragment response %v", loc)
	}

	// form_post mode: a 200 page with an auto-submitted form.
	resp, err := noRedirect(s).Get(s.URL + "/authorize?" + authParams(s, func(v url.Values) {
		v.Set("response_mode", "form_post")
		v.Set("state", `"><script>`)
	}).Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `action="`+testRedirect+`"`) ||
		!strings.Contains(string(page), `name="code"`) || strings.Contains(string(page), "<script>") {
		t.Errorf("form_post: %d %s", resp.StatusCode, page)
	}

	// POST to the authorization endpoint works too.
	post, err := noRedirect(s).PostForm(s.URL+"/authorize", authParams(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusFound {
		t.Errorf("POST authorize: %d", post.StatusCode)
	}
}
