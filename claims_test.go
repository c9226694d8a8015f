package rp

import (
	"encoding/json"
	"slices"
	"testing"
)

func mustDecode(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := decodeClaims([]byte(s))
	if err != nil {
		t.Fatalf("decodeClaims(%s): %v", s, err)
	}
	return m
}

func TestClaimsTypedFields(t *testing.T) {
	c := newClaims(mustDecode(t, `{
		"iss":"https://idp","sub":"123","aud":"client","email":"a@example.com","email_verified":"TRUE",
		"name":"A","given_name":"Ann","family_name":"Example","preferred_username":"ann",
		"phone_number":"+1 555","upn":"ann@corp","unique_name":"CORP\\ann","tid":"t-1","groups":"admins",
		"big":12345678901234567890}`), nil)
	want := Claims{Issuer: "https://idp", Subject: "123", Audience: []string{"client"}, Email: "a@example.com",
		EmailVerified: true, Name: "A", GivenName: "Ann", FamilyName: "Example", PreferredUsername: "ann",
		PhoneNumber: "+1 555", UPN: "ann@corp", UniqueName: `CORP\ann`, TenantID: "t-1", Groups: []string{"admins"}}
	got := *c
	got.Raw = nil
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("claims\n got %s\nwant %s", gj, wj)
	}
	if n, _ := c.Get("big"); n.(json.Number).String() != "12345678901234567890" {
		t.Errorf("big number lost precision: %v", n)
	}
}

func TestClaimsLenientTypes(t *testing.T) {
	for _, tc := range []struct {
		json     string
		verified bool
		groups   []string
	}{
		{`{"email_verified":true,"groups":["a","b"]}`, true, []string{"a", "b"}},
		{`{"email_verified":"true","groups":"a"}`, true, []string{"a"}},
		{`{"email_verified":false,"groups":[]}`, false, []string{}},
		{`{"email_verified":"false","groups":null}`, false, nil},
		{`{"email_verified":"yes","groups":[1,"x",null]}`, false, []string{"x"}},
		{`{"email_verified":1,"groups":{"a":1}}`, false, nil},
		{`{}`, false, nil},
	} {
		c := newClaims(mustDecode(t, tc.json), nil)
		if c.EmailVerified != tc.verified || !slices.Equal(c.Groups, tc.groups) {
			t.Errorf("%s: verified %v groups %q; want %v %q", tc.json, c.EmailVerified, c.Groups, tc.verified, tc.groups)
		}
	}
}

func TestClaimsMergeIDTokenWins(t *testing.T) {
	c := newClaims(
		mustDecode(t, `{"sub":"1","email":"id@example.com","email_verified":false}`),
		mustDecode(t, `{"sub":"1","email":"ui@example.com","email_verified":true,"phone_number":"+1"}`))
	if c.Email != "id@example.com" || c.EmailVerified {
		t.Errorf("userinfo overrode the ID token: %+v", c)
	}
	if c.PhoneNumber != "+1" {
		t.Errorf("userinfo-only claim lost: %+v", c)
	}
}

func TestClaimsLookup(t *testing.T) {
	c := newClaims(mustDecode(t, `{"custom":"v","empty":"","num":3,"list":["x"]}`), nil)
	if v, ok := c.String("custom"); !ok || v != "v" {
		t.Errorf("String(custom) = %q, %v", v, ok)
	}
	for _, name := range []string{"empty", "num", "list", "absent"} {
		if v, ok := c.String(name); ok {
			t.Errorf("String(%s) = %q, true; want false", name, v)
		}
	}
	if _, ok := c.Get("absent"); ok {
		t.Error("Get(absent) reported presence")
	}
	if v, ok := c.Get("num"); !ok || v.(json.Number) != "3" {
		t.Errorf("Get(num) = %v, %v", v, ok)
	}
}

func TestDecodeClaimsRejects(t *testing.T) {
	for _, s := range []string{``, `null`, `[]`, `"x"`, `{"a":1} {"b":2}`, `{"a":`} {
		if _, err := decodeClaims([]byte(s)); err == nil {
			t.Errorf("decodeClaims(%q) succeeded", s)
		}
	}
}
