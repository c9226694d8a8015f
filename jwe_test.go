package rp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp/rptest"
)

// Test keys, made once: RSA key generation is slow.
var (
	testRSAKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
		var ks [2]*rsa.PrivateKey
		for i := range ks {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			ks[i] = k
		}
		return ks
	})
	testECKeys = sync.OnceValue(func() [2]*ecdsa.PrivateKey {
		var ks [2]*ecdsa.PrivateKey
		for i, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			ks[i] = k
		}
		return ks
	})
)

// clientEncryption is the provider's view of key: its public JWK as the
// application publishes it (PublicJWK), with alg and enc.
func clientEncryption(t *testing.T, key DecryptionKey, alg, enc string) *rptest.Encryption {
	t.Helper()
	raw, err := key.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	if !jwk.IsPublic() {
		t.Fatal("PublicJWK returned a private key")
	}
	return &rptest.Encryption{Key: jwk, Alg: alg, Enc: enc}
}

func withKeys(keys ...DecryptionKey) func(*Config) {
	return func(c *Config) { c.DecryptionKeys = keys }
}

// requireEncrypted configures keys and refuses plain ID tokens, so that a
// login that succeeds proves its ID tokens were encrypted.
func requireEncrypted(keys ...DecryptionKey) func(*Config) {
	return func(c *Config) { c.DecryptionKeys, c.RequireEncryptedIDToken = keys, true }
}

// isJWS reports whether the Secret holds a compact JWS.
func isJWS(s Secret) bool { return strings.Count(string(s), ".") == 2 }

// isJWE reports whether the Secret holds a compact JWE.
func isJWE(s Secret) bool { return strings.Count(string(s), ".") == 4 }

func TestEncryptedIDTokenAlgorithms(t *testing.T) {
	rsaKey := DecryptionKey{KeyID: "rsa-1", Key: testRSAKeys()[0]}
	ecKey := DecryptionKey{KeyID: "ec-1", Key: testECKeys()[0]}
	ec384 := DecryptionKey{KeyID: "ec-384", Key: testECKeys()[1]}
	for _, alg := range SupportedKeyManagementAlgs {
		for _, enc := range SupportedContentEncryptions {
			key := ecKey
			if strings.HasPrefix(alg, "RSA") {
				key = rsaKey
			}
			t.Run(alg+"/"+enc, func(t *testing.T) {
				h := newHarness(t, rptest.Config{IDTokenEncryption: clientEncryption(t, key, alg, enc)}, requireEncrypted(key))
				res, err := h.login()
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				// Tokens.IDToken is the signed JWT, for id_token_hint.
				if !isJWS(res.Tokens.IDToken) || res.Claims.Subject != alice.Subject {
					t.Fatalf("Tokens.IDToken signed JWT %v, subject %q; want the decrypted token for alice", isJWS(res.Tokens.IDToken), res.Claims.Subject)
				}
			})
		}
	}
	t.Run("ECDH-ES on P-384", func(t *testing.T) {
		h := newHarness(t, rptest.Config{IDTokenEncryption: clientEncryption(t, ec384, "ECDH-ES", "A256GCM")}, requireEncrypted(ec384))
		if _, err := h.login(); err != nil {
			t.Fatalf("login: %v", err)
		}
	})
}

func TestEncryptedIDTokenFlows(t *testing.T) {
	key := DecryptionKey{KeyID: "k", Key: testECKeys()[0]}
	t.Run("hybrid, form_post: front and back channel", func(t *testing.T) {
		h := newHarness(t, rptest.Config{IDTokenEncryption: clientEncryption(t, key, "", "")}, func(c *Config) {
			c.DecryptionKeys, c.RequireEncryptedIDToken, c.ResponseType = []DecryptionKey{key}, true, "code id_token"
		})
		method, v := h.respond(h.start())
		if !isJWE(Secret(v.Get("id_token"))) {
			t.Fatal("the authorization response's ID token is not encrypted")
		}
		res, err := h.deliver(method, v)
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if !isJWS(res.Tokens.IDToken) {
			t.Fatal("Tokens.IDToken is not the decrypted, signed ID token")
		}
		// VerifyIDToken decrypts too, and requires encryption as Callback does.
		if _, err := h.rp.VerifyIDToken(t.Context(), v.Get("id_token"), VerifyOptions{}); err != nil {
			t.Fatalf("VerifyIDToken of the encrypted token: %v", err)
		}
		if _, err := h.rp.VerifyIDToken(t.Context(), string(res.Tokens.IDToken), VerifyOptions{}); !errors.Is(err, ErrEncryptionRequired) {
			t.Fatalf("VerifyIDToken of the plain token: %v; want ErrEncryptionRequired", err)
		}
	})
	t.Run("implicit, fragment", func(t *testing.T) {
		h := newHarness(t, rptest.Config{IDTokenEncryption: clientEncryption(t, key, "", "")}, func(c *Config) {
			c.DecryptionKeys, c.RequireEncryptedIDToken, c.ResponseType, c.ResponseMode = []DecryptionKey{key}, true, "id_token", "fragment"
		})
		res, err := h.deliver(h.respond(h.start()))
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if !isJWS(res.Tokens.IDToken) {
			t.Fatal("Tokens.IDToken is not the decrypted, signed ID token")
		}
	})
	t.Run("refresh", func(t *testing.T) {
		h := newHarness(t, rptest.Config{IDTokenEncryption: clientEncryption(t, key, "", "")}, requireEncrypted(key))
		res, err := h.login()
		if err != nil {
			t.Fatal(err)
		}
		tok, claims, err := h.rp.Refresh(t.Context(), res.Tokens.RefreshToken, res.Claims)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if !isJWS(tok.IDToken) || claims == nil || claims.Subject != alice.Subject {
			t.Fatalf("refreshed ID token decrypted %v, claims %v", isJWS(tok.IDToken), claims)
		}
		h.op.SetFaults(rptest.Faults{Encryption: rptest.EncryptionFaults{WrongKey: true}})
		if _, _, err := h.rp.Refresh(t.Context(), tok.RefreshToken, claims); !errors.Is(err, ErrDecryptionFailed) {
			t.Fatalf("refresh with an ID token for another key: %v; want ErrDecryptionFailed", err)
		}
	})
	t.Run("plain signed ID token accepted by default", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, withKeys(key))
		if _, err := h.login(); err != nil {
			t.Fatalf("login: %v", err)
		}
	})
}

func TestEncryptedIDTokenKeyRotation(t *testing.T) {
	newKey := DecryptionKey{KeyID: "new", Key: testRSAKeys()[0]}
	oldKey := DecryptionKey{KeyID: "old", Key: testRSAKeys()[1]}
	unnamed := DecryptionKey{Key: testRSAKeys()[1]}
	for _, tc := range []struct {
		name   string
		keys   []DecryptionKey
		to     DecryptionKey // the key the provider encrypts to
		faults rptest.EncryptionFaults
		want   error
	}{
		{"kid of the new key", []DecryptionKey{newKey, oldKey}, newKey, rptest.EncryptionFaults{}, nil},
		{"kid of the old key", []DecryptionKey{newKey, oldKey}, oldKey, rptest.EncryptionFaults{}, nil},
		{"no kid: every key is tried", []DecryptionKey{newKey, oldKey}, oldKey, rptest.EncryptionFaults{KeyID: ptr("")}, nil},
		{"unknown kid: refused", []DecryptionKey{newKey, oldKey}, oldKey, rptest.EncryptionFaults{KeyID: ptr("gone")}, ErrNoDecryptionKey},
		{"unknown kid: a key without KeyID is tried", []DecryptionKey{newKey, unnamed}, oldKey, rptest.EncryptionFaults{KeyID: ptr("gone")}, nil},
		{"kid of one key, encrypted to the other", []DecryptionKey{newKey, oldKey}, oldKey, rptest.EncryptionFaults{KeyID: ptr("new")}, ErrDecryptionFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{IDTokenEncryption: clientEncryption(t, tc.to, "RSA-OAEP-256", "A256GCM")}, requireEncrypted(tc.keys...))
			h.op.SetFaults(rptest.Faults{Encryption: tc.faults})
			_, err := h.login()
			if tc.want == nil && err != nil {
				t.Fatalf("login: %v", err)
			}
			if tc.want != nil && (!errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidIDToken)) {
				t.Fatalf("login: %v; want %v", err, tc.want)
			}
		})
	}
}

func TestEncryptedIDTokenRejections(t *testing.T) {
	rsaKey := DecryptionKey{KeyID: "rsa", Key: testRSAKeys()[0]}
	oaepOnly := DecryptionKey{KeyID: "rsa", Key: testRSAKeys()[0], Algorithms: []string{"RSA-OAEP"}}
	for _, tc := range []struct {
		name   string
		enc    *rptest.Encryption // nil: the provider does not encrypt
		mod    func(*Config)
		faults rptest.Faults
		want   error
	}{
		{"encrypted to another key", clientEncryption(t, rsaKey, "", ""), withKeys(rsaKey),
			rptest.Faults{Encryption: rptest.EncryptionFaults{WrongKey: true}}, ErrDecryptionFailed},
		{"RSA1_5", clientEncryption(t, rsaKey, "", ""), withKeys(rsaKey),
			rptest.Faults{Encryption: rptest.EncryptionFaults{RSA15: true}}, ErrDecryptionRSA15},
		{"unsigned inner token", clientEncryption(t, rsaKey, "", ""), withKeys(rsaKey),
			rptest.Faults{AlgNone: true}, ErrIDTokenAlgorithm},
		{"inner token with a bad signature", clientEncryption(t, rsaKey, "", ""), withKeys(rsaKey),
			rptest.Faults{BadSignature: true}, ErrIDTokenSignature},
		{"inner token for another client", clientEncryption(t, rsaKey, "", ""), withKeys(rsaKey),
			rptest.Faults{Audience: []string{"other-client"}}, ErrIDTokenAudience},
		{"cty not JWT", clientEncryption(t, rsaKey, "", ""), withKeys(rsaKey),
			rptest.Faults{Encryption: rptest.EncryptionFaults{ContentType: "json"}}, ErrIDTokenMalformed},
		{"encrypted, no keys configured", clientEncryption(t, rsaKey, "", ""), nil, rptest.Faults{}, ErrNoDecryptionKey},
		{"alg not allowed for the key", clientEncryption(t, rsaKey, "RSA-OAEP-256", ""), withKeys(oaepOnly), rptest.Faults{}, ErrNoDecryptionKey},
		{"encryption required, plain token", nil, func(c *Config) {
			c.DecryptionKeys, c.RequireEncryptedIDToken = []DecryptionKey{rsaKey}, true
		}, rptest.Faults{}, ErrEncryptionRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rptest.Config{IDTokenEncryption: tc.enc}, tc.mod)
			h.op.SetFaults(tc.faults)
			res, err := h.login()
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidIDToken) || res != nil {
				t.Fatalf("login: %v; want %v", err, tc.want)
			}
			var de *decryptionError
			if errors.As(tc.want, &de) != errors.Is(err, ErrDecryption) {
				t.Errorf("errors.Is(err, ErrDecryption) = %v for %v", errors.Is(err, ErrDecryption), tc.want)
			}
			if strings.Contains(err.Error(), "eyJ") {
				t.Errorf("the error carries token text: %v", err)
			}
		})
	}
}

// fakeJWE is a compact JWE with header h and junk parts.
func fakeJWE(h string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(h)) + ".AAAA.AAAA.AAAA.AAAA"
}

func TestDecryptRefusesBeforeDecrypting(t *testing.T) {
	d := &decrypter{keys: []DecryptionKey{{KeyID: "rsa", Key: testRSAKeys()[0]}}}
	for _, tc := range []struct {
		name string
		raw  string
		want error
	}{
		{"dir", fakeJWE(`{"alg":"dir","enc":"A128GCM"}`), ErrDecryptionAlgorithm},
		{"A128KW", fakeJWE(`{"alg":"A128KW","enc":"A128GCM"}`), ErrDecryptionAlgorithm},
		{"PBES2", fakeJWE(`{"alg":"PBES2-HS256+A128KW","enc":"A128GCM"}`), ErrDecryptionAlgorithm},
		{"RSA1_5", fakeJWE(`{"alg":"RSA1_5","enc":"A128GCM"}`), ErrDecryptionRSA15},
		{"enc A192GCM", fakeJWE(`{"alg":"RSA-OAEP","enc":"A192GCM"}`), ErrDecryptionAlgorithm},
		{"enc A256CBC-HS512", fakeJWE(`{"alg":"RSA-OAEP","enc":"A256CBC-HS512"}`), ErrDecryptionAlgorithm},
		{"no enc", fakeJWE(`{"alg":"RSA-OAEP"}`), ErrDecryptionAlgorithm},
		{"compressed", fakeJWE(`{"alg":"RSA-OAEP","enc":"A128GCM","zip":"DEF"}`), ErrDecryptionMalformed},
		{"header not JSON", fakeJWE(`not json`), ErrDecryptionMalformed},
		{"kid not a string", fakeJWE(`{"alg":"RSA-OAEP","enc":"A128GCM","kid":7}`), ErrDecryptionMalformed},
		{"header not base64url", "%%%.AAAA.AAAA.AAAA.AAAA", ErrDecryptionMalformed},
		{"over-long", fakeJWE(`{"alg":"RSA-OAEP","enc":"A128GCM"}`) + strings.Repeat("A", maxEncryptedTokenLen), ErrDecryptionMalformed},
		{"EC alg for an RSA key", fakeJWE(`{"alg":"ECDH-ES","enc":"A128GCM"}`), ErrNoDecryptionKey},
		{"junk parts", fakeJWE(`{"alg":"RSA-OAEP","enc":"A128GCM"}`), ErrDecryptionFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := d.open(tc.raw)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrDecryption) {
				t.Fatalf("open: %v; want %v", err, tc.want)
			}
		})
	}
}
