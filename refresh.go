package rp

import (
	"context"
	"maps"

	"golang.org/x/oauth2"

	"github.com/oidcrp/rp/internal/events"
)

// refreshTokens trades a refresh token for new tokens. A new ID token, when
// the provider sends one, is verified against the sign-in's claims original
// (see verifyRefreshed) and must be issued after the request began, less
// the clock skew; its claim sources are then resolved as a sign-in's
// (resolveClaims), and the claims returned are the resolved ones.
func (r *RP) refreshTokens(ctx context.Context, refreshToken string, original map[string]any) (*oauth2.Token, *verifiedIDToken, error) {
	began := r.now()
	outer := ctx
	ctx = context.WithValue(observed(ctx, r.obs, EndpointToken, r.md.Issuer), oauth2.HTTPClient, r.tokenClient)
	tok, err := r.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, nil, tokenError(err, true)
	}
	if err := r.checkCertificateBinding(tok.AccessToken, true); err != nil {
		return nil, nil, err
	}
	if err := r.checkTokenType(tok, true); err != nil {
		return nil, nil, err
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return tok, nil, nil
	}
	id, err := r.ids.verifyRefreshed(fromTokenEndpoint(ctx), rawID, original, began)
	if err != nil {
		return nil, nil, err
	}
	claims, _, err := r.resolveClaims(outer, id, nil, tok.AccessToken)
	if err != nil {
		return nil, nil, err
	}
	resolved := *id
	resolved.claims = claims
	return tok, &resolved, nil
}

// Refresh trades a refresh token for new tokens at the token endpoint
// (OpenID Connect Core section 12). signIn are the claims of the sign-in
// whose tokens these are (Result.Claims): an ID token that comes with the
// new tokens is verified like a sign-in's and must keep signIn's iss, sub,
// aud, azp and auth_time and be issued after the request began, less the
// clock skew; the claims it returns are then signIn's with the new ID
// token's over them, and nil when the provider sent no ID token. With
// Config.ResolveClaimSources or EntraGroupOverage, the new ID token's
// claim sources and group overage are resolved first, as at sign-in
// (userinfo is not called); a failure is an ErrClaimSource error.
//
// The new Tokens hold the provider's new refresh token, or refreshToken
// again when the provider did not rotate it, and an Expiry by the RP's
// clock. Failures are a *TokenError (Refresh true; an OAuth error such as
// invalid_grant means the provider refused: sign the user in again), an
// *IDTokenError, or an ErrClaimSource error. None carries a token.
//
// Under Config.DPoP use RefreshDPoP with the session's key: Refresh draws
// a new key, to which a provider that bound the refresh token to the
// sign-in's key refuses the refresh.
func (r *RP) Refresh(ctx context.Context, refreshToken Secret, signIn *Claims) (*Tokens, *Claims, error) {
	return r.RefreshDPoP(ctx, refreshToken, nil, signIn)
}

// RefreshDPoP is Refresh for tokens bound to key under Config.DPoP
// (Tokens.DPoPKey of the sign-in or of the last refresh): the request
// carries a proof made with key, and the new Tokens keep it as their
// DPoPKey. A nil key is drawn anew, as Refresh does; with DPoP off, key is
// ignored. A refused token_type is a *TokenError matching
// ErrDPoPDowngrade or ErrDPoPUnrequested.
func (r *RP) RefreshDPoP(ctx context.Context, refreshToken Secret, key *DPoPKey, signIn *Claims) (*Tokens, *Claims, error) {
	original := map[string]any{}
	if signIn != nil {
		maps.Copy(original, signIn.Raw)
	}
	if r.dpop == nil {
		key = nil
	} else if key == nil {
		var err error
		if key, err = NewDPoPKey(); err != nil {
			return nil, nil, &TokenError{Refresh: true, Err: err}
		}
	}
	tok, id, err := r.refreshTokens(withDPoPKey(ctx, key), string(refreshToken), original)
	if r.obs != nil && !events.IsCallerLogging(ctx) {
		r.obs.Refresh(ctx, RefreshEvent{Issuer: r.issuers.issuer, ErrorKind: errorKindOrNone(err)})
	}
	if err != nil {
		return nil, nil, err
	}
	t := &Tokens{
		AccessToken:  Secret(tok.AccessToken),
		RefreshToken: Secret(tok.RefreshToken),
		TokenType:    tok.TokenType,
		Expiry:       r.tokenExpiry(tok),
		DPoPKey:      key,
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	if id == nil {
		return t, nil, nil
	}
	t.IDToken = Secret(id.signed) // the id_token, decrypted when encrypted
	maps.Copy(original, id.claims)
	return t, newClaims(original, nil), nil
}
