package rp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

var formInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// respond sends the browser to the provider and returns the authorization
// response as the browser would deliver it: a query (GET), or form fields
// (POST) from a form_post page or, as the relay page does, a fragment.
func (h *harness) respond(authURL string) (string, url.Values) {
	h.t.Helper()
	resp, err := h.client.Get(authURL)
	if err != nil {
		h.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		v := url.Values{}
		for _, m := range formInput.FindAllStringSubmatch(string(body), -1) {
			v.Set(unescapeHTML(m[1]), unescapeHTML(m[2]))
		}
		return http.MethodPost, v
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		h.t.Fatalf("provider answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Fragment != "" {
		v, err := url.ParseQuery(loc.Fragment)
		if err != nil {
			h.t.Fatal(err)
		}
		return http.MethodPost, v
	}
	return http.MethodGet, loc.Query()
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// deliver hands the response to the app's callback.
func (h *harness) deliver(method string, v url.Values) (*Result, error) {
	h.t.Helper()
	if method == http.MethodGet {
		return h.callback(h.rp.cfg.RedirectURL + "?" + v.Encode())
	}
	resp, err := h.client.PostForm(h.rp.cfg.RedirectURL, v)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.res, h.err
}

func TestEveryResponseTypeAndMode(t *testing.T) {
	for _, rt := range ResponseTypes {
		for _, mode := range []string{"", "form_post", "fragment", "query"} {
			if mode == "query" && rt != "code" {
				continue
			}
			t.Run(rt+"/"+mode, func(t *testing.T) {
				h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseType, c.ResponseMode = rt, mode })
				res, err := h.deliver(h.respond(h.start()))
				if err != nil {
					t.Fatalf("Callback: %v", err)
				}
				if res.Claims.Subject != "alice-sub" || res.Tokens.IDToken == "" {
					t.Fatalf("result %+v", res.Claims)
				}
				wantToken := 0
				if responseTypeHas(rt, "code") {
					wantToken = 1
				}
				if n := h.op.Requests(rptest.EndpointToken); n != wantToken {
					t.Errorf("token requests %d; want %d", n, wantToken)
				}
				if responseTypeHas(rt, "token") || responseTypeHas(rt, "code") {
					if res.Tokens.AccessToken == "" {
						t.Error("no access token")
					}
				}
			})
		}
	}
}

func TestFrontChannelRejections(t *testing.T) {
	bad := "AAAAAAAAAAAAAAAAAAAAAA"
	for _, tc := range []struct {
		name, rt string
		faults   rptest.Faults
		want     error
	}{
		{"c_hash missing", "code id_token", rptest.Faults{OmitCHash: true}, ErrCodeHash},
		{"c_hash wrong", "code id_token", rptest.Faults{CHash: bad}, ErrCodeHash},
		{"c_hash wrong, with token", "code id_token token", rptest.Faults{CHash: bad}, ErrCodeHash},
		{"at_hash missing", "id_token token", rptest.Faults{OmitAtHash: true}, ErrAccessTokenHash},
		{"at_hash wrong", "id_token token", rptest.Faults{AtHash: bad}, ErrAccessTokenHash},
		{"at_hash wrong, hybrid", "code id_token token", rptest.Faults{AtHash: bad}, ErrAccessTokenHash},
		{"nonce missing", "id_token", rptest.Faults{OmitNonce: true}, ErrNonceMismatch},
		{"nonce wrong", "code id_token", rptest.Faults{Nonce: ptr("other")}, ErrNonceMismatch},
		{"bad signature", "id_token", rptest.Faults{BadSignature: true}, ErrIDTokenSignature},
		{"alg none", "code id_token", rptest.Faults{AlgNone: true}, ErrIDTokenAlgorithm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseType = tc.rt; c.UserInfo = UserInfoAlways })
			h.op.SetFaults(tc.faults)
			res, err := h.deliver(h.respond(h.start()))
			if !errors.Is(err, tc.want) || res != nil {
				t.Fatalf("Callback = %v; want %v", err, tc.want)
			}
			if n, u := h.op.Requests(rptest.EndpointToken), h.op.Requests(rptest.EndpointUserInfo); n != 0 || u != 0 {
				t.Fatalf("after the rejection: %d token and %d userinfo requests; want none", n, u)
			}
		})
	}
}

func TestFragmentRelayPage(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.ResponseType = "id_token"; c.ResponseMode = "fragment" })
	rec := httptest.NewRecorder()
	if !h.rp.RelayFragment(rec, httptest.NewRequest("GET", "/callback", nil)) {
		t.Fatal("no relay page for a bare GET")
	}
	body := rec.Body.String()
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(body, `method="post" action="/callback"`) || !strings.Contains(csp, "script-src 'nonce-") ||
		!strings.Contains(body, "location.hash") || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("relay page %q, CSP %q", body, csp)
	}
	for _, req := range []*http.Request{httptest.NewRequest("GET", "/callback?state=x", nil), httptest.NewRequest("POST", "/callback", nil)} {
		if h.rp.RelayFragment(httptest.NewRecorder(), req) {
			t.Errorf("relay page for %s %s", req.Method, req.URL)
		}
	}
	q := newHarness(t, rptest.Config{}, nil)
	if q.rp.RelayFragment(httptest.NewRecorder(), httptest.NewRequest("GET", "/callback", nil)) {
		t.Error("relay page in query mode")
	}
}

func TestFormPostTransactionCookie(t *testing.T) {
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{alice}})
	defer op.Close()
	for _, tc := range []struct {
		rt       string
		sameSite http.SameSite
	}{{"code", http.SameSiteLaxMode}, {"code id_token", http.SameSiteNoneMode}} {
		r, err := newRPFor(op, func(c *Config) { c.RedirectURL = "https://app.example.com/callback"; c.ResponseType = tc.rt })
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if _, err := r.AuthURL(rec, httptest.NewRequest("GET", "/login", nil), LoginOptions{}); err != nil {
			t.Fatal(err)
		}
		c := rec.Result().Cookies()[0]
		if c.SameSite != tc.sameSite || !c.Secure || !strings.HasPrefix(c.Name, "__Host-") || !c.HttpOnly {
			t.Errorf("%s: cookie %+v; want SameSite %v, Secure, __Host-", tc.rt, c, tc.sameSite)
		}
	}
}

func TestTenantTemplateMustBeAPathSegment(t *testing.T) {
	for issuer, want := range map[string]bool{
		"https://login.microsoftonline.com/{tenantid}/v2.0": true,
		"https://login.microsoftonline.com/{tenantid}":      true,
		"https://{tenantid}/oidc":                           false,
		"https://{tenantid}.example.com/v2.0":               false,
		"https://login.example.com/x{tenantid}/v2.0":        false,
		"https://login.example.com/{tenantid}x/v2.0":        false,
		"https://login.example.com/{tenantid}/{tenantid}":   false,
		"/{tenantid}/v2.0":                                  false,
	} {
		if got := isTenantTemplate(issuer); got != want {
			t.Errorf("isTenantTemplate(%q) = %v; want %v", issuer, got, want)
		}
	}
	if sameIssuer("http://{tenantid}/oidc", "http://localhost/oidc") {
		t.Error("a template in the host matched")
	}
}
