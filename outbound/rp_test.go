package outbound_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/outbound"
	"github.com/oidcrp/rp/rptest"
)

// TestSignInThroughPolicy: an RP whose HTTPClient is a policy's client
// discovers the provider, exchanges the code and verifies the ID token
// through it, when the policy admits the provider's (loopback, http)
// address.
func TestSignInThroughPolicy(t *testing.T) {
	op := rptest.NewServer(rptest.Config{Users: []rptest.User{
		{Subject: "alice", Claims: map[string]any{"email": "alice@example.com", "email_verified": true}},
	}})
	defer op.Close()

	var relyingParty *rp.RP
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if err := relyingParty.Login(w, r, rp.LoginOptions{ReturnTo: "/home"}); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		res, err := relyingParty.Callback(w, r)
		if err != nil {
			http.Error(w, "sign-in failed", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "signed in: "+res.Claims.Subject+" "+res.Claims.Email)
	})
	app := httptest.NewServer(mux)
	defer app.Close()

	policy := outbound.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	var err error
	relyingParty, err = rp.New(context.Background(), rp.Config{
		Authority:    op.Issuer(),
		ClientID:     op.ClientID(),
		ClientSecret: rp.Secret(op.ClientSecret()),
		RedirectURL:  app.URL + "/callback",
		HTTPClient:   policy.Client(op.Client()),
	})
	if err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(app.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "signed in: alice alice@example.com" {
		t.Fatalf("status %d, body %q", resp.StatusCode, body)
	}
	for _, e := range []string{rptest.EndpointDiscovery, rptest.EndpointJWKS, rptest.EndpointToken} {
		if op.Requests(e) != 1 {
			t.Errorf("%s requested %d times; want 1", e, op.Requests(e))
		}
	}
}

// TestDiscoveryRefusedByPolicy: rp.New with a policy that refuses the
// provider fails discovery, and its error still matches the policy's
// sentinel as well as rp.ErrDiscovery; the provider is never reached.
func TestDiscoveryRefusedByPolicy(t *testing.T) {
	op := rptest.NewServer(rptest.Config{})
	defer op.Close()
	for _, tc := range []struct {
		name   string
		policy outbound.Policy
		is     error
		text   string
	}{
		{"zero policy", outbound.Policy{}, outbound.ErrForbiddenScheme, "scheme refused by the outbound policy (only https is allowed)"},
		{"AllowHTTP only", outbound.Policy{AllowHTTP: true}, outbound.ErrForbiddenAddress, "127.0.0.1 is loopback: address refused by the outbound policy"},
	} {
		_, err := rp.New(context.Background(), rp.Config{
			Authority:    op.Issuer(),
			ClientID:     op.ClientID(),
			ClientSecret: rp.Secret(op.ClientSecret()),
			RedirectURL:  "http://127.0.0.1/callback",
			HTTPClient:   tc.policy.Client(nil),
		})
		var de *rp.DiscoveryError
		if !errors.Is(err, tc.is) || !errors.Is(err, rp.ErrDiscovery) || !errors.As(err, &de) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: err = %v; want a discovery error matching %v", tc.name, err, tc.is)
		}
	}
	if n := op.Requests(rptest.EndpointDiscovery); n != 0 {
		t.Errorf("discovery requested %d times; want 0", n)
	}
}
