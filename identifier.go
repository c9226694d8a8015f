package rp

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormalizeIdentifier returns the form in which the library compares
// usernames and email addresses: s in Unicode normalization form C, with the
// ASCII letters A to Z lower-cased and every other character kept as it is.
// Two identifiers are the same when their normal forms are equal and not
// empty (see SameIdentifier).
//
// Only ASCII letters are case-folded, on purpose: full Unicode case folding
// (strings.EqualFold, SQL's case-insensitive collations) maps U+017F LATIN
// SMALL LETTER LONG S to "s" and U+212A KELVIN SIGN to "k", so a provider
// account named "ſam" would link to the local "sam". NFC makes the composed
// and decomposed spellings of one character ("é" and "e" + U+0301) equal;
// compatibility forms stay distinct (fullwidth "ｓ" is not "s"), and so do
// the Turkish "İ" and "ı" ("i" and "I" only fold into each other). Nothing
// is trimmed.
//
// NormalizeIdentifier returns "" for an identifier that must never match
// anything: the empty string, invalid UTF-8, a string with a character that
// NFC would turn into an ASCII one (U+212A KELVIN SIGN, U+037E GREEK
// QUESTION MARK, U+1FEF GREEK VARIA), and any other string whose normal form
// would not be stable under a second normalisation.
//
// A UserStore backed by a database should store NormalizeIdentifier of each
// username and email in a column with a unique index, NULL when it is "",
// and look identifiers up by that column with NormalizeIdentifier of the
// value asked for, never asking for "". The result is stable:
// NormalizeIdentifier(NormalizeIdentifier(s)) == NormalizeIdentifier(s).
func NormalizeIdentifier(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r >= utf8.RuneSelf && hasASCII(norm.NFC.String(string(r))) {
			return ""
		}
	}
	n := norm.NFC.String(lowerASCII(s))
	if norm.NFC.String(lowerASCII(n)) != n {
		return ""
	}
	return n
}

// SameIdentifier reports whether a and b name the same user or address: true
// when NormalizeIdentifier of both is equal and not empty. An empty or
// unusable identifier (see NormalizeIdentifier) never matches, not even
// itself.
func SameIdentifier(a, b string) bool {
	na := NormalizeIdentifier(a)
	return na != "" && na == NormalizeIdentifier(b)
}

// lowerASCII maps A to Z to a to z and leaves every other byte alone.
func lowerASCII(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for j := i; j < len(b); j++ {
		if 'A' <= b[j] && b[j] <= 'Z' {
			b[j] += 'a' - 'A'
		}
	}
	return string(b)
}

func hasASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < utf8.RuneSelf {
			return true
		}
	}
	return false
}
