package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// fuzzPurpose and the two secrets below are fixed, so the sealed values in
// fuzzSealed open in every process: fuzzing workers rerun FuzzSealOpen's
// setup and must recognise the seeds the coordinator sends them.
const fuzzPurpose = "fuzz seal v1"

// fuzzSealed are values that Seal produced (once, offline) under
// secret(0x5a) or, where old is set, under secret(0x3c). They are the only
// strings any sealer of the fuzz test may ever open, apart from the ones the
// fuzz function seals itself.
var fuzzSealed = []struct {
	value, plain, aad string
	old               bool
}{
	{"-uRdvzLlT63z1sksYh8F_cptH6QalON3Vo0R8b89SsQ", "", "", false},
	{"-uRdvzvtxLuaxao6PR5R5JXEgpCSDWgKyZqWUqk37AgIhWMe4g", "hello", "rp_tx_abc", false},
	{"-uRdv4GbghezXiYtjIzBK_UYRAU39sougFN0u5STvrQrHnRW2E60uI2tpkc9ZXR65mO_Rd6eaTt6-UDmcZp9xo7wkDG-BoQG",
		`{"s":"state","n":"nonce","e":1700000000}`, "__Host-rp_tx_x", false},
	{"-uRdvwvGghQvL4CcHGaCjnzWhoScXzDrPzPq0jfT3lZrjTdu8uQc4as", "\x00\xff binary", "", false},
	{"ws0c0P-9MtoYKH6bjXPuYnyi2BDBOQGNKKTBC4UOxMrfIg-IzeJ4Eft5BVQq2BbvY7-VUY5iqoY", "sealed under the old key", "session", true},
}

func mustSealer(tb testing.TB, purpose string, secrets ...[]byte) *Sealer {
	tb.Helper()
	s, err := New(purpose, secrets...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// checkOpen fails t unless Open's answer is one the sealer may give: ErrOpen,
// or the plaintext of a value in fuzzSealed that sealer holds the key of,
// opened with the aad it was sealed with.
func checkOpen(t *testing.T, who string, s *Sealer, opensNew, opensOld bool, sealed, aad string) {
	t.Helper()
	plain, err := s.Open(sealed, []byte(aad))
	if err != nil {
		if err != ErrOpen || plain != nil {
			t.Fatalf("%s: Open(%q, %q) = %q, %v; want nil, ErrOpen", who, sealed, aad, plain, err)
		}
		return
	}
	for _, v := range fuzzSealed {
		if v.value == sealed && v.aad == aad && ((v.old && opensOld) || (!v.old && opensNew)) {
			if string(plain) != v.plain {
				t.Fatalf("%s: Open(%q, %q) = %q; it was sealed from %q", who, sealed, aad, plain, v.plain)
			}
			return
		}
	}
	t.Fatalf("%s: Open(%q, %q) = %q, nil for a value Seal never produced (with that aad and a key of this sealer)", who, sealed, aad, plain)
}

// FuzzSealOpen feeds arbitrary strings to Open under several key lists:
// Open never panics, fails only with ErrOpen, and opens nothing but the
// exact values Seal produced, with their aad. Each input also seals its
// fuzzed plaintext under its fuzzed aad and checks the round trip, key
// rotation, and that the aad, the purpose and the key all bind.
func FuzzSealOpen(f *testing.F) {
	cur := mustSealer(f, fuzzPurpose, secret(0x5a))
	rotated := mustSealer(f, fuzzPurpose, secret(0x5a), secret(0x3c))  // seals with the new key, opens both
	oldOnly := mustSealer(f, fuzzPurpose, secret(0x3c))                // before the rotation
	reversed := mustSealer(f, fuzzPurpose, secret(0x3c), secret(0x5a)) // rolled back
	otherPurpose := mustSealer(f, fuzzPurpose+" other", secret(0x5a))  // same secret, another use
	for _, v := range fuzzSealed {
		s := cur
		if v.old {
			s = oldOnly
		}
		if got, err := s.Open(v.value, []byte(v.aad)); err != nil || string(got) != v.plain {
			f.Fatalf("seed %q does not open to %q: %q, %v (did key derivation change?)", v.value, v.plain, got, err)
		}
		f.Add(v.value, v.aad, []byte(v.plain))
		f.Add(v.value, v.aad+"x", []byte(nil))                             // wrong aad
		f.Add(v.value[:len(v.value)-1], v.aad, []byte("truncated"))        // one character short
		f.Add(v.value+"A", v.aad, []byte("extended"))                      // one character long
		f.Add(v.value[:20]+"\n"+v.value[20:], v.aad, []byte("line break")) // a character the decoder skips
		f.Add(strings.NewReplacer("-", "+", "_", "/").Replace(v.value), v.aad, []byte("std alphabet"))
		f.Add(v.value+"==", v.aad, []byte("padded"))
	}
	f.Add("", "", []byte(""))
	f.Add("AAAA", "", []byte("x"))
	f.Add(strings.Repeat("A", 22), "aad", []byte(strings.Repeat("\x00", 64)))
	f.Add(strings.Repeat("_", 43), "rp_tx_abc", []byte("hello"))
	f.Add("-uRdv!!!", "\x00", []byte{0xff, 0xfe})

	f.Fuzz(func(t *testing.T, sealed, aad string, x []byte) {
		checkOpen(t, "current key", cur, true, false, sealed, aad)
		checkOpen(t, "rotated keys", rotated, true, true, sealed, aad)
		checkOpen(t, "old key", oldOnly, false, true, sealed, aad)
		checkOpen(t, "reversed keys", reversed, true, true, sealed, aad)
		checkOpen(t, "other purpose", otherPurpose, false, false, sealed, aad)

		// Round trip of the fuzzed plaintext under the fuzzed aad.
		v := cur.Seal(x, []byte(aad))
		if want := base64.RawURLEncoding.EncodedLen(idLen + nonceLen + len(x) + 16); len(v) != want {
			t.Fatalf("Seal(%q) is %d characters; want %d", x, len(v), want)
		}
		if i := strings.IndexFunc(v, func(r rune) bool {
			return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
		}); i >= 0 {
			t.Fatalf("Seal = %q: %q is not URL- and cookie-safe", v, v[i])
		}
		for _, s := range []*Sealer{cur, rotated, reversed} {
			got, err := s.Open(v, []byte(aad))
			if err != nil || !bytes.Equal(got, x) {
				t.Fatalf("Open(Seal(%q, %q)) = %q, %v", x, aad, got, err)
			}
		}
		for who, s := range map[string]*Sealer{"old key": oldOnly, "other purpose": otherPurpose} {
			if got, err := s.Open(v, []byte(aad)); !errors.Is(err, ErrOpen) {
				t.Fatalf("%s opened a value sealed under another key: %q, %v", who, got, err)
			}
		}
		if got, err := cur.Open(v, append([]byte(aad), 0)); !errors.Is(err, ErrOpen) {
			t.Fatalf("a value sealed for aad %q opened with another aad: %q, %v", aad, got, err)
		}
		if v2 := cur.Seal(x, []byte(aad)); v2 == v {
			t.Fatalf("two seals of %q are identical; the nonce is not random", x)
		}
	})
}

// TestOpenRejectsLineBreaks: the base64 decoder skips '\r' and '\n', so Open
// used to open a sealed value with line breaks inserted anywhere, a string
// Seal never produced. Found by FuzzSealOpen.
func TestOpenRejectsLineBreaks(t *testing.T) {
	s := mustSealer(t, fuzzPurpose, secret(0x5a))
	v := s.Seal([]byte("hello"), []byte("rp_tx_abc"))
	for _, bad := range []string{
		v[:20] + "\n" + v[20:],
		v[:20] + "\r\n" + v[20:],
		"\n" + v,
		v + "\r",
		strings.Join(strings.Split(v, ""), "\n"),
	} {
		if got, err := s.Open(bad, []byte("rp_tx_abc")); err != ErrOpen {
			t.Errorf("Open(%q) = %q, %v; want ErrOpen", bad, got, err)
		}
	}
	if got, err := s.Open(v, []byte("rp_tx_abc")); err != nil || string(got) != "hello" {
		t.Fatalf("Open(Seal) = %q, %v", got, err)
	}
}
