package rptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"
)

// Encryption is how the provider encrypts ID tokens or userinfo answers to
// the client (Config.IDTokenEncryption, Config.UserInfoEncryption), as a
// client registered with id_token_encrypted_response_alg and _enc would
// have it.
type Encryption struct {
	// Key is the client's public encryption key, RSA or EC (P-256, P-384,
	// P-521); a private key is reduced to its public half. Its KeyID, when
	// set, is the kid of every JWE. Required.
	Key jose.JSONWebKey

	// Alg is the key management algorithm: "RSA-OAEP", "RSA-OAEP-256"
	// (the default for an RSA key), "ECDH-ES" (the default for an EC
	// key), "ECDH-ES+A128KW" or "ECDH-ES+A256KW".
	Alg string

	// Enc is the content encryption algorithm: "A128GCM", "A256GCM" or
	// "A128CBC-HS256" (the default, OpenID Connect's).
	Enc string
}

// encryptionAlgs and encryptionEncs are what the provider can encrypt
// with, and advertises in discovery.
var (
	encryptionAlgs = []string{"RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"}
	encryptionEncs = []string{"A128GCM", "A256GCM", "A128CBC-HS256"}
)

// EncryptionFaults spoil the JWEs of Config.IDTokenEncryption,
// Config.UserInfoEncryption and Config.AuthorizationEncryption. The zero
// value encrypts correctly. With Faults.AlgNone, the ID token inside the
// JWE is unsigned; with JARMFaults.AlgNone, the response JWT is.
type EncryptionFaults struct {
	// WrongKey encrypts to a freshly made key of the same type instead of
	// the client's, keeping the client key's kid: the client cannot
	// decrypt it.
	WrongKey bool

	// RSA15 uses the RSA1_5 key management algorithm (with an RSA key),
	// which clients must refuse.
	RSA15 bool

	// KeyID, when non-nil, replaces the JWE's kid; "" leaves it out.
	KeyID *string

	// ContentType, when non-empty, replaces the JWE's cty ("JWT" for a
	// signed payload, none for JSON).
	ContentType string
}

// SignedUserInfoFaults spoil the signed userinfo answers of
// Config.SignedUserInfo. The zero value signs correctly. Faults.UserInfoSubject
// changes sub.
type SignedUserInfoFaults struct {
	// Issuer, when non-empty, replaces the iss claim.
	Issuer string
	// Audience, when non-empty, replaces the aud claim.
	Audience string
	// BadSignature signs with a key that is not in the JWKS, under the
	// current kid.
	BadSignature bool
	// AlgNone sends the claims unsigned ({"alg":"none"}).
	AlgNone bool
}

// encryptionConfig is what NewServer made of the encryption settings.
type encryptionConfig struct {
	idToken    *Encryption // nil: ID tokens are not encrypted
	userInfo   *Encryption // nil: userinfo is not encrypted
	authz      *Encryption // nil: JARM responses are not encrypted
	signedInfo bool        // Config.SignedUserInfo
}

// newEncryptionConfig checks and completes cfg's encryption settings; it
// panics on a setting the server cannot honour, a mistake of the test.
func newEncryptionConfig(cfg Config) encryptionConfig {
	return encryptionConfig{
		idToken:    completeEncryption(cfg.IDTokenEncryption, "IDTokenEncryption"),
		userInfo:   completeEncryption(cfg.UserInfoEncryption, "UserInfoEncryption"),
		authz:      completeEncryption(cfg.AuthorizationEncryption, "AuthorizationEncryption"),
		signedInfo: cfg.SignedUserInfo,
	}
}

func completeEncryption(e *Encryption, field string) *Encryption {
	if e == nil {
		return nil
	}
	c := *e
	c.Key = c.Key.Public()
	_, isRSA := c.Key.Key.(*rsa.PublicKey)
	_, isEC := c.Key.Key.(*ecdsa.PublicKey)
	if !isRSA && !isEC {
		panic("rptest: " + field + ".Key must be an RSA or EC key")
	}
	if c.Alg == "" {
		c.Alg = "ECDH-ES"
		if isRSA {
			c.Alg = "RSA-OAEP-256"
		}
	}
	if c.Enc == "" {
		c.Enc = "A128CBC-HS256"
	}
	if !slices.Contains(encryptionAlgs, c.Alg) || !slices.Contains(encryptionEncs, c.Enc) {
		panic("rptest: " + field + ": unsupported alg " + strconv.Quote(c.Alg) + " or enc " + strconv.Quote(c.Enc))
	}
	return &c
}

// encrypt makes a compact JWE of plaintext to e's key, as f says; cty is
// its content type ("" for none).
func encrypt(e *Encryption, plaintext []byte, cty string, f EncryptionFaults) (string, error) {
	key, alg := e.Key.Key, jose.KeyAlgorithm(e.Alg)
	if f.WrongKey {
		var err error
		if key, err = otherKey(key); err != nil {
			return "", err
		}
	}
	if f.RSA15 {
		alg = jose.RSA1_5
	}
	kid := e.Key.KeyID
	if f.KeyID != nil {
		kid = *f.KeyID
	}
	if f.ContentType != "" {
		cty = f.ContentType
	}
	opts := &jose.EncrypterOptions{}
	if cty != "" {
		opts.WithContentType(jose.ContentType(cty))
	}
	enc, err := jose.NewEncrypter(jose.ContentEncryption(e.Enc), jose.Recipient{Algorithm: alg, Key: key, KeyID: kid}, opts)
	if err != nil {
		return "", fmt.Errorf("rptest: creating encrypter: %w", err)
	}
	jwe, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", fmt.Errorf("rptest: encrypting: %w", err)
	}
	return jwe.CompactSerialize()
}

// otherKey returns a new public key of the type (and curve) of key.
func otherKey(key any) (any, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		priv, err := rsa.GenerateKey(rand.Reader, k.N.BitLen())
		if err != nil {
			return nil, err
		}
		return &priv.PublicKey, nil
	case *ecdsa.PublicKey:
		priv, err := ecdsa.GenerateKey(k.Curve, rand.Reader)
		if err != nil {
			return nil, err
		}
		return &priv.PublicKey, nil
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// sealIDToken encrypts the signed ID token tok (made with error err) under
// Config.IDTokenEncryption, as a nested JWT (cty "JWT"); without it tok is
// returned as it is.
func (s *Server) sealIDToken(tok string, err error, f Faults) (string, error) {
	if err != nil || s.enc.idToken == nil {
		return tok, err
	}
	return encrypt(s.enc.idToken, []byte(tok), "JWT", f.Encryption)
}

// writeUserInfoJWT answers the userinfo claims body as application/jwt
// when the provider signs or encrypts userinfo, and reports whether it
// did: signed (claims plus iss and aud) under Config.SignedUserInfo, then
// encrypted under Config.UserInfoEncryption (the signed JWT with cty
// "JWT", or the JSON claims).
func (s *Server) writeUserInfoJWT(w http.ResponseWriter, body map[string]any, f Faults) bool {
	if !s.enc.signedInfo && s.enc.userInfo == nil {
		return false
	}
	var (
		payload []byte
		cty     string
		err     error
	)
	if s.enc.signedInfo {
		var tok string
		tok, err = s.signUserInfo(body, f.SignedUserInfo)
		payload, cty = []byte(tok), "JWT"
	} else {
		payload, err = json.Marshal(body)
	}
	out := string(payload)
	if err == nil && s.enc.userInfo != nil {
		out, err = encrypt(s.enc.userInfo, payload, cty, f.Encryption)
	}
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "rptest: cannot sign or encrypt userinfo")
		return true
	}
	h := w.Header()
	h.Set("Content-Type", "application/jwt")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(out))
	return true
}

// signUserInfo signs the userinfo claims with iss and aud added, as f says.
func (s *Server) signUserInfo(body map[string]any, f SignedUserInfoFaults) (string, error) {
	claims := map[string]any{}
	for k, v := range body {
		claims[k] = v
	}
	s.setIDTokenIssuer(claims)
	claims["aud"] = s.clientID
	if f.Issuer != "" {
		claims["iss"] = f.Issuer
	}
	if f.Audience != "" {
		claims["aud"] = f.Audience
	}
	if f.AlgNone {
		return unsignedJWT(claims)
	}
	key := s.currentKey()
	signer := key
	if f.BadSignature {
		var err error
		if signer, err = s.rogueKey(); err != nil {
			return "", err
		}
	}
	return signJWT(signer.alg, signer.priv, key.kid, claims, header{})
}

// advertiseEncryption adds the encryption and userinfo signing metadata
// to the discovery document doc.
func (s *Server) advertiseEncryption(doc map[string]any) {
	doc["id_token_encryption_alg_values_supported"] = encryptionAlgs
	doc["id_token_encryption_enc_values_supported"] = encryptionEncs
	doc["userinfo_encryption_alg_values_supported"] = encryptionAlgs
	doc["userinfo_encryption_enc_values_supported"] = encryptionEncs
	doc["userinfo_signing_alg_values_supported"] = s.signingAlgs()
	doc["authorization_encryption_alg_values_supported"] = encryptionAlgs
	doc["authorization_encryption_enc_values_supported"] = encryptionEncs
}
