package rptest

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// codeIDToken runs a code flow with the request edited by edit and returns
// the claims of the token endpoint's ID token.
func codeIDToken(t *testing.T, s *Server, edit func(url.Values)) map[string]any {
	t.Helper()
	claims, _ := verifyIDToken(t, s, exchange(t, s, getCode(t, s, edit))["id_token"].(string))
	return claims
}

func TestAuthTimeSession(t *testing.T) {
	s, clock := newTest(t, nil)
	first := clock.Now()
	if c := codeIDToken(t, s, nil); c["auth_time"] != float64(first.Unix()) {
		t.Fatalf("first sign-in auth_time %v, want %d", c["auth_time"], first.Unix())
	}

	// Later requests reuse the sign-in, per user.
	clock.Advance(10 * time.Minute)
	if c := codeIDToken(t, s, nil); c["auth_time"] != float64(first.Unix()) || c["iat"] != float64(clock.Now().Unix()) {
		t.Errorf("second request auth_time %v iat %v", c["auth_time"], c["iat"])
	}
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("login_hint", "bob") }); c["auth_time"] != float64(clock.Now().Unix()) {
		t.Errorf("bob's first sign-in auth_time %v", c["auth_time"])
	}

	// max_age not exceeded: no re-authentication; auth_time is present.
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("max_age", "600") }); c["auth_time"] != float64(first.Unix()) {
		t.Errorf("max_age=600 after 600s: auth_time %v, want the original", c["auth_time"])
	}
	// Exceeded: the user signs in again, now.
	clock.Advance(time.Second)
	reauth := clock.Now()
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("max_age", "600") }); c["auth_time"] != float64(reauth.Unix()) {
		t.Errorf("max_age=600 after 601s: auth_time %v, want %d", c["auth_time"], reauth.Unix())
	}
	// And that new sign-in sticks.
	clock.Advance(time.Minute)
	if c := codeIDToken(t, s, nil); c["auth_time"] != float64(reauth.Unix()) {
		t.Errorf("after re-authentication: auth_time %v", c["auth_time"])
	}

	// prompt=login always re-authenticates.
	clock.Advance(time.Minute)
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("prompt", "login consent") }); c["auth_time"] != float64(clock.Now().Unix()) {
		t.Errorf("prompt=login: auth_time %v", c["auth_time"])
	}

	// The refreshed ID token keeps the sign-in time.
	tok := login(t, s)
	signedIn := clock.Now()
	clock.Advance(time.Hour)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}
	_, body, _ := tokenCall(t, s, form, s.ClientID(), s.ClientSecret())
	if c, _ := verifyIDToken(t, s, body["id_token"].(string)); c["auth_time"] != float64(signedIn.Unix()) {
		t.Errorf("refreshed auth_time %v, want %d", c["auth_time"], signedIn.Unix())
	}
}

func TestSetAuthTime(t *testing.T) {
	s, clock := newTest(t, nil)
	past := clock.Now().Add(-2 * time.Hour)
	s.SetAuthTime("alice", past)
	if c := codeIDToken(t, s, nil); c["auth_time"] != float64(past.Unix()) {
		t.Errorf("auth_time %v, want %d", c["auth_time"], past.Unix())
	}
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("max_age", "7200") }); c["auth_time"] != float64(past.Unix()) {
		t.Errorf("max_age=7200: auth_time %v, want %d", c["auth_time"], past.Unix())
	}
	s.SetAuthTime("alice", past)
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("max_age", "3600") }); c["auth_time"] != float64(clock.Now().Unix()) {
		t.Errorf("max_age=3600: auth_time %v, want now", c["auth_time"])
	}

	// max_age=0 re-authenticates whenever time has passed.
	s.SetAuthTime("alice", clock.Now().Add(-time.Second))
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("max_age", "0") }); c["auth_time"] != float64(clock.Now().Unix()) {
		t.Errorf("max_age=0: auth_time %v", c["auth_time"])
	}

	// A silent request that would need re-authentication fails.
	s.SetAuthTime("alice", past)
	_, q := authorize(t, s, authParams(s, func(v url.Values) { v.Set("max_age", "60"); v.Set("prompt", "none") }))
	if q.Get("error") != "login_required" || q.Has("code") {
		t.Errorf("prompt=none with stale session: %v", q)
	}
	if c := codeIDToken(t, s, func(v url.Values) { v.Set("prompt", "none") }); c["auth_time"] != float64(past.Unix()) {
		t.Errorf("prompt=none with a session: auth_time %v", c["auth_time"])
	}

	// The front channel reports the same auth_time.
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "id_token"); p.Set("max_age", "86400") }))
	if c, _ := verifyIDToken(t, s, v.Get("id_token")); c["auth_time"] != float64(past.Unix()) {
		t.Errorf("front-channel auth_time %v", c["auth_time"])
	}
}

func TestLoginPageSignsInAfresh(t *testing.T) {
	s, clock := newTest(t, withLoginPage)
	past := clock.Now().Add(-time.Hour)
	s.SetAuthTime("bob", past)
	_, page := fetchPage(t, s, authParams(s, nil))
	q := choose(t, s, hiddenFields(t, page), "bob")
	c, _ := verifyIDToken(t, s, exchange(t, s, q.Get("code"))["id_token"].(string))
	if c["auth_time"] != float64(clock.Now().Unix()) {
		t.Errorf("chosen on the page: auth_time %v, want now", c["auth_time"])
	}
	if got := s.LastAuthorizeParams(); got.Has(chosenUserParam) || got.Get("state") != "state-123" {
		t.Errorf("LastAuthorizeParams after the page: %v", got)
	}
}

func TestAuthTimeFaults(t *testing.T) {
	s, _ := newTest(t, nil)
	forged := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	withMaxAge := func(v url.Values) { v.Set("max_age", "60") }

	s.SetFaults(Faults{AuthTime: forged})
	if c := codeIDToken(t, s, withMaxAge); c["auth_time"] != float64(forged.Unix()) {
		t.Errorf("AuthTime: %v", c["auth_time"])
	}
	s.SetFaults(Faults{OmitAuthTime: true, AuthTime: forged})
	if c := codeIDToken(t, s, withMaxAge); c["auth_time"] != nil {
		t.Errorf("OmitAuthTime: %v", c["auth_time"])
	}
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "id_token"); withMaxAge(p) }))
	if c, _ := verifyIDToken(t, s, v.Get("id_token")); c["auth_time"] != nil {
		t.Errorf("OmitAuthTime in the front channel: %v", c["auth_time"])
	}
}

func TestACR(t *testing.T) {
	s, _ := newTest(t, func(c *Config) {
		c.Users = []User{{Subject: "carol", Claims: map[string]any{"acr": "user-acr"}}}
	})
	if c := codeIDToken(t, s, nil); c["acr"] != "user-acr" {
		t.Errorf("no acr_values: acr %v, want the user's", c["acr"])
	}
	acrValues := func(v url.Values) { v.Set("acr_values", "urn:mace:incommon:iap:silver  phr") }
	tok := exchange(t, s, getCode(t, s, acrValues))
	if c, _ := verifyIDToken(t, s, tok["id_token"].(string)); c["acr"] != "urn:mace:incommon:iap:silver" {
		t.Errorf("acr %v, want the first acr_values entry", c["acr"])
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}
	_, body, _ := tokenCall(t, s, form, s.ClientID(), s.ClientSecret())
	if c, _ := verifyIDToken(t, s, body["id_token"].(string)); c["acr"] != "urn:mace:incommon:iap:silver" {
		t.Errorf("refreshed acr %v", c["acr"])
	}
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "code id_token"); acrValues(p) }))
	if c, _ := verifyIDToken(t, s, v.Get("id_token")); c["acr"] != "urn:mace:incommon:iap:silver" {
		t.Errorf("front-channel acr %v", c["acr"])
	}

	s.SetFaults(Faults{ACR: "0"})
	if c := codeIDToken(t, s, acrValues); c["acr"] != "0" {
		t.Errorf("Faults.ACR with acr_values: %v", c["acr"])
	}
	if c := codeIDToken(t, s, nil); c["acr"] != "0" {
		t.Errorf("Faults.ACR without acr_values: %v", c["acr"])
	}
}

func TestLastAuthorizeParams(t *testing.T) {
	s, _ := newTest(t, nil)
	if s.LastAuthorizeParams() != nil {
		t.Error("LastAuthorizeParams before any request")
	}
	extra := url.Values{
		"ui_locales":  {"de-CH en"},
		"claims":      {`{"id_token":{"acr":{"essential":true}}}`},
		"max_age":     {"300"},
		"prompt":      {"consent"},
		"hd":          {"example.com"},
		"domain_hint": {"contoso.com"},
		"acr_values":  {"phr"},
	}
	addExtra := func(v url.Values) {
		for k, vs := range extra {
			v[k] = vs
		}
	}
	params := authParams(s, addExtra)
	getCode(t, s, addExtra)
	got := s.LastAuthorizeParams()
	if got.Encode() != params.Encode() {
		t.Errorf("LastAuthorizeParams\n got %v\nwant %v", got, params)
	}
	got.Set("hd", "changed")
	if s.LastAuthorizeParams().Get("hd") != "example.com" {
		t.Error("LastAuthorizeParams shares its map")
	}

	// Failed requests are recorded too, even those answered with a page.
	get(t, s, s.URL+PathAuthorize+"?client_id=nope&ui_locales=fr")
	if got := s.LastAuthorizeParams(); got.Get("client_id") != "nope" || got.Get("ui_locales") != "fr" {
		t.Errorf("after a bad request: %v", got)
	}
	// POST bodies count as well.
	resp, err := noRedirect(s).PostForm(s.URL+PathAuthorize, authParams(s, func(v url.Values) { v.Set("ui_locales", "it") }))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || s.LastAuthorizeParams().Get("ui_locales") != "it" {
		t.Errorf("POST: %d %v", resp.StatusCode, s.LastAuthorizeParams())
	}
}

func TestAuthorizeParamValidation(t *testing.T) {
	s, _ := newTest(t, nil)
	for name, edit := range map[string]func(url.Values){
		"negative max_age":   func(v url.Values) { v.Set("max_age", "-1") },
		"max_age not number": func(v url.Values) { v.Set("max_age", "1h") },
		"repeated max_age":   func(v url.Values) { v.Set("max_age", "1"); v.Add("max_age", "2") },
		"claims not JSON":    func(v url.Values) { v.Set("claims", "{") },
		"claims not object":  func(v url.Values) { v.Set("claims", `["acr"]`) },
		"claims null":        func(v url.Values) { v.Set("claims", "null") },
		"repeated acr":       func(v url.Values) { v.Set("acr_values", "a"); v.Add("acr_values", "b") },
	} {
		t.Run(name, func(t *testing.T) {
			if _, q := authorize(t, s, authParams(s, edit)); q.Get("error") != "invalid_request" || q.Has("code") {
				t.Errorf("response %v", q)
			}
		})
	}
}
