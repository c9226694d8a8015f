package multi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// site is a test deployment: a provider, two instances of the app behind
// a round-robin balancer, sharing one Redis and one secret.
type site struct {
	op   *rptest.Server
	lb   *balancer
	a, b *instance
}

// startSite starts a provider and two instances, with sessions in cookies
// or in Redis, on one Redis deployment. Each site uses its own key prefix.
func startSite(t *testing.T, sessions string, redis redisTarget, opCfg rptest.Config, extra ...string) *site {
	t.Helper()
	lb := newBalancer(t)
	op := newProvider(t, lb.ts.URL, opCfg)
	prefix := fmt.Sprintf("rp-multi:%d:", time.Now().UnixNano())
	a := startInstance(t, "a", appArgs(op, lb.ts.URL, sessions, redis, prefix, extra...)...)
	b := startInstance(t, "b", appArgs(op, lb.ts.URL, sessions, redis, prefix, extra...)...)
	lb.set(a, b)
	return &site{op: op, lb: lb, a: a, b: b}
}

// forEachDeployment runs f for cookie and Redis sessions on every Redis
// deployment CI started.
func forEachDeployment(t *testing.T, f func(t *testing.T, sessions string, redis redisTarget)) {
	for _, redis := range redisTargets(t) {
		for _, sessions := range []string{"cookie", "redis"} {
			t.Run(redis.name+"/"+sessions, func(t *testing.T) { f(t, sessions, redis) })
		}
	}
}

// TestLoginAcrossInstances: a sign-in started on A completes on B, and the
// session is good on both.
func TestLoginAcrossInstances(t *testing.T) {
	forEachDeployment(t, func(t *testing.T, sessions string, redis redisTarget) {
		s := startSite(t, sessions, redis, rptest.Config{})
		br := newBrowser(t)
		started, finished := br.login(s.lb.ts.URL)
		if started != "a" || finished != "b" {
			t.Fatalf("login started on %q and finished on %q; the balancer should have sent them to a and b", started, finished)
		}
		for _, in := range []*instance{s.a, s.b} {
			if status, body := br.me(in.url); status != http.StatusOK || !strings.Contains(body, `"sub"`) {
				t.Fatalf("/me on %s: %d %s, want 200 with the session", in.name, status, body)
			}
		}
	})
}

// TestStateReplayedToAnotherInstance: the authorization response of a login
// that completed on A, replayed with the same login cookie to B, is refused
// as a reused state.
func TestStateReplayedToAnotherInstance(t *testing.T) {
	forEachDeployment(t, func(t *testing.T, sessions string, redis redisTarget) {
		s := startSite(t, sessions, redis, rptest.Config{})
		br := newBrowser(t)
		callback, _ := br.startLogin(s.a.url) // the login cookie is set for the host of both
		saved := br.cookiesFor(s.a.url)
		cb := strings.Replace(callback, s.lb.ts.URL, s.a.url, 1)
		if resp, body := br.get(cb); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback on a: %d %s", resp.StatusCode, body)
		}
		// An attacker who copied the browser's login cookie and the response
		// plays them to B.
		thief := newBrowser(t)
		thief.client.Jar.SetCookies(mustURL(s.b.url), saved)
		resp, body := thief.get(strings.Replace(callback, s.lb.ts.URL, s.b.url, 1))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already used") {
			t.Fatalf("replayed callback on b: %d %q, want 400 with the reused-state page", resp.StatusCode, body)
		}
	})
}

// TestBackchannelLogoutReachesEveryInstance: a back-channel logout that the
// provider delivers to B ends the session that A then sees.
func TestBackchannelLogoutReachesEveryInstance(t *testing.T) {
	forEachDeployment(t, func(t *testing.T, sessions string, redis redisTarget) {
		s := startSite(t, sessions, redis, rptest.Config{})
		br := newBrowser(t)
		br.login(s.lb.ts.URL)
		status, body := br.me(s.a.url)
		if status != http.StatusOK {
			t.Fatalf("/me on a before logout: %d %s", status, body)
		}
		var me struct{ Sub, Sid string }
		if err := json.Unmarshal([]byte(body), &me); err != nil || me.Sid == "" {
			t.Fatalf("/me gave no sid: %s", body)
		}
		token, err := s.op.LogoutToken(rptest.LogoutTokenOptions{SessionID: me.Sid})
		if err != nil {
			t.Fatal(err)
		}
		code, resp, err := s.op.SendBackchannelLogout(context.Background(), s.b.url+"/backchannel-logout/op", token)
		if err != nil || code != http.StatusOK {
			t.Fatalf("back-channel logout at b: %d %s %v", code, resp, err)
		}
		if status, body := br.me(s.a.url); status != http.StatusUnauthorized {
			t.Fatalf("/me on a after the logout delivered to b: %d %s, want 401", status, body)
		}
		// The same token again is a replay, refused on the other instance too.
		if code, _, _ := s.op.SendBackchannelLogout(context.Background(), s.a.url+"/backchannel-logout/op", token); code != http.StatusBadRequest {
			t.Fatalf("replayed logout token at a: %d, want 400", code)
		}
	})
}

// TestOneRefreshAcrossInstances: requests of one session that arrive at A
// and B at the same moment, both due for a refresh, make one refresh
// request at the provider, which rotates refresh tokens and would refuse
// the old one a second time; both are signed in with the new token.
func TestOneRefreshAcrossInstances(t *testing.T) {
	forEachDeployment(t, func(t *testing.T, sessions string, redis redisTarget) {
		// Access tokens live 30 minutes and are refreshed an hour before
		// expiry: every session is due at once.
		s := startSite(t, sessions, redis, rptest.Config{TokenTTL: 30 * time.Minute}, "-refresh-before", "1h")
		br := newBrowser(t)
		br.login(s.lb.ts.URL)
		before := s.op.Requests(rptest.EndpointToken)
		var wg sync.WaitGroup
		results := make([]string, 2)
		statuses := make([]int, 2)
		for i, in := range []*instance{s.a, s.b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := br.client.Get(in.url + "/me")
				if err != nil {
					return
				}
				defer resp.Body.Close()
				var m map[string]string
				_ = json.NewDecoder(resp.Body).Decode(&m)
				statuses[i], results[i] = resp.StatusCode, m["access_token_sha256"]
			}()
		}
		wg.Wait()
		got := s.op.Requests(rptest.EndpointToken) - before
		if statuses[0] != http.StatusOK || statuses[1] != http.StatusOK || results[0] == "" || results[1] == "" {
			t.Fatalf("after the refresh: a %d %q, b %d %q; want both signed in (a refresh token used twice is refused by the provider and ends the session)", statuses[0], results[0], statuses[1], results[1])
		}
		switch {
		case results[0] == results[1] && got == 1:
			// One refresh served both.
		case results[0] != results[1] && got == 2 && sessions == "redis":
			// With sessions in Redis, the second request read the session
			// the first had already refreshed and saved: its new token is
			// due again (every token is, here) and was refreshed in turn,
			// with the new refresh token, which the provider accepted.
		default:
			t.Fatalf("the provider saw %d token requests for two concurrent requests due for a refresh (tokens %q, %q), want one refresh", got, results[0], results[1])
		}
	})
}
