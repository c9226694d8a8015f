package rp

import (
	"errors"
	"strings"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// encryptedJARMHarness is a JARM harness whose provider encrypts response
// JWTs to key and whose RP has keys as its DecryptionKeys.
func encryptedJARMHarness(t *testing.T, mode string, key DecryptionKey, alg string, keys ...DecryptionKey) *harness {
	t.Helper()
	return jarmHarness(t, rptest.Config{AuthorizationEncryption: clientEncryption(t, key, alg, "")}, "code", mode,
		func(c *Config) { c.DecryptionKeys = keys })
}

// TestJARMEncryptedSignIn: an encrypted response JWT (a JWE around the
// signed JWT) is decrypted with DecryptionKeys and verified, in query.jwt
// and form_post.jwt, with RSA and EC keys.
func TestJARMEncryptedSignIn(t *testing.T) {
	rsaKey := DecryptionKey{KeyID: "rsa-1", Key: testRSAKeys()[0]}
	ecKey := DecryptionKey{KeyID: "ec-1", Key: testECKeys()[0]}
	for _, mode := range []string{"query.jwt", "form_post.jwt"} {
		for _, tc := range []struct {
			key DecryptionKey
			alg string
		}{{rsaKey, "RSA-OAEP-256"}, {ecKey, "ECDH-ES+A256KW"}} {
			t.Run(mode+"/"+tc.alg, func(t *testing.T) {
				h := encryptedJARMHarness(t, mode, tc.key, tc.alg, rsaKey, ecKey)
				method, v := h.respond(h.start())
				if len(v) != 1 || !isJWE(Secret(v.Get("response"))) {
					t.Fatalf("the response has %d parameters, response encrypted %v; want one JWE", len(v), isJWE(Secret(v.Get("response"))))
				}
				res, err := h.deliver(method, v)
				if err != nil {
					t.Fatalf("Callback: %v", err)
				}
				if res.Claims.Subject != alice.Subject || h.op.Requests(rptest.EndpointToken) != 1 {
					t.Fatalf("subject %q after %d token requests; want alice after one", res.Claims.Subject, h.op.Requests(rptest.EndpointToken))
				}
			})
		}
	}
}

// TestJARMEncryptedRejections: an encrypted response JWT that does not
// decrypt, or whose inner JWT is unsigned, badly signed or not a JWT, is
// refused with the exact kind, and no code is redeemed; without
// DecryptionKeys it stays ErrResponseJWTEncrypted.
func TestJARMEncryptedRejections(t *testing.T) {
	key := DecryptionKey{KeyID: "ec-1", Key: testECKeys()[0]}
	rsaKey := DecryptionKey{KeyID: "rsa-1", Key: testRSAKeys()[0]}
	for _, tc := range []struct {
		name string
		mode string
		key  DecryptionKey
		f    rptest.Faults
		keys []DecryptionKey
		want error
	}{
		{name: "wrong key", f: rptest.Faults{Encryption: rptest.EncryptionFaults{WrongKey: true}}, want: ErrDecryptionFailed},
		{name: "wrong key, query", mode: "query.jwt", f: rptest.Faults{Encryption: rptest.EncryptionFaults{WrongKey: true}}, want: ErrDecryptionFailed},
		{name: "unsigned inner JWT", f: rptest.Faults{JARM: rptest.JARMFaults{AlgNone: true}}, want: ErrResponseJWTAlgorithm},
		{name: "badly signed inner JWT", f: rptest.Faults{JARM: rptest.JARMFaults{BadSignature: true}}, want: ErrResponseJWTSignature},
		{name: "cty not JWT", f: rptest.Faults{Encryption: rptest.EncryptionFaults{ContentType: "json"}}, want: ErrResponseJWTMalformed},
		{name: "RSA1_5", key: rsaKey, f: rptest.Faults{Encryption: rptest.EncryptionFaults{RSA15: true}}, want: ErrDecryptionRSA15},
		{name: "no key of that kid", f: rptest.Faults{Encryption: rptest.EncryptionFaults{KeyID: ptr("other")}}, want: ErrNoDecryptionKey},
		{name: "no DecryptionKeys", keys: []DecryptionKey{}, want: ErrResponseJWTEncrypted},
		{name: "no DecryptionKeys, query", mode: "query.jwt", keys: []DecryptionKey{}, want: ErrResponseJWTEncrypted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := key
			if tc.key.Key != nil {
				k = tc.key
			}
			keys := tc.keys
			if keys == nil {
				keys = []DecryptionKey{k}
			}
			mode := tc.mode
			if mode == "" {
				mode = "form_post.jwt"
			}
			h := encryptedJARMHarness(t, mode, k, "", keys...)
			h.op.SetFaults(tc.f)
			method, v := h.respond(h.start())
			res, err := h.deliver(method, v)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrResponseJWT) || res != nil {
				t.Fatalf("Callback = %v; want %v (and ErrResponseJWT)", err, tc.want)
			}
			if n := h.op.Requests(rptest.EndpointToken); n != 0 {
				t.Fatalf("%d token requests after the rejection; want none", n)
			}
			for part := range strings.SplitSeq(v.Get("response"), ".") {
				if len(part) > 8 && strings.Contains(err.Error(), part) {
					t.Fatalf("the error %q holds the response", err)
				}
			}
		})
	}
}
