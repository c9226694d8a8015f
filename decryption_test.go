package rp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func TestDecryptionKeysValidate(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, ecKey := testRSAKeys()[0], testECKeys()[0]
	for _, tc := range []struct {
		name   string
		keys   []DecryptionKey
		req    bool
		field  string
		substr string
	}{
		{"no key", []DecryptionKey{{KeyID: "a"}}, false, "DecryptionKeys", "set Key"},
		{"Ed25519 key", []DecryptionKey{{Key: ed}}, false, "DecryptionKeys", "ed25519"},
		{"small RSA key", []DecryptionKey{{Key: small}}, false, "DecryptionKeys", "1024 bits"},
		{"P-224", []DecryptionKey{{Key: p224}}, false, "DecryptionKeys", "P-256"},
		{"RSA1_5", []DecryptionKey{{Key: rsaKey, Algorithms: []string{"RSA1_5"}}}, false, "DecryptionKeys", "RSA1_5 is refused"},
		{"unknown alg", []DecryptionKey{{Key: rsaKey, Algorithms: []string{"dir"}}}, false, "DecryptionKeys", "not supported"},
		{"EC alg for RSA key", []DecryptionKey{{Key: rsaKey, Algorithms: []string{"ECDH-ES"}}}, false, "DecryptionKeys", "does not fit"},
		{"RSA alg for EC key", []DecryptionKey{{Key: ecKey, Algorithms: []string{"RSA-OAEP"}}}, false, "DecryptionKeys", "does not fit"},
		{"duplicate kid", []DecryptionKey{{KeyID: "k", Key: rsaKey}, {KeyID: "k", Key: ecKey}}, false, "DecryptionKeys", "used by two keys"},
		{"required without keys", nil, true, "RequireEncryptedIDToken", "set DecryptionKeys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.DecryptionKeys, cfg.RequireEncryptedIDToken = tc.keys, tc.req
			var ce *ConfigError
			if err := cfg.Validate(); !errors.As(err, &ce) || len(ce.Problems) != 1 ||
				ce.Problems[0].Field != tc.field || !strings.Contains(ce.Problems[0].Message, tc.substr) {
				t.Fatalf("Validate: %v; want one %s problem saying %q", err, tc.field, tc.substr)
			}
		})
	}
	cfg := validConfig()
	cfg.DecryptionKeys = []DecryptionKey{{KeyID: "r", Key: rsaKey}, {Key: ecKey, Algorithms: []string{"ECDH-ES+A256KW"}}, {Key: testECKeys()[1]}}
	cfg.RequireEncryptedIDToken = true
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate of good keys: %v", err)
	}
}

func TestDecryptionKeysAgainstProvider(t *testing.T) {
	cfg := validConfig()
	cfg.DecryptionKeys = []DecryptionKey{{Key: testRSAKeys()[0], Algorithms: []string{"RSA-OAEP"}}}
	md := &ProviderMetadata{IDTokenEncryptionAlgValuesSupported: []string{"ECDH-ES", "RSA-OAEP-256"}}
	if ps := decryptionProblems(&cfg, md); len(ps) != 0 {
		t.Fatalf("problems %v without RequireEncryptedIDToken; want none", ps)
	}
	cfg.RequireEncryptedIDToken = true
	if ps := decryptionProblems(&cfg, md); len(ps) != 1 || ps[0].Field != "DecryptionKeys" {
		t.Fatalf("problems %v; want one: no key allows the provider's algorithms", ps)
	}
	md.IDTokenEncryptionAlgValuesSupported = append(md.IDTokenEncryptionAlgValuesSupported, "RSA-OAEP")
	if ps := decryptionProblems(&cfg, md); len(ps) != 0 {
		t.Fatalf("problems %v with a common algorithm; want none", ps)
	}
	md.IDTokenEncryptionAlgValuesSupported = nil
	if ps := decryptionProblems(&cfg, md); len(ps) != 0 {
		t.Fatalf("problems %v when the provider says nothing; want none", ps)
	}
}

func TestDecryptionKeyNeverPrinted(t *testing.T) {
	priv := testRSAKeys()[0]
	k := DecryptionKey{KeyID: "kid-1", Key: priv}
	secret := priv.D.String()
	secretHex := fmt.Sprintf("%x", priv.D)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "key", k)
	js, err := json.Marshal(struct{ K []DecryptionKey }{[]DecryptionKey{k}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := validConfig()
	cfg.DecryptionKeys = []DecryptionKey{k}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x", k, k, k, k, k, k),
		fmt.Sprintf("%+v %#v", []DecryptionKey{k}, []DecryptionKey{k}), fmt.Sprintf("%+v", cfg.DecryptionKeys),
		logs.String(), string(js), string(cfgJSON),
	} {
		if strings.Contains(out, secret) || strings.Contains(out, secretHex) || strings.Contains(out, priv.N.String()) {
			t.Fatalf("key material printed: %.200s", out)
		}
		if out != string(cfgJSON) && !strings.Contains(out, "kid-1") {
			t.Errorf("%.200s does not name the kid", out)
		}
	}
}

func TestPublicJWKS(t *testing.T) {
	keys := []DecryptionKey{
		{KeyID: "rsa", Key: testRSAKeys()[0]},
		{KeyID: "ec", Key: testECKeys()[0], Algorithms: []string{"ECDH-ES+A256KW"}},
	}
	raw, err := PublicJWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	var members struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &members); err != nil || len(members.Keys) != 2 {
		t.Fatalf("PublicJWKS = %s (%v); want two keys", raw, err)
	}
	for _, m := range members.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := m[private]; ok {
				t.Fatalf("the JWKS carries the private member %q: %v", private, m)
			}
		}
		if m["use"] != "enc" {
			t.Errorf("use = %v; want enc", m["use"])
		}
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	rsaJWK, ecJWK := set.Key("rsa"), set.Key("ec")
	if len(rsaJWK) != 1 || len(ecJWK) != 1 || !rsaJWK[0].IsPublic() || !ecJWK[0].IsPublic() {
		t.Fatalf("keys by kid: rsa %v, ec %v; want one public key each", rsaJWK, ecJWK)
	}
	if pub, ok := rsaJWK[0].Key.(*rsa.PublicKey); !ok || !pub.Equal(&testRSAKeys()[0].PublicKey) {
		t.Error("the RSA JWK is not the key's public half")
	}
	if rsaJWK[0].Algorithm != "" || ecJWK[0].Algorithm != "ECDH-ES+A256KW" {
		t.Errorf("alg: rsa %q (want none, two are allowed), ec %q (want its only one)", rsaJWK[0].Algorithm, ecJWK[0].Algorithm)
	}
	if _, err := PublicJWKS([]DecryptionKey{{KeyID: "x"}}); err == nil {
		t.Error("PublicJWKS of a key without Key succeeded")
	}
}
