package rp

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// tokens obtains and verifies the tokens of an authorization response for
// the configured response type. A front-channel ID token is verified, with
// its nonce and its c_hash and at_hash, before anything else is done with
// the response; a code is then exchanged, and the token endpoint's ID token
// verified and held to the same issuer and subject.
func (r *RP) tokens(ctx context.Context, params url.Values, tx *transaction) (*verifiedIDToken, *Tokens, error) {
	rt := r.cfg.responseType()
	code := params.Get("code")
	var front *verifiedIDToken
	if responseTypeHas(rt, "id_token") {
		raw := params.Get("id_token")
		if raw == "" {
			return nil, nil, ErrMissingIDToken
		}
		var err error
		if front, err = r.ids.verify(ctx, raw, tx.Nonce, tx.began()); err != nil {
			return nil, nil, err
		}
		if responseTypeHas(rt, "code") {
			if code == "" {
				return nil, nil, ErrMissingCode
			}
			if err := checkHash(front, "c_hash", code, ErrCodeHash, true); err != nil {
				return nil, nil, err
			}
		}
		if responseTypeHas(rt, "token") {
			if err := checkHash(front, "at_hash", params.Get("access_token"), ErrAccessTokenHash, true); err != nil {
				return nil, nil, err
			}
		}
	}
	if !responseTypeHas(rt, "code") {
		t := frontChannelTokens(params, r)
		if front != nil {
			t.IDToken = Secret(front.signed) // decrypted when encrypted
		}
		if err := r.hookTokens(ctx, t, params.Get("scope")); err != nil {
			return nil, nil, err
		}
		return front, t, nil
	}
	if code == "" {
		return nil, nil, ErrMissingCode
	}
	key, err := r.loginDPoPKey(tx)
	if err != nil {
		return nil, nil, err
	}
	tok, err := r.exchange(withDPoPKey(ctx, key), code, tx.Verifier)
	if err != nil {
		return nil, nil, err
	}
	id := front
	rawID, _ := tok.Extra("id_token").(string)
	if rawID != "" {
		// The token endpoint answered the RP's own request: a new kid in
		// its ID token may refetch the keys (see keySet).
		back, err := r.ids.verify(fromTokenEndpoint(ctx), rawID, tx.Nonce, tx.began())
		if err != nil {
			return nil, nil, err
		}
		// at_hash is optional in an ID token from the token endpoint.
		if err := checkHash(back, "at_hash", tok.AccessToken, ErrAccessTokenHash, false); err != nil {
			return nil, nil, err
		}
		if front != nil && (back.token.Issuer != front.token.Issuer || back.token.Subject != front.token.Subject) {
			return nil, nil, idTokenError(ErrIDTokenIssuer, nil, "the token endpoint's ID token names another issuer or subject than the authorization response's")
		}
		id = back
	}
	if id == nil {
		return nil, nil, ErrMissingIDToken
	}
	t := &Tokens{
		IDToken:      Secret(id.signed), // the one verified, decrypted when encrypted
		AccessToken:  Secret(tok.AccessToken),
		RefreshToken: Secret(tok.RefreshToken),
		TokenType:    tok.TokenType,
		Expiry:       r.tokenExpiry(tok),
		DPoPKey:      key,
	}
	scope, _ := tok.Extra("scope").(string)
	if err := r.hookTokens(ctx, t, scope); err != nil {
		return nil, nil, err
	}
	return id, t, nil
}

// frontChannelTokens are the tokens of an implicit response.
func frontChannelTokens(params url.Values, r *RP) *Tokens {
	t := &Tokens{
		IDToken:     Secret(params.Get("id_token")),
		AccessToken: Secret(params.Get("access_token")),
		TokenType:   params.Get("token_type"),
	}
	if secs, err := strconv.ParseInt(params.Get("expires_in"), 10, 32); err == nil && secs > 0 {
		t.Expiry = r.now().Add(time.Duration(secs) * time.Second)
	}
	return t
}

// checkHash checks a left-half hash claim (c_hash or at_hash) of an ID
// token against value, hashing as the token's algorithm says (go-oidc's
// at_hash check, pointed at the claim). An absent claim fails only when
// required, as it is for front-channel ID tokens.
func checkHash(id *verifiedIDToken, claim, value string, kind error, required bool) error {
	h, _ := id.claims[claim].(string)
	if h == "" {
		if !required {
			return nil
		}
		return idTokenError(kind, nil, "the ID token has no %s", claim)
	}
	if value == "" {
		return idTokenError(kind, nil, "the response has no value for %s", claim)
	}
	probe := *id.token
	probe.AccessTokenHash = h
	if err := probe.VerifyAccessToken(value); err != nil {
		return idTokenError(kind, err, "%v", err)
	}
	return nil
}

// checkLoginClaims checks what the configuration asked of the sign-in:
// auth_time within MaxAge, an acr among ACRValues when required, and
// Google's hd when HostedDomain is set.
func (r *RP) checkLoginClaims(claims map[string]any) error {
	if r.cfg.MaxAge > 0 {
		at, ok := numericDate(claims["auth_time"])
		if !ok {
			return idTokenError(ErrIDTokenAuthTime, nil, "max_age was requested but the token has no auth_time")
		}
		if age := r.now().Sub(at); age > r.cfg.MaxAge+r.cfg.ClockSkew {
			return idTokenError(ErrIDTokenAuthTime, nil, "the user signed in %v ago, more than max_age %v", age.Round(time.Second), r.cfg.MaxAge)
		}
	}
	if r.cfg.RequireACR {
		if acr, _ := claims["acr"].(string); !slices.Contains(r.cfg.ACRValues, acr) {
			return idTokenError(ErrIDTokenACR, nil, "acr is %q; required one of %q", acr, r.cfg.ACRValues)
		}
	}
	if r.cfg.HostedDomain != "" {
		if hd, _ := claims["hd"].(string); hd != r.cfg.HostedDomain {
			return idTokenError(ErrHostedDomain, nil, "hd is %q, not %q", hd, r.cfg.HostedDomain)
		}
	}
	return nil
}
