package rp

import (
	"context"
	"errors"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

func entraHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	users := []rptest.User{
		{Subject: "a-1", Claims: map[string]any{"tid": "tenant-a", "preferred_username": "ann@a.example"}},
		{Subject: "b-1", Claims: map[string]any{"tid": "tenant-b", "preferred_username": "bo@b.example"}},
	}
	return newHarness(t, rptest.Config{Users: users, EntraMultiTenant: true}, func(c *Config) {
		c.MetadataURL = c.Authority + "/.well-known/openid-configuration"
		c.Authority += "/common/v2.0"
		c.AllowedTenants = []string{"tenant-a"}
		if mod != nil {
			mod(c)
		}
	})
}

func TestEntraMultiTenant(t *testing.T) {
	h := entraHarness(t, nil)
	if got := h.rp.Metadata().Issuer; got != h.op.URL+"/{tenantid}/v2.0" {
		t.Fatalf("issuer %q; want the template", got)
	}
	res, err := h.loginAs("a-1")
	if err != nil || res.Claims.Issuer != h.op.URL+"/tenant-a/v2.0" || res.Claims.TenantID != "tenant-a" {
		t.Fatalf("allowed tenant: %+v, %v", res, err)
	}
	for _, tc := range []struct {
		name   string
		hint   string
		faults rptest.Faults
		want   error
	}{
		{"other tenant", "b-1", rptest.Faults{}, ErrTenantNotAllowed},
		{"tid not matching iss", "b-1", rptest.Faults{ExtraIDTokenClaims: map[string]any{"tid": "tenant-a"}}, ErrIDTokenIssuer},
		{"iss of an allowed tenant, tid of another", "b-1", rptest.Faults{Issuer: h.op.URL + "/tenant-a/v2.0"}, ErrIDTokenIssuer},
		{"no tid", "a-1", rptest.Faults{ExtraIDTokenClaims: map[string]any{"tid": nil}}, ErrIDTokenIssuer},
		{"template as iss", "a-1", rptest.Faults{Issuer: h.op.URL + "/{tenantid}/v2.0"}, ErrIDTokenIssuer},
	} {
		h.op.SetFaults(tc.faults)
		if res, err := h.loginAs(tc.hint); !errors.Is(err, tc.want) || res != nil {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
	}
}

func TestEntraMultiTenantNeedsTenantDecision(t *testing.T) {
	op := rptest.NewServer(rptest.Config{EntraMultiTenant: true})
	defer op.Close()
	_, err := newRPFor(op, func(c *Config) {
		c.MetadataURL = c.Authority + "/.well-known/openid-configuration"
		c.Authority += "/organizations/v2.0"
	})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Problems[0].Field != "AllowedTenants" {
		t.Fatalf("New without tenants = %v; want an AllowedTenants problem", err)
	}
	h := entraHarness(t, func(c *Config) { c.AllowedTenants, c.AllowAnyTenant = nil, true })
	if res, err := h.loginAs("b-1"); err != nil || res.Claims.TenantID != "tenant-b" {
		t.Fatalf("AllowAnyTenant: %+v, %v", res, err)
	}
}

func TestEntraIssuerNotAcceptedForOtherAuthority(t *testing.T) {
	op := rptest.NewServer(rptest.Config{EntraMultiTenant: true})
	defer op.Close()
	_, err := New(context.Background(), Config{
		Authority: "http://127.0.0.1:1/common/v2.0", MetadataURL: op.URL + "/.well-known/openid-configuration",
		ClientID: "c", RedirectURL: "http://127.0.0.1/cb", AllowAnyTenant: true,
	})
	if !errors.Is(err, ErrMetadataIssuerMismatch) {
		t.Fatalf("template of another host: %v; want ErrMetadataIssuerMismatch", err)
	}
}
