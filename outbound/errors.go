package outbound

import (
	"errors"
	"fmt"
	"net/netip"
)

// Refusals of the outbound policy. Requests through Policy.Client fail with
// errors that match one of them with errors.Is.
var (
	// ErrForbiddenAddress: the host is, or resolved to, an address the
	// policy refuses. Every such error is an *AddressError.
	ErrForbiddenAddress = errors.New("address refused by the outbound policy")
	// ErrForbiddenScheme: the URL's scheme is not https (nor http with
	// AllowHTTP). Nothing was resolved or dialled.
	ErrForbiddenScheme = errors.New("scheme refused by the outbound policy")
	// ErrRedirect: the server redirected to another scheme, host or port,
	// or more than MaxRedirects times. The redirect was not followed.
	ErrRedirect = errors.New("redirect refused by the outbound policy")
)

// AddressError is a refused address. It matches ErrForbiddenAddress.
type AddressError struct {
	// Host is the host name that resolved to Addr, or "" when Addr was
	// given as such (a literal address in the URL, Policy.Check, or the
	// socket check).
	Host string
	// Addr is the refused address.
	Addr netip.Addr
	// Class is the kind of address, e.g. "link-local" or "private".
	Class string
}

// Error says which address was refused and why, e.g.
// "outbound: idp.example.com resolves to 169.254.169.254, which is
// link-local: address refused by the outbound policy".
func (e *AddressError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("outbound: %s resolves to %s, which is %s: %v", e.Host, e.Addr, e.Class, ErrForbiddenAddress)
	}
	return fmt.Sprintf("outbound: %s is %s: %v", e.Addr, e.Class, ErrForbiddenAddress)
}

// Unwrap returns ErrForbiddenAddress.
func (e *AddressError) Unwrap() error { return ErrForbiddenAddress }
