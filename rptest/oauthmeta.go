package rptest

import "net/http"

// PathOAuthMetadata is where Config.OAuthMetadataOnly publishes the
// metadata as RFC 8414 says for an issuer without a path.
const PathOAuthMetadata = "/.well-known/oauth-authorization-server"

// EndpointOAuthMetadata names PathOAuthMetadata for Server.Requests.
const EndpointOAuthMetadata = "oauth-metadata"

// handleOAuthMetadata serves the RFC 8414 document under
// Config.OAuthMetadataOnly and answers 404 otherwise.
func (s *Server) handleOAuthMetadata(w http.ResponseWriter, r *http.Request) {
	if !s.oauthOnly {
		http.NotFound(w, r)
		return
	}
	s.handleDiscovery(w, r)
}
