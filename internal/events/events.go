// Package events holds what packages rp and rp/web share about the log
// lines of a sign-in: the short reference that ties an error shown to a
// user to its log line, and the mark by which web tells rp that it logs a
// callback itself.
package events

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
)

// refError is an error together with the reference of its log line.
type refError struct {
	ref string
	err error
}

func (e *refError) Error() string { return e.err.Error() + " (ref " + e.ref + ")" }
func (e *refError) Unwrap() error { return e.err }

// WithRef returns err with a new random reference of 8 letters and digits,
// or err itself when it is nil or already has one.
func WithRef(err error) error {
	if err == nil || Ref(err) != "" {
		return err
	}
	var b [5]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	return &refError{ref: base32.StdEncoding.EncodeToString(b[:]), err: err}
}

// Ref returns the reference of err, or "".
func Ref(err error) string {
	var re *refError
	if errors.As(err, &re) {
		return re.ref
	}
	return ""
}

// Unref returns err without its reference, for the log line's error text.
func Unref(err error) error {
	var re *refError
	if errors.As(err, &re) {
		return re.err
	}
	return err
}

type callerLogsKey struct{}

// CallerLogs marks ctx so that rp's Callback does not log the outcome: the
// caller (package web) logs it, with the provider's name.
func CallerLogs(ctx context.Context) context.Context {
	return context.WithValue(ctx, callerLogsKey{}, true)
}

// IsCallerLogging reports whether ctx was marked by CallerLogs.
func IsCallerLogging(ctx context.Context) bool {
	v, _ := ctx.Value(callerLogsKey{}).(bool)
	return v
}
