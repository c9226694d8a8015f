package rp

import (
	"errors"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// thinAlice has a claim only userinfo serves.
var thinAlice = rptest.User{Subject: alice.Subject, Claims: alice.Claims, UserInfo: map[string]any{"phone_number": "+41 00 000 00 00"}}

func userInfoAlways(keys ...DecryptionKey) func(*Config) {
	return func(c *Config) { c.UserInfo, c.DecryptionKeys = UserInfoAlways, keys }
}

func TestSignedUserInfo(t *testing.T) {
	key := DecryptionKey{KeyID: "ec", Key: testECKeys()[0]}
	for _, tc := range []struct {
		name string
		op   rptest.Config
	}{
		{"signed", rptest.Config{SignedUserInfo: true}},
		{"signed with ES256", rptest.Config{SignedUserInfo: true, SigningAlg: "ES256"}},
		{"signed, then encrypted", rptest.Config{SignedUserInfo: true, UserInfoEncryption: clientEncryption(t, key, "ECDH-ES+A128KW", "A128GCM")}},
		{"encrypted JSON", rptest.Config{UserInfoEncryption: clientEncryption(t, key, "ECDH-ES", "A256GCM")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.op.Users = []rptest.User{thinAlice}
			h := newHarness(t, tc.op, userInfoAlways(key))
			res, err := h.login()
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if got := res.Claims.Raw["phone_number"]; got != "+41 00 000 00 00" {
				t.Fatalf("phone_number = %v; want userinfo's", got)
			}
			if h.op.Requests(rptest.EndpointUserInfo) != 1 {
				t.Fatal("userinfo was not called")
			}
		})
	}
}

func TestSignedUserInfoRejections(t *testing.T) {
	key := DecryptionKey{KeyID: "ec", Key: testECKeys()[0]}
	signed := rptest.Config{SignedUserInfo: true}
	encrypted := rptest.Config{SignedUserInfo: true, UserInfoEncryption: clientEncryption(t, key, "", "")}
	for _, tc := range []struct {
		name   string
		op     rptest.Config
		keys   []DecryptionKey
		faults rptest.Faults
		want   error
	}{
		{"another issuer", signed, nil, rptest.Faults{SignedUserInfo: rptest.SignedUserInfoFaults{Issuer: "https://evil.example"}}, ErrUserInfoIssuer},
		{"another audience", signed, nil, rptest.Faults{SignedUserInfo: rptest.SignedUserInfoFaults{Audience: "other-client"}}, ErrUserInfoAudience},
		{"bad signature", signed, nil, rptest.Faults{SignedUserInfo: rptest.SignedUserInfoFaults{BadSignature: true}}, ErrUserInfoSignature},
		{"alg none", signed, nil, rptest.Faults{SignedUserInfo: rptest.SignedUserInfoFaults{AlgNone: true}}, ErrUserInfoAlgorithm},
		{"another subject", signed, nil, rptest.Faults{UserInfoSubject: "mallory"}, ErrUserInfoSubjectMismatch},
		{"encrypted: another issuer", encrypted, []DecryptionKey{key},
			rptest.Faults{SignedUserInfo: rptest.SignedUserInfoFaults{Issuer: "https://evil.example"}}, ErrUserInfoIssuer},
		{"encrypted: alg none inside", encrypted, []DecryptionKey{key},
			rptest.Faults{SignedUserInfo: rptest.SignedUserInfoFaults{AlgNone: true}}, ErrUserInfoAlgorithm},
		{"encrypted: another subject", encrypted, []DecryptionKey{key}, rptest.Faults{UserInfoSubject: "mallory"}, ErrUserInfoSubjectMismatch},
		{"encrypted: no keys configured", encrypted, nil, rptest.Faults{}, ErrNoDecryptionKey},
		{"encrypted to another key", encrypted, []DecryptionKey{key}, rptest.Faults{Encryption: rptest.EncryptionFaults{WrongKey: true}}, ErrDecryptionFailed},
		{"encrypted: cty JWT over JSON", rptest.Config{UserInfoEncryption: clientEncryption(t, key, "", "")}, []DecryptionKey{key},
			rptest.Faults{Encryption: rptest.EncryptionFaults{ContentType: "JWT"}}, ErrUserInfoMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.op.Users = []rptest.User{thinAlice}
			h := newHarness(t, tc.op, userInfoAlways(tc.keys...))
			// The ID token is fine: only the userinfo faults matter.
			h.op.SetFaults(tc.faults)
			res, err := h.login()
			if !errors.Is(err, tc.want) || res != nil {
				t.Fatalf("login: %v; want %v", err, tc.want)
			}
			if tc.want != ErrUserInfoSubjectMismatch && !errors.Is(err, ErrUserInfo) {
				t.Fatalf("login: %v does not match ErrUserInfo", err)
			}
			if errors.Is(err, ErrInvalidIDToken) {
				t.Fatalf("login: %v blames the ID token", err)
			}
		})
	}
}
