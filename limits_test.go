package rp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

func TestLoginsInProgressCapped(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.MaxLoginsInProgress = 3 })
	var cbs []string
	for range 5 {
		cbs = append(cbs, h.authorize(h.start()))
		// Advance a second so the logins' expiries order them.
		h.clock.Advance(time.Second)
	}
	n := 0
	for _, c := range h.jar.Cookies(h.appURL()) {
		if strings.HasPrefix(c.Name, "rp_tx_") {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d login cookies in the browser; want the cap of 3", n)
	}
	for i, cb := range cbs {
		_, err := h.callback(cb)
		if i < 2 && !errors.Is(err, ErrStateUnknown) {
			t.Errorf("evicted login %d: %v; want ErrStateUnknown", i, err)
		}
		if i >= 2 && err != nil {
			t.Errorf("login %d: %v", i, err)
		}
	}
}

func TestLimitsValidated(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.MaxLoginsInProgress = 21 },
		func(c *Config) { c.ResponseSizeLimit = 1 << 10 },
		func(c *Config) { c.ResponseSizeLimit = 1 << 30 },
		func(c *Config) { c.HTTPTimeout = 2 * time.Minute },
	} {
		c := validConfig()
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Validate() = %v; want a limit rejected", err)
		}
	}
}

func TestResponseSizeLimitApplies(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseSizeLimit = 64 << 10; c.UserInfo = UserInfoAlways })
	big := strings.Repeat("x", 70<<10)
	h.op.AddUser(rptest.User{Subject: alice.Subject, Claims: alice.Claims, UserInfo: map[string]any{"blob": big}})
	if _, err := h.login(); !errors.Is(err, ErrUserInfo) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("userinfo over the limit: %v", err)
	}
}
