package rp

import "encoding/json"

// MarshalJSON encodes the claims as the JSON object of every claim (Raw),
// so that UnmarshalJSON restores them, typed fields included: for keeping
// the claims of a sign-in in a session.
func (c *Claims) MarshalJSON() ([]byte, error) {
	if c.Raw == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(c.Raw)
}

// UnmarshalJSON decodes a JSON object of claims (numbers as json.Number)
// into Raw and sets the typed fields from it, as for a sign-in. It fails
// on anything but a single JSON object.
func (c *Claims) UnmarshalJSON(data []byte) error {
	m, err := decodeClaims(data)
	if err != nil {
		return err
	}
	*c = *newClaims(m, nil)
	return nil
}
