package rp

import (
	"context"
	"strings"
	"testing"
)

// TestCheckLogout: Check reports whether a sign-out at the provider can
// end sessions here, by back-channel logout (with sid or not) or
// front-channel logout, and warns, saying what it means, when it cannot.
func TestCheckLogout(t *testing.T) {
	type want struct {
		status CheckStatus
		says   string
	}
	for _, tc := range []struct {
		name                             string
		back, backSession, front, frontS bool
		backWant, frontWant              want
	}{
		{"everything", true, true, true, true,
			want{CheckOK, "naming the session (sid)"}, want{CheckOK, "with the iss and sid parameters"}},
		{"back-channel without sid", true, false, false, false,
			want{CheckOK, "ends every session of that user here"}, want{CheckOK, "back-channel logout covers"}},
		{"nothing", false, false, false, false,
			want{CheckWarn, "will not end sessions here"}, want{CheckWarn, "neither front-channel nor back-channel"}},
		{"front-channel only", false, false, true, true,
			want{CheckWarn, "does not advertise back-channel logout"}, want{CheckOK, "with the iss and sid parameters"}},
		{"front-channel without sid only", false, false, true, false,
			want{CheckWarn, "does not advertise back-channel logout"}, want{CheckWarn, "without the iss and sid parameters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := checkProvider(t, func(_ string, d map[string]any) {
				d["backchannel_logout_supported"] = tc.back
				d["backchannel_logout_session_supported"] = tc.backSession
				d["frontchannel_logout_supported"] = tc.front
				d["frontchannel_logout_session_supported"] = tc.frontS
			}, `{"keys":[`+checkECKey(t, "k1")+`]}`, nil)
			cfg := Config{Authority: op.URL, ClientID: "app", ClientSecret: "check-secret-value", RedirectURL: "https://app.example.com/cb"}
			r := Check(context.Background(), cfg, CheckOptions{SkipCredentialProbe: true})
			for check, w := range map[string]want{"backchannel_logout": tc.backWant, "frontchannel_logout": tc.frontWant} {
				f := checkFinding(t, r, check)
				if f.Status != w.status || !strings.Contains(f.Message, w.says) {
					t.Errorf("%s finding %v %q; want %v saying %q", check, f.Status, f.Message, w.status, w.says)
				}
			}
			if !r.OK() {
				t.Errorf("logout findings failed the report:\n%s", r)
			}
		})
	}
}
