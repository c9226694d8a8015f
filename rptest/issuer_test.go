package rptest

import (
	"net/http"
	"net/url"
	"testing"
)

// entraUsers are users of two tenants and one without a tenant.
var entraUsers = []User{
	{Subject: "alice", Claims: map[string]any{"tid": "tenant-a", "email": "alice@a.example"}},
	{Subject: "bob", Claims: map[string]any{"tid": "tenant-b"}},
	{Subject: "nobody", Claims: map[string]any{"tid": 42}},
}

func newEntraTest(t *testing.T) *Server {
	t.Helper()
	s, _ := newTest(t, func(c *Config) { c.EntraMultiTenant = true; c.Users = entraUsers })
	return s
}

func TestEntraMultiTenantDiscovery(t *testing.T) {
	s := newEntraTest(t)
	_, doc, _ := discovery(t, s)
	if doc["issuer"] != s.URL+"/{tenantid}/v2.0" {
		t.Errorf("issuer %v", doc["issuer"])
	}
	for k, v := range map[string]string{"authorization_endpoint": PathAuthorize, "token_endpoint": PathToken, "jwks_uri": PathJWKS} {
		if doc[k] != s.URL+v {
			t.Errorf("%s moved: %v", k, doc[k])
		}
	}
	if s.Issuer() != s.URL {
		t.Errorf("Issuer() %q", s.Issuer())
	}
	// The authorization response names the discovery issuer.
	if _, q := authorize(t, s, authParams(s, nil)); q.Get("iss") != s.URL+"/{tenantid}/v2.0" {
		t.Errorf("response iss %q", q.Get("iss"))
	}
	s.SetFaults(Faults{DiscoveryIssuer: "https://login.microsoftonline.com/common/v2.0"})
	if _, doc, _ := discovery(t, s); doc["issuer"] != "https://login.microsoftonline.com/common/v2.0" {
		t.Errorf("DiscoveryIssuer ignored: %v", doc["issuer"])
	}
}

func TestEntraMultiTenantIDTokens(t *testing.T) {
	s := newEntraTest(t)
	for sub, want := range map[string]struct{ iss, tid any }{
		"alice":  {s.URL + "/tenant-a/v2.0", "tenant-a"},
		"bob":    {s.URL + "/tenant-b/v2.0", "tenant-b"},
		"nobody": {s.URL + "/common/v2.0", nil},
	} {
		c := codeIDToken(t, s, func(v url.Values) { v.Set("login_hint", sub) })
		if c["iss"] != want.iss || c["tid"] != want.tid {
			t.Errorf("%s: iss %v tid %v, want %v %v", sub, c["iss"], c["tid"], want.iss, want.tid)
		}
	}
	// Front-channel ID tokens too.
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "id_token"); p.Set("login_hint", "bob") }))
	if c, _ := verifyIDToken(t, s, v.Get("id_token")); c["iss"] != s.URL+"/tenant-b/v2.0" {
		t.Errorf("front-channel iss %v", c["iss"])
	}

	// Faults still override: a tid that does not match iss, no tid, another iss.
	s.SetFaults(Faults{ExtraIDTokenClaims: map[string]any{"tid": "tenant-b"}})
	if c := codeIDToken(t, s, nil); c["iss"] != s.URL+"/tenant-a/v2.0" || c["tid"] != "tenant-b" {
		t.Errorf("mismatched tid: %v %v", c["iss"], c["tid"])
	}
	s.SetFaults(Faults{ExtraIDTokenClaims: map[string]any{"tid": nil}})
	if c := codeIDToken(t, s, nil); c["iss"] != s.URL+"/tenant-a/v2.0" || c["tid"] != nil {
		t.Errorf("removed tid: %v %v", c["iss"], c["tid"])
	}
	s.SetFaults(Faults{Issuer: s.URL + "/tenant-b/v2.0"})
	if c := codeIDToken(t, s, nil); c["iss"] != s.URL+"/tenant-b/v2.0" || c["tid"] != "tenant-a" {
		t.Errorf("Faults.Issuer: %v %v", c["iss"], c["tid"])
	}
	s.SetFaults(Faults{})

	// Logout accepts the provider's own tenant issuers, and only those.
	tok := exchange(t, s, getCode(t, s, nil))["id_token"].(string)
	if resp := get(t, s, s.URL+PathEndSession+"?"+url.Values{"id_token_hint": {tok}}.Encode()); resp.StatusCode != http.StatusOK {
		t.Errorf("logout with a tenant ID token: %d", resp.StatusCode)
	}
	for _, iss := range []string{s.URL + "/a/b/v2.0", s.URL + "//v2.0", s.URL + "/x", "https://x.example/t/v2.0"} {
		hint := mustSign(t, s, map[string]any{"iss": iss, "aud": s.ClientID()})
		if resp := get(t, s, s.URL+PathEndSession+"?"+url.Values{"id_token_hint": {hint}}.Encode()); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("logout with iss %q: %d", iss, resp.StatusCode)
		}
	}
}

func TestSchemelessIssuerFaults(t *testing.T) {
	s, _ := newTest(t, nil)
	s.SetFaults(Faults{Issuer: "accounts.google.com", DiscoveryIssuer: "accounts.google.com", ResponseIss: "accounts.google.com"})
	if c := codeIDToken(t, s, nil); c["iss"] != "accounts.google.com" {
		t.Errorf("ID token iss %v", c["iss"])
	}
	_, v := frontChannel(t, s, authParams(s, func(p url.Values) { p.Set("response_type", "id_token") }))
	if c, _ := verifyIDToken(t, s, v.Get("id_token")); c["iss"] != "accounts.google.com" || v.Get("iss") != "accounts.google.com" {
		t.Errorf("front channel: id_token iss %v, response iss %q", c["iss"], v.Get("iss"))
	}
	if _, doc, _ := discovery(t, s); doc["issuer"] != "accounts.google.com" {
		t.Errorf("discovery issuer %v", doc["issuer"])
	}
}
