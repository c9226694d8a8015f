package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// artifactsEnv names a directory that receives the screenshots of a failed
// browser test; unset, they go to the test's artifact directory
// (t.ArtifactDir, kept with go test -artifacts -outputdir DIR).
const artifactsEnv = "RP_TEST_ARTIFACTS"

// pageShots keeps a screenshot of every admin page a test visits, and
// writes them out when the test fails.
type pageShots struct {
	b      *tab
	names  []string
	images [][]byte
}

// recordShots starts keeping the screenshots of b's pages.
func recordShots(t *testing.T, b *tab) *pageShots {
	dir := t.ArtifactDir()
	if d := os.Getenv(artifactsEnv); d != "" {
		dir = filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_"))
	}
	s := &pageShots{b: b}
	t.Cleanup(func() {
		if !t.Failed() || len(s.images) == 0 {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Logf("cannot keep the screenshots: %v", err)
			return
		}
		for i, img := range s.images {
			if err := os.WriteFile(filepath.Join(dir, s.names[i]), img, 0o644); err != nil {
				t.Logf("cannot keep a screenshot: %v", err)
			}
		}
		t.Logf("screenshots of the pages visited: %s (%s)", dir, strings.Join(s.names, ", "))
	})
	return s
}

// take keeps a screenshot of the page the browser shows, as name.
func (s *pageShots) take(name string) {
	img, err := chromedp.Run(s.b.ctx, chromedp.FullScreenshot(100)) // PNG
	if err != nil {
		s.b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	s.names = append(s.names, name+".png")
	s.images = append(s.images, img)
}

// eval evaluates a JavaScript expression of type string in b's page.
func (b *tab) eval(what, js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return s
}

// check ticks the checkbox with id.
func (b *tab) check(id string) {
	b.t.Helper()
	b.eval("ticking #"+id, `(() => { const e = document.getElementById("`+id+`"); e.checked = true; return String(e.checked); })()`)
}

// TestBrowserAdminJourney is what a newcomer does: sign in as admin with
// the password, open the settings, try a wrong client secret, have an
// invalid save refused, add a connection to the third mock from the
// Keycloak preset, sign out, and sign in through the new connection.
func TestBrowserAdminJourney(t *testing.T) {
	browser := startBrowser(t)
	app := startApp(t, nil)
	b := newTab(t, browser, app)
	shots := recordShots(t, b)

	b.do("opening the sign-in page", chromedp.Navigate(app.URL+"/login?return_to=%2Fadmin%2F"), chromedp.WaitVisible(chromedp.ID("login-page")))
	b.do("signing in as admin with the password",
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "admin-demo"),
		chromedp.Click(button("Sign in with password")),
		chromedp.WaitVisible(chromedp.CSS("table.list")))
	b.at("/admin/")
	shots.take("1-list")
	if got := b.text("main"); !strings.Contains(got, "Entra ID (mock)") || !strings.Contains(got, "Okta (mock)") {
		t.Errorf("the admin list does not show both stored connections:\n%s", got)
	}

	b.do("opening azure", chromedp.Click(chromedp.CSS(`a[href="/admin/connections/azure"]`)), chromedp.WaitVisible(chromedp.ID("field-client-id")))
	b.at("/admin/connections/azure")
	shots.take("2-edit-azure")
	if got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("url-redirect"))); err != nil || got != app.URL+"/sso/azure/callback" {
		t.Errorf("redirect URI to copy: %q, %v; want %s/sso/azure/callback", got, err, app.URL)
	}

	b.do("testing a wrong client secret",
		chromedp.Click(chromedp.ID("secret-set")),
		chromedp.SendKeys(chromedp.ID("field-client-secret"), "not-the-secret"),
		chromedp.Click(button("Test settings")),
		chromedp.WaitVisible(chromedp.ID("check")))
	shots.take("3-test-wrong-secret")
	if got := b.text("check-h"); !strings.HasPrefix(got, "Test settings: failed") {
		t.Errorf("Test settings with a wrong secret: %q; want failed", got)
	}
	fails := b.eval("reading the failures", `Array.from(document.querySelectorAll("#check li.fail")).map(e => e.textContent).join("\n")`)
	if !strings.Contains(strings.ToLower(fails), "secret") {
		t.Errorf("the failing findings do not name the client secret:\n%s", fails)
	}

	b.do("saving scopes without openid",
		chromedp.SetValue(chromedp.ID("field-scopes"), "profile email"),
		chromedp.Click(button("Save")),
		chromedp.WaitVisible(chromedp.ID("error-summary")))
	shots.take("4-save-refused")
	if got := b.text("field-scopes-error"); !strings.Contains(got, "openid") {
		t.Errorf("the scopes field says %q; want it to ask for openid", got)
	}
	if s, err := app.in.stores.conns.Get(t.Context(), "azure"); err != nil || s.Version != 1 {
		t.Errorf("azure after the refused save: version %d, %v; want 1, unchanged", s.Version, err)
	}

	kc := app.mock(t, "keycloak")
	b.do("opening the list", chromedp.Navigate(app.URL+"/admin/"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	b.do("adding a connection from the Keycloak preset", chromedp.Click(chromedp.CSS(`a[href="/admin/new?preset=keycloak"]`)),
		chromedp.WaitVisible(chromedp.ID("field-authority")))
	shots.take("5-new-keycloak")
	b.do("filling in the third mock",
		chromedp.SetValue(chromedp.ID("field-title"), "Keycloak (mock)"),
		chromedp.SetValue(chromedp.ID("field-authority"), kc.Issuer()),
		chromedp.SetValue(chromedp.ID("field-client-id"), kc.ClientID),
		chromedp.SendKeys(chromedp.ID("field-client-secret"), kc.ClientSecret))
	b.check("field-enabled")
	b.check("field-autolink") // erin has a local account with her email
	b.do("saving", chromedp.Click(button("Save")), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	shots.take("6-saved")
	b.at("/admin/?saved=keycloak")
	if s, err := app.in.stores.conns.Get(t.Context(), "keycloak"); err != nil || s.Authority != kc.Issuer() || string(s.ClientSecret.Value) != kc.ClientSecret {
		t.Fatalf("the saved connection: %+v, %v; want it at the third mock with its secret", s, err)
	}

	b.do("opening /me", chromedp.Navigate(app.URL+"/me"), chromedp.WaitVisible(chromedp.ID("me-page")))
	b.signOut()
	b.signInAt("Keycloak (mock)", "erin", "Erin Evans")
	if got := b.text("account"); !strings.Contains(got, "u-erin") {
		t.Errorf("erin's local account: %q; want u-erin", got)
	}
}
