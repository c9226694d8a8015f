//go:build integration

package integration

import (
	"net/url"
	"testing"
)

// TestFormParser checks the login-form reader on markup it must survive:
// any attribute order and quoting, entities, commented-out forms,
// self-closing inputs, buttons and unchecked boxes. It needs no provider.
func TestFormParser(t *testing.T) {
	base, _ := url.Parse("http://localhost:9/login/username?authRequestID=x")
	doc := `<!DOCTYPE html><html><body>
<!-- <form action="/decoy"><input type="password" name="decoy"></form> -->
<form class=search action='/search'><input name=q value="a&amp;b"></form>
<FORM
  method="post" action="/login/username?step=2&amp;x=1" id=f>
  <input value="abc-123" type="hidden" name="id"/>
  <input id=username name=username autocomplete=username style="width: 100%">
  <input name='password' type=PASSWORD>
  <input type="checkbox" name="remember" value="yes">
  <input type="checkbox" name="terms" value="ok" checked>
  <input type="submit" name="go" value="Go">
  <button type="submit">Login</button>
</form></body></html>`
	fs, err := forms(base, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("found %d forms, want 2 (the commented-out one ignored)", len(fs))
	}
	if got := fs[0].Fields.Get("q"); got != "a&b" || fs[0].Method != "GET" || fs[0].Action.String() != "http://localhost:9/search" {
		t.Errorf("search form: q %q method %s action %s", got, fs[0].Method, fs[0].Action)
	}
	p := &page{URL: base, Body: doc}
	f := loginForm(t, p)
	if f.Method != "POST" || f.Action.String() != "http://localhost:9/login/username?step=2&x=1" {
		t.Errorf("login form method %s action %s", f.Method, f.Action)
	}
	if f.usernameField() != "username" || f.passwordField() != "password" {
		t.Errorf("username field %q password field %q", f.usernameField(), f.passwordField())
	}
	got := f.fillLogin(t, "alice", "p&ss word")
	want := url.Values{"id": {"abc-123"}, "username": {"alice"}, "password": {"p&ss word"}, "terms": {"ok"}}
	if got.Encode() != want.Encode() {
		t.Errorf("submitted values %v, want %v", got, want)
	}
}
