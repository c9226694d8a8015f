package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/rptest"
)

// TestOldSessionFormatIsNoSession: a sealed session of format 1 or 2 (or
// any unknown format) is no session: Require refuses it without a panic
// and deletes its cookies, so the user signs in again.
func TestOldSessionFormatIsNoSession(t *testing.T) {
	a := newWebApp(t, oneProvider, nil)
	for _, payload := range [][]byte{
		[]byte("\x01\x15{\"p\":\"mock\",\"e\":0}\x00\x00\x00\x00\x00"),     // format 1
		{2, 9, 4, 'm', 'o', 'c', 'k', 0, 0, 0, 0, coldRaw, 0, idTokenNone}, // format 2: no sid, sub
		{4, 0},
		{},
	} {
		rec := httptest.NewRecorder()
		if err := a.web.sessions.Save(rec, nil, a.web.sessions.New(payload)); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/me", nil)
		for _, c := range rec.Result().Cookies() {
			req.AddCookie(c)
		}
		got := httptest.NewRecorder()
		a.web.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			t.Errorf("payload %q let in", payload)
		})).ServeHTTP(got, req)
		deleted := false
		for _, c := range got.Result().Cookies() {
			deleted = deleted || c.Name == a.web.sessions.CookieName() && c.MaxAge < 0
		}
		if got.Code != http.StatusUnauthorized || !deleted {
			t.Errorf("payload %q: %d, cookie deleted %v; want 401 and deleted", payload, got.Code, deleted)
		}
	}
	// Unreadable everywhere, they need no revocation record, which would
	// make every signed-in request read the records for hours.
	if a.web.checkRecords() {
		t.Error("refusing unreadable sessions wrote revocation records")
	}
}

// TestLogoutHintIsTheIDTokenVerbatim: the session keeps the ID token as
// its decoded parts, and logout sends it back as id_token_hint byte for
// byte, for a small token and one with 300 groups (compressed).
func TestLogoutHintIsTheIDTokenVerbatim(t *testing.T) {
	for _, user := range []rptest.User{alice, entraUser(300, randomGUIDs)} {
		rec := &idTokenRecorder{}
		a := newWebAppRP(t, map[string][]rptest.User{"mock": {user}}, func(c *rp.Config) { c.HTTPClient = &http.Client{Transport: rec} }, nil)
		if status, _, _ := a.login("mock", "", "/me"); status != 200 || rec.idToken == "" {
			t.Fatalf("sign-in: %d, ID token %q", status, rec.idToken)
		}
		s, ok := a.web.sessions.Load(a.requestWithCookies())
		if !ok {
			t.Fatal("no session")
		}
		if payload := strings.Split(rec.idToken, ".")[1]; strings.Contains(string(s.Data), payload) {
			t.Errorf("the session holds the ID token in base64url; want it decoded")
		}
		d, err := decodeSession(s.Data)
		if err != nil || strings.Count(d.IDToken, ".") != 2 {
			t.Fatalf("decoded ID token %q, %v", d.IDToken, err)
		}
		resp := a.logout()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if hint := loc.Query().Get("id_token_hint"); hint != rec.idToken {
			t.Fatalf("id_token_hint %q; want the ID token issued, %q", hint, rec.idToken)
		}
	}
}

// idTokenRecorder is a transport that keeps the ID token of the last
// token response.
type idTokenRecorder struct{ idToken string }

func (r *idTokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/token") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if json.Unmarshal(body, &tok) == nil {
		r.idToken = tok.IDToken
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
