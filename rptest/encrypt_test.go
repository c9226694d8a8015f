package rptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"slices"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// openJWE decrypts the compact JWE token with priv and returns its
// plaintext and header.
func openJWE(t *testing.T, token string, priv any) ([]byte, jose.Header) {
	t.Helper()
	jwe, err := jose.ParseEncryptedCompact(token,
		[]jose.KeyAlgorithm{jose.RSA_OAEP, jose.RSA_OAEP_256, jose.RSA1_5, jose.ECDH_ES, jose.ECDH_ES_A128KW, jose.ECDH_ES_A256KW},
		[]jose.ContentEncryption{jose.A128GCM, jose.A256GCM, jose.A128CBC_HS256})
	if err != nil {
		t.Fatalf("not a compact JWE: %v", err)
	}
	plain, err := jwe.Decrypt(priv)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	return plain, jwe.Header
}

func TestEncryptedIDToken(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTest(t, func(c *Config) {
		c.IDTokenEncryption = &Encryption{Key: jose.JSONWebKey{Key: priv, KeyID: "client-enc"}, Enc: "A256GCM"}
	})
	_, doc, _ := discovery(t, s)
	if algs := strList(doc["id_token_encryption_alg_values_supported"]); !slices.Contains(algs, "ECDH-ES") {
		t.Errorf("discovery's id_token_encryption_alg_values_supported = %v", doc["id_token_encryption_alg_values_supported"])
	}
	idt := login(t, s)["id_token"].(string)
	plain, hdr := openJWE(t, idt, priv)
	if hdr.KeyID != "client-enc" || hdr.Algorithm != "ECDH-ES" || hdr.ExtraHeaders["enc"] != "A256GCM" || hdr.ExtraHeaders["cty"] != "JWT" {
		t.Fatalf("JWE header %+v; want kid client-enc, ECDH-ES (the EC default), A256GCM, cty JWT", hdr)
	}
	if claims, _ := verifyIDToken(t, s, string(plain)); claims["sub"] != "alice" {
		t.Fatalf("inner ID token claims %v", claims)
	}

	s.SetFaults(Faults{Encryption: EncryptionFaults{KeyID: new(string)}, AlgNone: true})
	plain, hdr = openJWE(t, login(t, s)["id_token"].(string), priv)
	if hdr.KeyID != "" {
		t.Errorf("kid %q; want none", hdr.KeyID)
	}
	if h, _, _ := unverifiedParts(t, string(plain)); h["alg"] != "none" {
		t.Errorf("inner alg %v; want none under AlgNone", h["alg"])
	}

	s.SetFaults(Faults{Encryption: EncryptionFaults{WrongKey: true}})
	jwe, err := jose.ParseEncryptedCompact(login(t, s)["id_token"].(string), []jose.KeyAlgorithm{jose.ECDH_ES}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwe.Decrypt(priv); err == nil {
		t.Error("WrongKey: the client's key decrypts the ID token")
	}
}

func TestEncryptedIDTokenRSA15(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTest(t, func(c *Config) { c.IDTokenEncryption = &Encryption{Key: jose.JSONWebKey{Key: &priv.PublicKey}} })
	_, hdr := openJWE(t, login(t, s)["id_token"].(string), priv)
	if hdr.Algorithm != "RSA-OAEP-256" || hdr.ExtraHeaders["enc"] != "A128CBC-HS256" {
		t.Fatalf("defaults: alg %s enc %v; want RSA-OAEP-256 and A128CBC-HS256", hdr.Algorithm, hdr.ExtraHeaders["enc"])
	}
	s.SetFaults(Faults{Encryption: EncryptionFaults{RSA15: true}})
	if _, hdr := openJWE(t, login(t, s)["id_token"].(string), priv); hdr.Algorithm != "RSA1_5" {
		t.Fatalf("alg %s; want RSA1_5", hdr.Algorithm)
	}
}

func TestSignedAndEncryptedUserInfo(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTest(t, func(c *Config) {
		c.SignedUserInfo = true
		c.UserInfoEncryption = &Encryption{Key: jose.JSONWebKey{Key: &priv.PublicKey}, Alg: "ECDH-ES+A128KW", Enc: "A128GCM"}
	})
	access := login(t, s)["access_token"].(string)
	fetch := func() (string, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+PathUserInfo, nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Header.Get("Content-Type"), string(b)
	}
	ct, body := fetch()
	if ct != "application/jwt" {
		t.Fatalf("Content-Type %q", ct)
	}
	plain, hdr := openJWE(t, body, priv)
	claims, _ := verifyIDToken(t, s, string(plain))
	if hdr.ExtraHeaders["cty"] != "JWT" || claims["sub"] != "alice" || claims["iss"] != s.URL || claims["aud"] != DefaultClientID ||
		claims["phone_number"] != "+1 555 0100" {
		t.Fatalf("cty %v, claims %v", hdr.ExtraHeaders["cty"], claims)
	}
	s.SetFaults(Faults{SignedUserInfo: SignedUserInfoFaults{Issuer: "https://evil.example", Audience: "other"}})
	_, body = fetch()
	plain, _ = openJWE(t, body, priv)
	if claims, _ := verifyIDToken(t, s, string(plain)); claims["iss"] != "https://evil.example" || claims["aud"] != "other" {
		t.Fatalf("faulty claims %v", claims)
	}
	s.SetFaults(Faults{SignedUserInfo: SignedUserInfoFaults{BadSignature: true}})
	_, body = fetch()
	plain, _ = openJWE(t, body, priv)
	if _, _, err := tryVerify(fetchJWKS(t, s), string(plain)); err == nil {
		t.Fatal("BadSignature: the userinfo JWT verifies")
	}
}
