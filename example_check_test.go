package rp_test

import (
	"context"
	"fmt"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// Check tests settings against the provider without signing anyone in,
// like a settings page's "Test settings" button: each finding has a status,
// the check it belongs to and, in its Message, what was found and what to
// change.
func ExampleCheck() {
	op := rptest.NewServer(rptest.Config{RedirectURIs: []string{"https://app.example.com/callback"}})
	defer op.Close()
	cfg := rp.Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: "not-the-secret",
		RedirectURL:  "https://app.example.com/callbak",
		HTTPClient:   op.Client(),
	}
	report := rp.Check(context.Background(), cfg, rp.CheckOptions{})
	for _, f := range report.Findings {
		fmt.Println(f.Status, f.Check)
	}
	fmt.Println("ok:", report.OK())
	// Output:
	// OK discovery
	// OK issuer
	// OK jwks
	// OK signing_algs
	// OK response_type
	// OK response_mode
	// OK scopes
	// OK pkce
	// OK client_auth
	// OK backchannel_logout
	// OK frontchannel_logout
	// FAIL redirect_url
	// FAIL credentials
	// ok: false
}
