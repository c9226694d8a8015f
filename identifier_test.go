package rp

import "testing"

func TestNormalizeIdentifier(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Sam@Example.COM", "sam@example.com"},
		{"sam", "sam"},
		{" sam", " sam"},                             // no trimming
		{"jos\u00e9", "jos\u00e9"},                   // NFC stays
		{"jose\u0301", "jos\u00e9"},                  // NFD composes
		{"JOSE\u0301", "jos\u00e9"},                  // ASCII folded before composing
		{"JOS\u00c9", "jos\u00c9"},                   // non-ASCII capitals keep their case
		{"\u017fam", "\u017fam"},                     // long s is not s
		{"\uff53\uff41\uff4d", "\uff53\uff41\uff4d"}, // fullwidth is not ASCII
		{"\u0130", "\u0130"},                         // Turkish dotted capital I
		{"\u0131", "\u0131"},                         // Turkish dotless i
		{"J\u030c", "\u01f0"},                        // composes only once lower-cased
		{"\u212aelvin", ""},                          // Kelvin sign: NFC would make it K
		{"a\u037eb", ""},                             // Greek question mark: NFC would make it ;
		{"\u1fef", ""},                               // Greek varia: NFC would make it `
		{"", ""},
		{"sam\xff", ""},      // invalid UTF-8
		{"\xed\xa0\x80", ""}, // a surrogate
	} {
		if got := NormalizeIdentifier(tc.in); got != tc.want {
			t.Errorf("NormalizeIdentifier(%+q) = %+q; want %+q", tc.in, got, tc.want)
		}
	}
}

func TestSameIdentifier(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"SAM", "sam", true},
		{"Sam@Example.com", "sam@EXAMPLE.COM", true},
		{"\u00e9", "e\u0301", true},
		{"j\u030c", "J\u030c", true},
		{"\u017fam", "sam", false},
		{"\u017fam", "Sam", false},
		{"\u017fam@example.com", "sam@example.com", false},
		{"\u212aelvin", "kelvin", false},
		{"\u212aelvin", "Kelvin", false},
		{"\u212aelvin", "\u212aelvin", false}, // unusable: never matches
		{"\uff53\uff41\uff4d", "sam", false},
		{"\u0130", "i", false},
		{"\u0130", "I", false},
		{"\u0131", "i", false},
		{"\u0131", "I", false},
		{"\u00c9", "\u00e9", false}, // only ASCII letters fold
		{"sam ", "sam", false},
		{"", "", false},
		{"sam\xff", "sam\xff", false},
		{"sam\xff", "sam\ufffd", false},
	} {
		if got := SameIdentifier(tc.a, tc.b); got != tc.want {
			t.Errorf("SameIdentifier(%+q, %+q) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
		if got := SameIdentifier(tc.b, tc.a); got != tc.want {
			t.Errorf("SameIdentifier(%+q, %+q) = %v; want %v", tc.b, tc.a, got, tc.want)
		}
	}
}
