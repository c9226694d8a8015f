package rp

import (
	"slices"
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

// responseTypeHas reports whether the response type includes part
// ("code", "id_token" or "token").
func responseTypeHas(responseType, part string) bool {
	return slices.Contains(strings.Fields(responseType), part)
}
