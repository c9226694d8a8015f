package rp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ProviderMetadata is what the library knows of the provider: its discovery
// document, or the endpoints configured by hand.
type ProviderMetadata struct {
	Issuer                string `json:"issuer"`                         // the issuer every ID token must name
	AuthorizationEndpoint string `json:"authorization_endpoint"`         // where Login sends the browser
	TokenEndpoint         string `json:"token_endpoint"`                 // code exchange and refresh
	UserInfoEndpoint      string `json:"userinfo_endpoint,omitempty"`    // "" when the provider has none
	JWKSURI               string `json:"jwks_uri"`                       // the provider's signing keys
	EndSessionEndpoint    string `json:"end_session_endpoint,omitempty"` // RP-initiated logout; "" when none

	// The provider's capabilities, as advertised; empty when it does not
	// say (see OpenID Connect Discovery 1.0 for each list's default).
	ResponseTypesSupported            []string `json:"response_types_supported,omitempty"`
	ResponseModesSupported            []string `json:"response_modes_supported,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	ClaimsSupported                   []string `json:"claims_supported,omitempty"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported,omitempty"`
	// AuthorizationResponseIssParameterSupported: the provider promises
	// the RFC 9207 iss parameter in its authorization responses.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
	// BackchannelLogoutSupported: the provider sends logout tokens to a
	// client's backchannel_logout_uri (OpenID Connect Back-Channel Logout
	// 1.0); BackchannelLogoutSessionSupported: they carry the sid of the
	// provider session that ended.
	BackchannelLogoutSupported        bool `json:"backchannel_logout_supported,omitempty"`
	BackchannelLogoutSessionSupported bool `json:"backchannel_logout_session_supported,omitempty"`
	// FrontchannelLogoutSupported: the provider loads a client's
	// frontchannel_logout_uri in the browser at logout (OpenID Connect
	// Front-Channel Logout 1.0); FrontchannelLogoutSessionSupported: with
	// iss and sid parameters.
	FrontchannelLogoutSupported        bool `json:"frontchannel_logout_supported,omitempty"`
	FrontchannelLogoutSessionSupported bool `json:"frontchannel_logout_session_supported,omitempty"`
	// PushedAuthorizationRequestEndpoint is where authorization requests
	// are pushed (RFC 9126); RequirePushedAuthorizationRequests: the
	// provider accepts no other (Config.PushedAuthorization is then on).
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint,omitempty"`
	RequirePushedAuthorizationRequests bool   `json:"require_pushed_authorization_requests,omitempty"`
	// TLSClientCertificateBoundAccessTokens: the provider can bind access
	// tokens to the client's TLS certificate (RFC 8705 section 3);
	// MTLSEndpointAliases: its endpoints for clients that present one
	// (section 5), nil when it has none.
	TLSClientCertificateBoundAccessTokens bool                 `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	MTLSEndpointAliases                   *MTLSEndpointAliases `json:"mtls_endpoint_aliases,omitempty"`

	// DPoPSigningAlgValuesSupported are the algorithms the provider
	// accepts in DPoP proofs (RFC 9449); with Config.DPoP it must include
	// DPoPAlg when not empty.
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`

	// The JWE algorithms the provider encrypts ID tokens and userinfo
	// with, and the JWS algorithms it signs userinfo with, as advertised
	// (see Config.DecryptionKeys).
	IDTokenEncryptionAlgValuesSupported  []string `json:"id_token_encryption_alg_values_supported,omitempty"`
	IDTokenEncryptionEncValuesSupported  []string `json:"id_token_encryption_enc_values_supported,omitempty"`
	UserInfoSigningAlgValuesSupported    []string `json:"userinfo_signing_alg_values_supported,omitempty"`
	UserInfoEncryptionAlgValuesSupported []string `json:"userinfo_encryption_alg_values_supported,omitempty"`
	UserInfoEncryptionEncValuesSupported []string `json:"userinfo_encryption_enc_values_supported,omitempty"`
}

// Discovery failures. Every *DiscoveryError matches ErrDiscovery and exactly
// one of the others with errors.Is.
var (
	ErrDiscovery              = errors.New("rp: provider discovery failed")
	ErrMetadataUnavailable    = errors.New("rp: discovery document could not be fetched")
	ErrMetadataMalformed      = errors.New("rp: discovery document is not a valid JSON object")
	ErrMetadataIssuerMismatch = errors.New("rp: discovery document names another issuer")
	ErrMetadataIncomplete     = errors.New("rp: discovery document lacks a required endpoint")
)

// DiscoveryError reports why the provider's metadata could not be used.
type DiscoveryError struct {
	// URL is the discovery document's address.
	URL string
	// Kind is one of ErrMetadataUnavailable, ErrMetadataMalformed,
	// ErrMetadataIssuerMismatch, ErrMetadataIncomplete.
	Kind error
	// StatusCode is the HTTP status, when one was received.
	StatusCode int
	// Detail says what was wrong, in words for an administrator.
	Detail string
	// Err is the underlying error, if any.
	Err error
}

func (e *DiscoveryError) Error() string {
	return fmt.Sprintf("rp: discovery at %s: %s", e.URL, e.Detail)
}

// Is matches ErrDiscovery and the error's Kind.
func (e *DiscoveryError) Is(target error) bool {
	return target == ErrDiscovery || target == e.Kind
}

// Unwrap returns the underlying error.
func (e *DiscoveryError) Unwrap() error { return e.Err }

// wellKnownPath is appended to the issuer, as OpenID Connect Discovery 1.0
// section 4 says, after removing any trailing slash.
const wellKnownPath = "/.well-known/openid-configuration"

// metadataURL returns where the configuration's discovery document lives.
func (c *Config) metadataURL() string {
	if c.MetadataURL != "" {
		return c.MetadataURL
	}
	return strings.TrimSuffix(c.Authority, "/") + wellKnownPath
}

// loadMetadata returns the provider's metadata from the manual endpoints or
// from discovery (OpenID's, else RFC 8414's; see discoverWithFallback).
func loadMetadata(ctx context.Context, client *http.Client, c *Config) (*ProviderMetadata, error) {
	if e := c.Endpoints; e != nil {
		issuer := e.Issuer
		if issuer == "" {
			issuer = c.Authority
		}
		return &ProviderMetadata{
			Issuer:                issuer,
			AuthorizationEndpoint: e.Authorization,
			TokenEndpoint:         e.Token,
			JWKSURI:               e.JWKS,
			UserInfoEndpoint:      e.UserInfo,
			EndSessionEndpoint:    e.EndSession,

			PushedAuthorizationRequestEndpoint: e.PAR,
			MTLSEndpointAliases:                e.MTLSEndpointAliases.clone(),
		}, nil
	}
	return discoverWithFallback(ctx, client, c)
}

// discover fetches and checks the discovery document at u. When authority is
// non-empty the document's issuer must equal it, allowing only a difference of
// one trailing slash (the discovery URL is built without it, so either
// spelling leads to the same document); the document's spelling is then the
// one ID tokens must carry exactly.
func discover(ctx context.Context, client *http.Client, u, authority string) (*ProviderMetadata, error) {
	fail := func(kind error, status int, err error, format string, args ...any) error {
		return &DiscoveryError{URL: u, Kind: kind, StatusCode: status, Err: err, Detail: fmt.Sprintf(format, args...)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fail(ErrMetadataUnavailable, 0, err, "cannot build request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fail(ErrMetadataUnavailable, 0, err, "request failed: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fail(ErrMetadataUnavailable, resp.StatusCode, err, "reading the response failed: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		hint := ""
		if resp.StatusCode == http.StatusNotFound {
			hint = "; check the authority (or metadata URL): it should be the provider's issuer, such as https://login.microsoftonline.com/<tenant>/v2.0"
		}
		return nil, fail(ErrMetadataUnavailable, resp.StatusCode, nil, "the server answered %s, not 200 OK%s", resp.Status, hint)
	}
	var md ProviderMetadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fail(ErrMetadataMalformed, resp.StatusCode, err, "the response is not a JSON discovery document (content type %q): %v", resp.Header.Get("Content-Type"), err)
	}
	if md.Issuer == "" {
		return nil, fail(ErrMetadataIncomplete, resp.StatusCode, nil, "the document has no issuer")
	}
	if authority != "" && !sameIssuer(md.Issuer, authority) {
		return nil, fail(ErrMetadataIssuerMismatch, resp.StatusCode, nil,
			"the document's issuer is %q but the configured authority is %q; set the authority to the provider's exact issuer", md.Issuer, authority)
	}
	var problems []string
	for _, ep := range []struct {
		name, value string
		required    bool
	}{
		{"jwks_uri", md.JWKSURI, true},
		{"authorization_endpoint", md.AuthorizationEndpoint, true},
		{"token_endpoint", md.TokenEndpoint, true},
		{"userinfo_endpoint", md.UserInfoEndpoint, false},
		{"end_session_endpoint", md.EndSessionEndpoint, false},
		{"pushed_authorization_request_endpoint", md.PushedAuthorizationRequestEndpoint, md.RequirePushedAuthorizationRequests},
	} {
		switch {
		case ep.value == "" && ep.required:
			problems = append(problems, ep.name+" is missing")
		case ep.value != "":
			if msg := urlProblem(ep.value, "the provider's "+ep.name); msg != "" {
				problems = append(problems, ep.name+": "+msg)
			}
		}
	}
	problems = append(problems, aliasProblems(md.MTLSEndpointAliases)...)
	if len(problems) > 0 {
		return nil, fail(ErrMetadataIncomplete, resp.StatusCode, nil, "%s", strings.Join(problems, "; "))
	}
	return &md, nil
}
