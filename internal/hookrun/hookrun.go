// Package hookrun calls the application's hooks for packages rp and
// rp/web: a hook's panic becomes a value the caller turns into a failed
// step, never a crashed server.
package hookrun

import (
	"fmt"
	"strings"
	"unicode"
)

// Call calls fn and returns its error, or, when fn panics, panicked true
// and the panic's value.
func Call(fn func() error) (panicked bool, value any, err error) {
	defer func() {
		if v := recover(); v != nil {
			panicked, value, err = true, v, nil
		}
	}()
	return false, nil, fn()
}

// maxDescription bounds Describe's text.
const maxDescription = 200

// Describe returns a panic's value as text for a log line: its type and
// message, without control characters, cut to 200 bytes.
func Describe(v any) string {
	s := fmt.Sprintf("%T: %v", v, v)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if len(s) > maxDescription {
		cut := maxDescription
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
