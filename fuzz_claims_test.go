package rp

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The fuzz targets of the package. Seeds that depend on keys or clocks use
// fixed ones, so that fuzzing workers, which rerun the setup in their own
// process, recognise the inputs the coordinator sends them. Hand-made seeds
// also live in testdata/fuzz/<target>/.

// --- FuzzAuthorizationResponse ---------------------------------------------

// fuzzCookieSecret seals the transaction cookies of the fuzzed RP; fuzzNow
// is its clock.
func fuzzIsObjectDocument(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{'
}

// fuzzCheckJSONValues fails t if v holds anything but the types a decoder
// with UseNumber produces, in particular a number that is not json.Number.
// It walks with an explicit stack: the value may be nested 10,000 deep.
func fuzzCheckJSONValues(t *testing.T, v any) {
	t.Helper()
	stack := []any{v}
	for len(stack) > 0 {
		v, stack = stack[len(stack)-1], stack[:len(stack)-1]
		switch v := v.(type) {
		case nil, bool, string:
		case json.Number:
			s := v.String()
			if s == "" || !json.Valid([]byte(s)) || !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') {
				t.Fatalf("json.Number %q is not a JSON number", s)
			}
		case []any:
			stack = append(stack, v...)
		case map[string]any:
			for _, e := range v {
				stack = append(stack, e)
			}
		default:
			t.Fatalf("claim value of type %T (%v); want nil, bool, string, json.Number, []any or map[string]any", v, v)
		}
	}
}

// fuzzTrue reports whether a claim value may read as true: JSON true, or the
// string "true" in any ASCII case.
func fuzzTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return len(v) == 4 && strings.ToLower(v) == "true"
	}
	return false
}

// fuzzStrings is what Claims.Strings must return for a claim value.
func fuzzStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := []string{}
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// fuzzCheckClaim checks every accessor of c for the claim called name,
// whose value in the merged claims is v (present says whether it exists).
func fuzzCheckClaim(t *testing.T, c *Claims, name string, v any, present bool) {
	t.Helper()
	if got, ok := c.Get(name); ok != present || !reflect.DeepEqual(got, v) {
		t.Fatalf("Get(%q) = %v, %v; want %v, %v", name, got, ok, v, present)
	}
	s, isString := v.(string) // s is "" for other types
	if got, ok := c.String(name); ok != (isString && s != "") || got != s {
		t.Fatalf("String(%q) = %q, %v for %#v", name, got, ok, v)
	}
	if got := c.Bool(name); got != fuzzTrue(v) {
		t.Fatalf("Bool(%q) = %v for %#v; only true and \"true\" (any case) are true", name, got, v)
	}
	got, want := c.Strings(name), fuzzStrings(v)
	if !slices.Equal(got, want) || (got == nil) != (want == nil) {
		t.Fatalf("Strings(%q) = %#v for %#v; want %#v", name, got, v, want)
	}
}

// fuzzClaimFields are the Claims fields newClaims fills, by claim name.
func fuzzClaimFields(c *Claims) map[string]any {
	return map[string]any{
		"iss": c.Issuer, "sub": c.Subject, "aud": c.Audience, "email": c.Email, "email_verified": c.EmailVerified,
		"name": c.Name, "given_name": c.GivenName, "family_name": c.FamilyName, "preferred_username": c.PreferredUsername,
		"phone_number": c.PhoneNumber, "upn": c.UPN, "unique_name": c.UniqueName, "tid": c.TenantID, "groups": c.Groups,
	}
}

// fuzzDeep is a claims object holding a value nested depth arrays deep.
func fuzzDeep(depth int) []byte {
	return []byte(`{"sub":"x","deep":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
}

// FuzzDecodeClaims decodes arbitrary ID token and userinfo claims and reads
// them through newClaims and every accessor, for the fixed claim names and
// a fuzzed one. decodeClaims accepts exactly the inputs that are one JSON
// object and returns a non-nil map of plain JSON values with numbers as
// json.Number; newClaims lets ID token claims win, copies without touching
// its inputs, and fills each typed field as its accessor reads the claim:
// EmailVerified only for true or "true" in any case.
func FuzzDecodeClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"https://idp","sub":"123","aud":["client","other"],"email":"a@example.com","email_verified":true,"groups":["g1",2,null,"g2"],"tid":"t"}`),
		[]byte(`{"sub":"123","email":"b@example.com","email_verified":"false","phone_number":"+1"}`), "phone_number")
	f.Add([]byte(`{"email_verified":"TRUE","groups":"admins"}`), []byte(nil), "email_verified")
	f.Add([]byte(`{"email_verified":"tRuE "}`), []byte(`{"email_verified":true}`), "email_verified")
	f.Add([]byte(`{"email_verified":"yes","x":1}`), []byte(`{"email_verified":1}`), "x")
	f.Add([]byte(`{"email_verified":"truе"}`), []byte(nil), "email_verified") // Cyrillic e
	f.Add([]byte(`{"big":1e400,"neg":-0.0,"int":123456789012345678901234567890,"frac":0.1e-999}`), []byte(`{}`), "big")
	f.Add([]byte(`{"sub":null,"iss":null,"aud":null,"groups":null}`), []byte(`null`), "sub")
	f.Add([]byte(`{"sub":"a","sub":"b","email":"x","email":7}`), []byte(`{"sub":"c","sub":"d"}`), "sub")
	f.Add([]byte(`{"":"empty name","\u0000":"nul","a\ud800b":"lone surrogate","\xff":"bad utf-8"}`), []byte(nil), "")
	f.Add([]byte(`{"nested":{"a":{"b":[{"c":[1,2,{"d":null}]}]}},"aud":"client"}`), []byte(nil), "nested")
	f.Add([]byte(` {"a":1} `), []byte("\t{}\n"), "a")
	f.Add(fuzzDeep(9_990), []byte(nil), "deep")
	f.Add(fuzzDeep(10_000), []byte(nil), "deep")
	f.Add([]byte(`{"s":"`+strings.Repeat("x", 20_000)+`"}`), []byte(nil), "s")
	f.Add([]byte(``), []byte(`[]`), "sub")
	f.Add([]byte(`"x"`), []byte(`1`), "sub")
	f.Add([]byte(`{"a":1} {"b":2}`), []byte(`{"a":`), "a")

	f.Fuzz(func(t *testing.T, idToken, userinfo []byte, name string) {
		decode := func(data []byte) map[string]any {
			m, err := decodeClaims(data)
			if want := fuzzIsObjectDocument(data); (err == nil) != want {
				t.Fatalf("decodeClaims(%q) = %v, %v; the input is one JSON object: %v", data, m, err, want)
			}
			if err != nil {
				if m != nil {
					t.Fatalf("decodeClaims(%q) = %v with error %v", data, m, err)
				}
				return nil
			}
			if m == nil {
				t.Fatalf("decodeClaims(%q) returned a nil map", data)
			}
			fuzzCheckJSONValues(t, m)
			return m
		}
		id, ui := decode(idToken), decode(userinfo)
		idLen, uiLen := len(id), len(ui)

		for _, pair := range [][2]map[string]any{{id, ui}, {id, nil}, {nil, ui}, {ui, id}} {
			c := newClaims(pair[0], pair[1])
			if c.Raw == nil {
				t.Fatal("newClaims returned nil Raw")
			}
			merged := map[string]any{}
			for k, v := range pair[1] {
				merged[k] = v
			}
			for k, v := range pair[0] {
				merged[k] = v // the ID token wins
			}
			if len(c.Raw) != len(merged) {
				t.Fatalf("Raw has %d claims; want %d", len(c.Raw), len(merged))
			}
			for k, v := range merged {
				fuzzCheckClaim(t, c, k, v, true)
			}
			v, ok := merged[name]
			fuzzCheckClaim(t, c, name, v, ok)
			for claim, field := range fuzzClaimFields(c) {
				var want any
				switch field.(type) {
				case string:
					want, _ = c.String(claim)
				case bool:
					want = c.Bool(claim)
				case []string:
					want = c.Strings(claim)
				}
				if !reflect.DeepEqual(field, want) {
					t.Fatalf("field for %q is %#v; its accessor says %#v", claim, field, want)
				}
			}
			if c.EmailVerified && !fuzzTrue(merged["email_verified"]) {
				t.Fatalf("EmailVerified for email_verified %#v", merged["email_verified"])
			}
		}
		if len(id) != idLen || len(ui) != uiLen {
			t.Fatal("newClaims changed its inputs")
		}
	})
}

// --- FuzzSafeReturnTo ----------------------------------------------------------

// fuzzBrowserPath is how a browser reads an absolute path: tabs and newlines
// dropped, '\\' as '/' (for http and https), and dot segments removed
// (WHATWG URL, path state), where "%2e" counts as a dot when pctDots is set:
// a browser reads the location it is sent that way, but not the path it
// made of it.
