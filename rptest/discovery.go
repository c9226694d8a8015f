package rptest

import (
	"net/http"
	"slices"
	"sort"
)

// standardClaims are the claims every ID token or userinfo answer may carry.
var standardClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "acr", "azp", "sid",
}

// discoveryDocument builds the OpenID Provider Metadata for f. The issuer
// is URL, or the Entra template under Config.EntraMultiTenant, and the
// client authentication methods are those the token endpoint accepts.
func (s *Server) discoveryDocument(f Faults) map[string]any {
	issuer := s.issuerID()
	if f.DiscoveryIssuer != "" {
		issuer = f.DiscoveryIssuer
	}
	authMethods := s.authMethods()
	doc := map[string]any{
		"issuer":                 issuer,
		"authorization_endpoint": s.URL + PathAuthorize,
		"token_endpoint":         s.URL + PathToken,
		"userinfo_endpoint":      s.URL + PathUserInfo,
		"jwks_uri":               s.URL + PathJWKS,
		"end_session_endpoint":   s.URL + PathEndSession,
		"response_types_supported": []string{
			"code", "id_token", "id_token token", "code id_token", "code token", "code id_token token",
		},
		"response_modes_supported":                       append([]string{"query", "fragment", "form_post"}, jarmModes...),
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          s.signingAlgs(),
		"scopes_supported":                               []string{"openid", "profile", "email", "phone", "offline_access"},
		"token_endpoint_auth_methods_supported":          authMethods,
		"code_challenge_methods_supported":               []string{"S256", "plain"},
		"claims_supported":                               s.claimsSupported(),
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", "implicit"},
		"authorization_response_iss_parameter_supported": !f.OmitResponseIss,
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
		"frontchannel_logout_supported":                  true,
		"frontchannel_logout_session_supported":          true,
	}
	if slices.Contains(authMethods, ClientAuthPrivateKeyJWT) {
		algs := make([]string, len(assertionAlgs))
		for i, a := range assertionAlgs {
			algs[i] = string(a)
		}
		doc["token_endpoint_auth_signing_alg_values_supported"] = algs
	}
	doc["pushed_authorization_request_endpoint"] = s.URL + PathPAR
	doc["require_pushed_authorization_requests"] = s.requirePAR
	doc["request_parameter_supported"] = true
	doc["request_uri_parameter_supported"] = false
	doc["authorization_signing_alg_values_supported"] = s.signingAlgs()
	doc["dpop_signing_alg_values_supported"] = slices.Clone(s.dpop.algs)
	doc["request_object_signing_alg_values_supported"] = []string{"RS256", "PS256", "ES256", "ES384", "ES512"}
	s.addMTLSMetadata(doc, f)
	s.advertiseEncryption(doc)
	if f.OmitJWKSURI {
		delete(doc, "jwks_uri")
	}
	return doc
}

// claimsSupported lists the standard claims and every claim name of every
// user, sorted and without duplicates.
func (s *Server) claimsSupported() []string {
	set := map[string]bool{}
	for _, c := range standardClaims {
		set[c] = true
	}
	s.mu.Lock()
	for _, u := range s.users {
		for c := range u.Claims {
			set[c] = true
		}
		for c := range u.UserInfo {
			set[c] = true
		}
	}
	s.mu.Unlock()
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// handleDiscovery serves the discovery document, or what the discovery
// faults say instead.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	if s.oauthOnly && r.URL.Path == PathDiscovery {
		http.NotFound(w, r)
		return
	}
	f := s.currentFaults()
	switch {
	case f.DiscoveryBody != nil:
		status := http.StatusOK
		if f.DiscoveryStatus >= 200 && f.DiscoveryStatus <= 999 {
			status = f.DiscoveryStatus
		} else if f.DiscoveryStatus != 0 {
			status = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(f.DiscoveryBody)
	case f.DiscoveryStatus != 0:
		writeFaultStatus(w, f.DiscoveryStatus)
	case f.HugeResponse == EndpointDiscovery:
		doc := s.discoveryDocument(f)
		doc[paddingMember] = hugePadding
		writeHugeJSON(w, http.StatusOK, doc)
	default:
		writeJSON(w, http.StatusOK, s.discoveryDocument(f))
	}
}
