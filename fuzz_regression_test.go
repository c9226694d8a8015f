package rp

import (
	"net/url"
	"testing"
)

// The fuzz targets of the package. Seeds that depend on keys or clocks use
// fixed ones, so that fuzzing workers, which rerun the setup in their own
// process, recognise the inputs the coordinator sends them. Hand-made seeds
// also live in testdata/fuzz/<target>/.

// --- FuzzAuthorizationResponse ---------------------------------------------

// fuzzCookieSecret seals the transaction cookies of the fuzzed RP; fuzzNow
// is its clock.
func TestDecodeClaimsRejectsStrayClosers(t *testing.T) {
	for _, s := range []string{`{}}`, `{"sub":"a"}]`, `{"sub":"a"} }`, "{}\n]\n", `{}]}`} {
		if m, err := decodeClaims([]byte(s)); err == nil {
			t.Errorf("decodeClaims(%q) = %v; want an error", s, m)
		}
	}
	for _, s := range []string{`{}`, " {\"sub\":\"a\"}\r\n\t "} {
		if _, err := decodeClaims([]byte(s)); err != nil {
			t.Errorf("decodeClaims(%q): %v", s, err)
		}
	}
}

// TestSafeReturnToEncodedDotsAndControls: safeReturnTo refuses "/.//host",
// which dot-segment removal turns into the network path "//host", and
// "/%2F/host", which becomes one once decoded. It used to accept the same
// tricks spelled with "%2e" (which browsers read as a dot segment) or with
// an encoded tab or newline (which browsers drop once the path is decoded),
// and passed C1 control characters through in the query. Found by
// FuzzSafeReturnTo.
func TestSafeReturnToEncodedDotsAndControls(t *testing.T) {
	base, _ := url.Parse("https://app.example.com/callback")
	for _, raw := range []string{
		"/%2E//evil.example", "/%2e//evil.example", "/%2e%2e//evil.example", "/a/%2E%2e//evil.example",
		"/.%2e//evil.example", "/%2e./evil.example", "https://app.example.com/%2e//evil.example",
		"/%09/evil.example", "/%0A/evil.example", "/%0d%0a/evil.example", "/a%00b",
		"/x?\u0085", "/x?a=\u009b", "/\u0080",
	} {
		if out, ok := safeReturnTo(raw, base); ok {
			t.Errorf("safeReturnTo(%q) = %q; want it refused", raw, out)
		}
	}
	for raw, want := range map[string]string{
		"/a.b/c..d/.e/..f": "/a.b/c..d/.e/..f",
		"/%2e%2e.x/y":      "/%2e%2e.x/y",
		"/x?q=%0A%C2%85":   "/x?q=%0A%C2%85",
		"/é?q=ü":           "/%C3%A9?q=ü",
	} {
		if out, ok := safeReturnTo(raw, base); !ok || out != want {
			t.Errorf("safeReturnTo(%q) = %q, %v; want %q", raw, out, ok, want)
		}
	}
}
