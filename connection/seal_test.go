package connection

import (
	"errors"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
)

func key(b byte) rp.Secret { return rp.Secret(strings.Repeat(string(rune(b)), 32)) }

func TestSecretSealerRoundTrip(t *testing.T) {
	s, err := NewSecretSealer(key('a'))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal("okta-acme", testSecret)
	if strings.Contains(sealed, testSecret) || sealed == "" {
		t.Fatalf("Seal = %q", sealed)
	}
	for _, c := range sealed {
		if c < 0x21 || c > 0x7e {
			t.Fatalf("Seal = %q holds %q; want printable ASCII", sealed, c)
		}
	}
	if again := s.Seal("okta-acme", testSecret); again == sealed {
		t.Fatal("two seals of one secret are the same text")
	}
	got, err := s.Open("okta-acme", sealed)
	if err != nil || got != testSecret {
		t.Fatalf("Open = %d bytes, %v; want the secret", len(got), err)
	}
	if s.Seal("okta-acme", "") != "" {
		t.Fatal(`Seal of "" is not ""`)
	}
	if got, err := s.Open("okta-acme", ""); err != nil || got != "" {
		t.Fatalf(`Open("") = %q, %v; want "", nil`, got, err)
	}
}

func TestSecretSealerRefuses(t *testing.T) {
	s, _ := NewSecretSealer(key('a'))
	other, _ := NewSecretSealer(key('b'))
	sealed := s.Seal("okta-acme", testSecret)
	flipped := []byte(sealed)
	flipped[len(flipped)-2] ^= 1
	cases := map[string]struct {
		sealer *SecretSealer
		name   string
		value  string
	}{
		"another connection's row": {s, "entra-other", sealed},
		"name prefix":              {s, "okta-acm", sealed},
		"unknown key":              {other, "okta-acme", sealed},
		"altered":                  {s, "okta-acme", string(flipped)},
		"truncated":                {s, "okta-acme", sealed[:len(sealed)-1]},
		"clear text":               {s, "okta-acme", testSecret},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := c.sealer.Open(c.name, c.value)
			if !errors.Is(err, ErrSealedSecret) || got != "" {
				t.Fatalf("Open = %d bytes, %v; want ErrSealedSecret", len(got), err)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func TestSecretSealerRotation(t *testing.T) {
	old, _ := NewSecretSealer(key('a'))
	rotated, err := NewSecretSealer(key('b'), key('a'))
	if err != nil {
		t.Fatal(err)
	}
	before := old.Seal("c", testSecret)
	after := rotated.Seal("c", testSecret)
	if got, err := rotated.Open("c", before); err != nil || got != testSecret {
		t.Fatalf("rotated Open of an old row = %v; want the secret", err)
	}
	if _, err := old.Open("c", after); !errors.Is(err, ErrSealedSecret) {
		t.Fatalf("old sealer opened a new row: %v", err)
	}
	oldID, newID := rotated.KeyID(before), rotated.KeyID(after)
	if len(oldID) != 8 || len(newID) != 8 || oldID == newID || strings.Trim(oldID, "0123456789abcdef") != "" {
		t.Fatalf("KeyID = %q, %q; want two different 8-hex-digit ids", oldID, newID)
	}
	if old.KeyID(before) != oldID {
		t.Fatalf("KeyID depends on the sealer: %q vs %q", old.KeyID(before), oldID)
	}
	if rotated.Current(before) || !rotated.Current(after) || !old.Current(before) || !rotated.Current("") {
		t.Fatal("Current does not tell the current key's rows from the old key's")
	}
	for _, bad := range []string{"", "x", "!!!!!!!!!!!!!!!!!!!!!!!!"} {
		if id := rotated.KeyID(bad); id != "" {
			t.Errorf("KeyID(%q) = %q; want \"\"", bad, id)
		}
		if bad != "" && rotated.Current(bad) {
			t.Errorf("Current(%q) = true", bad)
		}
	}
	resealed, changed, err := rotated.Reseal("c", before)
	if err != nil || !changed || !rotated.Current(resealed) {
		t.Fatalf("Reseal(old row) = changed %v, current %v, %v", changed, rotated.Current(resealed), err)
	}
	if got, _ := rotated.Open("c", resealed); got != testSecret {
		t.Fatal("Reseal lost the secret")
	}
	same, changed, err := rotated.Reseal("c", after)
	if err != nil || changed || same != after {
		t.Fatalf("Reseal(current row) = %v, %v; want it unchanged", changed, err)
	}
	if _, _, err := rotated.Reseal("other", after); !errors.Is(err, ErrSealedSecret) {
		t.Fatalf("Reseal of another connection's row = %v; want ErrSealedSecret", err)
	}
}

func TestNewSecretSealerRejects(t *testing.T) {
	if _, err := NewSecretSealer(); err == nil {
		t.Fatal("NewSecretSealer() with no key succeeded")
	}
	short := rp.Secret("short-key-that-is-not-enough")
	_, err := NewSecretSealer(key('a'), short)
	want := "connection: client secret keys: secret 1 is 28 bytes; it must be at least 32 random bytes"
	if err == nil || err.Error() != want {
		t.Fatalf("NewSecretSealer(good, short) = %v; want %q", err, want)
	}
}
