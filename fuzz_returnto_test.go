package rp

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// The fuzz targets of the package. Seeds that depend on keys or clocks use
// fixed ones, so that fuzzing workers, which rerun the setup in their own
// process, recognise the inputs the coordinator sends them. Hand-made seeds
// also live in testdata/fuzz/<target>/.

// --- FuzzAuthorizationResponse ---------------------------------------------

// fuzzCookieSecret seals the transaction cookies of the fuzzed RP; fuzzNow
// is its clock.
func fuzzBrowserPath(p string, pctDots bool) string {
	p = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(p)
	segs := strings.Split(p, "/")[1:]
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		if pctDots {
			s = strings.ReplaceAll(strings.ReplaceAll(s, "%2e", "."), "%2E", ".")
		}
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// fuzzCheckReturnTo fails t unless out, which safeReturnTo accepted for
// base, is a path with optional query that stays on base's origin: as it
// is, as a browser reads it, and with its path percent-decoded once (as
// some frameworks and proxies do before redirecting).
func fuzzCheckReturnTo(t *testing.T, base *url.URL, raw, out string) {
	t.Helper()
	fail := func(why string) { t.Fatalf("safeReturnTo(%q) against %s = %q: %s", raw, base, out, why) }
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
		fail("not a path on this host")
	}
	for _, r := range out {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) {
			fail("contains a control character")
		}
	}
	u, err := url.Parse(out)
	if err != nil {
		fail("does not parse: " + err.Error())
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		fail("is more than a path and query")
	}
	if res := base.ResolveReference(u); res.Scheme != base.Scheme || res.Host != base.Host {
		fail("resolves to " + res.String())
	}
	path, _, _ := strings.Cut(out, "?")
	decoded, err := url.PathUnescape(path)
	if err != nil {
		fail("its path does not decode: " + err.Error())
	}
	for _, p := range []struct {
		what, path string
		pctDots    bool
	}{{"as is", path, true}, {"decoded once", decoded, false}} {
		if b := fuzzBrowserPath(p.path, p.pctDots); strings.HasPrefix(b, "//") {
			fail(p.what + ", a browser makes the path " + b + ", a network path")
		}
		if res := base.ResolveReference(&url.URL{Path: p.path}); strings.HasPrefix(res.Path, "//") {
			fail(p.what + ", dot segments collapse it into " + res.Path)
		}
	}
	// Escaping can take out past the 2048-byte limit on input.
	if again, ok := safeReturnTo(out, base); (!ok || again != out) && len(out) <= 2048 {
		fail("not stable: safeReturnTo of it is " + again)
	}
}

// FuzzSafeReturnTo feeds arbitrary return-to locations to safeReturnTo for
// an https and a loopback http redirect URL. An accepted location is a
// same-origin path without control characters (see fuzzCheckReturnTo); a
// refused one comes with "".
func FuzzSafeReturnTo(f *testing.F) {
	bases := []*url.URL{}
	for _, b := range []string{"https://app.example.com/callback", "http://127.0.0.1:8080/auth/callback/oidc"} {
		u, err := url.Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		bases = append(bases, u)
	}
	for _, s := range []string{
		"", "/", "/reports?id=7&x=%2F", "/a/../b", "/a/./b/", "https://app.example.com/x?y=1", "https://APP.example.com:443/x",
		"http://127.0.0.1:8080/x", "https://evil.example/", "//evil.example/", "///evil.example", "/\\evil.example",
		"/.//evil.example", "/..//evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example",
		"/a%2Fb", "/a%252F/b", "/%zz", "javascript:alert(1)", "https://user@app.example.com/", "/x#frag",
		"/é/ü?q=ß", "/%2E//evil.example", "/a/%2e%2e//evil.example", "/%09/evil.example", "/x?\u0085", "/x?a=%0D%0A", "?q=1", "/%", "https:/x", "https:app.example.com/x", "/a/b/../../..//evil.example",
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, raw string) {
		for _, base := range bases {
			out, ok := safeReturnTo(raw, base)
			if !ok {
				if out != "" {
					t.Fatalf("safeReturnTo(%q) refused with %q", raw, out)
				}
				continue
			}
			fuzzCheckReturnTo(t, base, raw, out)
		}
	})
}

// --- FuzzDiscoveryDocument -------------------------------------------------

// fuzzAuthority is the authority of FuzzDiscoveryDocument. Requests for any
// host go to the fuzz test's one server, so the seeds need no port number.
