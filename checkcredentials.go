package rp

// The "credentials" check: does the provider accept the client ID and its
// secret or key? A token request with a made-up authorization code tells,
// without minting a token.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// credentials sends the token endpoint an authorization code request with
// a made-up code, the redirect URL and (unless DisablePKCE) a PKCE verifier,
// authenticated as the client authenticates, and records what the answer
// says about the client credentials: invalid_client (or 401) means a wrong
// client ID, secret or key; invalid_grant means the client was
// authenticated and the code refused (RFC 6749 section 5.2).
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
	case c.untrusted:
		c.add(check, CheckWarn, "not tried: the provider's address or issuer failed the checks above, and the client's credentials are only sent to a provider that passes them")
		return
	case method == "private_key_jwt":
		what = "key"
	}
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {randomString()},
		"redirect_uri": {c.cfg.RedirectURL},
	}
	if !c.cfg.DisablePKCE {
		form.Set("code_verifier", randomString())
	}
	if method != "client_secret_basic" {
		form.Set("client_id", c.cfg.ClientID)
	}
	if method == "client_secret_post" {
		form.Set("client_secret", string(c.cfg.ClientSecret))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, md.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		c.add(check, CheckWarn, "not tried: the token endpoint "+md.TokenEndpoint+" is not a usable URL")
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if method == "client_secret_basic" {
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(string(c.cfg.ClientSecret)))
	}
	client, err := tokenClient(c.client, c.cfg, method, md.TokenEndpoint) // adds private_key_jwt's assertion
	if err != nil {
		c.add(check, CheckWarn, "not tried: the client assertion for private_key_jwt cannot be signed with ClientKey")
		return
	}
	a, err := probe(client, req)
	switch {
	case err != nil:
		c.add(check, CheckWarn, fmt.Sprintf("could not tell whether the client credentials are right: %v: is the token endpoint %s right?", err, md.TokenEndpoint))
	case a.status == http.StatusOK:
		c.add(check, CheckFail, "the provider redeemed a made-up authorization code (HTTP 200): it does not check codes, so it is broken or not the real provider; the token it sent was discarded. Do not sign in through it")
	case a.status == http.StatusUnauthorized || a.code == "invalid_client":
		fix := "check ClientID and ClientSecret, and whether the secret has expired"
		if method == "private_key_jwt" {
			fix = "check ClientID, ClientKey and ClientKeyID, and that the public key is registered at the provider"
		}
		c.add(check, CheckFail, fmt.Sprintf("the provider rejected the client ID or %s (%s): %s", what, a, fix))
	case a.code == "invalid_grant":
		c.add(check, CheckOK, "the provider accepted the client credentials (the made-up code was refused as expected)")
	default:
		c.add(check, CheckWarn, fmt.Sprintf("could not tell whether the client credentials are right: the provider answered %s to a code request with a made-up code; the first sign-in will tell", a))
	}
}
