package rp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// oauthWellKnown is the well-known path of OAuth 2.0 Authorization Server
// Metadata (RFC 8414 section 3).
const oauthWellKnown = "/.well-known/oauth-authorization-server"

// oauthMetadataURL returns where RFC 8414 puts the metadata of issuer: the
// well-known path goes between the host and the issuer's path, without the
// path's terminating slash (section 3.1), so https://h/p has its metadata
// at https://h/.well-known/oauth-authorization-server/p. It reports false
// for an issuer that is not an absolute URL without query or fragment.
func oauthMetadataURL(issuer string) (string, bool) {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", false
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + oauthWellKnown + path, true
}

// discoverWithFallback fetches the OpenID discovery document of c and,
// when the provider answers 404 there and c names no MetadataURL of its
// own, its RFC 8414 authorization server metadata instead. The RFC 8414
// document passes the same checks: its issuer must be the authority, and
// it must name the jwks_uri and the authorization and token endpoints an
// OpenID Connect client needs. When both answer 404 the error is the
// OpenID one, saying where else was looked; any other failure of the RFC
// 8414 document is its own error.
func discoverWithFallback(ctx context.Context, client *http.Client, c *Config) (*ProviderMetadata, error) {
	md, err := discover(ctx, client, c.metadataURL(), c.Authority)
	var de *DiscoveryError
	if err == nil || c.MetadataURL != "" || !errors.As(err, &de) || de.StatusCode != http.StatusNotFound {
		return md, err
	}
	u, ok := oauthMetadataURL(c.Authority)
	if !ok {
		return nil, err
	}
	md, err8414 := discover(ctx, client, u, c.Authority)
	if err8414 == nil {
		return md, nil
	}
	var de8414 *DiscoveryError
	if errors.As(err8414, &de8414) && de8414.StatusCode == http.StatusNotFound {
		both := *de
		both.Detail += "; nor is there OAuth 2.0 authorization server metadata (RFC 8414) at " + u
		return nil, &both
	}
	return nil, err8414
}
