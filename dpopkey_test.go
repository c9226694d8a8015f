package rp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestDPoPKeyRedactsItself(t *testing.T) {
	k, err := NewDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	tok := Tokens{AccessToken: "at", DPoPKey: k}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("t", "key", k, "tokens", tok)
	js, _ := json.Marshal(tok)
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%+v %#v %s %x", tok, tok, k, k), logs.String(), string(js)} {
		if !strings.Contains(out, redacted) || strings.Contains(out, "X509") || strings.Contains(out, "priv") || strings.Contains(out, "Curve") {
			t.Errorf("output %q shows the key", out)
		}
	}
}

func TestDPoPKeyRoundTrip(t *testing.T) {
	k, err := NewDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseDPoPKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(k) || back.Thumbprint() != k.Thumbprint() {
		t.Fatal("the parsed key is not the marshalled one")
	}
	other, _ := NewDPoPKey()
	if other.Equal(k) || other.Thumbprint() == k.Thumbprint() {
		t.Fatal("two new keys are equal")
	}
	zero := append([]byte{dpopKeyFormat}, make([]byte, 32)...)
	over := append([]byte{dpopKeyFormat}, bytes.Repeat([]byte{0xff}, 32)...)
	for _, bad := range [][]byte{nil, {}, b[:32], append(b, 0), append([]byte{2}, b[1:]...), zero, over} {
		if _, err := ParseDPoPKey(bad); !errors.Is(err, ErrDPoPKey) {
			t.Errorf("ParseDPoPKey(%x): %v; want ErrDPoPKey", bad, err)
		}
	}
	var nilKey *DPoPKey
	if _, err := nilKey.MarshalBinary(); !errors.Is(err, ErrDPoPKey) {
		t.Errorf("nil MarshalBinary: %v; want ErrDPoPKey", err)
	}
}

func TestDPoPChallengeError(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{`DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`}, "use_dpop_nonce"},
		{[]string{`dpop algs="ES256 PS256", error=use_dpop_nonce`}, "use_dpop_nonce"},
		{[]string{`Bearer realm="x", error="use_dpop_nonce"`}, ""},
		{[]string{`Bearer realm="x", error="invalid_token", DPoP algs="ES256", error="use_dpop_nonce"`}, "use_dpop_nonce"},
		{[]string{`Bearer error="use_dpop_nonce"`, `DPoP error="invalid_token"`}, "invalid_token"},
		{[]string{`DPoP error_description="error=\"use_dpop_nonce\"", error="invalid_token"`}, "invalid_token"},
		{[]string{`DPoP error="use_dpop_nonce`}, ""},
		{[]string{`DPoP`, ``, `,,, =`}, ""},
	} {
		if got := dpopChallengeError(tc.values); got != tc.want {
			t.Errorf("dpopChallengeError(%q) = %q; want %q", tc.values, got, tc.want)
		}
	}
}

func TestDPoPNoncesBounded(t *testing.T) {
	var n dpopNonces
	for i := range maxDPoPOrigins + 10 {
		n.put(fmt.Sprintf("https://h%d", i), "n")
	}
	if len(n.m) != maxDPoPOrigins {
		t.Fatalf("%d origins remembered; want at most %d", len(n.m), maxDPoPOrigins)
	}
	if n.get(fmt.Sprintf("https://h%d", maxDPoPOrigins+9)) != "n" {
		t.Fatal("the latest nonce was forgotten")
	}
}

func TestDPoPTransactionKey(t *testing.T) {
	r := &RP{dpop: &dpopState{}}
	if _, err := r.loginDPoPKey(&transaction{DPoPKey: "%%%"}); !errors.Is(err, ErrStateInvalid) {
		t.Fatalf("undecodable key: %v; want ErrStateInvalid", err)
	}
	if _, err := r.loginDPoPKey(&transaction{DPoPKey: "AQID"}); !errors.Is(err, ErrStateInvalid) {
		t.Fatalf("short key: %v; want ErrStateInvalid", err)
	}
	// A transaction from before DPoP (no key) gets a new key.
	var old transaction
	if err := json.Unmarshal([]byte(`{"s":"st","n":"no","c":1,"e":2}`), &old); err != nil {
		t.Fatal(err)
	}
	if k, err := r.loginDPoPKey(&old); err != nil || k == nil {
		t.Fatalf("old transaction: key %v, %v; want a new key", k != nil, err)
	}
	if k, err := (&RP{}).loginDPoPKey(&old); err != nil || k != nil {
		t.Fatalf("DPoP off: key %v, %v; want none", k != nil, err)
	}
}
