package rp

import (
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzNormalizeIdentifier: the normal form is stable (a store may
// normalise a value it already normalised), is valid NFC without ASCII
// capitals, and SameIdentifier is equality of non-empty normal forms.
func FuzzNormalizeIdentifier(f *testing.F) {
	for _, s := range []string{"Sam", "\u017fam", "\u212aelvin", "jose\u0301", "J\u030c", "\uff53", "\u0130", "a\xff", "", "\u0958", "E\u0323\u0301", "\u1e9e"} {
		f.Add(s, "sam")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na := NormalizeIdentifier(a)
		if na == "" {
			if SameIdentifier(a, a) {
				t.Fatalf("unusable %+q matches itself", a)
			}
			return
		}
		if !utf8.ValidString(na) || !norm.NFC.IsNormalString(na) {
			t.Fatalf("NormalizeIdentifier(%+q) = %+q is not valid NFC", a, na)
		}
		for i := 0; i < len(na); i++ {
			if 'A' <= na[i] && na[i] <= 'Z' {
				t.Fatalf("NormalizeIdentifier(%+q) = %+q has an ASCII capital", a, na)
			}
		}
		if again := NormalizeIdentifier(na); again != na {
			t.Fatalf("NormalizeIdentifier is not stable on %+q: %+q then %+q", a, na, again)
		}
		if got, want := SameIdentifier(a, b), na == NormalizeIdentifier(b); got != want {
			t.Fatalf("SameIdentifier(%+q, %+q) = %v; want %v", a, b, got, want)
		}
	})
}
