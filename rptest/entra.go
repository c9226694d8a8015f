package rptest

import "strings"

// entraIssuerTemplate is the tenant placeholder of a Microsoft Entra ID
// multi-tenant issuer, spelled exactly as Entra's discovery documents do.
const entraIssuerTemplate = "{tenantid}"

// entraCommonTenant is the tenant segment of the issuer of an ID token
// whose user has no tid under Config.EntraMultiTenant.
const entraCommonTenant = "common"

// issuerID returns the issuer identifier of the discovery document, before
// faults: URL, or "<URL>/{tenantid}/v2.0" under Config.EntraMultiTenant.
// The authorization response's iss parameter carries the same value.
func (s *Server) issuerID() string {
	if s.entra {
		return entraIssuer(s.URL, entraIssuerTemplate)
	}
	return s.URL
}

// entraIssuer returns the Entra ID v2.0 issuer of tenant under base.
func entraIssuer(base, tenant string) string {
	return base + "/" + tenant + "/v2.0"
}

// setIDTokenIssuer sets the iss of an ID token whose claims start as a
// copy of the user's claims. Under Config.EntraMultiTenant iss follows the
// user's tid, and a tid that is not a non-empty string is removed.
func (s *Server) setIDTokenIssuer(claims map[string]any) {
	if !s.entra {
		claims["iss"] = s.URL
		return
	}
	tid, _ := claims["tid"].(string)
	if tid == "" {
		delete(claims, "tid")
		tid = entraCommonTenant
	}
	claims["iss"] = entraIssuer(s.URL, tid)
}

// ownIssuer reports whether iss, a claim decoded from JSON, is an issuer
// this provider puts in its ID tokens: URL, or under
// Config.EntraMultiTenant "<URL>/<tenant>/v2.0" for any one-segment
// tenant.
func (s *Server) ownIssuer(iss any) bool {
	v, ok := iss.(string)
	if !ok {
		return false
	}
	if v == s.URL {
		return true
	}
	if !s.entra {
		return false
	}
	rest, ok := strings.CutPrefix(v, s.URL+"/")
	if !ok {
		return false
	}
	tenant, ok := strings.CutSuffix(rest, "/v2.0")
	return ok && tenant != "" && !strings.Contains(tenant, "/")
}
