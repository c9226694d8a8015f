package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/bridge"
	"github.com/oidcrp/rp/rptest"
)

// adoption is one call of bridge.Adopt.
type adoption struct {
	rp     any
	shared bridge.Shared
}

// recordAdopt replaces bridge.Adopt, for the test, by one that records
// its calls.
func recordAdopt(t *testing.T) *[]adoption {
	var calls []adoption
	old := bridge.Adopt
	t.Cleanup(func() { bridge.Adopt = old })
	bridge.Adopt = func(r any, s bridge.Shared) (bool, bool) {
		calls = append(calls, adoption{r, s})
		return true, s.FirstUse != nil
	}
	return &calls
}

// TestNewSharesSecretsWithProviders: New gives each provider's RP the
// Site's secrets, in order, for its login transactions and, when the
// application set Shared, the SharedStore as the replay memory of its
// login states (Add of the key with value 1 until the expiry). With the
// default Shared the RPs keep their own replay memory.
func TestNewSharesSecretsWithProviders(t *testing.T) {
	calls := recordAdopt(t)
	a := newWebApp(t, map[string][]rptest.User{"azure": {alice}, "okta": {alice}}, nil)
	if len(*calls) != 2 || (*calls)[0].rp != a.web.order[0].RP || (*calls)[1].rp != a.web.order[1].RP {
		t.Fatalf("Adopt called %d times; want once per provider's RP", len(*calls))
	}
	for _, c := range *calls {
		if len(c.shared.CookieSecrets) != 1 || string(c.shared.CookieSecrets[0]) != string(testSessionSecret) {
			t.Errorf("CookieSecrets %q; want SessionSecrets", c.shared.CookieSecrets)
		}
		if c.shared.FirstUse != nil {
			t.Error("FirstUse set with the default Shared; want the RP's own replay memory")
		}
	}

	*calls = nil
	newer := rp.Secret(strings.Repeat("n", 32))
	shared := newFaultyShared(time.Now)
	a.otherInstance(func(c *Config) {
		c.Shared = shared
		c.SessionSecrets = []rp.Secret{newer, testSessionSecret}
	})
	if len(*calls) != 2 {
		t.Fatalf("Adopt called %d times; want 2", len(*calls))
	}
	s := (*calls)[0].shared
	if len(s.CookieSecrets) != 2 || string(s.CookieSecrets[0]) != string(newer) || string(s.CookieSecrets[1]) != string(testSessionSecret) {
		t.Fatalf("CookieSecrets %q; want SessionSecrets in order", s.CookieSecrets)
	}
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if s.FirstUse == nil {
		t.Fatal("FirstUse nil with an application's Shared")
	}
	if first, err := s.FirstUse(ctx, "rp/state/abc", exp); !first || err != nil {
		t.Fatalf("first FirstUse = %v, %v; want true", first, err)
	}
	if first, err := (*calls)[1].shared.FirstUse(ctx, "rp/state/abc", exp); first || err != nil {
		t.Fatalf("FirstUse of a used key, by another provider's RP = %v, %v; want false", first, err)
	}
	if vals, _ := shared.Get(ctx, "rp/state/abc"); !bytes.Equal(vals[0], []byte{1}) {
		t.Fatalf("the store holds %q for the key; want [1]", vals[0])
	}
	shared.fail(nil, nil, errDown)
	if _, err := s.FirstUse(ctx, "rp/state/def", exp); !errors.Is(err, errDown) {
		t.Fatalf("FirstUse with the store down: %v; want its error", err)
	}
}

// TestNewWithoutBridge: a root package that has not set bridge.Adopt
// leaves the RPs alone.
func TestNewWithoutBridge(t *testing.T) {
	old := bridge.Adopt
	t.Cleanup(func() { bridge.Adopt = old })
	bridge.Adopt = nil
	if status, _, _ := newWebApp(t, oneProvider, nil).login("mock", "", "/me"); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
}

// TestReplayStoreFailurePage: a callback whose state could not be checked
// (the replay store failed) is answered 503, with a page asking to try
// again in a moment and the reference of the log line.
func TestReplayStoreFailurePage(t *testing.T) {
	err := fmt.Errorf("rp: callback: %w: %w", rp.ErrReplayStore, errDown)
	if got := statusFor(err); got != http.StatusServiceUnavailable {
		t.Errorf("statusFor = %d; want 503", got)
	}
	if msg := ErrorMessage(err); !strings.Contains(msg, "try again in a moment") {
		t.Errorf("ErrorMessage = %q; want a try-again message", msg)
	}
	if kind := errorKindOf(err); kind != "replay_store" {
		t.Errorf("error kind %q; want replay_store", kind)
	}
	a := newWebApp(t, oneProvider, nil)
	rec := httptest.NewRecorder()
	a.web.refuse(rec, httptest.NewRequest("GET", "/callback/mock", nil), statusFor(err), err, evSignInRefused)
	if body := rec.Body.String(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, "try again in a moment") ||
		!strings.Contains(body, "Reference: <code>") || strings.Contains(body, "6379") {
		t.Fatalf("page %d: %s", rec.Code, body)
	}
}
