package rp

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/oidcrp/rp/rptest"
)

func TestConfigPromptSent(t *testing.T) {
	h := newHarness(t, rptest.Config{}, func(c *Config) { c.Prompt = "consent" })
	res, err := h.login()
	wantOutcome(t, res, err, nil)
	if got := h.op.LastAuthorizeParams().Get("prompt"); got != "consent" {
		t.Errorf("prompt %q; want Config.Prompt consent", got)
	}
	// LoginOptions.Prompt overrides it for one login.
	h.opts.Prompt = "login select_account"
	res, err = h.login()
	wantOutcome(t, res, err, nil)
	if got := h.op.LastAuthorizeParams()["prompt"]; len(got) != 1 || got[0] != "login select_account" {
		t.Errorf("prompt %q; want the login's own", got)
	}
}

func TestConfigPromptNotSentByDefault(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	h.authorize(h.start())
	if p := h.op.LastAuthorizeParams(); p.Has("prompt") {
		t.Errorf("prompt %q sent without Config.Prompt", p.Get("prompt"))
	}
}

func TestConfigPromptValidate(t *testing.T) {
	base := Config{Authority: "https://op.example.com", ClientID: "c", RedirectURL: "https://app.example.com/cb"}
	for _, p := range []string{"", "none", "login", "consent", "select_account", "login consent", "consent select_account"} {
		c := base
		c.Prompt = p
		if err := c.Validate(); err != nil {
			t.Errorf("Prompt %q: %v", p, err)
		}
	}
	for _, p := range []string{"sometimes", "none login", "consent none", "Login", " ", "login,consent"} {
		c := base
		c.Prompt = p
		err := c.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "Prompt" {
			t.Errorf("Prompt %q: %v; want one problem with Prompt", p, err)
		}
	}
	c := base
	c.ExtraAuthParams = map[string][]string{"prompt": {"consent"}}
	var ce *ConfigError
	if err := c.Validate(); !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != "ExtraAuthParams" {
		t.Errorf("ExtraAuthParams prompt: %v; want it refused in favour of Prompt", err)
	}
}

func TestLoginOptionsPromptNoneAlone(t *testing.T) {
	h := newHarness(t, rptest.Config{}, nil)
	for _, p := range []string{"none login", "select_account none", "bogus"} {
		_, err := h.rp.AuthURL(httptest.NewRecorder(), httptest.NewRequest("GET", "/login", nil), LoginOptions{Prompt: p})
		if !errors.Is(err, ErrInvalidLoginOption) {
			t.Errorf("Prompt %q: %v; want ErrInvalidLoginOption", p, err)
		}
	}
}

func TestInteractionRequired(t *testing.T) {
	for _, code := range []string{"login_required", "consent_required", "interaction_required", "account_selection_required", "access_denied"} {
		t.Run(code, func(t *testing.T) {
			h := newHarness(t, rptest.Config{}, func(c *Config) { c.Prompt = "none" })
			h.op.SetFaults(rptest.Faults{AuthorizeError: code})
			res, err := h.login()
			wantOutcome(t, res, err, ErrAuthorization)
			var pe *AuthorizationError
			if !errors.As(err, &pe) || pe.Code != code {
				t.Fatalf("%v; want a *AuthorizationError %s", err, code)
			}
			if got, want := errors.Is(err, ErrInteractionRequired), code != "access_denied"; got != want {
				t.Errorf("errors.Is(%s, ErrInteractionRequired) = %v; want %v", code, got, want)
			}
		})
	}
	t.Run("nobody signed in", func(t *testing.T) {
		h := newHarness(t, rptest.Config{}, func(c *Config) { c.Prompt = "none" })
		h.op.SetDefaultUser("")
		res, err := h.login()
		if !errors.Is(err, ErrInteractionRequired) || res != nil {
			t.Fatalf("prompt=none with nobody signed in: %v; want ErrInteractionRequired", err)
		}
		if got := h.op.LastAuthorizeParams().Get("prompt"); got != "none" {
			t.Errorf("prompt %q", got)
		}
	})
}
