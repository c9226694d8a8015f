package rp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/internal/loopback"
	"github.com/oidcrp/rp/internal/netlimit"
)

// Failures of aggregated and distributed claims (OpenID Connect Core
// 5.6.2, Config.ResolveClaimSources) and of Entra's group overage
// (Config.EntraGroupOverage). Each matches ErrClaimSource and exactly one
// of the others; the login fails with it.
var (
	ErrClaimSource = errors.New("rp: claims of a claim source could not be resolved")
	// ErrClaimSourceMalformed: _claim_names or _claim_sources is not well
	// formed, or a source's answer is neither a signed JWT nor a JSON
	// object of claims.
	ErrClaimSourceMalformed = errors.New("rp: claim source is malformed")
	// ErrClaimSourceSignature: a claims JWT of a trusted issuer does not
	// verify with that issuer's keys.
	ErrClaimSourceSignature = errors.New("rp: claim source JWT signature does not verify")
	// ErrClaimSourceSubject: a source's claims are about another sub.
	ErrClaimSourceSubject = errors.New("rp: claim source describes another user")
	// ErrClaimSourceExpired: a claims JWT's exp has passed.
	ErrClaimSourceExpired = errors.New("rp: claim source JWT expired")
	// ErrClaimSourceInsecure: a distributed endpoint is not https (plain
	// http is allowed on loopback hosts only) or carries credentials.
	ErrClaimSourceInsecure = errors.New("rp: claim source endpoint is not https")
	// ErrClaimSourceFetch: a distributed endpoint or Graph failed,
	// answered another status than 200, or timed out.
	ErrClaimSourceFetch = errors.New("rp: claim source request failed")
	// ErrClaimSourceTooLarge: a source's answer exceeds its size bound.
	ErrClaimSourceTooLarge = errors.New("rp: claim source answer too large")
	// ErrGroupOverage: Entra signalled group overage but the groups could
	// not be read from Graph (no access token, or a malformed answer).
	ErrGroupOverage = errors.New("rp: Entra group overage could not be resolved")
)

// DefaultGraphBaseURL is Microsoft Graph's, the default of
// Config.GraphBaseURL.
const DefaultGraphBaseURL = "https://graph.microsoft.com"

const (
	maxClaimSourceSize = 256 << 10 // a distributed endpoint's answer
	maxGraphSize       = 1 << 20   // Graph's getMemberGroups answer
	maxGraphGroups     = 20_000
)

// graphHosts are the hosts of Microsoft's Graph APIs that Entra names in
// its overage claim sources.
var graphHosts = []string{"graph.microsoft.com", "graph.windows.net"}

// protectedClaims are never set from a claim source, besides
// ProtectedClaims and the configured username and email claims (see
// sourceMayNotSet).
var protectedClaims = []string{"amr", "hasgroups", "_claim_names", "_claim_sources"}

// sourceMayNotSet reports whether name is a claim that no claim source
// may set: a protocol claim, one of ProtectedClaims (which holds every
// claim the Matcher links accounts by: sub, email, email_verified,
// preferred_username, upn, unique_name), or Config.UsernameClaim or
// Config.EmailClaim. A source decides nothing about who signs in; what it
// may add is what is synced to that account, such as the Matcher's
// GroupsClaim and AttributeClaims, which is what distributed groups are
// for. Entra's group overage sets groups from Graph itself, not through
// here.
func (r *RP) sourceMayNotSet(name string) bool {
	return slices.Contains(protectedClaims, name) || slices.Contains(ProtectedClaims, name) ||
		(name != "" && (name == r.cfg.UsernameClaim || name == r.cfg.EmailClaim))
}

func claimSourceError(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrClaimSource, kind, sanitize(fmt.Sprintf(format, args...)))
}

// claimSourceKeys builds a key set per Config.ClaimSources issuer.
func (r *RP) claimSourceKeys() map[string]*keySet {
	m := make(map[string]*keySet, len(r.cfg.ClaimSources))
	for iss, jwks := range r.cfg.ClaimSources {
		k := newKeySet(r.client, jwks)
		k.now = r.now
		m[iss] = k
	}
	return m
}

// resolveClaims resolves the claim sources of a verified ID token's claims
// and of userinfo, as Config.ResolveClaimSources and
// Config.EntraGroupOverage say, and returns both with the resolved claims
// added; with both settings off it returns them unchanged. accessToken is
// the login's; ctx carries its DPoP key when it is DPoP-bound
// (withDPoPKey), and requests made with it then use the DPoP scheme and
// proofs (see loginTokenRequest).
func (r *RP) resolveClaims(ctx context.Context, id *verifiedIDToken, userinfo map[string]any, accessToken string) (map[string]any, map[string]any, error) {
	if !r.cfg.ResolveClaimSources && !r.cfg.EntraGroupOverage {
		return id.claims, userinfo, nil
	}
	iss, sub := id.token.Issuer, id.token.Subject
	overage := r.groupOverage(id.claims) || r.groupOverage(userinfo)
	idClaims, err := r.resolveSources(ctx, id.claims, iss, sub, accessToken)
	if err != nil {
		return nil, nil, err
	}
	if userinfo != nil {
		if userinfo, err = r.resolveSources(ctx, userinfo, iss, sub, accessToken); err != nil {
			return nil, nil, err
		}
	}
	_, inID := idClaims["groups"]
	_, inUI := userinfo["groups"]
	if overage && !inID && !inUI {
		groups, err := r.graphGroups(ctx, accessToken)
		if err != nil {
			return nil, nil, err
		}
		idClaims = maps.Clone(idClaims)
		idClaims["groups"] = groups
	}
	return idClaims, userinfo, nil
}

// groupOverage reports whether claims signal Entra's group overage to
// resolve: EntraGroupOverage is on and hasgroups is true or groups is
// named in _claim_names by a source whose endpoint is on a Graph host or
// on Config.GraphBaseURL's host.
func (r *RP) groupOverage(claims map[string]any) bool {
	if !r.cfg.EntraGroupOverage || claims == nil {
		return false
	}
	if b, _ := claims["hasgroups"].(bool); b {
		return true
	}
	names, _ := claims["_claim_names"].(map[string]any)
	sources, _ := claims["_claim_sources"].(map[string]any)
	srcName, _ := names["groups"].(string)
	src, _ := sources[srcName].(map[string]any)
	endpoint, _ := src["endpoint"].(string)
	return endpoint != "" && r.isGraph(endpoint)
}

func (r *RP) isGraph(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if slices.Contains(graphHosts, host) {
		return true
	}
	g, err := url.Parse(r.graphBase())
	return err == nil && strings.EqualFold(g.Host, u.Host)
}

func (r *RP) graphBase() string {
	if r.cfg.GraphBaseURL != "" {
		return strings.TrimSuffix(r.cfg.GraphBaseURL, "/")
	}
	return DefaultGraphBaseURL
}

// resolveSources returns claims with the claims its sources give added
// under the names _claim_names maps to them (never one claims already
// has, nor one sourceMayNotSet names, which is dropped and logged at
// Warn), without _claim_names and _claim_sources. With
// ResolveClaimSources off it returns claims unchanged. A source whose JWT
// is issued by neither the provider nor a Config.ClaimSources issuer, or
// a distributed source without an access token, is ignored and logged;
// Graph sources are left to the group overage. loginToken is the login's
// access token (see fetchDistributed).
func (r *RP) resolveSources(ctx context.Context, claims map[string]any, iss, sub, loginToken string) (map[string]any, error) {
	if !r.cfg.ResolveClaimSources {
		return claims, nil
	}
	rawNames, hasNames := claims["_claim_names"]
	if !hasNames {
		return claims, nil
	}
	names, ok := rawNames.(map[string]any)
	sources, ok2 := claims["_claim_sources"].(map[string]any)
	if !ok || !ok2 {
		return nil, claimSourceError(ErrClaimSourceMalformed, "_claim_names or _claim_sources is not an object")
	}
	bySource := map[string][]string{}
	for name, v := range names {
		s, ok := v.(string)
		if !ok {
			return nil, claimSourceError(ErrClaimSourceMalformed, "a _claim_names member is not a string")
		}
		bySource[s] = append(bySource[s], name)
	}
	out := maps.Clone(claims)
	delete(out, "_claim_names")
	delete(out, "_claim_sources")
	for _, srcName := range slices.Sorted(maps.Keys(bySource)) {
		src, ok := sources[srcName].(map[string]any)
		if !ok {
			return nil, claimSourceError(ErrClaimSourceMalformed, "_claim_names names a missing source %q", srcName)
		}
		got, err := r.sourceClaims(ctx, src, iss, sub, loginToken)
		if err != nil {
			return nil, err
		}
		for _, name := range bySource[srcName] {
			v, ok := got[name]
			if !ok {
				continue
			}
			if r.sourceMayNotSet(name) {
				r.log.WarnContext(ctx, "rp: claim source may not set this claim", "claim", sanitize(name), "source", sanitize(srcName))
				continue
			}
			if _, exists := out[name]; !exists {
				out[name] = v
			}
		}
	}
	return out, nil
}

// sourceClaims reads one _claim_sources member: an aggregated JWT, or a
// distributed endpoint fetched with its access token. nil claims and no
// error mean the source is ignored.
func (r *RP) sourceClaims(ctx context.Context, src map[string]any, iss, sub, loginToken string) (map[string]any, error) {
	if v, ok := src["JWT"]; ok {
		jwt, ok := v.(string)
		if !ok {
			return nil, claimSourceError(ErrClaimSourceMalformed, "an aggregated source's JWT is not a string")
		}
		return r.verifyClaimsJWT(ctx, jwt, iss, sub)
	}
	endpoint, ok := src["endpoint"].(string)
	if !ok || endpoint == "" {
		return nil, claimSourceError(ErrClaimSourceMalformed, "a source has neither JWT nor endpoint")
	}
	if r.isGraph(endpoint) {
		return nil, nil // Entra's overage: see groupOverage
	}
	token, _ := src["access_token"].(string)
	if token == "" {
		r.log.WarnContext(ctx, "rp: distributed claims without an access token ignored", "endpoint", sanitize(endpoint))
		return nil, nil
	}
	return r.fetchDistributed(ctx, endpoint, token, iss, sub, loginToken)
}

// verifyClaimsJWT verifies a claims JWT of the provider (iss the ID
// token's, verified with the provider's keys) or of a Config.ClaimSources
// issuer (with its keys) and returns its claims; a JWT of another issuer
// is ignored (nil, nil) and logged. Its sub, when present, must be sub and
// its exp, when present, not passed.
func (r *RP) verifyClaimsJWT(ctx context.Context, raw, iss, sub string) (map[string]any, error) {
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(raw), joseAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, claimSourceError(ErrClaimSourceMalformed, "not a compact JWS signed with an allowed algorithm")
	}
	var head struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &head) != nil {
		return nil, claimSourceError(ErrClaimSourceMalformed, "the JWT's claims are not a JSON object")
	}
	keys := r.claimKeys[head.Iss]
	if head.Iss == iss {
		keys = r.keys
	}
	if keys == nil {
		r.log.WarnContext(ctx, "rp: claims of an untrusted issuer ignored", "source_iss", sanitize(head.Iss))
		return nil, nil
	}
	payload, err := keys.verifyJWS(ctx, jws)
	if errors.Is(err, errMalformedJWS) {
		return nil, claimSourceError(ErrClaimSourceMalformed, "%v", err)
	}
	if err != nil {
		return nil, claimSourceError(ErrClaimSourceSignature, "issuer %s: %v", head.Iss, err)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, claimSourceError(ErrClaimSourceMalformed, "%v", err)
	}
	if v, ok := claims["exp"]; ok {
		exp, ok := numericDate(v)
		if !ok {
			return nil, claimSourceError(ErrClaimSourceMalformed, "exp is not a number")
		}
		if r.now().After(exp.Add(r.cfg.ClockSkew)) {
			return nil, claimSourceError(ErrClaimSourceExpired, "issuer %s", head.Iss)
		}
	}
	return claims, checkSourceSubject(claims, sub)
}

func checkSourceSubject(claims map[string]any, sub string) error {
	if v, ok := claims["sub"]; ok && v != sub {
		return claimSourceError(ErrClaimSourceSubject, "")
	}
	return nil
}

// fetchDistributed GETs a distributed endpoint with its access token and
// returns the claims of its answer: a signed JWT (application/jwt,
// verified as verifyClaimsJWT does) or a JSON object. The source's token
// is its own, issued for that endpoint, so it goes as a Bearer token
// through HTTPClient, with no proof and no client certificate; only when
// it is the login's own access token (loginToken) is it sent as the login
// sends it (loginTokenRequest): DPoP-bound tokens with the DPoP scheme and
// a proof, under mTLS with the client certificate.
func (r *RP) fetchDistributed(ctx context.Context, endpoint, token, iss, sub, loginToken string) (map[string]any, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.User != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && loopback.Host(u.Hostname())) {
		return nil, claimSourceError(ErrClaimSourceInsecure, "%s", endpoint)
	}
	client, scheme := r.client, "Bearer"
	if token == loginToken {
		client, scheme = r.loginTokenRequest(ctx)
	}
	body, ctype, err := r.claimRequest(observedNoHost(ctx, r.obs, EndpointClaimSource, r.md.Issuer), client, scheme, http.MethodGet, endpoint, token, nil, maxClaimSourceSize)
	if err != nil {
		return nil, err
	}
	if ctype == "application/jwt" {
		return r.verifyClaimsJWT(ctx, string(body), iss, sub)
	}
	claims, err := decodeClaims(body)
	if err != nil {
		return nil, claimSourceError(ErrClaimSourceMalformed, "the answer of %s is neither a JWT nor a JSON object", endpoint)
	}
	return claims, checkSourceSubject(claims, sub)
}

// loginTokenRequest is the client and Authorization scheme of a request
// with the login's access token, as userinfo's: the DPoP scheme, with
// proofs made with the login's key (which ctx carries, withDPoPKey) and
// the DPoP nonce retry, when the token is DPoP-bound, else Bearer; under
// mTLS the client presents the certificate either way (apiClient).
func (r *RP) loginTokenRequest(ctx context.Context) (*http.Client, string) {
	return r.apiClient(), authScheme(ctx)
}

// claimRequest sends a request with token in the Authorization scheme
// scheme through client, bounded by HTTPTimeout and limit bytes, and
// returns the body of a 200 answer and its media type. ctx carries the
// Observer's probe (observed).
func (r *RP) claimRequest(ctx context.Context, client *http.Client, scheme, method, endpoint, token string, body []byte, limit int64) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, "", claimSourceError(ErrClaimSourceFetch, "%s: %v", endpoint, err)
	}
	req.Header.Set("Authorization", scheme+" "+token)
	req.Header.Set("Accept", "application/jwt, application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", claimSourceError(ErrClaimSourceFetch, "%v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if errors.Is(err, netlimit.ErrTooLarge) || int64(len(data)) > limit {
		return nil, "", claimSourceError(ErrClaimSourceTooLarge, "%s: more than %d bytes", endpoint, limit)
	}
	if err != nil {
		return nil, "", claimSourceError(ErrClaimSourceFetch, "%s: reading the answer: %v", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", claimSourceError(ErrClaimSourceFetch, "%s answered %s", endpoint, resp.Status)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return data, mt, nil
}

// graphGroups reads the IDs of every group the signed-in user belongs to
// (transitively) with one POST {GraphBaseURL}/v1.0/me/getMemberGroups
// (securityEnabledOnly false) and the login's access token, sent as
// loginTokenRequest says (DPoP-bound: the DPoP scheme and a proof with the
// login's key, which ctx carries). Graph answers this call in one
// response, without paging.
func (r *RP) graphGroups(ctx context.Context, accessToken string) ([]any, error) {
	if accessToken == "" {
		return nil, claimSourceError(ErrGroupOverage, "the login has no access token for Graph")
	}
	client, scheme := r.loginTokenRequest(ctx)
	body, _, err := r.claimRequest(observed(ctx, r.obs, EndpointGraph, r.md.Issuer), client, scheme, http.MethodPost, r.graphBase()+"/v1.0/me/getMemberGroups", accessToken,
		[]byte(`{"securityEnabledOnly":false}`), maxGraphSize)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Value []string `json:"value"`
	}
	if json.Unmarshal(body, &answer) != nil || answer.Value == nil || len(answer.Value) > maxGraphGroups {
		return nil, claimSourceError(ErrGroupOverage, "Graph's answer is not a list of at most %d group IDs", maxGraphGroups)
	}
	groups := make([]any, 0, len(answer.Value))
	for _, g := range answer.Value {
		if g == "" || len(g) > 256 {
			return nil, claimSourceError(ErrGroupOverage, "Graph's answer holds an invalid group ID")
		}
		groups = append(groups, g)
	}
	return groups, nil
}
