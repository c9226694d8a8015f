package rptest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// responseTypes are the response types the provider supports.
var responseTypes = []string{"code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"}

// frontChannel sends params to the authorization endpoint and returns how
// the response came back ("query", "fragment" or "form_post") and its
// parameters, parsed from the Location query or fragment, or from the
// hidden fields of the form_post page.
func frontChannel(t *testing.T, s *Server, params url.Values) (string, url.Values) {
	t.Helper()
	resp, err := noRedirect(s).Get(s.URL + PathAuthorize + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusFound:
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatalf("bad Location: %v", err)
		}
		if loc.Scheme+"://"+loc.Host+loc.Path != params.Get("redirect_uri") {
			t.Fatalf("redirected to %q", loc)
		}
		if loc.Fragment != "" {
			if loc.RawQuery != "" {
				t.Errorf("both query and fragment in %q", loc)
			}
			v, err := url.ParseQuery(loc.Fragment)
			if err != nil {
				t.Fatalf("bad fragment %q: %v", loc.Fragment, err)
			}
			return "fragment", v
		}
		return "query", loc.Query()
	case http.StatusOK:
		page := string(body)
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(page, `<form method="post" action="`+html.EscapeString(params.Get("redirect_uri"))+`">`) ||
			!strings.Contains(page, `onload="document.forms[0].submit()"`) ||
			!strings.Contains(page, `<noscript><button type="submit">`) {
			t.Fatalf("not a form_post page: %s", page)
		}
		v := url.Values{}
		for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
			v.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
		}
		return "form_post", v
	}
	t.Fatalf("authorize: status %d %s", resp.StatusCode, body)
	return "", nil
}

// leftHalf computes c_hash / at_hash the long way for alg.
func leftHalf(alg, v string) string {
	if alg == "EdDSA" {
		sum := sha512.Sum512([]byte(v))
		return base64.RawURLEncoding.EncodeToString(sum[:32])
	}
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func TestResponseTypesAndModes(t *testing.T) {
	s, clock := newTest(t, nil)
	for _, rtype := range responseTypes {
		tokens := rtype != "code"
		modes := []string{"", "fragment", "form_post"}
		if !tokens {
			modes = append(modes, "query")
		}
		for _, mode := range modes {
			t.Run(rtype+"/"+mode, func(t *testing.T) {
				got, v := frontChannel(t, s, authParams(s, func(p url.Values) {
					p.Set("response_type", rtype)
					if mode != "" {
						p.Set("response_mode", mode)
					}
				}))
				want := mode
				if want == "" {
					want = map[bool]string{false: "query", true: "fragment"}[tokens]
				}
				if got != want {
					t.Errorf("delivered by %s, want %s", got, want)
				}
				if v.Get("state") != "state-123" || v.Get("iss") != s.URL || v.Has("error") {
					t.Fatalf("response %v", v)
				}
				for part, names := range map[string][]string{
					"code":     {"code"},
					"token":    {"access_token", "token_type", "expires_in"},
					"id_token": {"id_token"},
				} {
					has := strings.Contains(" "+rtype+" ", " "+part+" ")
					for _, n := range names {
						if v.Has(n) != has {
							t.Errorf("%s present = %v, want %v: %v", n, v.Has(n), has, v)
						}
					}
				}
				if v.Has("access_token") && (v.Get("token_type") != "Bearer" || v.Get("expires_in") != "3600") {
					t.Errorf("token_type %q expires_in %q", v.Get("token_type"), v.Get("expires_in"))
				}
				if v.Has("refresh_token") {
					t.Error("refresh_token in the front channel")
				}
				if !v.Has("id_token") {
					return
				}
				claims, _ := verifyIDToken(t, s, v.Get("id_token"))
				now := float64(clock.Now().Unix())
				if claims["iss"] != s.URL || claims["sub"] != "alice" || claims["aud"] != s.ClientID() ||
					claims["nonce"] != "nonce-456" || claims["iat"] != now || claims["auth_time"] == nil ||
					claims["email"] != "alice@example.com" {
					t.Errorf("claims %v", claims)
				}
				if code := v.Get("code"); code != "" {
					if claims["c_hash"] != leftHalfSHA256(code) {
						t.Errorf("c_hash %v, want %s", claims["c_hash"], leftHalfSHA256(code))
					}
				} else if claims["c_hash"] != nil {
					t.Errorf("c_hash without code: %v", claims["c_hash"])
				}
				if at := v.Get("access_token"); at != "" {
					if claims["at_hash"] != leftHalfSHA256(at) {
						t.Errorf("at_hash %v, want %s", claims["at_hash"], leftHalfSHA256(at))
					}
				} else if claims["at_hash"] != nil {
					t.Errorf("at_hash without access token: %v", claims["at_hash"])
				}
			})
		}
	}
}

func TestResponseTypeOrderDoesNotMatter(t *testing.T) {
	s, _ := newTest(t, nil)
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "token id_token code") }))
	if v.Get("code") == "" || v.Get("access_token") == "" || v.Get("id_token") == "" {
		t.Errorf("response %v", v)
	}
}

func TestFrontChannelHashesPerAlg(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s, _ := newTest(t, func(c *Config) { c.SigningAlg = alg })
			_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "code id_token token") }))
			claims, hdr := verifyIDToken(t, s, v.Get("id_token"))
			if hdr.Algorithm != alg {
				t.Errorf("alg %s", hdr.Algorithm)
			}
			if want := leftHalf(alg, v.Get("code")); claims["c_hash"] != want {
				t.Errorf("c_hash %v, want %s", claims["c_hash"], want)
			}
			if want := leftHalf(alg, v.Get("access_token")); claims["at_hash"] != want {
				t.Errorf("at_hash %v, want %s", claims["at_hash"], want)
			}
		})
	}
}

func TestFrontChannelNonceRequired(t *testing.T) {
	s, _ := newTest(t, nil)
	for _, rtype := range responseTypes {
		noNonce := func(p url.Values) { p.Set("response_type", rtype); p.Del("nonce") }
		mode, v := frontChannel(t, s, authParams(s, noNonce))
		if strings.Contains(rtype, "id_token") {
			if v.Get("error") != "invalid_request" || mode != "fragment" || v.Has("code") || v.Has("access_token") ||
				v.Get("state") != "state-123" || v.Get("iss") != s.URL {
				t.Errorf("%s without nonce: %s %v, want invalid_request in the fragment", rtype, mode, v)
			}
		} else if v.Has("error") {
			t.Errorf("%s without nonce: %v", rtype, v)
		}
	}
}

func TestFrontChannelRequestErrors(t *testing.T) {
	s, _ := newTest(t, func(c *Config) { c.PublicClient = true })
	cases := []struct {
		name     string
		edit     func(url.Values)
		wantMode string
		want     string
	}{
		{"query with tokens", func(p url.Values) { p.Set("response_type", "code token"); p.Set("response_mode", "query") }, "fragment", "invalid_request"},
		{"query with id_token", func(p url.Values) { p.Set("response_type", "id_token"); p.Set("response_mode", "query") }, "fragment", "invalid_request"},
		{"bad mode keeps default", func(p url.Values) { p.Set("response_type", "id_token"); p.Set("response_mode", "web_message") }, "fragment", "invalid_request"},
		{"form_post error", func(p url.Values) {
			p.Set("response_type", "id_token")
			p.Set("response_mode", "form_post")
			p.Del("nonce")
		}, "form_post", "invalid_request"},
		{"hybrid public client needs PKCE", func(p url.Values) {
			p.Set("response_type", "code id_token")
			p.Del("code_challenge")
			p.Del("code_challenge_method")
		}, "fragment", "invalid_request"},
		{"plain token", func(p url.Values) { p.Set("response_type", "token") }, "query", "unsupported_response_type"},
		{"none", func(p url.Values) { p.Set("response_type", "none") }, "query", "unsupported_response_type"},
		{"double space", func(p url.Values) { p.Set("response_type", "code  id_token") }, "query", "unsupported_response_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mode, v := frontChannel(t, s, authParams(s, c.edit))
			if mode != c.wantMode || v.Get("error") != c.want || v.Has("id_token") || v.Has("code") {
				t.Errorf("%s %v, want error=%s by %s", mode, v, c.want, c.wantMode)
			}
		})
	}

	// Implicit flows need no PKCE, even for a public client.
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) {
		p.Set("response_type", "id_token token")
		p.Del("code_challenge")
		p.Del("code_challenge_method")
	}))
	if v.Get("id_token") == "" || v.Get("access_token") == "" {
		t.Errorf("public implicit flow: %v", v)
	}
}

func TestFrontChannelAccessTokenAtUserInfo(t *testing.T) {
	s, clock := newTest(t, nil)
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "id_token token") }))
	status, body := userinfo(t, s, v.Get("access_token"))
	if status != http.StatusOK || body["sub"] != "alice" || body["phone_number"] != "+1 555 0100" {
		t.Fatalf("userinfo: %d %v", status, body)
	}
	clock.Advance(DefaultTokenTTL + 1)
	if status, _ := userinfo(t, s, v.Get("access_token")); status != http.StatusUnauthorized {
		t.Errorf("expired front-channel access token: %d", status)
	}
}

func TestHybridCodeAtTokenEndpoint(t *testing.T) {
	s, _ := newTest(t, nil)
	for _, rtype := range []string{"code id_token", "code token", "code id_token token"} {
		t.Run(rtype, func(t *testing.T) {
			_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", rtype) }))
			tok := exchange(t, s, v.Get("code"))
			claims, _ := verifyIDToken(t, s, tok["id_token"].(string))
			if claims["nonce"] != "nonce-456" || claims["c_hash"] != nil ||
				claims["at_hash"] != leftHalfSHA256(tok["access_token"].(string)) {
				t.Errorf("token endpoint ID token %v", claims)
			}
			if tok["access_token"] == v.Get("access_token") || tok["refresh_token"] == nil {
				t.Errorf("token response %v", tok)
			}
			if status, _ := userinfo(t, s, tok["access_token"].(string)); status != http.StatusOK {
				t.Errorf("userinfo with the back-channel token: %d", status)
			}
			// The code is single-use, as in the code flow.
			status, body, _ := tokenCall(t, s, codeForm(v.Get("code")), s.ClientID(), s.ClientSecret())
			wantOAuthError(t, status, body, http.StatusBadRequest, "invalid_grant")
		})
	}
}

func TestHashFaults(t *testing.T) {
	s, _ := newTest(t, nil)
	hybrid := func(f Faults) (url.Values, map[string]any) {
		s.SetFaults(f)
		defer s.SetFaults(Faults{})
		_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "code id_token token") }))
		claims, _ := verifyIDToken(t, s, v.Get("id_token"))
		return v, claims
	}
	if _, c := hybrid(Faults{CHash: "forged-c", AtHash: "forged-at"}); c["c_hash"] != "forged-c" || c["at_hash"] != "forged-at" {
		t.Errorf("CHash/AtHash: %v", c)
	}
	if _, c := hybrid(Faults{OmitCHash: true, CHash: "x", OmitAtHash: true, AtHash: "y"}); c["c_hash"] != nil || c["at_hash"] != nil {
		t.Errorf("OmitCHash/OmitAtHash: %v", c)
	}
	if v, c := hybrid(Faults{OmitCHash: true}); c["c_hash"] != nil || c["at_hash"] != leftHalfSHA256(v.Get("access_token")) {
		t.Errorf("OmitCHash alone: %v", c)
	}

	// The hash faults only touch ID tokens that carry the claim.
	s.SetFaults(Faults{CHash: "x"})
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "id_token") }))
	if c, _ := verifyIDToken(t, s, v.Get("id_token")); c["c_hash"] != nil {
		t.Errorf("CHash invented a c_hash: %v", c)
	}

	// AtHash and OmitAtHash apply at the token endpoint too.
	claims, _ := verifyIDToken(t, s, idTokenWith(t, s, Faults{AtHash: "forged"}))
	if claims["at_hash"] != "forged" {
		t.Errorf("AtHash at the token endpoint: %v", claims["at_hash"])
	}
	claims, _ = verifyIDToken(t, s, idTokenWith(t, s, Faults{OmitAtHash: true}))
	if _, ok := claims["at_hash"]; ok {
		t.Errorf("OmitAtHash at the token endpoint: %v", claims["at_hash"])
	}
}

func TestFrontChannelIDTokenFaults(t *testing.T) {
	s, _ := newTest(t, nil)
	s.SetFaults(Faults{Issuer: "https://evil.example", OmitNonce: true, AlgNone: true})
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "id_token") }))
	hdr, claims, sig := unverifiedParts(t, v.Get("id_token"))
	if hdr["alg"] != "none" || sig != "" || claims["iss"] != "https://evil.example" || claims["nonce"] != nil {
		t.Errorf("header %v claims %v", hdr, claims)
	}
}

func TestFrontChannelUnencodableClaims(t *testing.T) {
	s, _ := newTest(t, func(c *Config) {
		c.Users = []User{{Subject: "x", Claims: map[string]any{"bad": func() {}}}}
	})
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "code id_token") }))
	if v.Get("error") != "server_error" || v.Has("code") {
		t.Errorf("response %v", v)
	}
}
