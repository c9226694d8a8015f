package rp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/oidcrp/rp/internal/events"
)

// Result is a completed login.
type Result struct {
	// Claims are the verified claims of the user: the ID token's, merged
	// with userinfo's when userinfo was fetched.
	Claims *Claims
	// Tokens are the tokens the provider issued.
	Tokens Tokens
	// User is the local account Config.Matcher linked the login to; nil
	// when no Matcher is configured.
	User *User
	// ReturnTo is the same-origin path the login was started with.
	ReturnTo string
}

// Tokens are the tokens of a completed login. The token strings are of type
// Secret, so printing or logging a Result never reveals them.
type Tokens struct {
	IDToken      Secret // the ID token as received, decrypted when it was encrypted (for id_token_hint at logout, which must be the signed JWT)
	AccessToken  Secret // for the provider's APIs and userinfo; "" in the id_token flow
	RefreshToken Secret // "" unless the provider issued one (offline_access)
	TokenType    string // usually "Bearer"
	// Expiry is when the access token expires; zero if unknown.
	Expiry time.Time
	// DPoPKey is the key the tokens are bound to under Config.DPoP
	// (TokenType "DPoP"); nil otherwise. Keep it with the tokens, sealed
	// (DPoPKey.MarshalBinary), give it back to RefreshDPoP, and make the
	// proofs of calls with AccessToken with its Proof method.
	DPoPKey *DPoPKey
}

// maxParamLen bounds each authorization response parameter.
const maxParamLen = 32 << 10

// Callback completes a login from the provider's authorization response in
// req (a GET with the response in the query, or a form POST). With a JARM
// response mode (Config.ResponseMode "jwt", "query.jwt", "fragment.jwt" or
// "form_post.jwt") it first verifies the response JWT, the response's only
// parameter, and goes on with the parameters it holds (see ErrResponseJWT).
// In order, it: checks the state against this browser's transaction cookie (and deletes
// the cookie), checks the RFC 9207 iss parameter, turns an error response
// into a *AuthorizationError, verifies a front-channel ID token (implicit and
// hybrid flows), exchanges the code with the PKCE verifier, verifies the ID
// token and its nonce, fetches userinfo as Config.UserInfo says, and links
// the login to a local account with Config.Matcher when one is set.
//
// A present iss parameter must name the provider. A missing one is refused
// when the provider advertises authorization_response_iss_parameter_supported,
// except in a successful response that carries an ID token (response types
// with "id_token"): that token's signature and iss claim are then verified
// before anything else of the response is used, and stand in for the
// parameter, as certified providers such as node oidc-provider expect.
//
// Every failure is an error to test with errors.Is: ErrState*,
// ErrMalformedResponse, ErrResponseJWT (with the specific ErrResponseJWT*
// kind), ErrAuthorization, ErrIssuerMismatch, ErrMissingCode,
// ErrTokenExchange, ErrMissingIDToken, ErrInvalidIDToken (with the specific
// ErrIDToken* kind), ErrUserInfo or ErrUserInfoSubjectMismatch, or the
// error of Config.Matcher (ErrNoLocalAccount and friends with the default
// matcher). A failed callback returns no claims and no tokens.
//
// Callback logs one line to Config.Logger per call: "rp: sign-in" at Info
// with iss and sub, or "rp: sign-in refused" with the error's kind, at Warn
// when the refusal looks like an attack (a bad signature, a reused state, a
// mix-up) and at Info otherwise. The refusal's line carries a short
// reference ("ref") that ErrorRef returns for the error, to show the user
// for support. Called by package web, Callback leaves the log line to web,
// which writes it, with the provider's name, to web.Config.Logger.
func (r *RP) Callback(w http.ResponseWriter, req *http.Request) (res *Result, err error) {
	quiet := events.IsCallerLogging(req.Context())
	if r.obs != nil && !quiet {
		ctx, end := r.obs.SignIn(req.Context(), "", r.issuers.issuer)
		req = req.WithContext(ctx)
		defer func() { end(SignInEnd{ErrorKind: errorKindOrNone(err)}) }()
	}
	res, err = r.callback(w, req)
	if err != nil {
		err = events.WithRef(err)
		if !quiet {
			logRefusal(req.Context(), r.log, evSignInRefused, err, "iss", r.issuers.issuer)
		}
		return nil, err
	}
	if !quiet {
		r.log.InfoContext(req.Context(), evSignIn, "iss", res.Claims.Issuer, "sub", res.Claims.Subject)
	}
	return res, nil
}

func (r *RP) callback(w http.ResponseWriter, req *http.Request) (*Result, error) {
	params, err := responseParams(w, req)
	if err != nil {
		return nil, err
	}
	if r.cfg.isJARM() {
		// JARM: the parameters are those of the verified response JWT.
		if params, err = r.responseJWTParams(req.Context(), params); err != nil {
			return nil, err
		}
	}
	if err := r.hookAuthResponse(req.Context(), req.Method, params); err != nil {
		return nil, err
	}
	tx, err := r.consumeTransaction(w, req, params.Get("state"))
	if err != nil {
		return nil, err
	}
	// RFC 9207: the iss parameter, on success and error responses alike,
	// must name this provider; a provider that promises it must send it,
	// unless the response carries an ID token (see idTokenVouchesForIssuer).
	if iss, ok := params["iss"]; ok {
		if !r.issuers.checkResponseIss(iss[0]) {
			return nil, ErrIssuerMismatch
		}
	} else if r.md.AuthorizationResponseIssParameterSupported && !r.idTokenVouchesForIssuer(params) {
		return nil, ErrIssuerMismatch
	}
	if code := params.Get("error"); code != "" {
		return nil, &AuthorizationError{
			Code:        sanitize(code),
			Description: sanitize(params.Get("error_description")),
			URI:         sanitize(params.Get("error_uri")),
		}
	}
	id, tokens, err := r.tokens(req.Context(), params, tx)
	if err != nil {
		return nil, err
	}
	if err := r.checkLoginClaims(id.claims); err != nil {
		return nil, err
	}
	added, err := r.hookIDToken(req.Context(), id.claims)
	if err != nil {
		return nil, err
	}
	var userinfo map[string]any
	if tokens.AccessToken != "" && r.needUserInfo(id.claims) {
		userinfo, err = r.userInfo(withDPoPKey(req.Context(), tokens.DPoPKey), string(tokens.AccessToken), id.token.Subject)
		if err != nil {
			return nil, err
		}
		if added, err = r.hookUserInfo(req.Context(), id.claims, userinfo, added); err != nil {
			return nil, err
		}
	}
	idClaims, userinfo, err := r.resolveClaims(withDPoPKey(req.Context(), tokens.DPoPKey), id, userinfo, string(tokens.AccessToken))
	if err != nil {
		return nil, err
	}
	claims := newClaims(idClaims, withAdded(userinfo, added))
	var user *User
	if r.cfg.Matcher != nil {
		id := r.identityMapping()
		id.Claims = claims
		user, err = r.cfg.Matcher.Match(req.Context(), id)
		if err != nil {
			return nil, err
		}
	}
	return &Result{
		Claims:   claims,
		User:     user,
		Tokens:   *tokens,
		ReturnTo: tx.ReturnTo,
	}, nil
}

// idTokenVouchesForIssuer reports whether a response without the iss
// parameter may go on although the provider promises it: a successful
// response of a response type that returns an ID token, carrying one.
// Certified providers (node oidc-provider) leave iss out of exactly these
// responses, as RFC 9207 section 2.4 allows, because the ID token's own
// iss claim names the issuer. tokens verifies that ID token, signature and
// iss included, before anything else of the response is used: no code is
// redeemed and no access token read before the issuer is known to be this
// provider.
func (r *RP) idTokenVouchesForIssuer(params url.Values) bool {
	return !params.Has("error") && params.Get("id_token") != "" && responseTypeHas(r.cfg.responseType(), "id_token")
}

// responseParams reads the authorization response: the query of a GET, or
// the form of a POST (response_mode=form_post). A parameter given twice or
// longer than maxParamLen makes the response malformed.
func responseParams(w http.ResponseWriter, req *http.Request) (url.Values, error) {
	var params url.Values
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		q, err := url.ParseQuery(req.URL.RawQuery)
		if err != nil {
			return nil, ErrMalformedResponse
		}
		if q.Has("access_token") || q.Has("id_token") {
			return nil, ErrTokensInQuery
		}
		params = q
	case http.MethodPost:
		req.Body = http.MaxBytesReader(w, req.Body, 128<<10)
		if err := req.ParseForm(); err != nil {
			return nil, ErrMalformedResponse
		}
		params = req.PostForm
	default:
		return nil, ErrMalformedResponse
	}
	for _, vs := range params {
		if len(vs) != 1 || len(vs[0]) > maxParamLen {
			return nil, ErrMalformedResponse
		}
	}
	return params, nil
}

// exchange trades the code for tokens at the token endpoint.
func (r *RP) exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	ctx = context.WithValue(observed(ctx, r.obs, EndpointToken, r.md.Issuer), oauth2.HTTPClient, r.tokenClient)
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := r.oauth.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, tokenError(err, false)
	}
	if err := r.checkCertificateBinding(tok.AccessToken, false); err != nil {
		return nil, err
	}
	if err := r.checkTokenType(tok, false); err != nil {
		return nil, err
	}
	return tok, nil
}

// tokenExpiry is when tok's access token expires by the RP's clock (x/oauth2
// computes Token.Expiry with the system clock), or zero when unknown.
func (r *RP) tokenExpiry(tok *oauth2.Token) time.Time {
	var secs float64
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		secs = v
	case string:
		if _, err := fmt.Sscan(v, &secs); err != nil {
			return time.Time{}
		}
	default:
		return time.Time{}
	}
	if secs <= 0 || secs > 1<<31 {
		return time.Time{}
	}
	return r.now().Add(time.Duration(secs) * time.Second)
}

// tokenError turns an x/oauth2 token endpoint failure into a *TokenError
// that carries the OAuth error code but no response body.
func tokenError(err error, refresh bool) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Refresh: refresh, Code: sanitize(re.ErrorCode), Description: sanitize(re.ErrorDescription)}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		return te
	}
	// Other errors describe the transport or the response's format; they
	// carry no token material.
	return &TokenError{Refresh: refresh, Err: errors.New(strings.TrimPrefix(err.Error(), "oauth2: "))}
}
