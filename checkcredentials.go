package rp

// The "credentials" check: does the provider accept the client ID and its
// secret or key? A token request with a made-up authorization code tells,
// without minting a token.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// credentials sends the token endpoint an authorization code request with
// a made-up code, the redirect URL and (unless DisablePKCE) a PKCE verifier,
// authenticated as the client authenticates, and records what the answer
// says about the client credentials: invalid_client (or 401) means a wrong
// client ID, secret or key; invalid_grant means the code was refused, which
// proves the credentials only if the provider authenticates the client
// before it looks at the code (as RFC 6749 section 5.2 has it). Some look at
// the code first, so an invalid_grant is followed by a control request with
// deliberately wrong credentials: only when that one is refused as a wrong
// client are the real credentials reported as accepted. When the control
// tells nothing, the same pair of requests is made with a made-up refresh
// token (refresh_token grant), which such providers often check only after
// the client. No request can mint a token; a token in an answer is
// discarded unread.
func (c *checker) credentials(ctx context.Context, md *ProviderMetadata) {
	const check = "credentials"
	if c.bad["ClientID"] || c.bad["ClientSecret"] || c.bad["ClientKey"] || c.bad["ClientAuth"] {
		return // the config findings say what to fix first
	}
	method := c.cfg.clientAuth(md)
	what := "secret"
	switch {
	case method == "none":
		c.add(check, CheckOK, "not tried: the client is public (client authentication none) and has no secret or key to test")
		return
	case isMTLSMethod(method):
		c.add(check, CheckWarn, "not tried: the client authenticates with its TLS client certificate ("+method+"), which only a real sign-in tests")
		return
	case c.untrusted:
		c.add(check, CheckWarn, "not tried: the provider's address or issuer failed the checks above, and the client's credentials are only sent to a provider that passes them")
		return
	case method == "private_key_jwt":
		what = "key"
	}
	fix := "check ClientID and ClientSecret, and whether the secret has expired"
	if method == "private_key_jwt" {
		fix = "check ClientID, ClientKey and ClientKeyID, and that the public key is registered at the provider"
	}
	codeGrant := func(cfg *Config) url.Values {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {randomString()}, "redirect_uri": {cfg.RedirectURL}}
		if !cfg.DisablePKCE {
			form.Set("code_verifier", randomString())
		}
		return form
	}
	refreshGrant := func(*Config) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {randomString()}}
	}
	a, err := c.tryGrant(ctx, md, method, c.cfg, codeGrant)
	switch {
	case errors.Is(err, errProbeSetup):
		c.add(check, CheckWarn, "not tried: "+err.Error())
		return
	case err != nil:
		c.add(check, CheckWarn, fmt.Sprintf("could not tell whether the client credentials are right: %v: is the token endpoint %s right?", err, md.TokenEndpoint))
		return
	case a.status == http.StatusOK:
		c.add(check, CheckFail, "the provider redeemed a made-up authorization code (HTTP 200): it does not check codes, so it is broken or not the real provider; the token it sent was discarded. Do not sign in through it")
		return
	case rejectsClient(a):
		c.add(check, CheckFail, fmt.Sprintf("the provider rejected the client ID or %s (%s): %s", what, a, fix))
		return
	case a.code != "invalid_grant":
		c.add(check, CheckWarn, fmt.Sprintf("could not tell whether the client credentials are right: the provider answered %s to a code request with a made-up code; the first sign-in will tell", a))
		return
	}
	control, cerr := c.tryGrant(ctx, md, method, wrongCredentials(c.cfg), codeGrant)
	if cerr == nil && rejectsClient(control) {
		c.add(check, CheckOK, "the provider accepted the client credentials: the made-up code was refused as invalid_grant, while the same request with a made-up "+what+" was refused as a wrong client ("+control.String()+")")
		return
	}
	if cerr != nil || control.code != "invalid_grant" {
		got := fmt.Sprint(cerr)
		if cerr == nil {
			got = control.String()
		}
		c.add(check, CheckWarn, fmt.Sprintf("could not tell whether the client credentials are right: the made-up code was refused as invalid_grant, and the same request with a made-up %s got %s; the first sign-in will tell", what, got))
		return
	}
	// This provider looks at the code before the client: ask again with a
	// made-up refresh token.
	r, rerr := c.tryGrant(ctx, md, method, c.cfg, refreshGrant)
	if rerr == nil && rejectsClient(r) {
		c.add(check, CheckFail, fmt.Sprintf("the provider rejected the client ID or %s (%s, to a refresh request with a made-up refresh token): %s", what, r, fix))
		return
	}
	if rerr == nil && r.code == "invalid_grant" {
		rc, rcerr := c.tryGrant(ctx, md, method, wrongCredentials(c.cfg), refreshGrant)
		if rcerr == nil && rejectsClient(rc) {
			c.add(check, CheckOK, "the provider accepted the client credentials: a made-up refresh token was refused as invalid_grant, while the same request with a made-up "+what+" was refused as a wrong client ("+rc.String()+")")
			return
		}
	}
	c.add(check, CheckWarn, "could not tell whether the client credentials are right: this provider looks at the code (and the refresh token) before the client's "+what+", so a made-up "+what+" got the same answer; only a real sign-in tells")
}

// errProbeSetup: the credential probe could not even be built.
var errProbeSetup = errors.New("probe setup")

// rejectsClient reports whether a token endpoint answer says the client
// failed to authenticate.
func rejectsClient(a probeAnswer) bool {
	return a.status == http.StatusUnauthorized || a.code == "invalid_client"
}

// wrongCredentials returns a copy of cfg with a made-up secret and, for
// private_key_jwt, a freshly generated key the provider cannot know.
func wrongCredentials(cfg *Config) *Config {
	wrong := *cfg
	wrong.ClientSecret = Secret("rp-check-wrong-" + randomString())
	if cfg.ClientKey != nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err == nil {
			wrong.ClientKey, wrong.ClientKeyID, wrong.ClientCertificate = k, "rp-check-wrong-key", nil
		}
	}
	return &wrong
}

// tryGrant sends one token request with the grant form makes (a made-up
// code or refresh token), authenticated with method and the credentials of
// cfg, and returns the provider's answer. No redirect is followed; a token
// in the answer is discarded unread.
func (c *checker) tryGrant(ctx context.Context, md *ProviderMetadata, method string, cfg *Config, grant func(*Config) url.Values) (probeAnswer, error) {
	form := grant(cfg)
	if method != "client_secret_basic" {
		form.Set("client_id", cfg.ClientID)
	}
	if method == "client_secret_post" {
		form.Set("client_secret", string(cfg.ClientSecret))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, md.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return probeAnswer{}, fmt.Errorf("%w: the token endpoint %s is not a usable URL", errProbeSetup, md.TokenEndpoint)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if method == "client_secret_basic" {
		req.SetBasicAuth(url.QueryEscape(cfg.ClientID), url.QueryEscape(string(cfg.ClientSecret)))
	}
	client, err := tokenClient(c.client, cfg, method, md.TokenEndpoint) // adds private_key_jwt's assertion
	if err != nil {
		return probeAnswer{}, fmt.Errorf("%w: the client assertion for private_key_jwt cannot be signed with ClientKey", errProbeSetup)
	}
	return probe(client, req)
}
