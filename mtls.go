package rp

// Mutual TLS (RFC 8705): client authentication with a TLS client
// certificate (tls_client_auth, self_signed_tls_client_auth), the
// provider's mtls_endpoint_aliases, and certificate-bound access tokens.

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/oidcrp/rp/internal/netlimit"
)

// The client authentication methods of RFC 8705 section 2, values of
// Config.ClientAuth: the client proves its identity with the TLS client
// certificate it presents (Config.ClientCertificate), and the token
// request carries only client_id.
const (
	// ClientAuthTLS is tls_client_auth: a certificate issued by a
	// certificate authority the provider trusts, recognised by its subject
	// (or a subject alternative name) registered for the client.
	ClientAuthTLS = "tls_client_auth"
	// ClientAuthSelfSignedTLS is self_signed_tls_client_auth: a
	// certificate registered with the provider for the client (often
	// self-signed), recognised as that exact certificate.
	ClientAuthSelfSignedTLS = "self_signed_tls_client_auth"
)

// ErrAccessTokenCertificateMismatch: the token endpoint returned an access
// token that is a JWT whose cnf claim binds it (x5t#S256) to another
// certificate than Config.ClientCertificate; the RP could not use it. It
// comes inside a *TokenError (so it matches ErrTokenExchange too).
var ErrAccessTokenCertificateMismatch = errors.New("rp: access token is bound to another certificate than the client's")

// MTLSEndpointAliases are the provider's endpoints for clients that
// present a TLS client certificate (RFC 8705 section 5, discovery's
// mtls_endpoint_aliases). When the RP uses mutual TLS (Config.ClientAuth
// tls_client_auth or self_signed_tls_client_auth, or
// Config.CertificateBoundTokens), it sends its token, refresh, userinfo and
// pushed authorization requests to the alias of each endpoint that has
// one, and to the plain endpoint otherwise. Revocation and Introspection
// are kept for applications that call those endpoints themselves: the RP
// calls neither. Each URL must be https (http only on loopback); an empty
// one means no alias.
type MTLSEndpointAliases struct {
	Token         string `json:"token_endpoint,omitempty"`
	UserInfo      string `json:"userinfo_endpoint,omitempty"`
	PAR           string `json:"pushed_authorization_request_endpoint,omitempty"`
	Revocation    string `json:"revocation_endpoint,omitempty"`
	Introspection string `json:"introspection_endpoint,omitempty"`
}

// urls lists the aliases by their metadata names, in a fixed order.
func (a *MTLSEndpointAliases) urls() []authParam {
	if a == nil {
		return nil
	}
	return []authParam{
		{"token_endpoint", a.Token},
		{"userinfo_endpoint", a.UserInfo},
		{"pushed_authorization_request_endpoint", a.PAR},
		{"revocation_endpoint", a.Revocation},
		{"introspection_endpoint", a.Introspection},
	}
}

// clone returns a copy of a, or nil.
func (a *MTLSEndpointAliases) clone() *MTLSEndpointAliases {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

// aliasProblems checks every alias URL of a discovery document as the
// other endpoints are checked.
func aliasProblems(a *MTLSEndpointAliases) []string {
	var problems []string
	for _, p := range a.urls() {
		if p.value == "" {
			continue
		}
		name := "mtls_endpoint_aliases." + p.name
		if msg := urlProblem(p.value, "the provider's "+name); msg != "" {
			problems = append(problems, name+": "+msg)
		}
	}
	return problems
}

// isMTLSMethod reports whether a client authentication method is one of
// RFC 8705's.
func isMTLSMethod(method string) bool {
	return method == ClientAuthTLS || method == ClientAuthSelfSignedTLS
}

// usesMTLS reports whether the RP presents its client certificate: for
// mTLS client authentication, or for certificate-bound access tokens.
func (c *Config) usesMTLS() bool {
	return isMTLSMethod(c.ClientAuth) || c.CertificateBoundTokens
}

// mtlsProblems lists what Validate finds wrong with the mTLS settings.
func (c *Config) mtlsProblems() []ConfigProblem {
	var v validator
	for i, cc := range c.ClientCertificateChain {
		if cc == nil {
			v.add("ClientCertificateChain", fmt.Sprintf("certificate %d is nil; list the intermediate certificates after ClientCertificate, leaf first", i))
		}
	}
	if len(c.ClientCertificateChain) > 0 && c.ClientCertificate == nil {
		v.add("ClientCertificate", "set the client's own (leaf) certificate: ClientCertificateChain holds only the intermediates")
	}
	if !c.usesMTLS() {
		return v.problems
	}
	why := "CertificateBoundTokens"
	if isMTLSMethod(c.ClientAuth) {
		why = "ClientAuth " + c.ClientAuth
	}
	if c.ClientCertificate == nil {
		v.add("ClientCertificate", "set the client certificate that "+why+" presents in TLS")
	}
	if c.ClientKey == nil {
		v.add("ClientKey", "set the private key of ClientCertificate, which "+why+" needs for TLS")
	}
	if c.ClientCertificate != nil && c.ClientKey != nil && !samePublicKey(c.ClientKey.Public(), c.ClientCertificate.PublicKey) {
		v.add("ClientKey", "is not the private key of ClientCertificate (their public keys differ); set the key the certificate was issued for")
	}
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil {
		if _, ok := c.HTTPClient.Transport.(*http.Transport); !ok {
			v.add("HTTPClient", fmt.Sprintf("%s needs an *http.Transport to present the client certificate with, but the transport is a %T; "+
				"use an http.Client whose Transport is nil or an *http.Transport (the RP clones it and adds the certificate)", why, c.HTTPClient.Transport))
		}
	}
	return v.problems
}

// samePublicKey reports whether two public keys are equal.
func samePublicKey(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// mtlsProviderProblems lists what in c's mTLS settings cannot work with
// the provider described by md (see providerProblems).
func mtlsProviderProblems(c *Config, md *ProviderMetadata) []ConfigProblem {
	var v validator
	if methods := md.TokenEndpointAuthMethodsSupported; isMTLSMethod(c.ClientAuth) && len(methods) > 0 && !slices.Contains(methods, c.ClientAuth) {
		v.add("ClientAuth", fmt.Sprintf("the provider does not offer %s (its token_endpoint_auth_methods_supported are %q); choose one of those", c.ClientAuth, methods))
	}
	if c.CertificateBoundTokens && c.Endpoints == nil && !md.TLSClientCertificateBoundAccessTokens {
		v.add("CertificateBoundTokens", "the provider does not advertise tls_client_certificate_bound_access_tokens, so it would issue tokens that are not bound to the certificate; turn CertificateBoundTokens off, or enable the feature at the provider")
	}
	return v.problems
}

// mtlsState is what the RP needs to use mutual TLS.
type mtlsState struct {
	client     *http.Client // presents the client certificate, with r.client's limits
	thumbprint string       // base64url SHA-256 of the certificate (x5t#S256)
	aliases    MTLSEndpointAliases
}

// newMTLS returns the RP's mTLS state, or nil when c does not use mTLS.
// The client is built from c.HTTPClient without changing it: its
// *http.Transport is cloned (http.DefaultTransport's when it has none) and
// the clone's TLS configuration presents the certificate to every server
// that asks for one.
func newMTLS(c *Config, md *ProviderMetadata) (*mtlsState, error) {
	if !c.usesMTLS() {
		return nil, nil
	}
	base := c.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	tr, ok := rt.(*http.Transport)
	if !ok {
		return nil, &ConfigError{Problems: []ConfigProblem{{Field: "HTTPClient",
			Message: fmt.Sprintf("mutual TLS needs an *http.Transport to present the client certificate with, but the transport is a %T", rt)}}}
	}
	tr = tr.Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	chain := [][]byte{c.ClientCertificate.Raw}
	for _, cc := range c.ClientCertificateChain {
		chain = append(chain, cc.Raw)
	}
	cert := &tls.Certificate{Certificate: chain, PrivateKey: c.ClientKey, Leaf: c.ClientCertificate}
	// Always offer the certificate, whatever authorities the server lists:
	// a self-signed certificate is issued by none of them.
	tr.TLSClientConfig.Certificates = nil
	tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	client := netlimit.Client(&http.Client{Transport: tr, CheckRedirect: base.CheckRedirect, Jar: base.Jar, Timeout: base.Timeout},
		c.ResponseSizeLimit, c.HTTPTimeout)
	sum := sha256.Sum256(c.ClientCertificate.Raw)
	m := &mtlsState{client: client, thumbprint: base64.RawURLEncoding.EncodeToString(sum[:])}
	if md.MTLSEndpointAliases != nil {
		m.aliases = *md.MTLSEndpointAliases
	}
	return m, nil
}

// endpointClient is the client for the token, userinfo and pushed
// authorization endpoints: the certificate-presenting one under mTLS.
func (r *RP) endpointClient() *http.Client {
	if r.mtls != nil {
		return r.mtls.client
	}
	return r.client
}

// alias returns the mTLS alias when the RP uses mTLS and the provider has
// one, else plain.
func (r *RP) alias(plain, alias string) string {
	if r.mtls != nil && alias != "" {
		return alias
	}
	return plain
}

// tokenEndpoint is where code exchanges and refreshes go.
func (r *RP) tokenEndpoint() string { return r.alias(r.md.TokenEndpoint, r.aliases().Token) }

// userInfoEndpoint is where userinfo requests go; "" when none.
func (r *RP) userInfoEndpoint() string {
	return r.alias(r.md.UserInfoEndpoint, r.aliases().UserInfo)
}

// parEndpoint is where authorization requests are pushed.
func (r *RP) parEndpoint() string {
	return r.alias(r.md.PushedAuthorizationRequestEndpoint, r.aliases().PAR)
}

func (r *RP) aliases() *MTLSEndpointAliases {
	if r.mtls == nil {
		return &MTLSEndpointAliases{}
	}
	return &r.mtls.aliases
}

// newTokenClient returns the client for token endpoint calls of method:
// endpointClient, adding client assertions for private_key_jwt. Their
// audience is the provider's token_endpoint even when the request goes to
// its mTLS alias: it is the endpoint the provider names itself by.
func (r *RP) newTokenClient(c *Config, method string) (*http.Client, error) {
	base := r.endpointClient()
	if method != "private_key_jwt" {
		return base, nil
	}
	// FAPI 2.0 (section 5.3.2.1) has the issuer as the assertion's sole
	// audience, at the token endpoint as at PAR; otherwise the token
	// endpoint, as OpenID Connect Core section 9 recommends.
	aud := r.md.TokenEndpoint
	if c.FAPI2 {
		aud = r.md.Issuer
	}
	return assertionClient(base, c, r.tokenEndpoint(), aud)
}

// jwsAlgs are the algorithms an access token is parsed with to read its
// cnf claim; the signature is not verified.
var jwsAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512,
}

// checkCertificateBinding checks, under mTLS, that an access token that is
// a JWT with a cnf claim naming a certificate thumbprint (x5t#S256, RFC
// 8705 section 3.1) names the client's certificate. This is a consistency
// check, not a verification: the token is for the resource server, so its
// signature is not checked, and a token the RP cannot parse (an opaque
// one) or whose cnf has no x5t#S256 passes unchanged.
func (r *RP) checkCertificateBinding(accessToken string, refresh bool) error {
	if r.mtls == nil || strings.Count(accessToken, ".") != 2 {
		return nil
	}
	tok, err := jwt.ParseSigned(accessToken, jwsAlgs)
	if err != nil {
		return nil
	}
	var claims map[string]any
	if tok.UnsafeClaimsWithoutVerification(&claims) != nil {
		return nil
	}
	cnf, ok := claims["cnf"]
	if !ok {
		return nil
	}
	mismatch := &TokenError{Refresh: refresh, Err: ErrAccessTokenCertificateMismatch}
	m, ok := cnf.(map[string]any)
	if !ok {
		return mismatch
	}
	v, ok := m["x5t#S256"]
	if !ok {
		return nil
	}
	if s, _ := v.(string); subtle.ConstantTimeCompare([]byte(s), []byte(r.mtls.thumbprint)) != 1 {
		return mismatch
	}
	return nil
}
