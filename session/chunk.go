package session

import (
	"strconv"
	"strings"
)

// A sealed value is split over cookies as follows. The base cookie, named
// CookieName(), holds "<n>.<piece 0>", where n is the number of pieces
// written in canonical decimal (1 to maxChunks, no sign or leading zero).
// Pieces 1 to n-1 are the values of the cookies CookieName()+".1" to
// CookieName()+".<n-1>". Every piece but the last is exactly chunkLen
// bytes; the last is 1 to chunkLen bytes. Sealed values are base64url, so
// the first '.' of the base cookie ends the count.
const (
	// maxCookieValue bounds the length of every cookie value written,
	// well below the 4096 bytes browsers allow for name and value.
	maxCookieValue = 3800
	// chunkLen is the length of a full piece, leaving room in the base
	// cookie for a count of up to three digits and its '.'.
	chunkLen = maxCookieValue - 4
	// maxChunkIndex is the largest chunk index recognised in a cookie
	// name when deleting chunks, whatever the current MaxSize allows.
	maxChunkIndex = 999
)

// split returns the cookie values holding sealed: values[0] for the base
// cookie and values[i] for chunk i.
func split(sealed string) []string {
	n := (len(sealed) + chunkLen - 1) / chunkLen
	if n == 0 {
		n = 1
	}
	values := make([]string, n)
	for i := range values {
		values[i] = sealed[i*chunkLen : min((i+1)*chunkLen, len(sealed))]
	}
	values[0] = strconv.Itoa(n) + "." + values[0]
	return values
}

// totalLen returns the summed length of values.
func totalLen(values []string) int {
	total := 0
	for _, v := range values {
		total += len(v)
	}
	return total
}

// parseBase splits a base cookie value into its count, which must be 1 to
// maxChunks, and its first piece.
func parseBase(v string, maxChunks int) (n int, first string, ok bool) {
	dot := strings.IndexByte(v, '.')
	if dot < 1 {
		return 0, "", false
	}
	n, ok = parseIndex(v[:dot])
	if !ok || n < 1 || n > maxChunks {
		return 0, "", false
	}
	return n, v[dot+1:], true
}

// parseIndex parses a canonical decimal of 1 to 3 digits: no sign, no
// leading zero (except "0" itself).
func parseIndex(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// chunkName returns the name of chunk i (i >= 1) of the cookie named base.
func chunkName(base string, i int) string {
	return base + "." + strconv.Itoa(i)
}

// chunkIndex returns i when name is chunkName(base, i) for some i in
// 1..maxChunkIndex.
func chunkIndex(name, base string) (int, bool) {
	if len(name) <= len(base)+1 || name[:len(base)] != base || name[len(base)] != '.' {
		return 0, false
	}
	i, ok := parseIndex(name[len(base)+1:])
	if !ok || i < 1 || i > maxChunkIndex {
		return 0, false
	}
	return i, true
}

// join checks the pieces read from cookies against the format written by
// split and returns the sealed value they hold. A missing, empty or
// wrongly sized piece, or a total over maxSize, fails.
func join(pieces []string, prefixLen, maxSize int) (string, bool) {
	total := prefixLen
	for i, p := range pieces {
		last := i == len(pieces)-1
		if p == "" || len(p) > chunkLen || (!last && len(p) != chunkLen) {
			return "", false
		}
		total += len(p)
	}
	if total > maxSize || !canonical(pieces[len(pieces)-1]) {
		return "", false
	}
	if len(pieces) == 1 {
		return pieces[0], true
	}
	return strings.Join(pieces, ""), true
}

// canonical reports whether the unpadded base64url value ending in tail
// has the length and the zero unused bits of the last character that an
// encoder writes. Decoders ignore those bits, so without this check a
// value could be altered in its last character and still open.
func canonical(tail string) bool {
	// Pieces before the last are chunkLen long, a multiple of 4, so
	// the length of tail modulo 4 is that of the whole value.
	last := b64Value(tail[len(tail)-1])
	switch len(tail) % 4 {
	case 1:
		return false
	case 2:
		return last&0x0f == 0
	case 3:
		return last&0x03 == 0
	}
	return true
}

// b64Value returns the 6-bit value of a base64url character, or 0xff.
func b64Value(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26
	case '0' <= c && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return 0xff
}
