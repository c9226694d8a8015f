package rptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
)

// signingKey is one key pair of the provider. It is immutable once built.
type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

// newSigningKey generates a key pair for alg with a fresh random kid.
func newSigningKey(alg string) (*signingKey, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch jose.SignatureAlgorithm(alg) {
	case jose.RS256, jose.PS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("unsupported SigningAlg %q (want RS256, PS256, ES256 or EdDSA)", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", alg, err)
	}
	return &signingKey{kid: randomString(12), alg: jose.SignatureAlgorithm(alg), priv: priv}, nil
}

// publicJWK returns the key's public half as published in the JWKS.
func (k *signingKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// sign serializes claims as a compact JWS signed with k's private key. The
// header carries typ "JWT", alg and, when kid is non-empty, that kid (which
// need not be k's own: Faults.BadSignature uses another key's kid).
func (k *signingKey) sign(claims map[string]any, kid string) (string, error) {
	return signJWT(k.alg, k.priv, kid, claims, header{})
}

// header adjusts the JOSE header of a token being signed.
type header struct {
	typ     string         // "JWT" when empty
	omitTyp bool           // no typ at all (wins over typ)
	extras  map[string]any // added last; may override typ and kid
	crit    []string       // the crit list when non-nil
}

// signJWT serializes claims as a compact JWS signed with key under alg,
// with typ (unless h.omitTyp), alg, kid (when non-empty) and h's
// parameters in the header.
func signJWT(alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any, h header) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("rptest: encoding claims: %w", err)
	}
	typ := h.typ
	if typ == "" {
		typ = "JWT"
	}
	opts := &jose.SignerOptions{}
	if !h.omitTyp {
		opts.WithType(jose.ContentType(typ))
	}
	if kid != "" {
		opts.WithHeader("kid", kid)
	}
	if h.crit != nil {
		opts.WithHeader("crit", slices.Clone(h.crit))
		for _, name := range h.crit {
			if name != "alg" && name != "typ" && (name != "kid" || kid == "") {
				opts.WithHeader(jose.HeaderKey(name), true)
			}
		}
	}
	for name, v := range h.extras {
		opts.WithHeader(jose.HeaderKey(name), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", fmt.Errorf("rptest: creating signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("rptest: signing: %w", err)
	}
	return jws.CompactSerialize()
}

// hashHalf returns base64url(left half of hash(value)) using the hash that
// goes with alg, as the at_hash and c_hash claims require. Ed25519 (EdDSA)
// uses SHA-512, the hash that Ed25519 itself is built on.
func hashHalf(alg jose.SignatureAlgorithm, value string) string {
	var sum []byte
	switch alg {
	case jose.EdDSA:
		h := sha512.Sum512([]byte(value))
		sum = h[:]
	default: // RS256, PS256, ES256
		h := sha256.Sum256([]byte(value))
		sum = h[:]
	}
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// unsignedJWT builds an "alg":"none" token by hand: the header, the payload
// and an empty signature.
func unsignedJWT(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("rptest: encoding claims: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(payload) + ".", nil
}

// currentKey returns the key that signs new tokens.
func (s *Server) currentKey() *signingKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[0]
}

// rogueKey returns a key of the configured algorithm that is never
// published, generating it on first use.
func (s *Server) rogueKey() (*signingKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rogue == nil {
		k, err := newSigningKey(s.alg)
		if err != nil {
			return nil, err
		}
		s.rogue = k
	}
	return s.rogue, nil
}

// RotateKey generates a new signing key, with a new kid, and signs every
// later token with it. If keepOld is true the previous signing key stays in
// the JWKS (along with any older keys kept before); if false the JWKS holds
// only the new key, so tokens signed earlier no longer verify. RotateKey
// panics if key generation fails, which the standard library does not do in
// practice.
func (s *Server) RotateKey(keepOld bool) {
	k, err := newSigningKey(s.alg)
	if err != nil {
		panic("rptest: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if keepOld {
		s.keys = append([]*signingKey{k}, s.keys...)
	} else {
		s.keys = []*signingKey{k}
	}
}

// SignIDToken signs claims, exactly as given, with the current signing key
// (its kid and alg in the header) and returns the compact JWT. No claim is
// added and no fault applies. It fails only if claims cannot be encoded as
// JSON.
func (s *Server) SignIDToken(claims map[string]any) (string, error) {
	if claims == nil {
		claims = map[string]any{}
	}
	k := s.currentKey()
	return k.sign(claims, k.kid)
}

// publicKeys returns the JWKS content: the current key first, then kept
// old keys.
func (s *Server) publicKeys() jose.JSONWebKeySet {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(s.keys))}
	for _, k := range s.keys {
		set.Keys = append(set.Keys, k.publicJWK())
	}
	return set
}

// signingAlgs lists the distinct algorithms of the published keys.
func (s *Server) signingAlgs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var algs []string
	seen := map[jose.SignatureAlgorithm]bool{}
	for _, k := range s.keys {
		if !seen[k.alg] {
			seen[k.alg] = true
			algs = append(algs, string(k.alg))
		}
	}
	return algs
}

// verifyOwnToken checks that token carries a valid signature by one of the
// published keys and returns its claims. Expiry is deliberately not checked.
func (s *Server) verifyOwnToken(token string) (map[string]any, error) {
	set := s.publicKeys()
	algs := make([]jose.SignatureAlgorithm, 0, len(set.Keys))
	for _, k := range set.Keys {
		algs = append(algs, jose.SignatureAlgorithm(k.Algorithm))
	}
	jws, err := jose.ParseSignedCompact(token, algs)
	if err != nil {
		return nil, err
	}
	for _, k := range set.Keys {
		payload, err := jws.Verify(k)
		if err != nil {
			continue
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			return nil, err
		}
		return claims, nil
	}
	return nil, errors.New("signature does not match any published key")
}

// handleJWKS serves the public keys, or what the JWKS faults say instead.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	f := s.currentFaults()
	if f.JWKSStatus != 0 {
		writeFaultStatus(w, f.JWKSStatus)
		return
	}
	body, err := s.jwksBody(f)
	switch {
	case err != nil:
		writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
	case f.HugeResponse == EndpointJWKS:
		writeHugeJSON(w, http.StatusOK, body)
	default:
		writeJSON(w, http.StatusOK, body)
	}
}
