package rptest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// userinfo calls the userinfo endpoint with token ("" for none).
func userinfo(t *testing.T, s *Server, token string) (int, map[string]any) {
	t.Helper()
	status, body, _ := userinfoFull(t, s, token)
	return status, body
}

func userinfoFull(t *testing.T, s *Server, token string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/userinfo", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, s, req)
}

func TestUserInfo(t *testing.T) {
	s, clock := newTest(t, nil)
	access := login(t, s)["access_token"].(string)

	status, body := userinfo(t, s, access)
	if status != http.StatusOK || body["sub"] != "alice" || body["email"] != "alice@example.com" ||
		body["phone_number"] != "+1 555 0100" {
		t.Fatalf("userinfo: %d %v", status, body)
	}

	status, _, hdr := userinfoFull(t, s, "")
	if status != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") != `Bearer realm="rptest"` {
		t.Errorf("no token: %d %q", status, hdr.Get("WWW-Authenticate"))
	}

	status, body, hdr = userinfoFull(t, s, "not-a-token")
	if status != http.StatusUnauthorized || body["error"] != "invalid_token" ||
		!strings.Contains(hdr.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("bad token: %d %v %q", status, body, hdr.Get("WWW-Authenticate"))
	}

	clock.Advance(time.Hour + time.Second)
	if status, _ := userinfo(t, s, access); status != http.StatusUnauthorized {
		t.Errorf("expired token: %d", status)
	}
	if n := s.Requests(EndpointUserInfo); n != 4 {
		t.Errorf("Requests(userinfo) = %d, want 4", n)
	}
}

func TestUserInfoFaults(t *testing.T) {
	s, _ := newTest(t, nil)
	access := login(t, s)["access_token"].(string)

	s.SetFaults(Faults{UserInfoSubject: "mallory"})
	if _, body := userinfo(t, s, access); body["sub"] != "mallory" {
		t.Errorf("UserInfoSubject: %v", body)
	}

	s.SetFaults(Faults{UserInfoStatus: http.StatusBadGateway})
	status, body := userinfo(t, s, access)
	wantOAuthError(t, status, body, http.StatusBadGateway, "server_error")

	s.SetFaults(Faults{UserInfoStatus: http.StatusUnauthorized})
	status, _, hdr := userinfoFull(t, s, access)
	if status != http.StatusUnauthorized || !strings.Contains(hdr.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("UserInfoStatus 401: %d %q", status, hdr.Get("WWW-Authenticate"))
	}
}
