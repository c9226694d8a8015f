package rp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// recorder is an Observer that writes down what it is told, one line per
// event; provider calls made in a sign-in's context are marked "in sign-in".
type recorder struct {
	mu     sync.Mutex
	events []string
}

type inSignIn struct{}

func (o *recorder) add(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, fmt.Sprintf(format, args...))
}

func (o *recorder) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.events
	o.events = nil
	return e
}

func (o *recorder) ProviderCall(ctx context.Context, c ProviderCall) (context.Context, func(ProviderCallEnd)) {
	where := ""
	if ctx.Value(inSignIn{}) != nil {
		where = " in sign-in"
	}
	return ctx, func(e ProviderCallEnd) {
		o.add("call %s %s %s %s%s: %d %q", c.Endpoint, c.Method, c.ServerAddress, c.Issuer, where, e.StatusCode, e.ErrorKind)
	}
}

func (o *recorder) SignIn(ctx context.Context, provider, issuer string) (context.Context, func(SignInEnd)) {
	return context.WithValue(ctx, inSignIn{}, true), func(e SignInEnd) { o.add("sign-in %q %s: %q", provider, issuer, e.ErrorKind) }
}

func (o *recorder) Refresh(_ context.Context, e RefreshEvent) {
	o.add("refresh %q %s: %q %v", e.Provider, e.Issuer, e.ErrorKind, e.SessionEnded)
}

func (o *recorder) Logout(_ context.Context, e LogoutEvent) { o.add("logout %+v", e) }

func (o *recorder) KeyRefetchRefused(_ context.Context, issuer string) {
	o.add("refetch refused %s", issuer)
}

// TestObserverWithoutWeb: an RP used on its own tells its Observer of the
// discovery, each sign-in with its provider calls and error kind, each
// refresh, and an unknown key refused by the refetch budget.
func TestObserverWithoutWeb(t *testing.T) {
	obs := &recorder{}
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.Observer = obs
		c.Scopes = []string{"openid", "offline_access"}
	})
	iss := h.op.Issuer()
	call := func(endpoint, method, where string, status int, kind string) string {
		return fmt.Sprintf("call %s %s 127.0.0.1 %s%s: %d %q", endpoint, method, iss, where, status, kind)
	}
	if got, want := obs.take(), []string{call("discovery", "GET", "", 200, "")}; !slices.Equal(got, want) {
		t.Errorf("New: %q, want %q", got, want)
	}

	res, err := h.login()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{call("token", "POST", " in sign-in", 200, ""), call("jwks", "GET", " in sign-in", 200, ""), fmt.Sprintf("sign-in \"\" %s: \"\"", iss)}
	if got := obs.take(); !slices.Equal(got, want) {
		t.Errorf("sign-in: %q, want %q", got, want)
	}

	h.op.SetFaults(rptest.Faults{TokenErrorCode: "invalid_grant"})
	if _, _, err := h.rp.Refresh(context.Background(), res.Tokens.RefreshToken, res.Claims); !errors.Is(err, ErrTokenExchange) {
		t.Fatalf("refresh: %v, want ErrTokenExchange", err)
	}
	want = []string{call("token", "POST", "", 400, CallStatusFailed),
		fmt.Sprintf("refresh \"\" %s: \"token_endpoint\" false", iss)}
	if got := obs.take(); !slices.Equal(got, want) {
		t.Errorf("refresh: %q, want %q", got, want)
	}

	// A token signed with a key the provider never published, twice: the
	// first refetches the keys (the budget of untrusted tokens), the
	// second is refused without a fetch.
	forged := signJWS(t, rsaKey(t), jose.RS256, "unknown-kid")
	for range 2 {
		if _, err := h.rp.VerifyIDToken(context.Background(), forged, VerifyOptions{}); !errors.Is(err, ErrIDTokenSignature) {
			t.Fatalf("VerifyIDToken: %v, want ErrIDTokenSignature", err)
		}
	}
	want = []string{call("jwks", "GET", "", 200, ""), "refetch refused " + iss}
	if got := obs.take(); !slices.Equal(got, want) {
		t.Errorf("forged tokens: %q, want %q", got, want)
	}
}
