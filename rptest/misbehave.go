package rptest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// hugePadding is the text added to answers under Faults.HugeResponse: 1 MiB,
// so that the whole answer is larger than 1 MiB.
var hugePadding = strings.Repeat("x", 1<<20)

// paddingMember is the JSON member that carries hugePadding.
const paddingMember = "rptest_padding"

// backChannelLogoutEvent is the event of an OpenID Connect Back-Channel
// Logout token.
const backChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// RogueKey returns the public half of the key that Faults.BadSignature signs
// with. It is never published in the JWKS, so a test can put it where a
// relying party must not look for keys, e.g. in a "jwk" header with
// Faults.HeaderExtras, or serve it from an attacker's "jku" URL. Its kid is
// the one it was made with, which no published key has. RogueKey panics if
// the key cannot be generated, which the standard library does not do in
// practice.
func (s *Server) RogueKey() jose.JSONWebKey {
	k, err := s.rogueKey()
	if err != nil {
		panic("rptest: " + err.Error())
	}
	return k.publicJWK()
}

// stall holds a request under Faults.SlowEndpoint until the client gives up
// or the server closes.
func (s *Server) stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
}

// tokenShape returns the claims and typ of a token that is not an ID token
// but is sent as one under Faults.IDTokenIsAccessToken or
// IDTokenIsLogoutToken, or nil when f asks for neither.
func (s *Server) tokenShape(in idTokenInput, f Faults, now time.Time) (map[string]any, string) {
	claims := map[string]any{
		"sub": in.sub,
		"aud": s.clientID,
		"iat": now.Unix(),
		"exp": now.Add(s.tokenTTL).Unix(),
		"jti": randomString(16),
	}
	s.setIDTokenIssuer(claims)
	switch {
	case f.IDTokenIsAccessToken:
		claims["client_id"] = s.clientID
		claims["scope"] = in.scope
		claims["auth_time"] = in.authTime.Unix()
		return claims, "at+jwt"
	case f.IDTokenIsLogoutToken:
		claims["sid"] = in.sid
		if in.sid == "" {
			claims["sid"] = randomString(16)
		}
		claims["events"] = map[string]any{backChannelLogoutEvent: map[string]any{}}
		return claims, "logout+jwt"
	}
	return nil, ""
}

// signIDToken signs the claims of an ID token as the signature faults of f
// say, with key (the current key) and typ in the header.
func (s *Server) signIDToken(key *signingKey, claims map[string]any, typ string, f Faults) (string, error) {
	if f.AlgNone {
		return unsignedJWT(claims)
	}
	kid := key.kid
	if f.OmitKid {
		kid = ""
	}
	h := header{typ: typ, extras: f.HeaderExtras, crit: f.Crit}
	var (
		tok string
		err error
	)
	switch {
	case f.HS256WithPublicKey:
		var secret []byte
		if secret, err = publicKeyPEM(key); err == nil {
			tok, err = signJWT(jose.HS256, secret, kid, claims, h)
		}
	case f.BadSignature:
		var rogue *signingKey
		if rogue, err = s.rogueKey(); err == nil {
			tok, err = signJWT(rogue.alg, rogue.priv, kid, claims, h)
		}
	default:
		tok, err = signJWT(key.alg, key.priv, kid, claims, h)
	}
	if err != nil {
		return "", err
	}
	if f.ZeroECDSASignature != "" {
		if tok, err = zeroECDSA(tok, f.ZeroECDSASignature); err != nil {
			return "", err
		}
	}
	if f.ScrambleSignature {
		tok = editSignature(tok, func(sig []byte) {
			for i := range sig {
				sig[i] ^= 0xff
			}
		})
	}
	return tok, nil
}

// publicKeyPEM is key's public half as a PEM "PUBLIC KEY" block (PKIX).
func publicKeyPEM(key *signingKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key.priv.Public())
	if err != nil {
		return nil, fmt.Errorf("rptest: encoding the public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// editSignature returns the compact JWS tok with its signature bytes
// changed by edit.
func editSignature(tok string, edit func([]byte)) string {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return tok // not produced by signJWT
	}
	edit(sig)
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// zeroECDSA zeroes r, s or both of the ES256 signature of tok.
func zeroECDSA(tok, which string) (string, error) {
	var header struct {
		Alg string `json:"alg"`
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok[:strings.IndexByte(tok, '.')])
	if json.Unmarshal(raw, &header) != nil || header.Alg != string(jose.ES256) {
		return "", fmt.Errorf("rptest: ZeroECDSASignature needs an ES256 token, not %q", header.Alg)
	}
	var from, to int
	switch which {
	case "r":
		from, to = 0, 32
	case "s":
		from, to = 32, 64
	case "rs":
		from, to = 0, 64
	default:
		return "", fmt.Errorf("rptest: ZeroECDSASignature is %q; want r, s or rs", which)
	}
	return editSignature(tok, func(sig []byte) {
		if len(sig) == 64 {
			clear(sig[from:to])
		}
	}), nil
}

// unusableKeys is the key material of Faults.PublishUnusableKeys, made once.
type unusableKeys struct {
	p384 *ecdsa.PrivateKey
	ed   ed25519.PublicKey
	oct  []byte
	x    []byte // an X25519 public value
}

// unusableJWKs returns the keys of Faults.PublishUnusableKeys, each
// carrying kid, as JSON values.
func (s *Server) unusableJWKs(kid string) ([]any, error) {
	rogue, err := s.rogueKey()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	u := s.unusable
	s.mu.Unlock()
	if u == nil {
		u = &unusableKeys{oct: make([]byte, 32), x: make([]byte, 32)}
		if u.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			return nil, err
		}
		if u.ed, _, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return nil, err
		}
		_, _ = rand.Read(u.oct)
		_, _ = rand.Read(u.x)
		s.mu.Lock()
		if s.unusable == nil {
			s.unusable = u
		}
		u = s.unusable
		s.mu.Unlock()
	}
	edUse := "sig"
	if s.alg == string(jose.EdDSA) {
		edUse = "enc"
	}
	rogueEnc := rogue.publicJWK()
	rogueEnc.KeyID, rogueEnc.Use = kid, "enc"
	enc := base64.RawURLEncoding.EncodeToString
	return []any{
		jose.JSONWebKey{Key: u.p384.Public(), KeyID: kid, Algorithm: s.alg, Use: "sig"},
		jose.JSONWebKey{Key: u.ed, KeyID: kid, Algorithm: string(jose.EdDSA), Use: edUse},
		jose.JSONWebKey{Key: u.oct, KeyID: kid, Algorithm: string(jose.HS256), Use: "sig"},
		rogueEnc,
		map[string]any{"kty": "OKP", "crv": "X25519", "x": enc(u.x), "kid": kid, "use": "sig"},
		map[string]any{"kty": "XYZ", "kid": kid, "use": "sig", "alg": s.alg},
	}, nil
}

// jwksBody is the JWKS document under the faults f: unusable keys, extra
// keys, then the server's own keys, padded under HugeResponse.
func (s *Server) jwksBody(f Faults) (map[string]any, error) {
	own := s.publicKeys().Keys
	keys := make([]any, 0, len(own)+len(f.ExtraJWKS)+6)
	if f.PublishUnusableKeys {
		if len(own) == 0 {
			return nil, errors.New("rptest: no signing key")
		}
		bad, err := s.unusableJWKs(own[0].KeyID)
		if err != nil {
			return nil, err
		}
		keys = append(keys, bad...)
	}
	for _, k := range f.ExtraJWKS {
		keys = append(keys, k)
	}
	for _, k := range own {
		keys = append(keys, k)
	}
	body := map[string]any{"keys": keys}
	if f.HugeResponse == EndpointJWKS {
		body[paddingMember] = hugePadding
	}
	return body, nil
}

// writeHugeJSON is writeJSON for answers padded under Faults.HugeResponse:
// the same, streamed, so that no Content-Length announces the size.
func writeHugeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "rptest: cannot encode response")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body) // fails when the client stops reading, as it should
}

// writeTokenFault answers a token request under Faults.TokenStatus or
// TokenErrorCode.
func writeTokenFault(w http.ResponseWriter, f Faults) {
	if f.TokenErrorCode == "" {
		writeFaultStatus(w, f.TokenStatus)
		return
	}
	status := http.StatusBadRequest
	switch {
	case f.TokenStatus >= 200 && f.TokenStatus <= 999:
		status = f.TokenStatus
	case f.TokenStatus != 0:
		status = http.StatusInternalServerError
	case f.TokenErrorCode == "invalid_client":
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="rptest"`)
	}
	writeOAuthError(w, status, f.TokenErrorCode, f.TokenErrorDescription)
}
