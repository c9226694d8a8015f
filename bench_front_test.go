package rp

import (
	"crypto/subtle"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// tokenFront stands in front of rptest's token endpoint for the callback
// benchmark. Before the timed loop, mint redeems each login's code at
// rptest and keeps the answer; in the loop, the RP's token request goes to
// the front, which authenticates the client, checks grant type, redirect
// URI, code and PKCE verifier, and sends rptest's stored answer. The RP
// still makes the whole round trip; the provider's RSA signing of the ID
// token (about 1.3 ms on a 2-core machine, the same for every variant and
// four fifths of an iteration if done in the loop) stays out of the
// comparison, which is about the RP's own cost.
type tokenFront struct {
	srv              *httptest.Server
	upstream         string // rptest's token endpoint
	client           *http.Client
	clientID, secret string

	mu     sync.Mutex
	minted map[string]minted // by code
}

type minted struct {
	verifier string
	body     []byte
}

func newTokenFront(b testing.TB, cb *callbackBench) *tokenFront {
	b.Helper()
	f := &tokenFront{upstream: cb.op.URL + "/token", client: cb.op.Client(),
		clientID: cb.op.ClientID(), secret: cb.op.ClientSecret(), minted: map[string]minted{}}
	f.srv = httptest.NewServer(f)
	b.Cleanup(f.srv.Close)
	return f
}

// URL is the front's token endpoint.
func (f *tokenFront) URL() string { return f.srv.URL + "/token" }

// mint redeems code at rptest with verifier and keeps the answer for the
// RP's request.
func (f *tokenFront) mint(b testing.TB, code, verifier string) {
	b.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {benchRedirect}, "code_verifier": {verifier}}
	req, _ := http.NewRequest(http.MethodPost, f.upstream, strings.NewReader(form.Encode()))
	req.SetBasicAuth(url.QueryEscape(f.clientID), url.QueryEscape(f.secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("rptest's token endpoint answered %d", resp.StatusCode)
	}
	f.mu.Lock()
	f.minted[code] = minted{verifier: verifier, body: body}
	f.mu.Unlock()
}

func (f *tokenFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	oauthError := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":"`+code+`"}`)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/token" {
		oauthError(http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if !ok || id != f.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(f.secret)) != 1 {
		oauthError(http.StatusUnauthorized, "invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" ||
		r.PostForm.Get("redirect_uri") != benchRedirect {
		oauthError(http.StatusBadRequest, "invalid_request")
		return
	}
	code := r.PostForm.Get("code")
	f.mu.Lock()
	m, ok := f.minted[code]
	delete(f.minted, code)
	f.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("code_verifier")), []byte(m.verifier)) != 1 {
		oauthError(http.StatusBadRequest, "invalid_grant")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(m.body)
}
