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
// the clock skew.
func (r *RP) refreshTokens(ctx context.Context, refreshToken string, original map[string]any) (*oauth2.Token, *verifiedIDToken, error) {
	began := r.now()
	ctx = context.WithValue(observed(ctx, r.obs, EndpointToken, r.md.Issuer), oauth2.HTTPClient, r.tokenClient)
	tok, err := r.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, nil, tokenError(err, true)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return tok, nil, nil
	}
	id, err := r.ids.verifyRefreshed(fromTokenEndpoint(ctx), rawID, original, began)
	if err != nil {
		return nil, nil, err
	}
	return tok, id, nil
}

// Refresh trades a refresh token for new tokens at the token endpoint
// (OpenID Connect Core section 12). signIn are the claims of the sign-in
// whose tokens these are (Result.Claims): an ID token that comes with the
// new tokens is verified like a sign-in's and must keep signIn's iss, sub,
// aud, azp and auth_time and be issued after the request began, less the
// clock skew; the claims it returns are then signIn's with the new ID
// token's over them, and nil when the provider sent no ID token.
//
// The new Tokens hold the provider's new refresh token, or refreshToken
// again when the provider did not rotate it, and an Expiry by the RP's
// clock. Failures are a *TokenError (Refresh true; an OAuth error such as
// invalid_grant means the provider refused: sign the user in again) or an
// *IDTokenError. Neither carries a token.
func (r *RP) Refresh(ctx context.Context, refreshToken Secret, signIn *Claims) (*Tokens, *Claims, error) {
	original := map[string]any{}
	if signIn != nil {
		maps.Copy(original, signIn.Raw)
	}
	tok, id, err := r.refreshTokens(ctx, string(refreshToken), original)
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
