package outbound_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/outbound"
)

// A provider configured by an administrator at run time is reached
// through the default policy: https only, public addresses only.
func ExamplePolicy_Client() {
	cfg := rp.Config{
		Authority:    "https://login.example.com", // as the administrator typed it
		ClientID:     "app",
		ClientSecret: rp.Secret("typed by the administrator"),
		RedirectURL:  "https://app.example.com/callback",
		HTTPClient:   outbound.Policy{}.Client(nil),
	}
	fmt.Println(cfg.Validate())
	// rp.New(ctx, cfg) then discovers the provider through the policy.
	// Output: <nil>
}

// An application whose own provider runs on its private network allows
// that address and nothing else.
func ExamplePolicy_Check() {
	p := outbound.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.5/32")}}
	fmt.Println(p.Check(netip.MustParseAddr("10.0.0.5")))
	fmt.Println(p.Check(netip.MustParseAddr("10.0.0.6")))
	err := p.Check(netip.MustParseAddr("169.254.169.254"))
	fmt.Println(errors.Is(err, outbound.ErrForbiddenAddress), err)
	// Output:
	// <nil>
	// outbound: 10.0.0.6 is private: address refused by the outbound policy
	// true outbound: 169.254.169.254 is link-local: address refused by the outbound policy
}

// A settings page reports a refused URL before saving it.
func ExamplePolicy_CheckURL() {
	err := outbound.Policy{}.CheckURL(context.Background(), "http://login.example.com")
	fmt.Println(err)
	// Output: outbound: http://login.example.com: scheme refused by the outbound policy (only https is allowed)
}
