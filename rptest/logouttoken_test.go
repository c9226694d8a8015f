package rptest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestLogoutTokenValid: the default token has exactly the documented
// header and claims and verifies with the published keys.
func TestLogoutTokenValid(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s, clock := newTest(t, func(c *Config) { c.SigningAlg = alg })
			tok, err := s.LogoutToken(LogoutTokenOptions{Subject: "alice", SessionID: "sid-1"})
			if err != nil {
				t.Fatal(err)
			}
			claims, hdr := verifyIDToken(t, s, tok)
			if string(hdr.Algorithm) != alg || hdr.KeyID != fetchJWKS(t, s).Keys[0].KeyID || hdr.ExtraHeaders["typ"] != "logout+jwt" {
				t.Fatalf("header %+v", hdr)
			}
			now := clock.Now()
			jti, _ := claims["jti"].(string)
			want := map[string]any{
				"iss": s.URL, "aud": s.ClientID(), "sub": "alice", "sid": "sid-1", "jti": jti,
				"iat": float64(now.Unix()), "exp": float64(now.Add(DefaultLogoutTokenTTL).Unix()),
				"events": map[string]any{backChannelLogoutEvent: map[string]any{}},
			}
			if len(jti) < 16 || !reflect.DeepEqual(claims, want) {
				t.Fatalf("claims\n got %v\nwant %v", claims, want)
			}
			again, _ := s.LogoutToken(LogoutTokenOptions{Subject: "alice"})
			if c, _ := verifyIDToken(t, s, again); c["jti"] == jti || c["sid"] != nil {
				t.Fatalf("second token %v: want a new jti and no sid", c)
			}
		})
	}
}

// TestLogoutTokenOptions: each option spoils the token the documented way.
func TestLogoutTokenOptions(t *testing.T) {
	s, clock := newTest(t, nil)
	now := clock.Now()
	for _, tc := range []struct {
		name  string
		opts  LogoutTokenOptions
		check func(hdr, claims map[string]any) bool
	}{
		{"issuer", LogoutTokenOptions{Issuer: "https://evil.example"}, func(_, c map[string]any) bool { return c["iss"] == "https://evil.example" }},
		{"audience", LogoutTokenOptions{Audience: []string{"other"}}, func(_, c map[string]any) bool { return reflect.DeepEqual(c["aud"], []any{"other"}) }},
		{"empty audience", LogoutTokenOptions{Audience: []string{}}, func(_, c map[string]any) bool { return reflect.DeepEqual(c["aud"], []any{}) }},
		{"no audience", LogoutTokenOptions{Audience: []string{"x"}, OmitAudience: true}, func(_, c map[string]any) bool { return !has(c, "aud") }},
		{"old iat", LogoutTokenOptions{IssuedAt: -time.Hour}, func(_, c map[string]any) bool {
			return c["iat"] == float64(now.Add(-time.Hour).Unix()) && c["exp"] == float64(now.Add(DefaultLogoutTokenTTL).Unix())
		}},
		{"future iat", LogoutTokenOptions{IssuedAt: time.Hour}, func(_, c map[string]any) bool { return c["iat"] == float64(now.Add(time.Hour).Unix()) }},
		{"no iat", LogoutTokenOptions{IssuedAt: time.Hour, OmitIssuedAt: true}, func(_, c map[string]any) bool { return !has(c, "iat") }},
		{"expired", LogoutTokenOptions{Expiry: -time.Minute}, func(_, c map[string]any) bool { return c["exp"] == float64(now.Add(-time.Minute).Unix()) }},
		{"no exp", LogoutTokenOptions{OmitExpiry: true}, func(_, c map[string]any) bool { return !has(c, "exp") }},
		{"jti", LogoutTokenOptions{JTI: "replayed"}, func(_, c map[string]any) bool { return c["jti"] == "replayed" }},
		{"no jti", LogoutTokenOptions{JTI: "x", OmitJTI: true}, func(_, c map[string]any) bool { return !has(c, "jti") }},
		{"nonce", LogoutTokenOptions{Nonce: "n-1"}, func(_, c map[string]any) bool { return c["nonce"] == "n-1" }},
		{"no events", LogoutTokenOptions{OmitEvents: true}, func(_, c map[string]any) bool { return !has(c, "events") }},
		{"events not object", LogoutTokenOptions{EventsNotObject: true}, func(_, c map[string]any) bool {
			return reflect.DeepEqual(c["events"], []any{backChannelLogoutEvent})
		}},
		{"no event", LogoutTokenOptions{OmitEvent: true}, func(_, c map[string]any) bool {
			ev, ok := c["events"].(map[string]any)
			return ok && len(ev) == 1 && !has(ev, backChannelLogoutEvent)
		}},
		{"event not object", LogoutTokenOptions{EventNotObject: true}, func(_, c map[string]any) bool {
			return reflect.DeepEqual(c["events"], map[string]any{backChannelLogoutEvent: "logout"})
		}},
		{"typ JWT", LogoutTokenOptions{Type: "JWT"}, func(h, _ map[string]any) bool { return h["typ"] == "JWT" }},
		{"no typ", LogoutTokenOptions{Type: "JWT", OmitType: true}, func(h, _ map[string]any) bool { return !has(h, "typ") }},
		{"neither sub nor sid", LogoutTokenOptions{}, func(_, c map[string]any) bool { return !has(c, "sub") && !has(c, "sid") }},
		{"extra claims", LogoutTokenOptions{ExtraClaims: map[string]any{"azp": "other", "iss": nil}}, func(_, c map[string]any) bool {
			return c["azp"] == "other" && !has(c, "iss")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := s.LogoutToken(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			hdr, claims, _ := unverifiedParts(t, tok)
			if !tc.check(hdr, claims) {
				t.Fatalf("header %v claims %v", hdr, claims)
			}
			// Claim options leave the signature valid.
			if _, _, err := tryVerify(fetchJWKS(t, s), tok); err != nil {
				t.Fatalf("token does not verify: %v", err)
			}
		})
	}
}

// TestLogoutTokenSigningOptions: an unknown kid, a bad signature and alg
// none each give a token the published keys do not verify.
func TestLogoutTokenSigningOptions(t *testing.T) {
	s, _ := newTest(t, nil)
	set := fetchJWKS(t, s)
	current := set.Keys[0].KeyID
	var kids []string
	for range 2 {
		tok, err := s.LogoutToken(LogoutTokenOptions{Subject: "alice", UnknownKid: true})
		if err != nil {
			t.Fatal(err)
		}
		hdr, _, _ := unverifiedParts(t, tok)
		kid, _ := hdr["kid"].(string)
		if kid == "" || len(set.Key(kid)) != 0 || kid == s.RogueKey().KeyID || hdr["typ"] != "logout+jwt" {
			t.Fatalf("unknown-kid header %v", hdr)
		}
		if _, _, err := tryVerify(set, tok); err == nil {
			t.Fatal("unknown-kid token verifies with the published keys")
		}
		kids = append(kids, kid)
	}
	if kids[0] == kids[1] {
		t.Fatalf("two unknown-kid tokens share kid %q", kids[0])
	}
	bad, _ := s.LogoutToken(LogoutTokenOptions{Subject: "alice", BadSignature: true})
	if hdr, _, _ := unverifiedParts(t, bad); hdr["kid"] != current {
		t.Fatalf("bad-signature header %v; want kid %q", hdr, current)
	}
	if _, _, err := tryVerify(set, bad); err == nil {
		t.Fatal("bad-signature token verifies")
	}
	none, _ := s.LogoutToken(LogoutTokenOptions{Subject: "alice", AlgNone: true, BadSignature: true})
	hdr, claims, sig := unverifiedParts(t, none)
	if !reflect.DeepEqual(hdr, map[string]any{"alg": "none"}) || sig != "" || claims["sub"] != "alice" {
		t.Fatalf("alg none token: header %v claims %v sig %q", hdr, claims, sig)
	}
}

// TestLogoutTokenEntraIssuer: under EntraMultiTenant the token's iss is
// that of the user's tenant, found from the subject or the session.
func TestLogoutTokenEntraIssuer(t *testing.T) {
	s, _ := newTest(t, func(c *Config) {
		c.EntraMultiTenant = true
		c.Users = []User{{Subject: "carol", Claims: map[string]any{"tid": "tenant-1"}}}
	})
	login(t, s)
	sid := s.SessionIDs("carol")[0]
	want := s.URL + "/tenant-1/v2.0"
	for _, opts := range []LogoutTokenOptions{{Subject: "carol"}, {SessionID: sid}} {
		tok, _ := s.LogoutToken(opts)
		if _, c, _ := unverifiedParts(t, tok); c["iss"] != want {
			t.Errorf("%+v: iss %v; want %q", opts, c["iss"], want)
		}
	}
	u, _ := url.Parse(s.FrontchannelLogoutURL("https://rp.example/fc", sid))
	if u.Query().Get("iss") != want {
		t.Errorf("front-channel iss %q; want %q", u.Query().Get("iss"), want)
	}
}

func TestLogoutTokenUnencodableClaims(t *testing.T) {
	s, _ := newTest(t, nil)
	if _, err := s.LogoutToken(LogoutTokenOptions{Subject: "alice", ExtraClaims: map[string]any{"x": func() {}}}); err == nil {
		t.Fatal("LogoutToken with an unencodable claim succeeded")
	}
}

// TestSendBackchannelLogout: the token is POSTed as a provider does, the
// answer is returned, redirects are not followed and the body read is
// bounded.
func TestSendBackchannelLogout(t *testing.T) {
	s, _ := newTest(t, nil)
	type got struct {
		method, ctype, token string
		n                    int
	}
	seen := make(chan got, 1)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		seen <- got{r.Method, r.Header.Get("Content-Type"), r.PostForm.Get("logout_token"), len(r.PostForm)}
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/huge":
			_, _ = w.Write([]byte(strings.Repeat("x", maxLogoutResponse+10)))
		default:
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
		}
	}))
	defer rp.Close()
	ctx := context.Background()

	status, body, err := s.SendBackchannelLogout(ctx, rp.URL+"/bc", "tok.en.value")
	g := <-seen
	if err != nil || status != http.StatusBadRequest || string(body) != `{"error":"invalid_request"}` {
		t.Fatalf("SendBackchannelLogout = %d %q %v", status, body, err)
	}
	if g != (got{http.MethodPost, "application/x-www-form-urlencoded", "tok.en.value", 1}) {
		t.Fatalf("request %+v", g)
	}

	status, _, err = s.SendBackchannelLogout(ctx, rp.URL+"/redirect", "t")
	<-seen
	if err != nil || status != http.StatusFound {
		t.Fatalf("redirect: %d %v; want 302 returned, not followed", status, err)
	}
	select {
	case g := <-seen:
		t.Fatalf("the redirect was followed: %+v", g)
	default:
	}

	status, body, err = s.SendBackchannelLogout(ctx, rp.URL+"/huge", "t")
	<-seen
	if err == nil || status != http.StatusOK || len(body) != maxLogoutResponse {
		t.Fatalf("huge answer: %d, %d bytes, %v; want 200, %d bytes and an error", status, len(body), err, maxLogoutResponse)
	}

	rp.Close()
	if _, _, err := s.SendBackchannelLogout(ctx, rp.URL+"/bc", "t"); err == nil {
		t.Fatal("sending to a closed server succeeded")
	}
	if _, _, err := s.SendBackchannelLogout(ctx, "://bad", "t"); err == nil {
		t.Fatal("sending to a malformed URI succeeded")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.SendBackchannelLogout(canceled, rp.URL+"/bc", "t"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
