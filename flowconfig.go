package rp

import (
	"slices"
	"strconv"
	"strings"
)

// responseType is the configured response type, "code" by default.
func (c *Config) responseType() string {
	if c.ResponseType == "" {
		return "code"
	}
	return c.ResponseType
}

// responseMode is the configured response mode, or the default for the
// response type: query for "code", form_post when the response carries
// tokens.
func (c *Config) responseMode() string {
	if c.ResponseMode != "" {
		return c.ResponseMode
	}
	if c.responseType() == "code" {
		return "query"
	}
	return "form_post"
}

// clientAuth is the client authentication method to use at the token
// endpoint: the configured one, or the best the provider supports (per its
// advertised token_endpoint_auth_methods_supported, which defaults to
// client_secret_basic when absent).
func (c *Config) clientAuth(md *ProviderMetadata) string {
	switch {
	case c.ClientAuth != "":
		return c.ClientAuth
	case c.ClientKey != nil:
		return "private_key_jwt"
	case c.ClientSecret == "":
		return "none"
	}
	methods := md.TokenEndpointAuthMethodsSupported
	if len(methods) > 0 && !slices.Contains(methods, "client_secret_basic") && slices.Contains(methods, "client_secret_post") {
		return "client_secret_post"
	}
	return "client_secret_basic"
}

// providerProblems lists what in c cannot work with the provider described
// by md: the checks New makes once the metadata is known, shared with Check.
func providerProblems(c *Config, md *ProviderMetadata) []ConfigProblem {
	var v validator
	if c.UserInfo == UserInfoAlways && md.UserInfoEndpoint == "" {
		v.add("UserInfo", "the provider has no userinfo endpoint; use UserInfoAuto or UserInfoNever, or configure Endpoints.UserInfo")
	}
	if c.usePAR(md) && md.PushedAuthorizationRequestEndpoint == "" {
		v.add("PushedAuthorization", "the provider has no pushed authorization request endpoint; turn PushedAuthorization off, or configure Endpoints.PAR")
	}
	if msg := jarmProviderProblem(c, md); msg != "" {
		v.add("ResponseMode", msg)
	}
	v.problems = append(v.problems, mtlsProviderProblems(c, md)...)
	v.problems = append(v.problems, dpopProviderProblems(c, md)...)
	if p := tenantConfigProblem(md.Issuer, c); p != nil {
		v.problems = append(v.problems, p.Problems...)
	}
	if c.FAPI2 {
		fapiProviderProblems(c, md, &v)
	}
	if c.clientAuth(md) == "private_key_jwt" && c.ClientKey != nil && !c.FAPI2 {
		if _, err := keyAlgorithm(c.ClientKey); err != nil {
			v.add("ClientKey", err.Error())
		}
	}
	return v.problems
}

// responseTypeHas reports whether the response type includes part
// ("code", "id_token" or "token").
func responseTypeHas(responseType, part string) bool {
	return slices.Contains(strings.Fields(responseType), part)
}

// authParam is one authorization request parameter, name and value.
type authParam struct{ name, value string }

// authParams are the authorization request parameters every login of c
// sends, beyond client_id, redirect_uri, scope, state, nonce and PKCE, in
// the order they are set (a later one of the same name wins).
func authParams(c *Config) []authParam {
	var p []authParam
	set := func(k, v string) { p = append(p, authParam{k, v}) }
	rt := c.responseType()
	set("response_type", rt)
	// OAuth 2.0 Multiple Response Types: the default mode is query for
	// "code" and fragment for every type that returns a token.
	specDefault := "fragment"
	if rt == "code" {
		specDefault = "query"
	}
	if mode := c.responseMode(); mode != specDefault {
		set("response_mode", mode)
	}
	if c.MaxAge > 0 {
		set("max_age", strconv.FormatInt(int64(c.MaxAge.Seconds()), 10))
	}
	if len(c.ACRValues) > 0 {
		set("acr_values", strings.Join(c.ACRValues, " "))
	}
	if len(c.UILocales) > 0 {
		set("ui_locales", strings.Join(c.UILocales, " "))
	}
	if len(c.ClaimsParameter) > 0 {
		set("claims", string(c.ClaimsParameter))
	}
	if c.HostedDomain != "" {
		set("hd", c.HostedDomain)
	}
	for k, vs := range c.ExtraAuthParams {
		if len(vs) > 0 {
			set(k, vs[0])
		}
	}
	return p
}
