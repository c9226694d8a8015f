package rp

import (
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a string that hides itself: printing it with any fmt verb,
// logging it with log/slog, or marshalling it to JSON or text yields
// "[redacted]". Use string(s) where the real value is needed.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", so %#v hides the value too.
func (Secret) GoString() string { return redacted }

// Format writes "[redacted]" for every verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]"; encoding/json uses it too.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
