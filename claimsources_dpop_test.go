package rp

import (
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

// TestEntraGroupOverageWithDPoP signs in with DPoP on and an overage user:
// Graph is called with the login's DPoP-bound access token in the DPoP
// scheme and a proof made with the sign-in's key, carrying ath.
func TestEntraGroupOverageWithDPoP(t *testing.T) {
	for _, nonce := range []bool{false, true} {
		t.Run(fmt.Sprintf("nonce=%v", nonce), func(t *testing.T) {
			h := newHarness(t, rptest.Config{DPoPRequireNonce: nonce}, func(c *Config) {
				c.DPoP = true
				c.EntraGroupOverage = true
				c.GraphBaseURL = c.Authority + rptest.PathGraph
			})
			h.op.AddUser(overageUsers[0])
			h.op.SetGraphGroups("has-1", []string{"g-1", "g-2"})
			res, err := h.loginAs("has-1")
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if got := fmt.Sprint(res.Claims.Groups); got != "[g-1 g-2]" {
				t.Fatalf("groups %s; want [g-1 g-2]", got)
			}
			key := res.Tokens.DPoPKey
			if key == nil || h.op.AccessTokenJKT(string(res.Tokens.AccessToken)) != key.Thumbprint() {
				t.Fatal("the access token is not bound to the session key")
			}
			proof := h.op.LastDPoPProof(rptest.EndpointGraph)
			if proof == "" {
				t.Fatal("Graph got no DPoP proof")
			}
			head, claims := decodeProof(t, proof)
			if tp, _ := head.JSONWebKey.Thumbprint(crypto.SHA256); base64.RawURLEncoding.EncodeToString(tp) != key.Thumbprint() {
				t.Fatal("the Graph proof is not made with the session key")
			}
			if claims["ath"] != athOf(string(res.Tokens.AccessToken)) {
				t.Fatalf("proof ath %v; want the access token's hash", claims["ath"])
			}
			if claims["htm"] != "POST" || claims["htu"] != h.op.URL+rptest.PathGraphMemberGroups {
				t.Fatalf("proof htm %v htu %v", claims["htm"], claims["htu"])
			}
			if nonce && claims["nonce"] == nil {
				t.Fatal("the Graph retry has no nonce")
			}
		})
	}
}

// TestGraphRefusesDPoPTokenAsBearer checks the imitation the test above
// relies on: a DPoP-bound token sent as Bearer is refused, so a login whose
// Graph call lacks the DPoP scheme fails with ErrClaimSourceFetch.
func TestGraphRefusesDPoPTokenAsBearer(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) {
		c.DPoP = true
		c.EntraGroupOverage = true
		c.GraphBaseURL = c.Authority + rptest.PathGraph
	})
	res, err := h.login()
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	_, _, err = h.rp.claimRequest(t.Context(), h.rp.client, "Bearer", "POST", h.op.URL+rptest.PathGraphMemberGroups, string(res.Tokens.AccessToken), []byte(`{"securityEnabledOnly":false}`), maxGraphSize)
	if !errors.Is(err, ErrClaimSourceFetch) {
		t.Fatalf("Bearer use of a DPoP-bound token: %v; want ErrClaimSourceFetch", err)
	}
}
