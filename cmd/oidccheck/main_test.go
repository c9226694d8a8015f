package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

const testSecret = "oidccheck-test-secret-42"

// runCheck runs the command with args and an environment holding env.
func runCheck(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// line matches one aligned report line: status, check, message.
var line = regexp.MustCompile(`^(OK  |WARN|FAIL)  ([a-z_]+) +\S`)

func TestRunGoodSettings(t *testing.T) {
	op := rptest.NewServer(rptest.Config{ClientSecret: testSecret})
	defer op.Close()
	code, out, errOut := runCheck(t, map[string]string{secretEnv: testSecret},
		"-authority", op.Issuer(), "-client-id", op.ClientID(), "-redirect-url", "http://127.0.0.1:8080/callback",
		"-scopes", "openid, profile email")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var checks []string
	col := -1
	for _, l := range lines {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q is not a finding", l)
		}
		checks = append(checks, m[1]+" "+m[2])
		if i := len(m[0]) - 1; col == -1 {
			col = i
		} else if i != col {
			t.Errorf("messages not aligned:\n%s", out)
		}
	}
	want := "OK   discovery,OK   issuer,OK   jwks,OK   signing_algs,OK   response_type,OK   response_mode,OK   scopes,OK   pkce,OK   client_auth,OK   backchannel_logout,OK   frontchannel_logout,WARN redirect_url,OK   redirect_url,OK   credentials"
	if got := strings.Join(checks, ","); got != want {
		t.Errorf("findings %s\nwant %s", got, want)
	}
	if strings.Contains(out, testSecret) {
		t.Error("the secret is in the output")
	}
	if n := op.Requests("token"); n != 2 {
		t.Errorf("%d token requests; want the credential probe and its control", n)
	}
}

func TestRunSkipCredentialProbe(t *testing.T) {
	op := rptest.NewServer(rptest.Config{ClientSecret: testSecret})
	defer op.Close()
	code, out, _ := runCheck(t, map[string]string{secretEnv: "wrong-secret-0815"},
		"-authority", op.Issuer(), "-client-id", op.ClientID(), "-redirect-url", "https://app.example.com/cb", "-skip-credential-probe")
	if code != 0 || strings.Contains(out, "credentials") || op.Requests("token") != 0 {
		t.Errorf("exit %d after %d token requests; want 0 and no probe:\n%s", code, op.Requests("token"), out)
	}
}

func TestRunPostLogoutRedirectURL(t *testing.T) {
	op := rptest.NewServer(rptest.Config{ClientSecret: testSecret, PostLogoutRedirectURIs: []string{"https://app.example.com/bye"}})
	defer op.Close()
	base := []string{"-authority", op.Issuer(), "-client-id", op.ClientID(), "-redirect-url", "https://app.example.com/cb"}
	for _, tc := range []struct {
		url   string
		code  int
		wants string
	}{
		{"https://app.example.com/bye", 0, "OK    post_logout_redirect_url  \"https://app.example.com/bye\" is registered"},
		{"https://app.example.com/other", 1, "FAIL  post_logout_redirect_url  the provider rejected this post-logout redirect URL"},
	} {
		code, out, _ := runCheck(t, map[string]string{secretEnv: testSecret}, append(base, "-post-logout-redirect-url", tc.url)...)
		if code != tc.code || !strings.Contains(out, tc.wants) {
			t.Errorf("%s: exit %d; want %d and %q in:\n%s", tc.url, code, tc.code, tc.wants, out)
		}
	}
}

func TestRunFailures(t *testing.T) {
	op := rptest.NewServer(rptest.Config{ClientSecret: testSecret})
	defer op.Close()
	base := []string{"-authority", op.Issuer(), "-client-id", op.ClientID(), "-redirect-url", "https://app.example.com/cb"}
	for _, tc := range []struct {
		name  string
		args  []string
		env   string
		wants string // the start of a line of the report
	}{
		{"wrong secret in a flag", []string{"-client-secret", "wrong-secret-0815"}, "", "FAIL  credentials          the provider rejected the client ID or secret"},
		{"wrong secret in the environment", nil, "wrong-secret-0815", "FAIL  credentials          the provider rejected the client ID or secret"},
		{"response type", []string{"-client-secret", testSecret, "-response-type", "token"}, "", "FAIL  config"},
		{"response mode", []string{"-client-secret", testSecret, "-response-mode", "query", "-response-type", "code id_token"}, "", "FAIL  config"},
		{"client auth", []string{"-client-secret", testSecret, "-client-auth", "none"}, "", "FAIL  client_auth"},
		{"no openid", []string{"-client-secret", testSecret, "-scopes", "profile"}, "", "FAIL  scopes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := runCheck(t, map[string]string{secretEnv: tc.env}, append(base, tc.args...)...)
			if code != 1 || !strings.Contains(out, tc.wants) {
				t.Errorf("exit %d; want 1 and a line starting %q in:\n%s", code, tc.wants, out)
			}
			if strings.Contains(out, "wrong-secret-0815") || strings.Contains(out, testSecret) {
				t.Errorf("a secret is in the output:\n%s", out)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"nothing", nil, 2, "missing -authority (or -metadata-url), -client-id, -redirect-url"},
		{"unknown flag", []string{"-secret", "x"}, 2, "flag provided but not defined: -secret"},
		{"argument", []string{"-authority", "https://idp.example", "-client-id", "a", "-redirect-url", "https://app.example/cb", "extra"}, 2, `unexpected argument "extra"`},
		{"help", []string{"-h"}, 0, secretEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCheck(t, nil, tc.args...)
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit %d and %q", code, out, errOut, tc.code, tc.stderr)
			}
		})
	}
}
