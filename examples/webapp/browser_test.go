package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserTimeout bounds the whole browser test, Chromium's start included.
const browserTimeout = 60 * time.Second

// screenshotEnv names a file that also receives the screenshot of /me,
// for a person to look at; unset, it stays in the test's temp dir.
const screenshotEnv = "WEBAPP_SCREENSHOT"

// findChromium returns the path of a Chromium binary. Without one the test
// is skipped, unless it runs in CI, where Chromium must be installed.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found but CI is set")
	}
	t.Log("skipping the browser test: no chromium, chromium-browser or /usr/bin/chromium (apt-get install chromium)")
	t.Skip("chromium not found")
	return ""
}

// startBrowser starts headless Chromium with a fresh profile and returns
// its context, which ends when the test or browserTimeout does.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := findChromium(t)
	profile := t.TempDir() // removed after the browser stops (cleanups run last-in first-out)
	ctx, cancelTimeout := context.WithTimeout(t.Context(), browserTimeout)
	t.Cleanup(cancelTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1100, 1400),
	)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts Chromium
		t.Fatalf("starting chromium %s: %v", exe, err)
	}
	return browserCtx
}

// tab is one browser profile (a fresh BrowserContext: no cookies) on the
// app.
type tab struct {
	t   *testing.T
	ctx context.Context
	app *testApp
}

// newTab opens a fresh profile in the browser.
func newTab(t *testing.T, browser context.Context, app *testApp) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return &tab{t: t, ctx: ctx, app: app}
}

// do runs steps, failing the test with what on error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the element with id.
func (b *tab) text(id string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("reading #%s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

// at checks that the browser shows path (with query, if any) on the app.
func (b *tab) at(want string) {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil || "http://"+u.Host != b.app.URL || u.RequestURI() != want {
		b.t.Fatalf("browser at %s, want %s%s", loc, b.app.URL, want)
	}
}

// button selects the link or button whose text is label.
func button(label string) string {
	return `//*[(self::a or self::button) and normalize-space()="` + label + `"]`
}

// signInAt opens /me, which sends the browser to the sign-in page, and
// signs in as sub at the provider whose button says title. It checks the
// account page that follows.
func (b *tab) signInAt(title, sub, wantName string) {
	b.t.Helper()
	b.do("opening /me", chromedp.Navigate(b.app.URL+"/me"), chromedp.WaitVisible(chromedp.ID("login-page")))
	b.at("/login?return_to=%2Fme")
	b.do("choosing "+title, chromedp.Click(button(title)), chromedp.WaitVisible(chromedp.CSS(`button[data-sub="`+sub+`"]`)))
	b.do("choosing "+sub, chromedp.Click(chromedp.CSS(`button[data-sub="`+sub+`"]`)), chromedp.WaitVisible(chromedp.ID("me-page")))
	b.at("/me")
	if got := b.text("name"); !strings.Contains(got, wantName) {
		b.t.Errorf("/me greets %q, want %q", got, wantName)
	}
	if got := b.text("provider"); got != title {
		b.t.Errorf("/me names the provider %q, want %q", got, title)
	}
}

// signOut presses Sign out on /me and checks that the browser ends on the
// home page, signed out, and that /me then asks to sign in again.
func (b *tab) signOut() {
	b.t.Helper()
	b.do("signing out", chromedp.Click(button("Sign out")), chromedp.WaitVisible(chromedp.ID("home-page")))
	b.at("/")
	b.do("opening /me signed out", chromedp.Navigate(b.app.URL+"/me"), chromedp.WaitVisible(chromedp.ID("login-page")))
	b.at("/login?return_to=%2Fme")
}

// screenshot saves the page as a PNG in the test's temp dir and, when
// screenshotEnv is set, at that path too.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	paths := []string{filepath.Join(b.t.TempDir(), name)}
	if p := os.Getenv(screenshotEnv); p != "" {
		paths = append(paths, p)
	}
	for _, p := range paths {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.t.Logf("screenshot of %s: %s", name, strings.Join(paths, ", "))
}

func TestBrowser(t *testing.T) {
	browser := startBrowser(t)
	app := startApp(t, nil)

	t.Run("entra", func(t *testing.T) {
		b := newTab(t, browser, app)
		b.signInAt("Entra ID (mock)", "bob", "Bob")
		b.screenshot("me.png")
		b.signOut()
		if n := app.idps["azure"].Requests("end_session"); n != 1 {
			t.Errorf("Entra's end-session endpoint saw %d requests, want 1", n)
		}
	})
	t.Run("okta", func(t *testing.T) {
		b := newTab(t, browser, app)
		b.signInAt("Okta (mock)", "carol", "Carol")
		b.signOut()
		if n := app.idps["okta"].Requests("end_session"); n != 1 {
			t.Errorf("Okta's end-session endpoint saw %d requests, want 1", n)
		}
	})
	t.Run("password", func(t *testing.T) {
		b := newTab(t, browser, app)
		b.do("opening the sign-in page", chromedp.Navigate(app.URL+"/login?return_to=%2Fme"), chromedp.WaitVisible(chromedp.ID("login-page")))
		b.do("signing in with a password",
			chromedp.SendKeys(chromedp.ID("username"), "admin"),
			chromedp.SendKeys(chromedp.ID("password"), "admin-demo"),
			chromedp.Click(button("Sign in with password")),
			chromedp.WaitVisible(chromedp.ID("me-page")))
		b.at("/me")
		if got := b.text("name"); got != "Site Administrator" {
			t.Errorf("/me greets %q, want Site Administrator", got)
		}
		if got := b.text("provider"); got != "Password" {
			t.Errorf("/me names the provider %q, want Password", got)
		}
		b.signOut()
	})
}
