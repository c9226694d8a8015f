package rptest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenClientAuthentication(t *testing.T) {
	s, _ := newTest(t, nil)

	status, body, hdr := tokenCall(t, s, codeForm(getCode(t, s, nil)), s.ClientID(), "wrong")
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
	if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("WWW-Authenticate %q", hdr.Get("WWW-Authenticate"))
	}

	status, body, _ = tokenCall(t, s, codeForm(getCode(t, s, nil)), "", "")
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")

	status, body, _ = tokenCall(t, s, codeForm(getCode(t, s, nil)), "other-client", s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")

	// client_secret_post.
	form := codeForm(getCode(t, s, nil))
	form.Set("client_id", s.ClientID())
	form.Set("client_secret", s.ClientSecret())
	if status, body, _ := tokenCall(t, s, form, "", ""); status != http.StatusOK || body["id_token"] == nil {
		t.Fatalf("client_secret_post: %d %v", status, body)
	}

	// Both methods at once.
	form = codeForm(getCode(t, s, nil))
	form.Set("client_secret", s.ClientSecret())
	status, body, _ = tokenCall(t, s, form, s.ClientID(), s.ClientSecret())
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")

	// A Bearer header is not client authentication.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/token", strings.NewReader(codeForm(getCode(t, s, nil)).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer abc")
	status, body, _ = do(t, s, req)
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
}

func TestTokenBasicAuthIsFormEncoded(t *testing.T) {
	const id, secret = "client:with/odd chars", "s3cr%t+&=:"
	s, _ := newTest(t, func(c *Config) { c.ClientID, c.ClientSecret = id, secret })
	if status, body, _ := tokenCall(t, s, codeForm(getCode(t, s, nil)), id, secret); status != http.StatusOK {
		t.Fatalf("encoded Basic credentials: %d %v", status, body)
	}
}

func TestTokenCodeChecks(t *testing.T) {
	s, clock := newTest(t, nil)
	basic := func(form url.Values) (int, map[string]any) {
		status, body, _ := tokenCall(t, s, form, s.ClientID(), s.ClientSecret())
		return status, body
	}

	t.Run("reused code revokes", func(t *testing.T) {
		code := getCode(t, s, nil)
		tok := exchange(t, s, code)
		status, body := basic(codeForm(code))
		wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
		if status, _ := userinfo(t, s, tok["access_token"].(string)); status != http.StatusUnauthorized {
			t.Errorf("access token survived code reuse: %d", status)
		}
	})
	cases := []struct {
		name string
		edit func(url.Values)
		auth func(url.Values)
	}{
		{"unknown code", func(f url.Values) { f.Set("code", "nope") }, nil},
		{"wrong redirect_uri", func(f url.Values) { f.Set("redirect_uri", testRedirect+"/x") }, nil},
		{"missing redirect_uri", func(f url.Values) { f.Del("redirect_uri") }, nil},
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", strings.Repeat("a", 43)) }, nil},
		{"malformed verifier", func(f url.Values) { f.Set("code_verifier", "short") }, nil},
		{"missing verifier", func(f url.Values) { f.Del("code_verifier") }, nil},
		{"verifier without challenge", nil, func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := codeForm(getCode(t, s, c.auth))
			if c.edit != nil {
				c.edit(form)
			}
			status, body := basic(form)
			wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
		})
	}
	t.Run("failed attempt burns the code", func(t *testing.T) {
		code := getCode(t, s, nil)
		form := codeForm(code)
		form.Del("code_verifier")
		basic(form)
		status, body := basic(codeForm(code))
		wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("expired code", func(t *testing.T) {
		code := getCode(t, s, nil)
		clock.Advance(61 * time.Second)
		status, body := basic(codeForm(code))
		wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("code just in time", func(t *testing.T) {
		code := getCode(t, s, nil)
		clock.Advance(59 * time.Second)
		exchange(t, s, code)
	})
	t.Run("plain PKCE is the default method", func(t *testing.T) {
		code := getCode(t, s, func(v url.Values) {
			v.Set("code_challenge", testVerifier)
			v.Del("code_challenge_method")
		})
		exchange(t, s, code)
	})
	t.Run("no PKCE at all", func(t *testing.T) {
		code := getCode(t, s, func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") })
		form := codeForm(code)
		form.Del("code_verifier")
		if status, body := basic(form); status != http.StatusOK {
			t.Errorf("confidential client without PKCE: %d %v", status, body)
		}
	})
}

func TestTokenRequestShape(t *testing.T) {
	s, _ := newTest(t, nil)
	post := func(contentType, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.SetBasicAuth(s.ClientID(), s.ClientSecret())
		status, b, _ := do(t, s, req)
		return status, b
	}
	form := codeForm(getCode(t, s, nil))

	status, body := post("application/json", `{"grant_type":"authorization_code"}`)
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")

	status, body = post("application/x-www-form-urlencoded", "code="+strings.Repeat("x", 70<<10))
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")

	status, body = post("application/x-www-form-urlencoded", form.Encode()+"&code=again")
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")

	status, body = post("application/x-www-form-urlencoded", "grant_type=password&username=a&password=b")
	wantOAuthError(t, status, body, http.StatusBadRequest, "unsupported_grant_type")

	status, body = post("application/x-www-form-urlencoded", "code=abc")
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")

	// Parameters in the URL query do not count.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/token?"+form.Encode(), strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID(), s.ClientSecret())
	status, body, _ = do(t, s, req)
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")
}

func TestPublicClient(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.PublicClient = true })
	if _, q := authorize(t, s, authParams(s, func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") })); q.Get("error") != "invalid_request" {
		t.Errorf("public client without PKCE: %v", q)
	}
	form := codeForm(getCode(t, s, nil))
	form.Set("client_id", s.ClientID())
	if status, body, _ := tokenCall(t, s, form, "", ""); status != http.StatusOK || body["id_token"] == nil {
		t.Fatalf("public client token: %d %v", status, body)
	}
	// An empty Basic password, as some clients send, is accepted.
	if status, body, _ := tokenCall(t, s, codeForm(getCode(t, s, nil)), s.ClientID(), ""); status != http.StatusOK {
		t.Fatalf("public client with empty Basic secret: %d %v", status, body)
	}
	status, body, _ := tokenCall(t, s, codeForm(getCode(t, s, nil)), s.ClientID(), "guess")
	wantOAuthError(t, status, body, http.StatusUnauthorized, "invalid_client")
}

func TestRefreshGrant(t *testing.T) {
	s, clock := newTest(t, nil)
	first := login(t, s)
	clock.Advance(10 * time.Minute)
	refresh := func(rt, scope string) (int, map[string]any) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		if scope != "" {
			form.Set("scope", scope)
		}
		status, body, _ := tokenCall(t, s, form, s.ClientID(), s.ClientSecret())
		return status, body
	}
	status, second := refresh(first["refresh_token"].(string), "")
	if status != http.StatusOK || second["refresh_token"] == first["refresh_token"] || second["access_token"] == first["access_token"] {
		t.Fatalf("refresh: %d %v", status, second)
	}
	claims, _ := verifyIDToken(t, s, second["id_token"].(string))
	orig, _ := verifyIDToken(t, s, first["id_token"].(string))
	if claims["sub"] != "alice" || claims["nonce"] != nil || claims["auth_time"] != orig["auth_time"] ||
		claims["iat"] != float64(clock.Now().Unix()) {
		t.Errorf("refreshed ID token claims %v", claims)
	}

	// The old refresh token was rotated away.
	status, body := refresh(first["refresh_token"].(string), "")
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")

	// Narrowing works, widening does not.
	status, body = refresh(second["refresh_token"].(string), "openid phone")
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_scope")
	status, third := refresh(second["refresh_token"].(string), "openid email")
	if status != http.StatusOK || third["scope"] != "openid email" {
		t.Fatalf("narrowed refresh: %d %v", status, third)
	}
	status, body = refresh("", "")
	wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_request")
}
