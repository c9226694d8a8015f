package rp

// The checks of the provider's keys and signing algorithms.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// jwks fetches the provider's key set and counts its usable signing keys.
// Like the library, it ignores keys it cannot use or read.
func (c *checker) jwks(ctx context.Context, md *ProviderMetadata) {
	body, err := c.get(ctx, md.JWKSURI)
	if err != nil {
		c.add("jwks", CheckFail, "cannot fetch the signing keys: "+err.Error())
		return
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.Keys == nil {
		c.add("jwks", CheckFail, md.JWKSURI+` is not a JSON Web Key Set (a JSON object with "keys")`)
		return
	}
	var set jose.JSONWebKeySet
	bad := 0
	for _, k := range raw.Keys {
		var key jose.JSONWebKey
		if err := json.Unmarshal(k, &key); errors.Is(err, jose.ErrUnsupportedKeyType) {
			continue
		} else if err != nil || !key.Valid() {
			bad++
			continue
		}
		if key.IsPublic() && (key.Use == "" || key.Use == "sig") && (key.Algorithm == "" || slices.Contains(SupportedSigningAlgs, key.Algorithm)) {
			set.Keys = append(set.Keys, key)
		}
	}
	switch noKid := len(set.Key("")); {
	case len(set.Keys) == 0:
		c.add("jwks", CheckFail, md.JWKSURI+` has no public signing key (RSA, EC or Ed25519 with use "sig"), so no ID token can be verified`)
	case bad > 0:
		c.add("jwks", CheckWarn, fmt.Sprintf("%d signing key(s) at %s, and %d malformed key(s) that are ignored: ask the provider to fix them", len(set.Keys), md.JWKSURI, bad))
	case noKid > 0 && len(set.Keys) > 1:
		c.add("jwks", CheckWarn, fmt.Sprintf("%d signing keys at %s, %d of them without a kid: ID tokens that name a kid cannot be checked with those keys", len(set.Keys), md.JWKSURI, noKid))
	default:
		c.add("jwks", CheckOK, fmt.Sprintf("%d signing key(s) at %s", len(set.Keys), md.JWKSURI))
	}
}

// get fetches u as JSON and returns the body of a 200 OK answer.
func (c *checker) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s answered %s, not 200 OK", u, resp.Status)
	}
	return body, err
}

// signingAlgs compares the accepted ID token algorithms with the provider's.
func (c *checker) signingAlgs(md *ProviderMetadata) {
	advertised := md.IDTokenSigningAlgValuesSupported
	algs, err := signingAlgs(c.cfg.SigningAlgs, advertised, c.cfg.FAPI2)
	var ce *ConfigError
	if errors.As(err, &ce) {
		c.add("signing_algs", CheckFail, ce.Problems[0].Message)
		return
	}
	if len(c.cfg.SigningAlgs) > 0 && len(advertised) > 0 &&
		!slices.ContainsFunc(algs, func(a string) bool { return slices.Contains(advertised, a) }) {
		c.add("signing_algs", CheckFail, fmt.Sprintf("the provider signs ID tokens with %s but SigningAlgs allows only %s: add one of the provider's algorithms, or leave SigningAlgs empty",
			strings.Join(advertised, ", "), strings.Join(algs, ", ")))
		return
	}
	var weak []string
	for _, a := range advertised {
		if a == "none" || strings.HasPrefix(a, "HS") {
			weak = append(weak, a)
		}
	}
	accepting := "accepting ID tokens signed with " + strings.Join(algs, ", ")
	switch {
	case len(weak) > 0:
		c.add("signing_algs", CheckWarn, fmt.Sprintf("%s; the provider also offers %s, which the library never accepts: make sure it signs this client's ID tokens with an accepted algorithm", accepting, strings.Join(weak, ", ")))
	case len(advertised) == 0:
		c.unknown("signing_algs", "id_token_signing_alg_values_supported", accepting)
	default:
		c.add("signing_algs", CheckOK, accepting)
	}
}
