//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/web"
)

// rpConfig is the configuration of an RP for the provider's web client,
// talking to the provider through bc.
func (e *env) rpConfig(bc *backChannel) rp.Config {
	return rp.Config{
		Authority:    e.issuer,
		ClientID:     webClientID,
		ClientSecret: webClientSecret,
		RedirectURL:  e.callbackURL,
		HTTPClient:   bc.client(),
	}
}

// newRP discovers the provider with cfg.
func newRP(t *testing.T, cfg rp.Config) *rp.RP {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := rp.New(ctx, cfg)
	if err != nil {
		t.Fatalf("rp.New: %v", err)
	}
	return r
}

// backChannel records the RP's requests to the provider (discovery, keys,
// token, userinfo) with their answers.
type backChannel struct {
	// base sends the requests; nil for http.DefaultTransport.
	base  http.RoundTripper
	mu    sync.Mutex
	calls []backCall
}

// backCall is one request of the RP to the provider.
type backCall struct {
	Method string
	Path   string
	// Form is a POST's form body.
	Form url.Values
	// Authorization is the request's Authorization header.
	Authorization string
	Status        int
	// JSON is the decoded response when it is a JSON object.
	JSON map[string]any
	// DPoP is the request's DPoP proof header.
	DPoP string
}

func newBackChannel() *backChannel { return &backChannel{} }

// client is the http.Client to give the RP.
func (bc *backChannel) client() *http.Client {
	return &http.Client{Transport: bc, Timeout: 10 * time.Second}
}

func (bc *backChannel) RoundTrip(req *http.Request) (*http.Response, error) {
	call := backCall{Method: req.Method, Path: req.URL.Path, Authorization: req.Header.Get("Authorization"), DPoP: req.Header.Get("DPoP")}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(body))
		req = clone
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			call.Form, _ = url.ParseQuery(string(body))
		}
	}
	base := bc.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	call.Status = resp.StatusCode
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		call.JSON = obj
	}
	bc.mu.Lock()
	bc.calls = append(bc.calls, call)
	bc.mu.Unlock()
	return resp, nil
}

// to returns the recorded requests to path.
func (bc *backChannel) to(path string) []backCall {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	var out []backCall
	for _, c := range bc.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// str returns the JSON response's member name as a string.
func (c backCall) str(name string) string {
	s, _ := c.JSON[name].(string)
	return s
}

// Paths of the provider's endpoints (from its discovery document).
const (
	tokenPath      = "/oauth/token"
	userinfoPath   = "/userinfo"
	authorizePath  = "/auth"
	loginPagePath  = "/login/username"
	endSessionPath = "/end_session"
	loggedOutPath  = "/logged-out"
)

// fakeClock is real time plus an offset that tests advance: the provider
// keeps real time, and the RP can be made to believe that time has passed.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// randomSecret returns a fresh 32-byte key, hex-encoded.
func randomSecret(t *testing.T) rp.Secret {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return rp.Secret(hex.EncodeToString(b))
}

// jwtClaims decodes a JWT's payload without checking its signature (the
// RP checked the tokens it accepted; this only reads what was sent).
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %d parts", len(parts))
	}
	return jsonSegment(t, "JWT payload", parts[1])
}

// jwtHeader decodes the JOSE header of a compact JWS or JWE.
func jwtHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	head, _, _ := strings.Cut(token, ".")
	return jsonSegment(t, "JOSE header", head)
}

// jsonSegment decodes one base64url segment of a compact JOSE object as
// a JSON object, failing the test with what it is on error.
func jsonSegment(t *testing.T, what, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return m
}

// userinfo calls the provider's userinfo endpoint with accessToken and
// returns the status and the decoded body.
func (e *env) userinfo(t *testing.T, accessToken string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(e.issuer, "/")+userinfoPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	return resp.StatusCode, body
}

// opHost is the provider's host:port as the browser sees it.
func (e *env) opHost(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// appHost is the test application's host:port.
func (e *env) appHost() string { return strings.TrimPrefix(e.app.URL, "http://") }

// flowApp is an application that uses RP.Login and RP.Callback directly
// and keeps what each callback returned.
type flowApp struct {
	r        *rp.RP
	mu       sync.Mutex
	outcomes []outcome
}

type outcome struct {
	res *rp.Result
	err error
}

// serveFlow installs a flowApp for r: GET /login starts a sign-in (with
// the return_to parameter), /callback completes it and redirects to its
// return-to path, and every other path answers "landed on PATH".
func (e *env) serveFlow(r *rp.RP) *flowApp {
	fa := &flowApp{r: r}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, req *http.Request) {
		if err := r.Login(w, req, rp.LoginOptions{ReturnTo: req.URL.Query().Get("return_to")}); err != nil {
			http.Error(w, "bad sign-in request: "+err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/callback", func(w http.ResponseWriter, req *http.Request) {
		res, err := r.Callback(w, req)
		fa.mu.Lock()
		fa.outcomes = append(fa.outcomes, outcome{res, err})
		fa.mu.Unlock()
		if err != nil {
			http.Error(w, "sign-in failed: "+rp.ErrorMessage(err), http.StatusBadGateway)
			return
		}
		http.Redirect(w, req, res.ReturnTo, http.StatusSeeOther)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "landed on %s", req.URL.RequestURI())
	})
	e.serve(mux)
	return fa
}

// callbacks returns what the callbacks so far returned.
func (fa *flowApp) callbacks() []outcome {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	return append([]outcome(nil), fa.outcomes...)
}

// only returns the only callback's outcome, or fails.
func (fa *flowApp) only(t *testing.T) outcome {
	t.Helper()
	got := fa.callbacks()
	if len(got) != 1 {
		t.Fatalf("the callback ran %d times, want once", len(got))
	}
	return got[0]
}

// webApp is an application built on web.Site with one provider named "op":
// GET /private is behind Require and answers "hello SUB"; /bye is the
// LoggedOutURL.
type webApp struct {
	web *web.Site
	mu  sync.Mutex
	// seen are the sessions GET /private was served with.
	seen []seenSession
}

type seenSession struct {
	Subject     string
	AccessToken string
	Expiry      time.Time
}

// serveWeb installs a webApp for r, with clock as the Web's clock (nil for
// time.Now).
func (e *env) serveWeb(t *testing.T, r *rp.RP, clock func() time.Time) *webApp {
	t.Helper()
	site, err := web.New(web.Config{
		Providers:      []web.Provider{{Name: "op", Title: "Example OP", RP: r}},
		SessionSecrets: []rp.Secret{randomSecret(t)},
		LoggedOutURL:   "/bye",
		Now:            clock,
	})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	wa := &webApp{web: site}
	mux := http.NewServeMux()
	mux.Handle("/", site.Handler())
	mux.Handle("GET /private", site.Require(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s := web.SessionFrom(req.Context())
		c := s.Claims()
		if c == nil {
			http.Error(w, "session without claims", http.StatusInternalServerError)
			return
		}
		wa.mu.Lock()
		wa.seen = append(wa.seen, seenSession{Subject: c.Subject, AccessToken: string(s.AccessToken), Expiry: s.AccessTokenExpiry})
		wa.mu.Unlock()
		fmt.Fprintf(w, "hello %s", c.Subject)
	})))
	mux.HandleFunc("GET /bye", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprint(w, "signed out of the test app")
	})
	e.serve(mux)
	return wa
}

// sessions returns the sessions GET /private saw so far.
func (wa *webApp) sessions() []seenSession {
	wa.mu.Lock()
	defer wa.mu.Unlock()
	return append([]seenSession(nil), wa.seen...)
}
