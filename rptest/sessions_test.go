package rptest

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
)

// TestSessionIDs: every sign-in has a sid of its own, which every ID token
// of the sign-in carries (front channel, code exchange, refreshes), and
// SessionIDs lists them per user, oldest first.
func TestSessionIDs(t *testing.T) {
	s, _ := newTest(t, nil)
	if got := s.SessionIDs("alice"); got != nil {
		t.Fatalf("SessionIDs before any sign-in = %v; want nil", got)
	}
	first := login(t, s)
	second := login(t, s)
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "code id_token") }))
	front, _ := verifyIDToken(t, s, v.Get("id_token"))
	fromCode, _ := verifyIDToken(t, s, exchange(t, s, v.Get("code"))["id_token"].(string))

	sids := s.SessionIDs("alice")
	if len(sids) != 3 || len(slices.Compact(slices.Clone(sids))) != 3 {
		t.Fatalf("SessionIDs(alice) = %v; want 3 distinct sids", sids)
	}
	c1, _ := verifyIDToken(t, s, first["id_token"].(string))
	c2, _ := verifyIDToken(t, s, second["id_token"].(string))
	if c1["sid"] != sids[0] || c2["sid"] != sids[1] || front["sid"] != sids[2] || fromCode["sid"] != sids[2] {
		t.Fatalf("ID token sids %v, %v, %v, %v; want %v", c1["sid"], c2["sid"], front["sid"], fromCode["sid"], sids)
	}

	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)}}
	status, refreshed, _ := tokenCall(t, s, form, s.ClientID(), s.ClientSecret())
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, refreshed)
	}
	rc, _ := verifyIDToken(t, s, refreshed["id_token"].(string))
	if rc["sid"] != sids[0] {
		t.Fatalf("refreshed ID token sid %v; want the sign-in's %v", rc["sid"], sids[0])
	}
	if got := s.SessionIDs("alice"); len(got) != 3 {
		t.Fatalf("a refresh started a session: %v", got)
	}
	if got := s.SessionIDs("bob"); got != nil {
		t.Fatalf("SessionIDs(bob) = %v; want nil", got)
	}
	// The result is a copy.
	sids[0] = "changed"
	if s.SessionIDs("alice")[0] == "changed" {
		t.Fatal("SessionIDs returned the server's own slice")
	}
}

func TestDiscoveryAdvertisesLogout(t *testing.T) {
	s, _ := newTest(t, nil)
	_, doc, _ := discovery(t, s)
	for _, m := range []string{"backchannel_logout_supported", "backchannel_logout_session_supported",
		"frontchannel_logout_supported", "frontchannel_logout_session_supported"} {
		if doc[m] != true {
			t.Errorf("discovery %s = %v; want true", m, doc[m])
		}
	}
}

func TestFrontchannelLogoutURL(t *testing.T) {
	s, _ := newTest(t, nil)
	got := s.FrontchannelLogoutURL("https://rp.example/fc?x=1&sid=old", "sid-9")
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != "https://rp.example/fc" || q.Get("x") != "1" || q.Get("iss") != s.URL ||
		!reflect.DeepEqual(q["sid"], []string{"sid-9"}) {
		t.Fatalf("FrontchannelLogoutURL = %q", got)
	}
	if got := s.FrontchannelLogoutURL("http://[::1", "sid"); got != "" {
		t.Fatalf("FrontchannelLogoutURL of a malformed URI = %q; want \"\"", got)
	}
}
