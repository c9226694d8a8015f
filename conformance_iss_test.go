package rp

import (
	"net/url"

	"github.com/oidcrp/rp/rptest"
)

// idTokenResponseTypes are the response types whose authorization
// response carries an ID token.
var idTokenResponseTypes = []string{"id_token", "id_token token", "code id_token", "code id_token token"}

// issCases are the TestConformance cases of the RFC 9207 iss parameter
// against a provider that, like node oidc-provider, promises iss but
// leaves it out of responses that carry an ID token: the verified ID
// token's iss stands in for it, and nothing else of the response is used
// before that token is verified.
func issCases() map[string]confCase {
	omits := rptest.Config{OmitIssWithIDToken: true}
	cases := map[string]confCase{}
	for _, rt := range idTokenResponseTypes {
		token, userinfo := 0, 1
		if responseTypeHas(rt, "code") {
			token = 1
		}
		if rt == "id_token" {
			userinfo = 0 // no access token
		}
		cases["rfc9207-iss-omitted-with-id_token/"+rt] = confCase{
			op:  omits,
			mod: func(c *Config) { c.ResponseType = rt },
			tamper: func(h *harness, v url.Values) {
				if !h.rp.Metadata().AuthorizationResponseIssParameterSupported || v.Has("iss") || v.Get("id_token") == "" {
					h.t.Fatalf("the provider does not promise iss and omit it with the ID token: %v", v)
				}
			},
			token: token, userinfo: userinfo,
		}
		cases["rfc9207-iss-wrong-with-id_token/"+rt] = confCase{
			mod:    func(c *Config) { c.ResponseType = rt },
			faults: faults(rptest.Faults{ResponseIss: "https://evil.example"}),
			want:   ErrIssuerMismatch,
		}
		cases["rfc9207-iss-omitted-id_token-wrong-issuer/"+rt] = confCase{
			op:     omits,
			mod:    func(c *Config) { c.ResponseType = rt },
			faults: faults(rptest.Faults{Issuer: "https://evil.example"}),
			want:   ErrIDTokenIssuer,
		}
	}
	deleteIss := func(h *harness, v url.Values) {
		if v.Get("iss") == "" {
			h.t.Fatal("the provider sent no iss")
		}
		v.Del("iss")
	}
	for _, rt := range []string{"code", "code token"} {
		cases["rfc9207-iss-missing-without-id_token/"+rt] = confCase{
			op: omits, mod: func(c *Config) { c.ResponseType = rt }, tamper: deleteIss, want: ErrIssuerMismatch,
		}
	}
	cases["rfc9207-iss-missing-error-response"] = confCase{
		op:     omits,
		mod:    func(c *Config) { c.ResponseType = "code id_token" },
		faults: faults(rptest.Faults{AuthorizeError: "access_denied"}),
		tamper: deleteIss,
		want:   ErrIssuerMismatch,
	}
	cases["rfc9207-iss-missing-error-response-with-id_token"] = confCase{
		// An error response cannot borrow an ID token to skip iss.
		op:     omits,
		mod:    func(c *Config) { c.ResponseType = "code id_token" },
		faults: faults(rptest.Faults{AuthorizeError: "access_denied"}),
		tamper: func(h *harness, v url.Values) {
			deleteIss(h, v)
			v.Set("id_token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
		},
		want: ErrIssuerMismatch,
	}
	cases["rfc9207-iss-missing-code-with-injected-id_token"] = confCase{
		// The code flow verifies no front-channel ID token, so one added
		// to the response cannot stand in for iss either.
		op:  omits,
		mod: func(c *Config) { c.ResponseMode = "form_post" },
		tamper: func(h *harness, v url.Values) {
			deleteIss(h, v)
			v.Set("id_token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
		},
		want: ErrIssuerMismatch,
	}
	return cases
}
