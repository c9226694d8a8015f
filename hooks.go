package rp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/oidcrp/rp/internal/hookrun"
)

// Hooks are the application's functions at the steps of a sign-in
// (Config.Hooks), for what configuration cannot say: parameters chosen per
// request, extra checks, claims of the application's own. Every field is
// optional; nil leaves the step as it is. Each hook gets the request's
// context and the step's data, and runs after the library's own checks of
// that step, so that it can add a check or refuse, never skip one.
//
// A hook that returns an error fails the step: AuthURL and Login return
// it, Callback returns it and no result. The error matches both the
// hook's own error and ErrHookRefused with errors.Is, and errors.As finds
// a *HookError naming the hook. A hook that panics fails the step the
// same way with an error matching ErrHookPanicked; the panic is logged at
// Error with the hook's name and never reaches the server.
//
// Hooks run on the request's goroutine, many at once: they must be safe
// for concurrent use. They see tokens and codes only where their step
// needs them, and must not log those.
type Hooks struct {
	// AuthorizationRequest runs in AuthURL and Login once the request to
	// the provider is built, before the login's cookie is set. It may
	// add, change or delete the parameters in AuthRequest.Params
	// (domain_hint, login_hint, acr_values, prompt, a tenant or
	// organization parameter of the provider); a protocol parameter the
	// library sets itself (HookReservedParams) there fails the login with
	// ErrInvalidLoginOption, as does a prompt LoginOptions would refuse.
	AuthorizationRequest func(ctx context.Context, req *AuthRequest) error

	// AuthorizationResponse runs in Callback when the provider's response
	// has been read, before anything of it is checked: to audit every
	// response, forged ones included. It cannot change the response.
	// An error fails the sign-in before its state is checked, so the
	// login's cookie stays. With a JARM response mode it sees the
	// parameters of the response JWT once the JWT is verified; a refused
	// response JWT does not reach it.
	AuthorizationResponse func(ctx context.Context, resp *AuthResponse) error

	// TokenResponse runs in Callback once the tokens are verified (the
	// code exchanged, the ID token's signature, claims, nonce and hashes
	// checked), before the configured claim checks and userinfo. In the
	// implicit flow (no code) the tokens are those of the authorization
	// response.
	TokenResponse func(ctx context.Context, tok *TokenResponse) error

	// IDTokenValidated runs in Callback after the ID token passed every
	// check, Config.MaxAge, RequireACR and HostedDomain included, before
	// userinfo: the place for checks such as "only these tenants" or
	// "only this acr". It may add claims (see IDTokenInfo.Add).
	IDTokenValidated func(ctx context.Context, id *IDTokenInfo) error

	// UserInfoReceived runs in Callback after userinfo's claims were
	// fetched and found to describe the ID token's subject, before the
	// Matcher. It does not run when the login does not call userinfo
	// (see Config.UserInfo). It may add claims (see UserInfoData.Add).
	UserInfoReceived func(ctx context.Context, info *UserInfoData) error
}

// Errors of hooks, matched with errors.Is by the error of every hook that
// refused or panicked (a *HookError).
var (
	// ErrHookRefused: one of the application's hooks returned an error,
	// or gave the library something it must refuse (a reserved
	// parameter, a claim it may not add, session data over the limit).
	ErrHookRefused = errors.New("rp: refused by the application's hook")
	// ErrHookPanicked: one of the application's hooks panicked; the
	// step failed and the panic was logged.
	ErrHookPanicked = errors.New("rp: the application's hook panicked")
)

// HookError is a step that one of the application's hooks failed. It
// matches ErrHookRefused (or, when the hook panicked, ErrHookPanicked)
// and unwraps to the hook's own error.
type HookError struct {
	// Hook names the hook: the field of Hooks (or of web.Hooks), e.g.
	// "IDTokenValidated".
	Hook string
	// Err is the hook's error, or what the library refused of its
	// result; nil when the hook panicked.
	Err error
	// Panicked reports that the hook panicked.
	Panicked bool
}

func (e *HookError) Error() string {
	if e.Panicked {
		return fmt.Sprintf("rp: hook %s panicked", e.Hook)
	}
	return fmt.Sprintf("rp: hook %s refused: %v", e.Hook, e.Err)
}

// Is matches ErrHookPanicked for a panic and ErrHookRefused otherwise.
func (e *HookError) Is(target error) bool {
	if e.Panicked {
		return target == ErrHookPanicked
	}
	return target == ErrHookRefused
}

// Unwrap returns the hook's error.
func (e *HookError) Unwrap() error { return e.Err }

// AuthRequest is the data of Hooks.AuthorizationRequest.
type AuthRequest struct {
	// Request is the browser's request that starts the login. Read it
	// (a header, a cookie, the host); do not change it.
	Request *http.Request
	// ReturnTo is where the user goes after signing in, already checked.
	ReturnTo string
	// Params are the authorization request's parameters that may change
	// per request: prompt, login_hint, acr_values, ui_locales, claims,
	// hd and every LoginOptions.Extra and Config.ExtraAuthParams one, as
	// the library would send them. Only each key's first value is sent;
	// a key with no value or an empty one is left out.
	Params url.Values
}

// HookReservedParams are the authorization request parameters that
// Hooks.AuthorizationRequest may not set: the protocol's own, which bind
// the response to this login and this client, and max_age, which
// Config.MaxAge both asks for and checks.
var HookReservedParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "response_mode", "request", "request_uri", "max_age",
	"client_secret", "client_assertion", "client_assertion_type"}

// AuthResponse is the data of Hooks.AuthorizationResponse: the provider's
// response as it came, unchecked and hostile. Its Params are a copy.
type AuthResponse struct {
	// Method is the request's method: GET, or POST for form_post.
	Method string
	// Params are the response's parameters (state, iss, error,
	// error_description, ...) except code, id_token and access_token,
	// which are left out so that an audit log cannot leak them: see
	// HasCode and HasTokens.
	Params url.Values
	// HasCode and HasTokens report whether the response carries a code,
	// and an id_token or access_token.
	HasCode, HasTokens bool
}

// TokenResponse is the data of Hooks.TokenResponse, a copy: changing it
// changes nothing.
type TokenResponse struct {
	// Tokens are the tokens the provider issued.
	Tokens Tokens
	// Scope is the scope the provider says it granted, when it says so
	// (the token response's "scope"), else "".
	Scope string
}

// IDTokenInfo is the data of Hooks.IDTokenValidated.
type IDTokenInfo struct {
	// Claims are the ID token's verified claims, a copy: changing them
	// changes nothing.
	Claims map[string]any
	// Add collects claims the hook adds to the sign-in, e.g. a role from
	// the application's directory: they appear in Result.Claims (and the
	// Matcher's Identity) under the provider's claims, which win where
	// both have one. A claim the library or the Matcher reads to decide
	// who signs in (ProtectedClaims, Config.UsernameClaim and EmailClaim,
	// the Matcher's ClaimNames) cannot be added: the sign-in fails with
	// ErrHookRefused.
	Add map[string]any
}

// UserInfoData is the data of Hooks.UserInfoReceived.
type UserInfoData struct {
	// IDToken are the ID token's verified claims and UserInfo userinfo's
	// (whose sub is the ID token's), copies: changing them changes
	// nothing.
	IDToken, UserInfo map[string]any
	// Add collects claims the hook adds, as IDTokenInfo.Add; it holds
	// what IDTokenValidated added.
	Add map[string]any
}

// ProtectedClaims are claims that a hook may not add (IDTokenInfo.Add):
// those that identify the user, bind the token to this login, or that
// the library and the default Matcher check.
var ProtectedClaims = []string{"iss", "sub", "aud", "azp", "exp", "iat", "nbf", "jti", "nonce", "auth_time",
	"acr", "amr", "at_hash", "c_hash", "sid", "tid", "hd", "email", "email_verified", "xms_edov",
	"preferred_username", "upn", "unique_name"}

// runHook calls fn, turning its error into a *HookError named name and
// its panic into one matching ErrHookPanicked, logged at Error.
func (r *RP) runHook(ctx context.Context, name string, fn func() error) error {
	panicked, value, err := hookrun.Call(fn)
	if panicked {
		r.log.ErrorContext(ctx, "rp: hook panicked", "hook", name, "panic", hookrun.Describe(value))
		return &HookError{Hook: name, Panicked: true}
	}
	if err != nil {
		return &HookError{Hook: name, Err: err}
	}
	return nil
}

// hookAuthParams runs Hooks.AuthorizationRequest over the adjustable
// parameters of params (a login's, in the order AuthURL sets them: later
// ones win) and returns what to send.
func (r *RP) hookAuthParams(req *http.Request, returnTo string, params url.Values) (url.Values, error) {
	a := &AuthRequest{Request: req, ReturnTo: returnTo, Params: params}
	if err := r.runHook(req.Context(), "AuthorizationRequest", func() error { return r.cfg.Hooks.AuthorizationRequest(req.Context(), a) }); err != nil {
		return nil, err
	}
	for k, vs := range a.Params {
		if slices.Contains(HookReservedParams, k) {
			return nil, &HookError{Hook: "AuthorizationRequest", Err: fmt.Errorf("%w: parameter %q is set by the library", ErrInvalidLoginOption, k)}
		}
		if k == "prompt" && len(vs) > 0 && vs[0] != "" {
			if msg := promptProblem(vs[0]); msg != "" {
				return nil, &HookError{Hook: "AuthorizationRequest", Err: fmt.Errorf("%w: %s", ErrInvalidLoginOption, msg)}
			}
		}
	}
	return a.Params, nil
}

// hookAuthResponse runs Hooks.AuthorizationResponse over a copy of params.
func (r *RP) hookAuthResponse(ctx context.Context, method string, params url.Values) error {
	if r.cfg.Hooks.AuthorizationResponse == nil {
		return nil
	}
	a := &AuthResponse{Method: method, Params: url.Values{}}
	for k, vs := range params {
		switch k {
		case "code":
			a.HasCode = true
		case "id_token", "access_token":
			a.HasTokens = true
		default:
			a.Params[k] = slices.Clone(vs)
		}
	}
	return r.runHook(ctx, "AuthorizationResponse", func() error { return r.cfg.Hooks.AuthorizationResponse(ctx, a) })
}

// hookTokens runs Hooks.TokenResponse.
func (r *RP) hookTokens(ctx context.Context, tokens *Tokens, scope string) error {
	if r.cfg.Hooks.TokenResponse == nil {
		return nil
	}
	t := &TokenResponse{Tokens: *tokens, Scope: scope}
	return r.runHook(ctx, "TokenResponse", func() error { return r.cfg.Hooks.TokenResponse(ctx, t) })
}

// hookIDToken runs Hooks.IDTokenValidated and returns the claims it adds.
func (r *RP) hookIDToken(ctx context.Context, claims map[string]any) (map[string]any, error) {
	if r.cfg.Hooks.IDTokenValidated == nil {
		return nil, nil
	}
	id := &IDTokenInfo{Claims: cloneClaims(claims), Add: map[string]any{}}
	if err := r.runHook(ctx, "IDTokenValidated", func() error { return r.cfg.Hooks.IDTokenValidated(ctx, id) }); err != nil {
		return nil, err
	}
	return id.Add, r.checkAddedClaims("IDTokenValidated", id.Add)
}

// hookUserInfo runs Hooks.UserInfoReceived and returns added with the
// claims it adds.
func (r *RP) hookUserInfo(ctx context.Context, idClaims, userinfo, added map[string]any) (map[string]any, error) {
	if r.cfg.Hooks.UserInfoReceived == nil {
		return added, nil
	}
	if added == nil {
		added = map[string]any{}
	}
	u := &UserInfoData{IDToken: cloneClaims(idClaims), UserInfo: cloneClaims(userinfo), Add: added}
	if err := r.runHook(ctx, "UserInfoReceived", func() error { return r.cfg.Hooks.UserInfoReceived(ctx, u) }); err != nil {
		return nil, err
	}
	return u.Add, r.checkAddedClaims("UserInfoReceived", u.Add)
}

// checkAddedClaims refuses claims a hook may not add.
func (r *RP) checkAddedClaims(hook string, added map[string]any) error {
	for k := range added {
		if slices.Contains(ProtectedClaims, k) || slices.Contains(r.readClaims, k) {
			return &HookError{Hook: hook, Err: fmt.Errorf("claim %q decides who signs in and cannot be added by a hook", k)}
		}
	}
	return nil
}

// cloneClaims copies claims deeply enough that a hook changing the copy
// (its maps and lists included) leaves the sign-in's claims alone.
func cloneClaims(claims map[string]any) map[string]any {
	if claims == nil {
		return nil
	}
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		out[k] = cloneClaim(v)
	}
	return out
}

func cloneClaim(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneClaims(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneClaim(e)
		}
		return out
	case []string:
		return slices.Clone(v)
	}
	return v
}

// withAdded returns userinfo's claims over the claims hooks added, for
// newClaims, which puts the ID token's over both.
func withAdded(userinfo, added map[string]any) map[string]any {
	if len(added) == 0 {
		return userinfo
	}
	out := make(map[string]any, len(added)+len(userinfo))
	maps.Copy(out, added)
	maps.Copy(out, userinfo)
	return out
}
