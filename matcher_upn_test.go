package rp

import (
	"context"
	"errors"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// msIdentity is an Entra-style login without username or email mapping.
func msIdentity(sub string, claims map[string]any, microsoft bool) *Identity {
	id := identity("https://login.microsoftonline.com/tenant-a/v2.0", sub, claims, "", "")
	id.MicrosoftNameClaims = microsoft
	return id
}

// TestMatcherMicrosoftNameClaims: step 5 looks upn and unique_name up as
// username, then as verified email, and only for Microsoft issuers.
func TestMatcherMicrosoftNameClaims(t *testing.T) {
	for _, tc := range []struct {
		name     string
		id       *Identity
		wantUser string
		wantErr  error
	}{
		{"upn as username", msIdentity("s1", map[string]any{"upn": "Carol@corp.example"}, true), "carol", nil},
		{"unique_name as username", msIdentity("s1", map[string]any{"unique_name": `corp\DAVE`}, true), "dave", nil},
		{"upn before unique_name", msIdentity("s1", map[string]any{"upn": "carol@corp.example", "unique_name": `CORP\dave`}, true), "carol", nil},
		{"upn as verified email", msIdentity("s1", map[string]any{"upn": "bob@example.com", "xms_edov": true}, true), "bob", nil},
		{"upn as email_verified email", msIdentity("s1", map[string]any{"upn": "BOB@example.com", "email_verified": true}, true), "bob", nil},
		{"unique_name as verified email", msIdentity("s1", map[string]any{"unique_name": "bob@example.com", "xms_edov": true}, true), "bob", nil},
		{"upn username wins over upn email", msIdentity("s1", map[string]any{"upn": "carol@corp.example", "xms_edov": true}, true), "carol", nil},
		{"upn as unverified email", msIdentity("s1", map[string]any{"upn": "bob@example.com"}, true), "", ErrUnverifiedEmail},
		{"upn as email, xms_edov false", msIdentity("s1", map[string]any{"upn": "bob@example.com", "xms_edov": false}, true), "", ErrUnverifiedEmail},
		{"upn of nobody", msIdentity("s1", map[string]any{"upn": "nobody@corp.example", "xms_edov": true}, true), "", ErrNoLocalAccount},
		{"upn ambiguous as email", msIdentity("s1", map[string]any{"upn": "shared@example.com", "xms_edov": true}, true), "", ErrAmbiguousUser},
		{"upn of a linked account", msIdentity("s1", map[string]any{"upn": "alice"}, true), "", ErrSubjectConflict},
		{"upn of an admin", msIdentity("s1", map[string]any{"upn": "root"}, true), "", ErrAdminRefused},
		{"off: upn ignored", msIdentity("s1", map[string]any{"upn": "carol@corp.example"}, false), "", ErrNoLocalAccount},
		{"off: unique_name ignored", msIdentity("s1", map[string]any{"unique_name": `CORP\dave`}, false), "", ErrNoLocalAccount},
		{"off: upn as email ignored", msIdentity("s1", map[string]any{"upn": "bob@example.com", "xms_edov": true}, false), "", ErrNoLocalAccount},
		{"on, but a mapping is set", func() *Identity {
			id := msIdentity("s1", map[string]any{"upn": "carol@corp.example"}, true)
			id.UsernameClaim = "preferred_username"
			return id
		}(), "", ErrNoLocalAccount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := seedStore(t)
			// alice is linked at issA; link her at this issuer too.
			if err := store.LinkSubject(context.Background(), "alice", tc.id.Claims.Issuer, "sub-alice"); err != nil {
				t.Fatal(err)
			}
			m := newMatcherT(t, MatcherConfig{Store: store, AutoLink: true})
			u, err := m.Match(context.Background(), tc.id)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || u != nil {
					t.Fatalf("Match = %+v, %v; want %v", u, err, tc.wantErr)
				}
				if linked, _ := store.UserBySubject(context.Background(), tc.id.Claims.Issuer, "s1"); linked != nil {
					t.Fatalf("a refused login linked %s", linked.ID)
				}
				return
			}
			if err != nil || u.ID != tc.wantUser {
				t.Fatalf("Match = %+v, %v; want %s", u, err, tc.wantUser)
			}
			if linked, err := store.UserBySubject(context.Background(), tc.id.Claims.Issuer, "s1"); err != nil || linked.ID != tc.wantUser {
				t.Fatalf("subject linked to %+v, %v; want %s", linked, err, tc.wantUser)
			}
		})
	}
}

func TestMicrosoftNameClaimsSwitch(t *testing.T) {
	microsoft := []string{
		"https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
		"https://login.microsoftonline.com/{tenantid}/v2.0",
		"https://LOGIN.MicrosoftOnline.com/tenant/v2.0",
		"https://login.microsoftonline.us/tenant/v2.0",
		"https://login.partner.microsoftonline.cn/tenant/v2.0",
		"https://sts.windows.net/tenant/",
		"https://login.windows.net/tenant/",
		"https://adfs.contoso.com/adfs",
		"https://sso.contoso.com/ADFS/",
	}
	other := []string{
		"https://accounts.google.com",
		"https://idp.example.com",
		"https://login.microsoftonline.com.evil.example/tenant/v2.0",
		"https://evil.example/login.microsoftonline.com/v2.0",
		"https://evilmicrosoftonline.com/tenant/v2.0",
		"http://login.microsoftonline.com/tenant/v2.0",
		"https://login.microsoftonline.com:8443/tenant/v2.0",
		"https://user@login.microsoftonline.com/tenant/v2.0",
		"https://evil.example/adfs/other",
		"https://evil.example/notadfs",
		"http://adfs.contoso.com/adfs",
		"http://127.0.0.1:8080",
		"",
		"::not a url",
	}
	for _, iss := range microsoft {
		if !microsoftNameClaims(NameClaimsAuto, iss) {
			t.Errorf("auto for %q = false; want true", iss)
		}
		if microsoftNameClaims(NameClaimsOff, iss) {
			t.Errorf("off for %q = true; want false", iss)
		}
		if microsoftNameClaims(NameClaimsSetting(7), iss) {
			t.Errorf("an unknown setting for %q = true; want false", iss)
		}
	}
	for _, iss := range other {
		if microsoftNameClaims(NameClaimsAuto, iss) {
			t.Errorf("auto for %q = true; want false", iss)
		}
		if !microsoftNameClaims(NameClaimsOn, iss) {
			t.Errorf("on for %q = false; want true", iss)
		}
	}
}

func TestNameClaimsSettingText(t *testing.T) {
	for _, tc := range []struct {
		text string
		want NameClaimsSetting
	}{{"", NameClaimsAuto}, {"auto", NameClaimsAuto}, {"on", NameClaimsOn}, {"off", NameClaimsOff}} {
		var s NameClaimsSetting = 99
		if err := s.UnmarshalText([]byte(tc.text)); err != nil || s != tc.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tc.text, s, err, tc.want)
		}
		if b, err := tc.want.MarshalText(); err != nil || (tc.text != "" && string(b) != tc.text) {
			t.Errorf("MarshalText(%v) = %q, %v", tc.want, b, err)
		}
	}
	var s NameClaimsSetting
	if err := s.UnmarshalText([]byte("yes")); err == nil {
		t.Error(`UnmarshalText("yes") succeeded`)
	}
	if _, err := NameClaimsSetting(7).MarshalText(); err == nil {
		t.Error("MarshalText of an unknown setting succeeded")
	}
}

// TestCallbackMicrosoftNameClaims: Callback tells the matcher whether the
// provider's upn means something; the mock provider is no Microsoft
// issuer, so only an explicit NameClaimsOn links by upn.
func TestCallbackMicrosoftNameClaims(t *testing.T) {
	user := rptest.User{Subject: "attacker", Claims: map[string]any{"upn": "victim"}}
	for _, tc := range []struct {
		name    string
		setting NameClaimsSetting
		wantErr error
	}{
		{"auto", NameClaimsAuto, ErrNoLocalAccount},
		{"off", NameClaimsOff, ErrNoLocalAccount},
		{"on", NameClaimsOn, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := victimStore()
			h := newHarness(t, rptest.Config{Users: []rptest.User{user}}, func(c *Config) {
				c.MicrosoftNameClaims = tc.setting
				c.Matcher = newMatcherT(t, MatcherConfig{Store: store, AutoLink: true})
			})
			res, err := h.login()
			if tc.wantErr != nil {
				assertNotVictim(t, res, err)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Callback = %v; want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || res.User == nil || res.User.ID != victimID {
				t.Fatalf("Callback = %+v, %v; want the account named by upn", res, err)
			}
		})
	}
}
