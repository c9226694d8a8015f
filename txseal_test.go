package rp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/oidcrp/rp/internal/bridge"
	"github.com/oidcrp/rp/internal/seal"
	"github.com/oidcrp/rp/internal/testlog"
	"github.com/oidcrp/rp/rptest"
)

// siteShared is what a web Site of one deployment gives its RPs.
func siteShared(secret string) bridge.Shared {
	return bridge.Shared{CookieSecrets: [][]byte{[]byte(secret)}}
}

const siteSecret = "the-site-secret-0123456789abcdef-0123"

// warnings counts the random-key warnings in logs.
func warnings(t *testing.T, logs *testlog.Buffer) int {
	t.Helper()
	n := 0
	for _, l := range logs.Lines(t) {
		if l["msg"] == evRandomTxKey {
			n++
		}
	}
	return n
}

// TestAdoptedSecretsAcrossInstances: two RPs built from the same Config
// without CookieSecrets, given to Sites with the same secrets, accept each
// other's logins; without adoption they refuse them.
func TestAdoptedSecretsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	t.Run("adopted", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, nil)
		other, err := New(ctx, h.rp.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*RP{h.rp, other} {
			if secrets, replay := bridge.Adopt(r, siteShared(siteSecret)); !secrets || replay {
				t.Fatalf("Adopt = %v, %v; want true, false (no FirstUse shared)", secrets, replay)
			}
		}
		cb := h.authorize(h.start())
		res, err := h.callbackOn(other, cb, h.jar.Cookies(h.appURL()))
		if err != nil || res.Claims.Subject != alice.Subject {
			t.Fatalf("login started on one instance, finished on the other: %+v, %v", res, err)
		}
		if _, err := h.login(); err != nil {
			t.Fatalf("login on one instance: %v", err)
		}
	})
	t.Run("not adopted", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, nil)
		other, err := New(ctx, h.rp.cfg)
		if err != nil {
			t.Fatal(err)
		}
		cb := h.authorize(h.start())
		res, err := h.callbackOn(other, cb, h.jar.Cookies(h.appURL()))
		if !errors.Is(err, ErrStateInvalid) || res != nil {
			t.Fatalf("login finished on another instance with its own random key: %+v, %v; want ErrStateInvalid", res, err)
		}
		if n := h.op.Requests(rptest.EndpointToken); n != 0 {
			t.Fatalf("%d token requests; want 0", n)
		}
	})
}

// TestRandomKeyWarning: New logs nothing; the first login of an RP with
// neither CookieSecrets nor adopted secrets draws the random key and logs
// one warning; adopted or configured secrets log none.
func TestRandomKeyWarning(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(*Config)
		adopt bool
		want  int
	}{
		{"random key", nil, false, 1},
		{"adopted secrets", nil, true, 0},
		{"CookieSecrets", func(c *Config) { c.CookieSecrets = []Secret{siteSecret} }, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testlog.Buffer
			h := newHarness(t, rptest.Config{}, func(c *Config) {
				c.Logger = logs.Logger()
				if tc.mod != nil {
					tc.mod(c)
				}
			})
			if n := warnings(t, &logs); n != 0 {
				t.Fatalf("New logged %d random-key warnings; want 0 before the first login", n)
			}
			if tc.adopt {
				bridge.Adopt(h.rp, siteShared(siteSecret))
			}
			for range 2 {
				if _, err := h.login(); err != nil {
					t.Fatal(err)
				}
			}
			if n := warnings(t, &logs); n != tc.want {
				t.Fatalf("%d random-key warnings after two logins; want %d. Log:\n%s", n, tc.want, logs.String())
			}
			if tc.want == 1 {
				line := logs.Only(t, evRandomTxKey)
				msg, _ := line["msg"].(string)
				if line["level"] != "WARN" || !strings.Contains(msg, "Config.CookieSecrets") || !strings.Contains(msg, "web.Site") ||
					!strings.Contains(msg, "another instance") || line["iss"] != h.op.Issuer() {
					t.Fatalf("warning %v", line)
				}
			}
		})
	}
}

// TestAdoptRefused: adoption changes nothing and reports false when the
// Config set its own secrets or store, after the random key was drawn, a
// second time, for unusable secrets and for anything but an *RP.
func TestAdoptRefused(t *testing.T) {
	ctx := context.Background()
	shared := &memReplay{}
	withReplay := siteShared(siteSecret)
	withReplay.FirstUse = shared.FirstUse

	t.Run("explicit CookieSecrets and ReplayStore", func(t *testing.T) {
		own := &memReplay{}
		h := newHarness(t, rptest.Config{}, func(c *Config) {
			c.CookieSecrets = []Secret{"the-apps-own-secret-0123456789abcdef"}
			c.ReplayStore = own
		})
		if secrets, replay := bridge.Adopt(h.rp, withReplay); secrets || replay {
			t.Fatalf("Adopt = %v, %v; want false, false", secrets, replay)
		}
		// Another instance with the same Config and no adoption still
		// opens this one's logins: the secrets did not change.
		other, err := New(ctx, h.rp.cfg)
		if err != nil {
			t.Fatal(err)
		}
		cb := h.authorize(h.start())
		if _, err := h.callbackOn(other, cb, h.jar.Cookies(h.appURL())); err != nil {
			t.Fatalf("callback on a twin with the same CookieSecrets: %v", err)
		}
		if len(shared.recorded()) != 0 || len(own.recorded()) != 1 {
			t.Fatalf("the Site's FirstUse was called %d times, the Config's store %d; want 0 and 1", len(shared.recorded()), len(own.recorded()))
		}
	})
	t.Run("after the random key was drawn", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, nil)
		if _, err := h.login(); err != nil {
			t.Fatal(err)
		}
		if secrets, _ := bridge.Adopt(h.rp, siteShared(siteSecret)); secrets {
			t.Fatal("Adopt took secrets after the first login")
		}
	})
	t.Run("a second time", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, nil)
		if secrets, replay := bridge.Adopt(h.rp, withReplay); !secrets || !replay {
			t.Fatalf("first Adopt = %v, %v", secrets, replay)
		}
		second := siteShared("another-site-secret-0123456789abcdef")
		second.FirstUse = (&memReplay{}).FirstUse
		if secrets, replay := bridge.Adopt(h.rp, second); secrets || replay {
			t.Fatalf("second Adopt = %v, %v; want false, false", secrets, replay)
		}
		sealer, _ := seal.New(txSealLabel, []byte(siteSecret))
		if _, err := sealer.Open(h.rp.sealTx("n", []byte("x")), h.rp.txAAD("n")); err != nil {
			t.Fatal("the first Site's secrets no longer seal")
		}
	})
	t.Run("unusable secrets", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, nil)
		if secrets, _ := bridge.Adopt(h.rp, siteShared("short")); secrets {
			t.Fatal("Adopt took a 5-byte secret")
		}
	})
	t.Run("not an RP", func(t *testing.T) {
		for _, v := range []any{nil, "rp", (*RP)(nil)} {
			if secrets, replay := bridge.Adopt(v, withReplay); secrets || replay {
				t.Fatalf("Adopt(%#v) = %v, %v", v, secrets, replay)
			}
		}
	})
}

// TestAdoptedReplay: a Site's FirstUse becomes the replay store of an RP
// whose Config has none, for login states and logout tokens alike.
func TestAdoptedReplay(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	shared := &memReplay{}
	if _, replay := bridge.Adopt(h.rp, bridge.Shared{FirstUse: shared.FirstUse}); !replay {
		t.Fatal("Adopt did not take FirstUse")
	}
	cb := h.authorize(h.start())
	if _, err := h.callback(cb); err != nil {
		t.Fatal(err)
	}
	if _, err := h.rp.VerifyLogoutToken(context.Background(), h.logoutToken(rptest.LogoutTokenOptions{SessionID: "s"})); err != nil {
		t.Fatal(err)
	}
	calls := shared.recorded()
	if len(calls) != 2 || calls[0].key != stateKey(param(t, cb, "state")) || !strings.HasPrefix(calls[1].key, "rp-logout-jti:") {
		t.Fatalf("FirstUse calls %v; want the state's, then the logout token's", calls)
	}
}

// TestAdoptRacesFirstLogin: adoption and a first login at the same time
// settle on one key: the Site's (no warning) or the random one (one
// warning, adoption refused), never a mix.
func TestAdoptRacesFirstLogin(t *testing.T) {
	var logs testlog.Buffer
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.Logger = logs.Logger() })
	siteSealer, _ := seal.New(txSealLabel, []byte(siteSecret))
	refused := 0
	for range 20 {
		r, err := New(context.Background(), h.rp.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var adopted bool
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; adopted, _ = bridge.Adopt(r, siteShared(siteSecret)) })
		wg.Go(func() {
			<-start
			req := httptest.NewRequest(http.MethodGet, r.cfg.RedirectURL, nil)
			if _, err := r.AuthURL(httptest.NewRecorder(), req, LoginOptions{}); err != nil {
				t.Error(err)
			}
		})
		close(start)
		wg.Wait()
		_, err = siteSealer.Open(r.sealTx("n", []byte("x")), r.txAAD("n"))
		if adopted != (err == nil) {
			t.Fatalf("adopted %v, but the Site's secrets open its transactions: %v", adopted, err == nil)
		}
		if !adopted {
			refused++
		}
	}
	if n := warnings(t, &logs); n != refused {
		t.Fatalf("%d random-key warnings for %d RPs that drew the random key", n, refused)
	}
}
