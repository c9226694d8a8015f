//go:build integration

package integration

import (
	"context"
	"testing"
	"time"

	"github.com/oidcrp/rp"
)

// findings returns the findings of report for check.
func findings(report *rp.CheckReport, check string) []rp.Finding {
	var out []rp.Finding
	for _, f := range report.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

// TestCheckAgainstProvider runs "Test settings" against the real provider:
// right settings pass, and the two commonest mistakes (a wrong client
// secret, an unregistered redirect URL) are caught, not reported as OK.
func TestCheckAgainstProvider(t *testing.T) {
	e := setup(t)
	check := func(mod func(*rp.Config)) *rp.CheckReport {
		cfg := e.rpConfig(newBackChannel())
		mod(&cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return rp.Check(ctx, cfg, rp.CheckOptions{})
	}
	t.Run("right settings", func(t *testing.T) {
		r := check(func(*rp.Config) {})
		for _, id := range []string{"credentials", "redirect_url"} {
			fs := findings(r, id)
			if len(fs) == 0 || fs[len(fs)-1].Status != rp.CheckOK {
				t.Errorf("%s findings %+v, want the last one OK; report:\n%s", id, fs, r)
			}
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		r := check(func(c *rp.Config) { c.ClientSecret = "not-the-secret" })
		if fs := findings(r, "credentials"); len(fs) != 1 || fs[0].Status != rp.CheckFail {
			t.Errorf("credentials findings %+v, want one FAIL; report:\n%s", fs, r)
		}
		if r.OK() {
			t.Errorf("report OK with a wrong secret:\n%s", r)
		}
	})
	t.Run("unregistered redirect URL", func(t *testing.T) {
		r := check(func(c *rp.Config) { c.RedirectURL = e.app.URL + "/not-registered" })
		fs := findings(r, "redirect_url")
		if len(fs) == 0 || fs[len(fs)-1].Status != rp.CheckFail {
			t.Errorf("redirect_url findings %+v, want the last one FAIL; report:\n%s", fs, r)
		}
	})
}
