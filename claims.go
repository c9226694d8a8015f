package rp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

// Claims are the verified claims about the signed-in user: the ID token's
// claims merged with userinfo's, the ID token winning where both have a
// claim. The typed fields are read from Raw; a claim of an unexpected type
// leaves its field empty rather than failing the login, except sub and iss,
// which must be strings.
type Claims struct {
	Issuer            string   // iss
	Subject           string   // sub: unique only together with Issuer
	Audience          []string // aud
	Email             string   // email
	EmailVerified     bool     // email_verified: JSON true or the string "true"
	Name              string   // name
	GivenName         string   // given_name
	FamilyName        string   // family_name
	PreferredUsername string   // preferred_username
	PhoneNumber       string   // phone_number
	UPN               string   // upn (Microsoft)
	UniqueName        string   // unique_name (Microsoft)
	TenantID          string   // tid (Microsoft)
	Groups            []string // groups: a JSON array of strings, or one string

	// Raw holds every claim as decoded from JSON, numbers as json.Number.
	Raw map[string]any
}

// decodeClaims decodes a JSON object of claims, numbers as json.Number.
func decodeClaims(data []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("claims are not a JSON object")
	}
	// Decoder.More misses a stray '}' or ']' after the object.
	if len(bytes.TrimLeft(data[d.InputOffset():], " \t\r\n")) > 0 {
		return nil, fmt.Errorf("trailing data after the claims object")
	}
	return m, nil
}

// newClaims builds Claims from the ID token's claims and, when non-nil,
// userinfo's. ID token claims win over userinfo claims of the same name.
func newClaims(idToken, userinfo map[string]any) *Claims {
	raw := make(map[string]any, len(idToken)+len(userinfo))
	maps.Copy(raw, userinfo)
	maps.Copy(raw, idToken)
	c := &Claims{Raw: raw}
	c.Issuer, _ = c.String("iss")
	c.Subject, _ = c.String("sub")
	c.Audience = c.Strings("aud")
	c.Email, _ = c.String("email")
	c.EmailVerified = c.Bool("email_verified")
	c.Name, _ = c.String("name")
	c.GivenName, _ = c.String("given_name")
	c.FamilyName, _ = c.String("family_name")
	c.PreferredUsername, _ = c.String("preferred_username")
	c.PhoneNumber, _ = c.String("phone_number")
	c.UPN, _ = c.String("upn")
	c.UniqueName, _ = c.String("unique_name")
	c.TenantID, _ = c.String("tid")
	c.Groups = c.Strings("groups")
	return c
}

// Get returns the claim called name and whether it is present.
func (c *Claims) Get(name string) (any, bool) {
	v, ok := c.Raw[name]
	return v, ok
}

// String returns the claim called name if it is a non-empty JSON string.
func (c *Claims) String(name string) (string, bool) {
	s, ok := c.Raw[name].(string)
	return s, ok && s != ""
}

// Bool reports whether the claim called name is JSON true or the string
// "true" (ignoring case); some providers send booleans as strings.
func (c *Claims) Bool(name string) bool {
	switch v := c.Raw[name].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// Strings returns the claim called name as a list: a JSON array's string
// elements, or a single string as a one-element list. Other types yield nil.
func (c *Claims) Strings(name string) []string {
	switch v := c.Raw[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
