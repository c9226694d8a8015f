package connection

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/oidcrp/rp"
)

// secretOut is the JSON a ClientSecret marshals to: whether one is set,
// never the value.
type secretOut struct {
	Set bool `json:"set"`
}

// secretIn is the JSON a ClientSecret unmarshals from. Set is what
// MarshalJSON wrote; it is read back into IsSet and otherwise ignored.
type secretIn struct {
	Action string  `json:"action"`
	Value  *string `json:"value"`
	Set    *bool   `json:"set"`
}

// MarshalJSON writes {"set": true} or {"set": false}: whether the stored
// version has a secret. The secret itself is never marshalled.
func (c ClientSecret) MarshalJSON() ([]byte, error) {
	return json.Marshal(secretOut{Set: c.IsSet})
}

// UnmarshalJSON reads what an edit does with the secret:
//
//	{"action": "keep"}                  keep the stored secret (SecretKeep)
//	{"action": "set", "value": "..."}   set a new one (SecretSet; "replace" is the same)
//	{"action": "remove"}                remove it (SecretRemove)
//
// An object without an action, such as the {"set": true} that MarshalJSON
// writes, and JSON null mean keep. An unknown action or member, or a value
// with any action but set, is an error, so that a mistyped form never
// drops or keeps a secret silently. The error never contains the value.
func (c *ClientSecret) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var in secretIn
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		// The decoder's message may quote the input; do not pass it on.
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fmt.Errorf("connection: client_secret: %s must be a %s", typeErr.Field, typeErr.Type)
		}
		return errors.New(`connection: client_secret must be an object such as {"action":"set","value":"..."}, {"action":"keep"} or {"action":"remove"}`)
	}
	if dec.More() {
		return errors.New("connection: client_secret: unexpected data after the object")
	}
	out := ClientSecret{}
	if in.Set != nil {
		out.IsSet = *in.Set
	}
	switch SecretAction(in.Action) {
	case "", SecretKeep:
		out.Action = SecretKeep
	case SecretSet, "replace":
		out.Action = SecretSet
		if in.Value == nil {
			return errors.New(`connection: client_secret: action "set" needs the new secret as "value"`)
		}
		out.Value = rp.Secret(*in.Value)
	case SecretRemove:
		out.Action = SecretRemove
	default:
		return fmt.Errorf(`connection: client_secret: unknown action %q; use "keep", "set", "replace" or "remove"`, truncate(in.Action, 32))
	}
	if in.Value != nil && out.Action != SecretSet {
		return fmt.Errorf(`connection: client_secret: a "value" is only read with action "set", not %q`, out.Action)
	}
	*c = out
	return nil
}

// truncate shortens s to at most n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
