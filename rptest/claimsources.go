package rptest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
)

// Paths of the claim-source imitations, under Server.URL.
const (
	// PathClaimSource serves distributed claims (OpenID Connect Core
	// 5.6.2) to a GET with a Bearer token from DistributedClaims.
	PathClaimSource = "/claims/distributed"
	// PathGraph is the base of the Microsoft Graph imitation: give
	// Server.URL + PathGraph as the relying party's Graph base URL. It
	// serves POST PathGraph + "/v1.0/me/getMemberGroups" to an access
	// token the token endpoint issued, answering the groups set with
	// SetGraphGroups as {"value": [...]}. A Bearer token is sent with the
	// Bearer scheme; a DPoP-bound one needs the DPoP scheme and a proof
	// with its key and ath, checked as at userinfo (nonce included under
	// Config.DPoPRequireNonce); a certificate-bound one needs its
	// certificate.
	PathGraph = "/graph"
	// PathGraphMemberGroups is the Graph imitation's getMemberGroups.
	PathGraphMemberGroups = PathGraph + "/v1.0/me/getMemberGroups"
)

// EndpointGraph names the Graph imitation's getMemberGroups for
// LastDPoPProof.
const EndpointGraph = "graph"

// ClaimSourceFaults make the claim-source imitations misbehave, for
// negative tests. The zero value misbehaves in no way.
type ClaimSourceFaults struct {
	// BadSignature signs aggregated and distributed claims with a key the
	// JWKS does not publish.
	BadSignature bool
	// Issuer, when set, is the iss of aggregated and distributed claims
	// instead of the provider's issuer.
	Issuer string
	// Subject, when set, is their sub instead of the user's (in plain
	// JSON answers too).
	Subject string
	// PlainJSON serves distributed claims as application/json rather
	// than a signed application/jwt.
	PlainJSON bool
	// Status, when non-zero, answers the distributed endpoint and Graph
	// with this HTTP status and no claims.
	Status int
	// Oversized pads the answers of the distributed endpoint and Graph
	// past 1 MiB.
	Oversized bool
	// Slow holds the answers of the distributed endpoint and Graph until
	// the request is cancelled or the server closes.
	Slow bool
}

// claimState is the Server's claim-source state, guarded by Server.mu.
type claimState struct {
	faults      ClaimSourceFaults
	distributed map[string]distributedGrant // by access token
	graph       map[string][]string         // groups by sub
}

type distributedGrant struct {
	sub    string
	claims map[string]any
}

// SetClaimSourceFaults replaces the claim-source misbehaviours.
func (s *Server) SetClaimSourceFaults(f ClaimSourceFaults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claimSrc.faults = f
}

func (s *Server) claimFaults() ClaimSourceFaults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claimSrc.faults
}

// SetGraphGroups sets the group IDs the Graph imitation answers for the
// user sub.
func (s *Server) SetGraphGroups(sub string, groups []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimSrc.graph == nil {
		s.claimSrc.graph = map[string][]string{}
	}
	s.claimSrc.graph[sub] = append([]string(nil), groups...)
}

// AggregatedClaims returns a JWT of claims about sub signed with the
// provider's current key (iss the issuer), for a user's Claims as the
// "JWT" member of a _claim_sources entry. ClaimSourceFaults.BadSignature,
// Issuer and Subject apply.
func (s *Server) AggregatedClaims(sub string, claims map[string]any) (string, error) {
	return s.claimsJWT(sub, claims, s.claimFaults())
}

// DistributedClaims registers claims about sub at PathClaimSource and
// returns the endpoint and the access token that reads them, for a user's
// _claim_sources entry {"endpoint": ..., "access_token": ...}.
func (s *Server) DistributedClaims(sub string, claims map[string]any) (endpoint, accessToken string) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	accessToken = base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimSrc.distributed == nil {
		s.claimSrc.distributed = map[string]distributedGrant{}
	}
	s.claimSrc.distributed[accessToken] = distributedGrant{sub: sub, claims: maps.Clone(claims)}
	return s.URL + PathClaimSource, accessToken
}

func (s *Server) claimsJWT(sub string, claims map[string]any, f ClaimSourceFaults) (string, error) {
	body := maps.Clone(claims)
	if body == nil {
		body = map[string]any{}
	}
	body["iss"], body["sub"] = s.URL, sub
	if f.Issuer != "" {
		body["iss"] = f.Issuer
	}
	if f.Subject != "" {
		body["sub"] = f.Subject
	}
	k := s.currentKey()
	if f.BadSignature {
		var err error
		if k, err = s.rogueKey(); err != nil {
			return "", err
		}
	}
	return k.sign(body, k.kid)
}

// claimRoutes adds the claim-source imitations to mux.
func (s *Server) claimRoutes(mux *http.ServeMux) {
	mux.HandleFunc(PathClaimSource, s.handleDistributed)
	mux.HandleFunc(PathGraphMemberGroups, s.handleGraphMemberGroups)
}

// claimFault applies Status and Slow; it reports whether it answered.
func (s *Server) claimFault(w http.ResponseWriter, r *http.Request, f ClaimSourceFaults) bool {
	if f.Slow {
		s.stall(r)
		return true
	}
	if f.Status != 0 {
		writeFaultStatus(w, f.Status)
		return true
	}
	return false
}

func (s *Server) handleDistributed(w http.ResponseWriter, r *http.Request) {
	f := s.claimFaults()
	if !allowMethods(w, r, http.MethodGet) || s.claimFault(w, r, f) {
		return
	}
	token, _ := bearerToken(r.Header.Get("Authorization"))
	s.mu.Lock()
	g, ok := s.claimSrc.distributed[token]
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "unknown access token")
		return
	}
	if f.Oversized {
		writeHugeJSON(w, http.StatusOK, map[string]any{"sub": g.sub, paddingMember: hugePadding})
		return
	}
	if f.PlainJSON {
		body := maps.Clone(g.claims)
		body["sub"] = g.sub
		if f.Subject != "" {
			body["sub"] = f.Subject
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	jwt, err := s.claimsJWT(g.sub, g.claims, f)
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(jwt))
}

func (s *Server) handleGraphMemberGroups(w http.ResponseWriter, r *http.Request) {
	f := s.claimFaults()
	if !allowMethods(w, r, http.MethodPost) || s.claimFault(w, r, f) {
		return
	}
	var req struct {
		SecurityEnabledOnly *bool `json:"securityEnabledOnly"`
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") ||
		json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req) != nil || req.SecurityEnabledOnly == nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "body must be JSON with securityEnabledOnly")
		return
	}
	token, _ := bearerToken(r.Header.Get("Authorization"))
	dpopScheme := false
	if token == "" {
		token, dpopScheme = dpopSchemeToken(r.Header.Get("Authorization"))
	}
	now := s.now()
	s.mu.Lock()
	g := s.accessTokens[token]
	var sub, jkt string
	if g != nil && !now.After(g.expires) {
		sub, jkt = g.sub, g.jkt
	}
	bound := g == nil || checkBoundToken(r, g)
	groups := s.claimSrc.graph[sub]
	s.mu.Unlock()
	if !bound {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "certificate-bound access token without its certificate")
		return
	}
	if sub == "" {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "unknown or expired access token")
		return
	}
	if !s.checkResourceDPoP(w, r, EndpointGraph, PathGraphMemberGroups, token, jkt, dpopScheme) {
		return
	}
	if groups == nil {
		groups = []string{}
	}
	body := map[string]any{"value": groups}
	if f.Oversized {
		body[paddingMember] = hugePadding
		writeHugeJSON(w, http.StatusOK, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
