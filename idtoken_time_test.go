package rp

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/oidcrp/rp/rptest"
)

// TestIDTokenIssuedBeforeLogin: an ID token whose iat lies more than the
// clock skew before its login began cannot answer that login, through the
// token endpoint or the front channel.
func TestIDTokenIssuedBeforeLogin(t *testing.T) {
	for _, rt := range []string{"code", "id_token"} {
		for _, tc := range []struct {
			before time.Duration // iat is this long before the login began
			want   error
		}{
			{DefaultClockSkew + time.Second, ErrIDTokenIssuedBeforeLogin},
			{DefaultClockSkew, nil},
		} {
			h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseType = rt })
			began := h.clock.Now()
			authURL := h.start()
			h.clock.Advance(30 * time.Second) // the user takes a while at the provider
			h.op.SetFaults(rptest.Faults{ExtraIDTokenClaims: map[string]any{"iat": began.Add(-tc.before).Unix()}})
			res, err := h.deliver(h.respond(authURL))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (res != nil) {
				t.Fatalf("%s: iat %v before the login began: %+v, %v; want %v", rt, tc.before, res, err, tc.want)
			}
			if tc.want != nil {
				var ie *IDTokenError
				if !errors.As(err, &ie) || ie.Kind != ErrIDTokenIssuedBeforeLogin || !errors.Is(err, ErrInvalidIDToken) {
					t.Fatalf("%s: %v is not an *IDTokenError of kind ErrIDTokenIssuedBeforeLogin", rt, err)
				}
			}
		}
	}
}

// TestRefreshedIDTokenIssuedBeforeRefresh: a refresh's ID token must be
// issued after the refresh request began, less the clock skew.
func TestRefreshedIDTokenIssuedBeforeRefresh(t *testing.T) {
	for _, tc := range []struct {
		before time.Duration // iat is this long before the refresh
		want   error
	}{
		{DefaultClockSkew + time.Second, ErrIDTokenIssuedBeforeLogin},
		{DefaultClockSkew, nil},
	} {
		h := newHarness(t, rptest.Config{}, nil)
		res, err := h.login()
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(rptest.DefaultTokenTTL)
		h.op.SetFaults(rptest.Faults{IssuedAt: -tc.before})
		_, id, err := h.rp.refreshTokens(context.Background(), string(res.Tokens.RefreshToken), res.Claims.Raw)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (id != nil) {
			t.Fatalf("refreshed ID token issued %v before the refresh: %v; want %v", tc.before, err, tc.want)
		}
	}
}

// TestRefreshedIDTokenKeepsSignIn: a refreshed ID token must keep the
// sign-in's auth_time, aud and azp (OpenID Connect Core 12.2).
func TestRefreshedIDTokenKeepsSignIn(t *testing.T) {
	client := rptest.DefaultClientID
	for _, tc := range []struct {
		name     string
		original func(map[string]any) // changes the sign-in's claims
		faults   func(signIn map[string]any) rptest.Faults
		want     error
	}{
		{name: "same claims"},
		{name: "auth_time changed", faults: func(c map[string]any) rptest.Faults {
			at, _ := numericDate(c["auth_time"])
			return rptest.Faults{AuthTime: at.Add(time.Minute)}
		}, want: ErrIDTokenAuthTime},
		{name: "auth_time omitted", faults: func(map[string]any) rptest.Faults { return rptest.Faults{OmitAuthTime: true} }},
		{name: "auth_time where the sign-in had none", original: func(c map[string]any) { delete(c, "auth_time") }, want: ErrIDTokenAuthTime},
		{name: "auth_time a string", faults: func(c map[string]any) rptest.Faults {
			return rptest.Faults{ExtraIDTokenClaims: map[string]any{"auth_time": c["auth_time"].(interface{ String() string }).String()}}
		}, want: ErrIDTokenAuthTime},
		{name: "aud as a list, same set", original: func(c map[string]any) { c["aud"] = []any{client} }},
		{name: "aud set differs", original: func(c map[string]any) { c["aud"] = []any{client, "another-client"} }, want: ErrIDTokenAudience},
		{name: "azp on both", original: func(c map[string]any) { c["azp"] = client },
			faults: func(map[string]any) rptest.Faults { return rptest.Faults{Azp: client} }},
		{name: "azp added", faults: func(map[string]any) rptest.Faults { return rptest.Faults{Azp: client} }, want: ErrIDTokenAudience},
		{name: "azp dropped", original: func(c map[string]any) { c["azp"] = client }, want: ErrIDTokenAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, nil)
			res, err := h.login()
			if err != nil {
				t.Fatal(err)
			}
			original := maps.Clone(res.Claims.Raw)
			if tc.original != nil {
				tc.original(original)
			}
			if tc.faults != nil {
				h.op.SetFaults(tc.faults(res.Claims.Raw))
			}
			h.clock.Advance(time.Minute)
			_, id, err := h.rp.refreshTokens(context.Background(), string(res.Tokens.RefreshToken), original)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (id != nil) {
				t.Fatalf("refresh: %v; want %v", err, tc.want)
			}
		})
	}
}
