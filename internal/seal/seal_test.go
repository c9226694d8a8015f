package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealOpenRoundTrip(t *testing.T) {
	s, err := New("test", secret(1))
	if err != nil {
		t.Fatal(err)
	}
	v := s.Seal([]byte("hello"), []byte("name"))
	got, err := s.Open(v, []byte("name"))
	if err != nil || string(got) != "hello" {
		t.Fatalf("Open = %q, %v; want hello", got, err)
	}
	if strings.Contains(v, "hello") {
		t.Fatal("sealed value contains the plaintext")
	}
	if v2 := s.Seal([]byte("hello"), []byte("name")); v2 == v {
		t.Fatal("two seals of the same value are identical; nonce not random")
	}
}

func TestOpenRejects(t *testing.T) {
	s, _ := New("test", secret(1))
	other, _ := New("test", secret(2))
	otherPurpose, _ := New("other", secret(1))
	v := s.Seal([]byte("hello"), []byte("name"))
	flipped := []byte(v)
	flipped[len(flipped)-3] ^= 1
	cases := map[string]struct {
		sealer *Sealer
		value  string
		aad    string
	}{
		"wrong aad":     {s, v, "other"},
		"foreign key":   {other, v, "name"},
		"other purpose": {otherPurpose, v, "name"},
		"tampered":      {s, string(flipped), "name"},
		"truncated":     {s, v[:len(v)-4], "name"},
		"too short":     {s, v[:10], "name"},
		"empty":         {s, "", "name"},
		"not base64":    {s, "!!!!" + v, "name"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := c.sealer.Open(c.value, []byte(c.aad))
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	old, _ := New("test", secret(1))
	v := old.Seal([]byte("x"), nil)
	rotated, err := New("test", secret(2), secret(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(v, nil); err != nil || string(got) != "x" {
		t.Fatalf("rotated Open of old value = %q, %v", got, err)
	}
	nv := rotated.Seal([]byte("y"), nil)
	if _, err := old.Open(nv, nil); !errors.Is(err, ErrOpen) {
		t.Fatalf("old sealer opened a value sealed with the new key: %v", err)
	}
}

func TestNewRejectsShortSecret(t *testing.T) {
	if _, err := New("test", []byte("short")); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("New(short) = %v; want an error naming the minimum", err)
	}
	if _, err := New("test"); err == nil {
		t.Fatal("New() with no secret succeeded")
	}
}

func TestKeyID(t *testing.T) {
	old, _ := New("test", secret(1))
	rotated, _ := New("test", secret(2), secret(1))
	v := old.Seal([]byte("x"), nil)
	nv := rotated.Seal([]byte("y"), nil)
	oldID, ok := rotated.KeyID(v)
	if !ok || oldID != old.SealingKeyID() {
		t.Fatalf("KeyID(old value) = %x, %v; want %x, true", oldID, ok, old.SealingKeyID())
	}
	newID, ok := rotated.KeyID(nv)
	if !ok || newID != rotated.SealingKeyID() {
		t.Fatalf("KeyID(new value) = %x, %v; want %x, true", newID, ok, rotated.SealingKeyID())
	}
	if oldID == newID {
		t.Fatal("two keys have the same id")
	}
	for _, bad := range []string{"", "abc", v[:10], "!!!!" + v, v + "\n"} {
		if id, ok := rotated.KeyID(bad); ok {
			t.Errorf("KeyID(%q) = %x, true; want false", bad, id)
		}
	}
}
