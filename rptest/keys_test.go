package rptest

import (
	"crypto/sha512"
	"encoding/base64"
	"testing"
)

func TestJWKSContent(t *testing.T) {
	s, _ := newTest(t, nil)
	set := fetchJWKS(t, s)
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() || !k.Valid() {
		t.Errorf("key %+v", k)
	}
}

func TestRotateKey(t *testing.T) {
	s, _ := newTest(t, nil)
	oldToken := login(t, s)["id_token"].(string)
	oldKid := fetchJWKS(t, s).Keys[0].KeyID

	s.RotateKey(true)
	set := fetchJWKS(t, s)
	if len(set.Keys) != 2 || set.Keys[0].KeyID == oldKid || set.Keys[1].KeyID != oldKid {
		t.Fatalf("after RotateKey(true): %d keys", len(set.Keys))
	}
	if _, _, err := tryVerify(set, oldToken); err != nil {
		t.Errorf("old token no longer verifies with the old key kept: %v", err)
	}
	_, hdr := verifyIDToken(t, s, login(t, s)["id_token"].(string))
	if hdr.KeyID != set.Keys[0].KeyID {
		t.Errorf("new token kid %q, want %q", hdr.KeyID, set.Keys[0].KeyID)
	}

	s.RotateKey(false)
	set = fetchJWKS(t, s)
	if len(set.Keys) != 1 {
		t.Fatalf("after RotateKey(false): %d keys", len(set.Keys))
	}
	if _, _, err := tryVerify(set, oldToken); err == nil {
		t.Error("old token still verifies after its key was dropped")
	}
	verifyIDToken(t, s, login(t, s)["id_token"].(string))
	if s.Requests(EndpointJWKS) < 4 {
		t.Errorf("Requests(jwks) = %d", s.Requests(EndpointJWKS))
	}
}

func TestSigningAlgorithms(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s, _ := newTest(t, func(c *Config) { c.SigningAlg = alg })
			tok := login(t, s)
			claims, hdr := verifyIDToken(t, s, tok["id_token"].(string))
			if hdr.Algorithm != alg || fetchJWKS(t, s).Keys[0].Algorithm != alg {
				t.Errorf("header alg %q", hdr.Algorithm)
			}
			want := leftHalfSHA256(tok["access_token"].(string))
			if alg == "EdDSA" {
				sum := sha512.Sum512([]byte(tok["access_token"].(string)))
				want = base64.RawURLEncoding.EncodeToString(sum[:32])
			}
			if claims["at_hash"] != want {
				t.Errorf("at_hash %v, want %s", claims["at_hash"], want)
			}
		})
	}
}

func TestNewServerRejectsUnknownAlg(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewServer accepted SigningAlg HS256")
		}
	}()
	NewServer(Config{SigningAlg: "HS256"}).Close()
}

func TestSignIDToken(t *testing.T) {
	s, _ := newTest(t, nil)
	tok, err := s.SignIDToken(map[string]any{"sub": "x", "custom": 7})
	if err != nil {
		t.Fatal(err)
	}
	claims, hdr := verifyIDToken(t, s, tok)
	if len(claims) != 2 || claims["custom"] != float64(7) || hdr.KeyID != fetchJWKS(t, s).Keys[0].KeyID {
		t.Errorf("claims %v kid %q", claims, hdr.KeyID)
	}
	if _, err := s.SignIDToken(map[string]any{"bad": make(chan int)}); err == nil {
		t.Error("unencodable claims signed")
	}
	if _, err := s.SignIDToken(nil); err != nil {
		t.Errorf("nil claims: %v", err)
	}
}
