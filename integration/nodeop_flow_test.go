//go:build integration

package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

// nodeSignIn is one sign-in at oidc-provider, for a case's checks.
type nodeSignIn struct {
	bc *backChannel
	// auth is the query of the authorization request as the browser
	// carried it to the provider; cb the parameters the provider sent
	// back: the callback's query, its form when posted is set (form_post),
	// or the claims of the JARM response JWT jarm.
	auth, cb url.Values
	posted   bool
	jarm     string
	res      *rp.Result
}

// nodeCase is one way of signing in at oidc-provider: a registered client
// (see makeClients) and the RP settings that use it.
type nodeCase struct {
	name   string
	client string
	// set changes the RP's configuration for the case; nil for none.
	set func(op *nodeOP, bc *backChannel, c *rp.Config)
	// check asserts what the case is about; nil for the common checks only.
	check func(t *testing.T, op *nodeOP, s *nodeSignIn)
}

// nodeCases are the sign-ins TestNodeProviderSignIn runs, one per client
// registered by makeClients and per feature: client authentication
// methods, PAR, JAR, JARM, DPoP (with and without nonces), encrypted ID
// tokens and userinfo, signed userinfo, and the FAPI 2.0 profile. The mTLS
// clients are signed in by TestNodeProviderMTLSSignIn, as the RP builds
// their HTTP client itself.
var nodeCases = []nodeCase{
	{name: "CodeFlowPKCE", client: "basic", check: checkBasicAuth},
	{name: "ClientSecretPost", client: "post", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.ClientAuth = "client_secret_post" },
		check: func(t *testing.T, _ *nodeOP, s *nodeSignIn) {
			tr := onlyToken(t, s.bc)
			if tr.Authorization != "" || tr.Form.Get("client_secret") == "" || tr.Form.Get("client_id") != "post" {
				t.Errorf("token request: Authorization %q, client_secret in the form %v; want client_secret_post",
					authScheme(tr.Authorization), tr.Form.Has("client_secret"))
			}
		}},
	{name: "PrivateKeyJWT", client: "pkjwt", check: func(t *testing.T, op *nodeOP, s *nodeSignIn) {
		checkAssertion(t, op, onlyToken(t, s.bc).Form, "pkjwt")
	}},
	{name: "PAR", client: "par", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.PushedAuthorization = true },
		check: func(t *testing.T, op *nodeOP, s *nodeSignIn) {
			push := onlyPush(t, s.bc)
			if push.Form.Get("code_challenge_method") != "S256" || push.Form.Get("state") != s.cb.Get("state") ||
				push.Form.Get("redirect_uri") != op.callbackURL || !strings.HasPrefix(push.Authorization, "Basic ") {
				t.Errorf("pushed request form %v, Authorization %q", push.Form, authScheme(push.Authorization))
			}
			checkBasicAuth(t, op, s)
		}},
	{name: "FormPost", client: "basic", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.ResponseMode = "form_post" },
		check: func(t *testing.T, op *nodeOP, s *nodeSignIn) {
			if !s.posted || s.auth.Get("response_mode") != "form_post" {
				t.Errorf("response_mode %q, response posted %v; want form_post", s.auth.Get("response_mode"), s.posted)
			}
			checkBasicAuth(t, op, s)
		}},
	{name: "JAR", client: "jar", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.RequestObject = true },
		check: func(t *testing.T, op *nodeOP, s *nodeSignIn) {
			for _, name := range []string{"state", "nonce", "code_challenge", "redirect_uri"} {
				if s.auth.Has(name) {
					t.Errorf("the browser carried %s beside the request object", name)
				}
			}
			obj := checkRequestObject(t, op, s.auth.Get("request"), "jar")
			if obj["state"] != s.cb.Get("state") {
				t.Errorf("request object state %v, want the callback's %q", obj["state"], s.cb.Get("state"))
			}
			checkAssertion(t, op, onlyToken(t, s.bc).Form, "jar")
		}},
	{name: "PARWithJAR", client: "par-jar",
		set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.PushedAuthorization, c.RequestObject = true, true },
		check: func(t *testing.T, op *nodeOP, s *nodeSignIn) {
			push := onlyPush(t, s.bc)
			checkRequestObject(t, op, push.Form.Get("request"), "par-jar")
			checkAssertion(t, op, push.Form, "par-jar")
			if push.Form.Has("state") || push.Form.Has("code_challenge") {
				t.Errorf("the pushed request carries parameters beside the request object: %v", push.Form)
			}
			checkAssertion(t, op, onlyToken(t, s.bc).Form, "par-jar")
		}},
	{name: "JARMQuery", client: "jarm", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.ResponseMode = "query.jwt" }, check: checkJARM("query.jwt", false)},
	{name: "JARMDefault", client: "jarm", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.ResponseMode = "jwt" }, check: checkJARM("jwt", false)},
	{name: "JARMFormPost", client: "jarm", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.ResponseMode = "form_post.jwt" }, check: checkJARM("form_post.jwt", true)},
	{name: "DPoP", client: "dpop", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.DPoP = true }, check: checkDPoP(false)},
	{name: "DPoPNonce", client: "dpop-nonce", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.DPoP = true }, check: checkDPoP(true)},
	{name: "EncryptedRSA", client: "encrypted", set: func(op *nodeOP, _ *backChannel, c *rp.Config) {
		c.DecryptionKeys, c.RequireEncryptedIDToken = []rp.DecryptionKey{{KeyID: "enc-rsa", Key: op.encRSA}}, true
	}, check: checkEncrypted("RSA-OAEP-256", "A256GCM", true)},
	{name: "EncryptedEC", client: "encrypted-ec", set: func(op *nodeOP, _ *backChannel, c *rp.Config) {
		c.DecryptionKeys, c.RequireEncryptedIDToken = []rp.DecryptionKey{{KeyID: "enc-ec", Key: op.encEC}}, true
	}, check: checkEncrypted("ECDH-ES+A256KW", "A128CBC-HS256", false)},
	{name: "SignedUserInfo", client: "signed-userinfo", check: func(t *testing.T, op *nodeOP, s *nodeSignIn) {
		ui := lastCall(t, s.bc, nodeUserinfoPath)
		if ui.JSON != nil {
			t.Errorf("userinfo answered JSON; the client is registered for signed userinfo (application/jwt)")
		}
		checkBasicAuth(t, op, s)
	}},
	{name: "FAPI2", client: "fapi2", set: func(_ *nodeOP, _ *backChannel, c *rp.Config) { c.FAPI2, c.DPoP, c.ClientSecret = true, true, "" },
		check: func(t *testing.T, op *nodeOP, s *nodeSignIn) {
			push := onlyPush(t, s.bc)
			if push.DPoP == "" || push.Form.Get("dpop_jkt") == "" || push.Form.Get("code_challenge_method") != "S256" {
				t.Errorf("pushed request: DPoP proof %v, dpop_jkt %q, code_challenge_method %q; want a proof, a jkt and S256",
					push.DPoP != "", push.Form.Get("dpop_jkt"), push.Form.Get("code_challenge_method"))
			}
			checkAssertion(t, op, push.Form, "fapi2")
			tr := lastCall(t, s.bc, nodeTokenPath)
			checkAssertion(t, op, tr.Form, "fapi2")
			if tr.DPoP == "" || !strings.EqualFold(tr.str("token_type"), "DPoP") {
				t.Errorf("token request: DPoP proof %v, token_type %q; want a proof and DPoP", tr.DPoP != "", tr.str("token_type"))
			}
		}},
}

// checkEncrypted returns the check of a sign-in whose ID token came
// encrypted with alg and enc (RequireEncryptedIDToken refuses any other,
// so the sign-in itself proves it was decrypted); with userinfo set the
// userinfo answer was encrypted too, not JSON.
func checkEncrypted(alg, enc string, userinfo bool) func(*testing.T, *nodeOP, *nodeSignIn) {
	return func(t *testing.T, op *nodeOP, s *nodeSignIn) {
		tr := lastCall(t, s.bc, nodeTokenPath)
		raw := tr.str("id_token")
		if strings.Count(raw, ".") != 4 {
			t.Fatalf("the token endpoint's ID token has %d parts; want a 5-part JWE", strings.Count(raw, ".")+1)
		}
		h := jwtHeader(t, raw)
		if h["alg"] != alg || h["enc"] != enc {
			t.Errorf("ID token JWE alg %v enc %v; want %s %s", h["alg"], h["enc"], alg, enc)
		}
		if strings.Count(string(s.res.Tokens.IDToken), ".") != 2 {
			t.Error("Tokens.IDToken is not the decrypted, signed ID token (needed as id_token_hint)")
		}
		if ui := lastCall(t, s.bc, nodeUserinfoPath); userinfo && ui.JSON != nil {
			t.Error("userinfo answered JSON; the client is registered for encrypted userinfo")
		}
		checkBasicAuth(t, op, s)
	}
}

// checkDPoP returns the check of a DPoP sign-in: every token request and
// the userinfo call carried a proof, the tokens are of type DPoP, userinfo
// was called with the DPoP scheme, and the sign-in's key is returned for
// the session. With nonce the provider first answered use_dpop_nonce, and
// the RP retried once with the nonce.
func checkDPoP(nonce bool) func(*testing.T, *nodeOP, *nodeSignIn) {
	return func(t *testing.T, _ *nodeOP, s *nodeSignIn) {
		calls := s.bc.to(nodeTokenPath)
		want := 1
		if nonce {
			want = 2
		}
		if len(calls) != want {
			t.Fatalf("%d token requests; want %d", len(calls), want)
		}
		if nonce && (calls[0].Status != http.StatusBadRequest || calls[0].str("error") != "use_dpop_nonce") {
			t.Errorf("first token request answered %d %q; want 400 use_dpop_nonce", calls[0].Status, calls[0].str("error"))
		}
		for i, c := range calls {
			if c.DPoP == "" {
				t.Errorf("token request %d carries no DPoP proof", i+1)
			}
		}
		if last := calls[len(calls)-1]; !strings.EqualFold(last.str("token_type"), "DPoP") {
			t.Errorf("token_type %q; want DPoP", last.str("token_type"))
		}
		ui := lastCall(t, s.bc, nodeUserinfoPath)
		if ui.DPoP == "" || !strings.HasPrefix(ui.Authorization, "DPoP ") {
			t.Errorf("userinfo: DPoP proof %v, Authorization scheme %q; want a proof and DPoP", ui.DPoP != "", authScheme(ui.Authorization))
		}
		if s.res.Tokens.DPoPKey == nil {
			t.Error("the sign-in returned no DPoP key for the session")
		}
	}
}

// checkJARM returns the check of a JARM sign-in: the request asked for
// mode, the response was one JWT (posted when posted is set) whose claims
// carried the code and state, and the usual checks hold.
func checkJARM(mode string, posted bool) func(*testing.T, *nodeOP, *nodeSignIn) {
	return func(t *testing.T, op *nodeOP, s *nodeSignIn) {
		if got := s.auth.Get("response_mode"); got != mode {
			t.Errorf("response_mode %q; want %q", got, mode)
		}
		if s.jarm == "" || s.posted != posted {
			t.Fatalf("response JWT %v, posted %v; want a JWT, posted %v", s.jarm != "", s.posted, posted)
		}
		if s.cb.Get("code") == "" || s.cb.Get("state") == "" || s.cb.Get("iss") != op.issuer {
			t.Errorf("response JWT claims %v; want code, state and iss %q", s.cb, op.issuer)
		}
		checkBasicAuth(t, op, s)
	}
}

// TestNodeProviderSignIn signs in at oidc-provider once per case: the
// browser goes to the provider's login page, signs in as alice, lands on
// the return-to path; Callback verified the ID token, and userinfo gave
// the profile.
func TestNodeProviderSignIn(t *testing.T) {
	for _, tc := range nodeCases {
		t.Run(tc.name, func(t *testing.T) {
			op := setupNode(t)
			bc := newBackChannel()
			cfg := op.rpConfig(t, bc, tc.client)
			if tc.set != nil {
				tc.set(op, bc, &cfg)
			}
			s := op.signIn(t, bc, cfg, alice)
			if tc.check != nil {
				tc.check(t, op, s)
			}
		})
	}
}

// signIn signs in as u with cfg and makes the checks every sign-in must
// pass.
func (op *nodeOP) signIn(t *testing.T, bc *backChannel, cfg rp.Config, u opUser) *nodeSignIn {
	t.Helper()
	fa := op.serveFlow(newRP(t, cfg))
	b := newBrowser(t)
	login := b.get(op.app.URL + "/login?return_to=%2Freports%3Fid%3D7")
	if login.Status != http.StatusOK || login.URL.Host != op.opHost(t) || !strings.HasPrefix(login.URL.Path, nodeLoginPrefix) {
		t.Fatalf("the sign-in did not reach the provider's login page:\n%s", login)
	}
	landed := b.signIn(login, u)
	var posted url.Values
	if landed.URL.Host == op.opHost(t) {
		// A form_post response: the page's form, which its script would
		// submit, posts the response to the callback.
		if fs, err := forms(landed.URL, landed.Body); err == nil && len(fs) == 1 && fs[0].Method == http.MethodPost &&
			fs[0].Action.String() == op.callbackURL {
			posted = fs[0].Fields
			landed = b.submit(fs[0], posted)
		}
	}
	if landed.Status != http.StatusOK || landed.URL.Host != op.appHost() || landed.URL.RequestURI() != "/reports?id=7" {
		if bc != nil {
			for _, c := range bc.to(nodeTokenPath) {
				t.Logf("token request answered %d %v", c.Status, c.JSON["error_description"])
			}
		}
		t.Fatalf("the sign-in did not land on /reports?id=7:\n%s", landed)
	}
	out := fa.only(t)
	if out.err != nil {
		t.Fatalf("Callback: %v", out.err)
	}
	s := &nodeSignIn{
		bc:     bc,
		auth:   login.hopTo(t, op.opHost(t), nodeAuthPath).URL.Query(),
		cb:     landed.hopTo(t, op.appHost(), "/callback").URL.Query(),
		posted: posted != nil,
		res:    out.res,
	}
	if posted != nil {
		s.cb = posted
	}
	if s.cb.Has("response") {
		// JARM: the parameters are the response JWT's claims.
		s.jarm = s.cb.Get("response")
		s.cb = url.Values{}
		for k, v := range jwtClaims(t, s.jarm) {
			if str, ok := v.(string); ok {
				s.cb.Set(k, str)
			}
		}
	}
	// The provider sends iss (RFC 9207), and the state back.
	if s.cb.Get("iss") != op.issuer || s.cb.Get("state") == "" || s.cb.Get("code") == "" {
		t.Errorf("callback query %v: want iss %q, a state and a code", s.cb, op.issuer)
	}
	if got := s.auth.Get("client_id"); got != cfg.ClientID {
		t.Errorf("authorization request client_id %q, want %q", got, cfg.ClientID)
	}
	// The last token request is the one that succeeded; a DPoP nonce
	// retry makes two. Without a recording back channel (mTLS, whose
	// client the RP builds itself) the provider's answers are the proof.
	if bc != nil {
		if tr := lastCall(t, bc, nodeTokenPath); tr.Status != http.StatusOK || tr.Form.Get("grant_type") != "authorization_code" ||
			tr.Form.Get("code") != s.cb.Get("code") || tr.Form.Get("code_verifier") == "" {
			t.Errorf("token request form %v answered %d", tr.Form, tr.Status)
		}
	}
	c := s.res.Claims
	if c.Issuer != op.issuer || c.Subject != u.ID || !slices.Equal(c.Audience, []string{cfg.ClientID}) {
		t.Errorf("claims iss %q sub %q aud %q, want %q %q [%s]", c.Issuer, c.Subject, c.Audience, op.issuer, u.ID, cfg.ClientID)
	}
	// The ID token has sub only; the profile comes from userinfo.
	if c.Email != u.Email || c.EmailVerified != u.EmailVerified || c.Name != u.fullName() || c.PreferredUsername != u.Username {
		t.Errorf("claims email %q (verified %v) name %q preferred_username %q; want %s's from userinfo",
			c.Email, c.EmailVerified, c.Name, c.PreferredUsername, u.Username)
	}
	// Userinfo answers JSON, or a JWT for the clients that ask for one.
	if bc != nil {
		if ui := lastCall(t, bc, nodeUserinfoPath); ui.Status != http.StatusOK || (ui.JSON != nil && ui.str("sub") != u.ID) {
			t.Errorf("userinfo answered %d with sub %q, want 200 and %q", ui.Status, ui.str("sub"), u.ID)
		}
	}
	if s.res.ReturnTo != "/reports?id=7" || s.res.Tokens.IDToken == "" || s.res.Tokens.AccessToken == "" {
		t.Errorf("ReturnTo %q, ID token set %v, access token set %v", s.res.ReturnTo, s.res.Tokens.IDToken != "", s.res.Tokens.AccessToken != "")
	}
	return s
}

// onlyToken returns the only token request, or fails.
func onlyToken(t *testing.T, bc *backChannel) backCall {
	t.Helper()
	calls := bc.to(nodeTokenPath)
	if len(calls) != 1 {
		t.Fatalf("%d token requests, want 1", len(calls))
	}
	return calls[0]
}

// lastCall returns the last request to path, or fails.
func lastCall(t *testing.T, bc *backChannel, path string) backCall {
	t.Helper()
	calls := bc.to(path)
	if len(calls) == 0 {
		t.Fatalf("no request to %s", path)
	}
	return calls[len(calls)-1]
}

// onlyPush returns the only pushed authorization request, which the
// provider accepted, and checks that the browser carried only client_id
// and the request_uri it answered.
func onlyPush(t *testing.T, bc *backChannel) backCall {
	t.Helper()
	calls := bc.to(nodePARPath)
	if len(calls) != 1 || calls[0].Status != http.StatusCreated || calls[0].str("request_uri") == "" {
		t.Fatalf("pushed authorization requests %+v, want one answered 201 with a request_uri", calls)
	}
	return calls[0]
}

func checkBasicAuth(t *testing.T, _ *nodeOP, s *nodeSignIn) {
	t.Helper()
	tr := onlyToken(t, s.bc)
	if !strings.HasPrefix(tr.Authorization, "Basic ") || tr.Form.Has("client_secret") || tr.Form.Has("client_assertion") {
		t.Errorf("token request authenticates with Authorization %q, client_secret in the form %v; want client_secret_basic",
			authScheme(tr.Authorization), tr.Form.Has("client_secret"))
	}
	if push := s.bc.to(nodePARPath); len(push) == 0 {
		for name, want := range map[string]string{"response_type": "code", "code_challenge_method": "S256", "scope": "openid profile email"} {
			if got := s.auth.Get(name); got != want {
				t.Errorf("authorization request %s = %q, want %q", name, got, want)
			}
		}
	} else if len(s.auth) != 2 || s.auth.Get("request_uri") != push[0].str("request_uri") {
		t.Errorf("with PAR the browser carried %v, want only client_id and the request_uri", s.auth)
	}
}

// checkAssertion checks a private_key_jwt client assertion in form.
func checkAssertion(t *testing.T, op *nodeOP, form url.Values, client string) {
	t.Helper()
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || form.Has("client_secret") {
		t.Fatalf("form %v: want a private_key_jwt client assertion", form)
	}
	hdr, claims := jwtParts(t, form.Get("client_assertion"))
	if hdr["kid"] != op.clients[client].KeyID || claims["iss"] != client || claims["sub"] != client || claims["jti"] == nil {
		t.Errorf("client assertion header %v claims %v", hdr, claims)
	}
}

// checkRequestObject checks a signed request object (RFC 9101) and
// returns its claims.
func checkRequestObject(t *testing.T, op *nodeOP, obj, client string) map[string]any {
	t.Helper()
	if obj == "" {
		t.Fatalf("no request object")
	}
	hdr, claims := jwtParts(t, obj)
	if hdr["typ"] != "oauth-authz-req+jwt" || hdr["alg"] != "ES256" || hdr["kid"] != op.clients[client].KeyID {
		t.Errorf("request object header %v", hdr)
	}
	if claims["iss"] != client || claims["client_id"] != client || claims["aud"] != op.issuer ||
		claims["redirect_uri"] != op.callbackURL || claims["code_challenge_method"] != "S256" {
		t.Errorf("request object claims %v", claims)
	}
	for _, name := range []string{"exp", "nbf", "jti", "nonce", "state", "code_challenge"} {
		if claims[name] == nil {
			t.Errorf("request object has no %s", name)
		}
	}
	return claims
}

// jwtParts decodes a JWT's header and payload without checking it.
func jwtParts(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(h, &header) != nil {
		t.Fatalf("JWT header: %v", err)
	}
	return header, jwtClaims(t, token)
}

// TestNodeProviderRefresh: with offline_access and prompt consent the
// provider issues a refresh token, and Refresh trades it for new tokens
// with an ID token for the same user.
func TestNodeProviderRefresh(t *testing.T) {
	op := setupNode(t)
	bc := newBackChannel()
	cfg := op.rpConfig(t, bc, "basic")
	cfg.Scopes = []string{"openid", "profile", "email", "offline_access"}
	cfg.Prompt = "consent"
	r := newRP(t, cfg)
	s := op.signIn(t, bc, cfg, alice)
	if s.auth.Get("prompt") != "consent" || s.res.Tokens.RefreshToken == "" {
		t.Fatalf("prompt %q: no refresh token issued for offline_access", s.auth.Get("prompt"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tokens, claims, err := r.Refresh(ctx, s.res.Tokens.RefreshToken, s.res.Claims)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	calls := bc.to(nodeTokenPath)
	if len(calls) != 2 || calls[1].Form.Get("grant_type") != "refresh_token" || calls[1].Status != http.StatusOK {
		t.Fatalf("token requests %+v, want the code exchange and one refresh answered 200", calls)
	}
	if tokens.AccessToken == "" || tokens.AccessToken == s.res.Tokens.AccessToken || string(tokens.AccessToken) != calls[1].str("access_token") {
		t.Errorf("Refresh did not return the provider's new access token")
	}
	if tokens.RefreshToken == "" || claims == nil || claims.Subject != alice.ID {
		t.Errorf("Refresh: refresh token set %v, claims %+v", tokens.RefreshToken != "", claims)
	}
	if status, body := op.nodeUserinfo(t, string(tokens.AccessToken)); status != http.StatusOK || body["sub"] != alice.ID {
		t.Errorf("userinfo with the refreshed access token: %d %v", status, body)
	}
}

// nodeUserinfo calls userinfo with a bearer access token.
func (op *nodeOP) nodeUserinfo(t *testing.T, accessToken string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, op.issuer+nodeUserinfoPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}
