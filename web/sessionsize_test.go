package web

import (
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// entraOverageUser is what Entra ID sends for a user in more than 200
// groups: no groups claim, but the "overage" claims pointing to Graph.
func entraOverageUser() rptest.User {
	u := entraUser(0, func(int) []any { return nil })
	delete(u.Claims, "groups")
	u.Claims["_claim_names"] = map[string]any{"groups": "src1"}
	u.Claims["_claim_sources"] = map[string]any{"src1": map[string]any{
		"endpoint": "https://graph.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/users/00000000-0000-0000-66f3-3332eca7ea81/getMemberObjects"}}
	return u
}

// TestSessionCookieSizes signs users in through rptest and checks the
// Set-Cookie headers of the callback against what the session format
// promises: the typical session and an Entra user over the groups limit
// in one cookie under 4 KB; 300 groups with random object IDs (Entra's)
// in three, 10.4 KB in all, where format 1 took seven, 24.1 KB. Those
// IDs alone hold 300 x 122 random bits (4.6 KB, 6.1 KB in base64), so no
// encoding fits them in one cookie: only a SessionStore does.
func TestSessionCookieSizes(t *testing.T) {
	for _, c := range []struct {
		name       string
		user       rptest.User
		maxCookies int
		maxBytes   int // name=value of all session cookies
	}{
		{"typical", alice, 1, 2000},
		{"entra-over-200-groups", entraOverageUser(), 1, 2000},
		{"entra300-random-guids", entraUser(300, randomGUIDs), 3, 10600},
		{"entra300-manygroups", entraUser(300, manyGroups), 3, 8800},
	} {
		a := newWebApp(t, map[string][]rptest.User{"mock": {c.user}}, nil)
		headers := signInSetCookies(t, a, "mock")
		total := 0
		for _, h := range headers {
			v, _, _ := strings.Cut(h, ";")
			total += len(v)
			if len(h) >= 4096 {
				t.Errorf("%s: a Set-Cookie header of %d bytes", c.name, len(h))
			}
		}
		t.Logf("%s: %d cookies, %d bytes of name=value", c.name, len(headers), total)
		if len(headers) > c.maxCookies || total > c.maxBytes {
			t.Errorf("%s: %d cookies, %d bytes; want at most %d and %d", c.name, len(headers), total, c.maxCookies, c.maxBytes)
		}
	}
}
