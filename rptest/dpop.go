package rptest

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DPoP (RFC 9449). The token, userinfo and pushed authorization request
// endpoints verify a DPoP header when one is sent (typ dpop+jwt, an
// advertised alg, the signature with the embedded public jwk, htm, htu,
// iat within DPoPProofWindow, a jti not seen before, the endpoint's nonce
// under Config.DPoPRequireNonce, and at userinfo ath, the hash of the
// access token). Tokens issued to a request with a proof are
// token_type DPoP, bound to the key's thumbprint: userinfo then wants
// "Authorization: DPoP" and a proof with that key, and the refresh token
// too is bound (a refresh must carry a proof with the same key). A
// dpop_jkt of the authorization request (pushed or not) binds the code: its
// exchange must carry a proof with that key. A proof at the pushed
// authorization request endpoint without dpop_jkt binds the code to its
// key; with a different dpop_jkt it is refused.
const (
	// DPoPProofWindow is how far a proof's iat may lie from the Config
	// clock, either way.
	DPoPProofWindow = time.Minute
)

// DefaultDPoPSigningAlgs are the DPoP proof algorithms advertised and
// accepted when Config.DPoPSigningAlgs is empty.
var DefaultDPoPSigningAlgs = []string{"ES256", "ES384", "PS256", "RS256", "EdDSA"}

// DPoPFaults make the DPoP handling misbehave (Faults.DPoP). The zero
// value behaves.
type DPoPFaults struct {
	// TokenType, when set, is the token_type of every token response
	// instead of "DPoP" or "Bearer": "Bearer" answers a request with a
	// proof with a token that is not bound (a downgrade); "DPoP" or
	// "dpop" answers one without a proof as if it were bound.
	TokenType string
	// RotateNonce gives each endpoint a new nonce at every request under
	// Config.DPoPRequireNonce, so every proof's nonce is stale and answered
	// use_dpop_nonce.
	RotateNonce bool
}

// dpopState is the server's DPoP memory, guarded by Server.mu.
type dpopState struct {
	algs         []string          // advertised and accepted
	requireNonce bool              // Config.DPoPRequireNonce
	nonces       map[string]string // the current nonce of each endpoint
	jtis         map[string]time.Time
	last         map[string]string // the last proof received, by endpoint
}

func newDPoPState(cfg Config) dpopState {
	algs := slices.Clone(cfg.DPoPSigningAlgs)
	if len(algs) == 0 {
		algs = slices.Clone(DefaultDPoPSigningAlgs)
	}
	return dpopState{algs: algs, requireNonce: cfg.DPoPRequireNonce,
		nonces: map[string]string{}, jtis: map[string]time.Time{}, last: map[string]string{}}
}

// LastDPoPProof returns the last DPoP header received at endpoint
// (EndpointToken, EndpointUserInfo or EndpointPAR), verified or not, or
// "" when none came.
func (s *Server) LastDPoPProof(endpoint string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dpop.last[endpoint]
}

// AccessTokenJKT returns the thumbprint (cnf.jkt) of the DPoP key the
// access token is bound to, or "" for a Bearer or unknown token.
func (s *Server) AccessTokenJKT(accessToken string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.accessTokens[accessToken]; g != nil {
		return g.jkt
	}
	return ""
}

// dpopProblem is why a proof was refused: code is invalid_dpop_proof or
// use_dpop_nonce (then nonce is the one to use).
type dpopProblem struct {
	code, desc, nonce string
}

// checkDPoP verifies the DPoP header of r at endpoint (served at path),
// binding accessToken when not empty. It returns the key's thumbprint, ""
// when r has no DPoP header, or the problem.
func (s *Server) checkDPoP(r *http.Request, endpoint, path, accessToken string) (string, *dpopProblem) {
	headers := r.Header.Values("DPoP")
	if len(headers) == 0 {
		return "", nil
	}
	s.mu.Lock()
	s.dpop.last[endpoint] = headers[0]
	algs := slices.Clone(s.dpop.algs)
	s.mu.Unlock()
	bad := func(desc string) (string, *dpopProblem) {
		return "", &dpopProblem{code: "invalid_dpop_proof", desc: desc}
	}
	if len(headers) > 1 {
		return bad("more than one DPoP header")
	}
	sigAlgs := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		sigAlgs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSignedCompact(headers[0], sigAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return bad("not a compact JWS with an accepted alg")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders["typ"].(string); typ != "dpop+jwt" {
		return bad("typ is not dpop+jwt")
	}
	jwk := h.JSONWebKey
	if jwk == nil || !jwk.IsPublic() || !jwk.Valid() {
		return bad("no public jwk header")
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return bad("signature does not verify with the jwk header")
	}
	var c struct {
		JTI   string   `json:"jti"`
		HTM   string   `json:"htm"`
		HTU   string   `json:"htu"`
		IAT   *float64 `json:"iat"`
		Nonce *string  `json:"nonce"`
		ATH   *string  `json:"ath"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return bad("claims are not a JSON object of the DPoP claims")
	}
	now := s.now()
	switch {
	case c.JTI == "":
		return bad("no jti")
	case c.HTM != r.Method:
		return bad("htm is not the request's method")
	case !sameHTU(c.HTU, s.URL+path):
		return bad("htu is not the endpoint's URL")
	case c.IAT == nil:
		return bad("no iat")
	}
	iat := time.Unix(int64(*c.IAT), 0)
	if iat.Before(now.Add(-DPoPProofWindow)) || iat.After(now.Add(DPoPProofWindow)) {
		return bad("iat is outside the accepted window")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if c.ATH == nil || *c.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return bad("ath does not match the access token")
		}
	} else if c.ATH != nil {
		return bad("ath without an access token")
	}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return bad("the jwk has no thumbprint")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dpop.requireNonce {
		want := s.dpop.nonces[endpoint]
		if want == "" || s.faults.DPoP.RotateNonce {
			want = randomString(16)
			s.dpop.nonces[endpoint] = want
			return "", &dpopProblem{code: "use_dpop_nonce", desc: "send the nonce of the DPoP-Nonce header", nonce: want}
		}
		if c.Nonce == nil || *c.Nonce != want {
			return "", &dpopProblem{code: "use_dpop_nonce", desc: "send the nonce of the DPoP-Nonce header", nonce: want}
		}
	}
	for k, t := range s.dpop.jtis {
		if now.Sub(t) > 2*DPoPProofWindow {
			delete(s.dpop.jtis, k)
		}
	}
	if _, seen := s.dpop.jtis[c.JTI]; seen {
		return "", &dpopProblem{code: "invalid_dpop_proof", desc: "jti was used before"}
	}
	s.dpop.jtis[c.JTI] = now
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// sameHTU compares a proof's htu with the endpoint's URL, ignoring query
// and fragment (RFC 9449 section 4.3).
func sameHTU(htu, endpoint string) bool {
	u, err := url.Parse(htu)
	if err != nil {
		return false
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	return u.String() == endpoint
}

// writeDPoPTokenError answers a token or PAR endpoint's refused proof: 400
// with the error, and the nonce for use_dpop_nonce.
func writeDPoPTokenError(w http.ResponseWriter, p *dpopProblem) {
	if p.nonce != "" {
		w.Header().Set("DPoP-Nonce", p.nonce)
	}
	writeOAuthError(w, http.StatusBadRequest, p.code, p.desc)
}

// writeDPoPResourceError answers a resource server's refusal: 401 with a
// DPoP challenge.
func writeDPoPResourceError(w http.ResponseWriter, code, desc, nonce string) {
	if nonce != "" {
		w.Header().Set("DPoP-Nonce", nonce)
	}
	w.Header().Set("WWW-Authenticate", `DPoP algs="ES256", error="`+code+`", error_description="`+desc+`"`)
	writeOAuthError(w, http.StatusUnauthorized, code, desc)
}

// dpopSchemeToken extracts the token of an "Authorization: DPoP <token>"
// header; the scheme is case-insensitive.
func dpopSchemeToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "DPoP") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// checkUserInfoDPoP applies DPoP at userinfo to the access token of r,
// bound to jkt ("" for Bearer), sent with the DPoP scheme or not. It
// answers the refusal and reports false, or reports true.
func (s *Server) checkUserInfoDPoP(w http.ResponseWriter, r *http.Request, token, jkt string, dpopScheme bool) bool {
	return s.checkResourceDPoP(w, r, EndpointUserInfo, PathUserInfo, token, jkt, dpopScheme)
}

// checkResourceDPoP applies DPoP at the resource endpoint (served at
// path) to the access token of r, as checkUserInfoDPoP does at userinfo.
func (s *Server) checkResourceDPoP(w http.ResponseWriter, r *http.Request, endpoint, path, token, jkt string, dpopScheme bool) bool {
	switch {
	case jkt != "" && !dpopScheme:
		writeDPoPResourceError(w, "invalid_token", "the access token is DPoP-bound: use the DPoP scheme", "")
		return false
	case jkt == "" && dpopScheme:
		writeDPoPResourceError(w, "invalid_token", "the access token is not DPoP-bound", "")
		return false
	case jkt == "":
		return true
	}
	got, p := s.checkDPoP(r, endpoint, path, token)
	switch {
	case p != nil:
		writeDPoPResourceError(w, p.code, p.desc, p.nonce)
		return false
	case got == "":
		writeDPoPResourceError(w, "invalid_dpop_proof", "missing DPoP proof", "")
		return false
	case got != jkt:
		writeDPoPResourceError(w, "invalid_token", "the proof's key is not the one the token is bound to", "")
		return false
	}
	return true
}

// tokenType is the token_type of tokens bound to jkt ("" for none), or
// the fault's.
func tokenType(jkt string, f Faults) string {
	switch {
	case f.DPoP.TokenType != "":
		return f.DPoP.TokenType
	case jkt != "":
		return "DPoP"
	}
	return "Bearer"
}
