package rp

import (
	"net/url"
	"testing"
)

func TestSafeReturnTo(t *testing.T) {
	base, _ := url.Parse("https://app.example.com/callback")
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "/", true},
		{"/", "/", true},
		{"/reports?id=7", "/reports?id=7", true},
		{"/a/../b", "/b", true},
		{"https://app.example.com/x?y=1", "/x?y=1", true},
		{"https://APP.example.com/x", "/x", true},
		{"https://evil.example/", "", false},
		{"http://app.example.com/x", "", false}, // another origin: scheme differs
		{"https://app.example.com:8443/x", "", false},
		{"//evil.example/", "", false},
		{"///evil.example/", "", false},
		{"/\\evil.example", "", false},
		{"\\\\evil.example", "", false},
		{"/.//evil.example", "", false},
		{"/..//evil.example", "/evil.example", true}, // a path on this site
		{"relative/path", "", false},
		{"javascript:alert(1)", "", false},
		{"data:text/html,x", "", false},
		{"https://user@app.example.com/", "", false},
		{"/x\r\nSet-Cookie: a=b", "", false},
		{"/x\ty", "", false},
		{"mailto:a@example.com", "", false},
		{"/%2F/evil.example", "", false},
		{"/%2f%2fevil.example", "", false},
		{"/%5Cevil.example", "", false},
		{"/a%2Fb", "/a%2Fb", true},
	} {
		got, ok := safeReturnTo(tc.in, base)
		if ok != tc.ok || got != tc.want {
			t.Errorf("safeReturnTo(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
