package rp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oidcrp/rp/rptest"
)

// The fuzz targets of the package. Seeds that depend on keys or clocks use
// fixed ones, so that fuzzing workers, which rerun the setup in their own
// process, recognise the inputs the coordinator sends them. Hand-made seeds
// also live in testdata/fuzz/<target>/.

// --- FuzzAuthorizationResponse ---------------------------------------------

// fuzzCookieSecret seals the transaction cookies of the fuzzed RP; fuzzNow
// is its clock.
var (
	fuzzCookieSecret = Secret("fuzz-cookie-secret-0123456789abcdef")
	fuzzNow          = time.Unix(1_800_000_000, 0)
)

// fuzzState is the state of the transaction cookies in the seeds.
const fuzzState = "fuzz-state"

// fuzzTxCookie seals tx under the cookie name of state with r's keys.
func fuzzTxCookie(r *RP, state string, tx any) string {
	plain, _ := json.Marshal(tx)
	return r.sealer.Seal(plain, []byte(r.txCookieName(state)))
}

// fuzzCallbackRequest builds the authorization response a browser sends: a
// GET with query, or a form POST of body (to a URL with query). A non-empty
// cookie is sent as the transaction cookie of the response's state.
func fuzzCallbackRequest(r *RP, post bool, query, body, cookie string) *http.Request {
	var req *http.Request
	if post {
		req = httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/callback", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/callback", nil)
	}
	req.URL.RawQuery = query // any bytes; httptest.NewRequest would panic on some
	if cookie != "" && !strings.ContainsAny(cookie, "\r\n") {
		src := query
		if post {
			src = body
		}
		v, _ := url.ParseQuery(src)
		req.Header.Set("Cookie", r.txCookieName(v.Get("state"))+"="+cookie)
	}
	return req
}

// wantResponseParams says what responseParams must answer for a response
// read from the query of a GET or the body of a POST, following its
// documentation: a parse error, a repeated or over-long parameter, or (in a
// query) a token make the response unacceptable. A POST whose URL query
// does not parse is malformed too (http.Request.ParseForm parses both).
func wantResponseParams(post bool, query, body string) (url.Values, error) {
	src := query
	if post {
		src = body
		if _, err := url.ParseQuery(query); err != nil {
			return nil, ErrMalformedResponse
		}
	}
	v, err := url.ParseQuery(src)
	if err != nil {
		return nil, ErrMalformedResponse
	}
	if !post && (v.Has("access_token") || v.Has("id_token")) {
		return nil, ErrTokensInQuery
	}
	for _, vs := range v {
		if len(vs) != 1 || len(vs[0]) > maxParamLen {
			return nil, ErrMalformedResponse
		}
	}
	return v, nil
}

// FuzzAuthorizationResponse sends arbitrary authorization responses (query
// strings, form bodies, transaction cookie values) to responseParams and to
// Callback of an RP set up once against an rptest provider. responseParams
// returns the parameters or ErrMalformedResponse / ErrTokensInQuery; without
// a genuine live transaction cookie (the seeds' genuine cookies are expired
// or for another state, and the fuzzer cannot forge one) Callback always
// fails with a state error or one of those two, returns no result, deletes
// the transaction cookie it was sent, and never reaches the provider.
func FuzzAuthorizationResponse(f *testing.F) {
	op := rptest.NewServer(rptest.Config{})
	f.Cleanup(op.Close)
	r, err := New(context.Background(), Config{
		Authority:     op.Issuer(),
		ClientID:      op.ClientID(),
		ClientSecret:  Secret(op.ClientSecret()),
		RedirectURL:   "http://127.0.0.1:1/callback",
		CookieSecrets: []Secret{fuzzCookieSecret},
		Now:           func() time.Time { return fuzzNow },
	})
	if err != nil {
		f.Fatal(err)
	}
	endpoints := []string{rptest.EndpointToken, rptest.EndpointUserInfo, rptest.EndpointJWKS, rptest.EndpointAuthorize, rptest.EndpointDiscovery}
	counts := func() []int {
		var n []int
		for _, e := range endpoints {
			n = append(n, op.Requests(e))
		}
		return n
	}
	before := counts()

	expired := fuzzTxCookie(r, fuzzState, transaction{State: fuzzState, Nonce: "n", Verifier: "v", ReturnTo: "/", Expiry: fuzzNow.Add(-time.Second).Unix()})
	otherState := fuzzTxCookie(r, fuzzState, transaction{State: "another-state", Nonce: "n", Expiry: fuzzNow.Add(time.Hour).Unix()})
	notJSON := r.sealer.Seal([]byte("not json"), []byte(r.txCookieName(fuzzState)))
	otherName := r.sealer.Seal([]byte(`{"s":"fuzz-state","n":"n","e":1900000000}`), []byte("rp_tx_other"))

	f.Add(false, "code=abc&state="+fuzzState, "", expired)
	f.Add(false, "code=abc&state="+fuzzState, "", otherState)
	f.Add(false, "code=abc&state="+fuzzState+"&iss=x", "", notJSON)
	f.Add(false, "code=abc&state="+fuzzState, "", otherName)
	f.Add(false, "code=abc&state="+fuzzState, "", expired[:len(expired)-2]+"AA")
	f.Add(true, "", "code=abc&state="+fuzzState, expired)
	f.Add(true, "state=in-the-query", "code=abc&state="+fuzzState+"&id_token=x.y.z", otherState)
	f.Add(false, "code=abc&state=xyz", "", "")
	f.Add(false, "", "", "")
	f.Add(false, "state=", "", "x")
	f.Add(false, "code=a&state=b&state=c", "", "")
	f.Add(false, "access_token=t&token_type=Bearer&state=s", "", "")
	f.Add(false, "id_token=eyJ.eyJ.sig&state=s", "", "")
	f.Add(false, "error=access_denied&error_description=no+way%0D%0A&state=s", "", "")
	f.Add(false, "state=%zz", "", "")
	f.Add(false, "state=a;code=b", "", "")
	f.Add(false, "state="+strings.Repeat("s", maxStateLen+1), "", "x")
	f.Add(false, "code="+strings.Repeat("c", maxParamLen+1)+"&state=s", "", "")
	f.Add(true, "", "code=abc&state=s&code=def", "")
	f.Add(true, "", "state=%", "")
	f.Add(true, "", "", "")
	f.Add(false, "=&&=x&state=\x00", "", "a=b; c=d")

	f.Fuzz(func(t *testing.T, post bool, query, body, cookie string) {
		wantParams, wantErr := wantResponseParams(post, query, body)
		params, err := responseParams(httptest.NewRecorder(), fuzzCallbackRequest(r, post, query, body, cookie))
		if err != wantErr || !reflect.DeepEqual(params, wantParams) {
			t.Fatalf("responseParams(post=%v, query %q, body %q) = %v, %v; want %v, %v", post, query, body, params, err, wantParams, wantErr)
		}

		req := fuzzCallbackRequest(r, post, query, body, cookie)
		rec := httptest.NewRecorder()
		res, cerr := r.Callback(rec, req)
		switch {
		case res != nil || cerr == nil:
			t.Fatalf("Callback = %+v, %v without a transaction; want an error", res, cerr)
		case !errors.Is(cerr, ErrState) && !errors.Is(cerr, ErrMalformedResponse) && !errors.Is(cerr, ErrTokensInQuery):
			t.Fatalf("Callback error %v (%T) is neither a state error nor ErrMalformedResponse nor ErrTokensInQuery", cerr, cerr)
		case wantErr != nil && cerr != wantErr:
			t.Fatalf("Callback error %v; the response is unacceptable, want %v", cerr, wantErr)
		case wantErr == nil && !errors.Is(cerr, ErrState):
			t.Fatalf("Callback error %v; the state is checked first, want a state error", cerr)
		case wantErr == nil && wantParams.Get("state") == "" && cerr != ErrStateMissing:
			t.Fatalf("Callback error %v for a response without state; want ErrStateMissing", cerr)
		}
		if state := wantParams.Get("state"); state != "" && len(state) <= maxStateLen {
			name := r.txCookieName(state)
			if _, err := req.Cookie(name); err == nil {
				deleted := false
				for _, c := range rec.Result().Cookies() {
					deleted = deleted || (c.Name == name && c.MaxAge < 0)
				}
				if !deleted {
					t.Fatalf("Callback did not delete the transaction cookie %s it was sent (Set-Cookie %q)", name, rec.Header().Values("Set-Cookie"))
				}
			}
		}
		if now := counts(); !slices.Equal(now, before) {
			t.Fatalf("the provider saw requests %v → %v (%v)", before, now, endpoints)
		}
	})
}

// --- FuzzDecodeClaims ----------------------------------------------------------

// fuzzIsObjectDocument reports whether data is exactly one JSON object,
// optionally surrounded by JSON white space.
func fuzzIsObjectDocument(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{'
}

// fuzzCheckJSONValues fails t if v holds anything but the types a decoder
// with UseNumber produces, in particular a number that is not json.Number.
// It walks with an explicit stack: the value may be nested 10,000 deep.
func fuzzCheckJSONValues(t *testing.T, v any) {
	t.Helper()
	stack := []any{v}
	for len(stack) > 0 {
		v, stack = stack[len(stack)-1], stack[:len(stack)-1]
		switch v := v.(type) {
		case nil, bool, string:
		case json.Number:
			s := v.String()
			if s == "" || !json.Valid([]byte(s)) || !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') {
				t.Fatalf("json.Number %q is not a JSON number", s)
			}
		case []any:
			stack = append(stack, v...)
		case map[string]any:
			for _, e := range v {
				stack = append(stack, e)
			}
		default:
			t.Fatalf("claim value of type %T (%v); want nil, bool, string, json.Number, []any or map[string]any", v, v)
		}
	}
}

// fuzzTrue reports whether a claim value may read as true: JSON true, or the
// string "true" in any ASCII case.
func fuzzTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return len(v) == 4 && strings.ToLower(v) == "true"
	}
	return false
}

// fuzzStrings is what Claims.Strings must return for a claim value.
func fuzzStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := []string{}
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// fuzzCheckClaim checks every accessor of c for the claim called name,
// whose value in the merged claims is v (present says whether it exists).
func fuzzCheckClaim(t *testing.T, c *Claims, name string, v any, present bool) {
	t.Helper()
	if got, ok := c.Get(name); ok != present || !reflect.DeepEqual(got, v) {
		t.Fatalf("Get(%q) = %v, %v; want %v, %v", name, got, ok, v, present)
	}
	s, isString := v.(string) // s is "" for other types
	if got, ok := c.String(name); ok != (isString && s != "") || got != s {
		t.Fatalf("String(%q) = %q, %v for %#v", name, got, ok, v)
	}
	if got := c.Bool(name); got != fuzzTrue(v) {
		t.Fatalf("Bool(%q) = %v for %#v; only true and \"true\" (any case) are true", name, got, v)
	}
	got, want := c.Strings(name), fuzzStrings(v)
	if !slices.Equal(got, want) || (got == nil) != (want == nil) {
		t.Fatalf("Strings(%q) = %#v for %#v; want %#v", name, got, v, want)
	}
}

// fuzzClaimFields are the Claims fields newClaims fills, by claim name.
func fuzzClaimFields(c *Claims) map[string]any {
	return map[string]any{
		"iss": c.Issuer, "sub": c.Subject, "aud": c.Audience, "email": c.Email, "email_verified": c.EmailVerified,
		"name": c.Name, "given_name": c.GivenName, "family_name": c.FamilyName, "preferred_username": c.PreferredUsername,
		"phone_number": c.PhoneNumber, "upn": c.UPN, "unique_name": c.UniqueName, "tid": c.TenantID, "groups": c.Groups,
	}
}

// fuzzDeep is a claims object holding a value nested depth arrays deep.
func fuzzDeep(depth int) []byte {
	return []byte(`{"sub":"x","deep":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
}

// FuzzDecodeClaims decodes arbitrary ID token and userinfo claims and reads
// them through newClaims and every accessor, for the fixed claim names and
// a fuzzed one. decodeClaims accepts exactly the inputs that are one JSON
// object and returns a non-nil map of plain JSON values with numbers as
// json.Number; newClaims lets ID token claims win, copies without touching
// its inputs, and fills each typed field as its accessor reads the claim:
// EmailVerified only for true or "true" in any case.
func FuzzDecodeClaims(f *testing.F) {
	f.Add([]byte(`{"iss":"https://idp","sub":"123","aud":["client","other"],"email":"a@example.com","email_verified":true,"groups":["g1",2,null,"g2"],"tid":"t"}`),
		[]byte(`{"sub":"123","email":"b@example.com","email_verified":"false","phone_number":"+1"}`), "phone_number")
	f.Add([]byte(`{"email_verified":"TRUE","groups":"admins"}`), []byte(nil), "email_verified")
	f.Add([]byte(`{"email_verified":"tRuE "}`), []byte(`{"email_verified":true}`), "email_verified")
	f.Add([]byte(`{"email_verified":"yes","x":1}`), []byte(`{"email_verified":1}`), "x")
	f.Add([]byte(`{"email_verified":"truе"}`), []byte(nil), "email_verified") // Cyrillic e
	f.Add([]byte(`{"big":1e400,"neg":-0.0,"int":123456789012345678901234567890,"frac":0.1e-999}`), []byte(`{}`), "big")
	f.Add([]byte(`{"sub":null,"iss":null,"aud":null,"groups":null}`), []byte(`null`), "sub")
	f.Add([]byte(`{"sub":"a","sub":"b","email":"x","email":7}`), []byte(`{"sub":"c","sub":"d"}`), "sub")
	f.Add([]byte(`{"":"empty name","\u0000":"nul","a\ud800b":"lone surrogate","\xff":"bad utf-8"}`), []byte(nil), "")
	f.Add([]byte(`{"nested":{"a":{"b":[{"c":[1,2,{"d":null}]}]}},"aud":"client"}`), []byte(nil), "nested")
	f.Add([]byte(` {"a":1} `), []byte("\t{}\n"), "a")
	f.Add(fuzzDeep(9_990), []byte(nil), "deep")
	f.Add(fuzzDeep(10_000), []byte(nil), "deep")
	f.Add([]byte(`{"s":"`+strings.Repeat("x", 20_000)+`"}`), []byte(nil), "s")
	f.Add([]byte(``), []byte(`[]`), "sub")
	f.Add([]byte(`"x"`), []byte(`1`), "sub")
	f.Add([]byte(`{"a":1} {"b":2}`), []byte(`{"a":`), "a")

	f.Fuzz(func(t *testing.T, idToken, userinfo []byte, name string) {
		decode := func(data []byte) map[string]any {
			m, err := decodeClaims(data)
			if want := fuzzIsObjectDocument(data); (err == nil) != want {
				t.Fatalf("decodeClaims(%q) = %v, %v; the input is one JSON object: %v", data, m, err, want)
			}
			if err != nil {
				if m != nil {
					t.Fatalf("decodeClaims(%q) = %v with error %v", data, m, err)
				}
				return nil
			}
			if m == nil {
				t.Fatalf("decodeClaims(%q) returned a nil map", data)
			}
			fuzzCheckJSONValues(t, m)
			return m
		}
		id, ui := decode(idToken), decode(userinfo)
		idLen, uiLen := len(id), len(ui)

		for _, pair := range [][2]map[string]any{{id, ui}, {id, nil}, {nil, ui}, {ui, id}} {
			c := newClaims(pair[0], pair[1])
			if c.Raw == nil {
				t.Fatal("newClaims returned nil Raw")
			}
			merged := map[string]any{}
			for k, v := range pair[1] {
				merged[k] = v
			}
			for k, v := range pair[0] {
				merged[k] = v // the ID token wins
			}
			if len(c.Raw) != len(merged) {
				t.Fatalf("Raw has %d claims; want %d", len(c.Raw), len(merged))
			}
			for k, v := range merged {
				fuzzCheckClaim(t, c, k, v, true)
			}
			v, ok := merged[name]
			fuzzCheckClaim(t, c, name, v, ok)
			for claim, field := range fuzzClaimFields(c) {
				var want any
				switch field.(type) {
				case string:
					want, _ = c.String(claim)
				case bool:
					want = c.Bool(claim)
				case []string:
					want = c.Strings(claim)
				}
				if !reflect.DeepEqual(field, want) {
					t.Fatalf("field for %q is %#v; its accessor says %#v", claim, field, want)
				}
			}
			if c.EmailVerified && !fuzzTrue(merged["email_verified"]) {
				t.Fatalf("EmailVerified for email_verified %#v", merged["email_verified"])
			}
		}
		if len(id) != idLen || len(ui) != uiLen {
			t.Fatal("newClaims changed its inputs")
		}
	})
}

// --- FuzzSafeReturnTo ----------------------------------------------------------

// fuzzBrowserPath is how a browser reads an absolute path: tabs and newlines
// dropped, '\\' as '/' (for http and https), and dot segments removed
// (WHATWG URL, path state), where "%2e" counts as a dot when pctDots is set:
// a browser reads the location it is sent that way, but not the path it
// made of it.
func fuzzBrowserPath(p string, pctDots bool) string {
	p = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(p)
	segs := strings.Split(p, "/")[1:]
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		if pctDots {
			s = strings.ReplaceAll(strings.ReplaceAll(s, "%2e", "."), "%2E", ".")
		}
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// fuzzCheckReturnTo fails t unless out, which safeReturnTo accepted for
// base, is a path with optional query that stays on base's origin: as it
// is, as a browser reads it, and with its path percent-decoded once (as
// some frameworks and proxies do before redirecting).
func fuzzCheckReturnTo(t *testing.T, base *url.URL, raw, out string) {
	t.Helper()
	fail := func(why string) { t.Fatalf("safeReturnTo(%q) against %s = %q: %s", raw, base, out, why) }
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
		fail("not a path on this host")
	}
	for _, r := range out {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) {
			fail("contains a control character")
		}
	}
	u, err := url.Parse(out)
	if err != nil {
		fail("does not parse: " + err.Error())
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		fail("is more than a path and query")
	}
	if res := base.ResolveReference(u); res.Scheme != base.Scheme || res.Host != base.Host {
		fail("resolves to " + res.String())
	}
	path, _, _ := strings.Cut(out, "?")
	decoded, err := url.PathUnescape(path)
	if err != nil {
		fail("its path does not decode: " + err.Error())
	}
	for _, p := range []struct {
		what, path string
		pctDots    bool
	}{{"as is", path, true}, {"decoded once", decoded, false}} {
		if b := fuzzBrowserPath(p.path, p.pctDots); strings.HasPrefix(b, "//") {
			fail(p.what + ", a browser makes the path " + b + ", a network path")
		}
		if res := base.ResolveReference(&url.URL{Path: p.path}); strings.HasPrefix(res.Path, "//") {
			fail(p.what + ", dot segments collapse it into " + res.Path)
		}
	}
	// Escaping can take out past the 2048-byte limit on input.
	if again, ok := safeReturnTo(out, base); (!ok || again != out) && len(out) <= 2048 {
		fail("not stable: safeReturnTo of it is " + again)
	}
}

// FuzzSafeReturnTo feeds arbitrary return-to locations to safeReturnTo for
// an https and a loopback http redirect URL. An accepted location is a
// same-origin path without control characters (see fuzzCheckReturnTo); a
// refused one comes with "".
func FuzzSafeReturnTo(f *testing.F) {
	bases := []*url.URL{}
	for _, b := range []string{"https://app.example.com/callback", "http://127.0.0.1:8080/auth/callback/oidc"} {
		u, err := url.Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		bases = append(bases, u)
	}
	for _, s := range []string{
		"", "/", "/reports?id=7&x=%2F", "/a/../b", "/a/./b/", "https://app.example.com/x?y=1", "https://APP.example.com:443/x",
		"http://127.0.0.1:8080/x", "https://evil.example/", "//evil.example/", "///evil.example", "/\\evil.example",
		"/.//evil.example", "/..//evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example",
		"/a%2Fb", "/a%252F/b", "/%zz", "javascript:alert(1)", "https://user@app.example.com/", "/x#frag",
		"/é/ü?q=ß", "/%2E//evil.example", "/a/%2e%2e//evil.example", "/%09/evil.example", "/x?\u0085", "/x?a=%0D%0A", "?q=1", "/%", "https:/x", "https:app.example.com/x", "/a/b/../../..//evil.example",
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, raw string) {
		for _, base := range bases {
			out, ok := safeReturnTo(raw, base)
			if !ok {
				if out != "" {
					t.Fatalf("safeReturnTo(%q) refused with %q", raw, out)
				}
				continue
			}
			fuzzCheckReturnTo(t, base, raw, out)
		}
	})
}

// --- FuzzDiscoveryDocument -------------------------------------------------

// fuzzAuthority is the authority of FuzzDiscoveryDocument. Requests for any
// host go to the fuzz test's one server, so the seeds need no port number.
const fuzzAuthority = "http://localhost/oidc"

// fuzzDocServer serves whatever body holds, at the authority's discovery path.
type fuzzDocServer struct {
	mu   sync.Mutex
	body []byte
	srv  *httptest.Server
}

func (s *fuzzDocServer) set(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = body
}

func (s *fuzzDocServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oidc"+wellKnownPath {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	body := s.body
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// fuzzCheckEndpoint fails t unless u is an absolute http(s) URL with a host.
func fuzzCheckEndpoint(t *testing.T, name, u string, required bool) {
	t.Helper()
	if u == "" {
		if required {
			t.Fatalf("discover succeeded without %s", name)
		}
		return
	}
	p, err := url.Parse(u)
	if err != nil || !p.IsAbs() || p.Host == "" || p.User != nil || (p.Scheme != "http" && p.Scheme != "https") {
		t.Fatalf("discover accepted %s %q: not an absolute http(s) URL", name, u)
	}
}

// fuzzIssuerMatches reports whether a discovery document's issuer is the
// authority, but for one trailing slash, or an Entra-style template that
// becomes the authority with a tenant (no '/', '?' or '#') in place of
// "{tenantid}".
func fuzzIssuerMatches(issuer, authority string) bool {
	if issuer == authority || issuer+"/" == authority || issuer == authority+"/" {
		return true
	}
	prefix, suffix, ok := strings.Cut(strings.TrimSuffix(issuer, "/"), tenantPlaceholder)
	a := strings.TrimSuffix(authority, "/")
	if !ok || len(a) <= len(prefix)+len(suffix) || !strings.HasPrefix(a, prefix) || !strings.HasSuffix(a, suffix) {
		return false
	}
	return !strings.ContainsAny(a[len(prefix):len(a)-len(suffix)], "/?#")
}

// FuzzDiscoveryDocument serves arbitrary bytes as the discovery document of
// fuzzAuthority (or the same with a trailing slash). discover never panics;
// it fails with a *DiscoveryError of exactly one kind, ErrMetadataMalformed
// whenever the body is not JSON; and when it succeeds the issuer matches
// the authority (fuzzIssuerMatches) and the authorization, token and JWKS
// endpoints (and userinfo and end-session, when given) are absolute http(s)
// URLs.
func FuzzDiscoveryDocument(f *testing.F) {
	docs := &fuzzDocServer{}
	docs.srv = httptest.NewServer(docs)
	f.Cleanup(docs.srv.Close)
	addr := docs.srv.Listener.Addr().String()
	transport := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	f.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	good := map[string]any{
		"issuer":                   fuzzAuthority,
		"authorization_endpoint":   fuzzAuthority + "/authorize",
		"token_endpoint":           "https://op.example.com/token",
		"jwks_uri":                 "http://127.0.0.1:9/keys",
		"userinfo_endpoint":        "http://[::1]/userinfo",
		"end_session_endpoint":     "https://op.example.com/logout?x=1",
		"response_types_supported": []string{"code"},
		"authorization_response_iss_parameter_supported": true,
	}
	doc := func(edit func(map[string]any)) []byte {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	f.Add(doc(func(map[string]any) {}), false)
	f.Add(doc(func(map[string]any) {}), true)
	f.Add(doc(func(m map[string]any) { m["issuer"] = fuzzAuthority + "/" }), false)
	f.Add(doc(func(m map[string]any) { m["issuer"] = fuzzAuthority + "//" }), false)
	f.Add(doc(func(m map[string]any) { m["issuer"] = "http://localhost/{tenantid}" }), false)
	f.Add(doc(func(m map[string]any) { m["issuer"] = "https://evil.example/oidc" }), false)
	f.Add(doc(func(m map[string]any) { delete(m, "jwks_uri") }), false)
	f.Add(doc(func(m map[string]any) { m["token_endpoint"] = "/token" }), false)
	f.Add(doc(func(m map[string]any) { m["token_endpoint"] = "http://op.example.com/token" }), false)
	f.Add(doc(func(m map[string]any) { m["authorization_endpoint"] = "javascript:alert(1)" }), false)
	f.Add(doc(func(m map[string]any) { m["userinfo_endpoint"] = "https://user:pw@op.example.com/ui" }), false)
	f.Add(doc(func(m map[string]any) { m["jwks_uri"] = "HTTPS://OP.example.com/keys" }), true)
	f.Add(doc(func(m map[string]any) { m["issuer"] = 7 }), false)
	f.Add([]byte(`{"issuer":"http://localhost/oidc","ISSUER":"x","issuer":"http://localhost/oidc"}`), false)
	f.Add([]byte(`{"issuer":"http://localhost/oidc","jwks_uri":"http://localhost/k","authorization_endpoint":"http://localhost/a","token_endpoint":"http://localhost/t"} trailing`), false)
	f.Add([]byte(`null`), false)
	f.Add([]byte(`[]`), false)
	f.Add([]byte(``), false)
	f.Add([]byte(`<html>sign in</html>`), false)
	f.Add([]byte("\xef\xbb\xbf{}"), false)

	f.Fuzz(func(t *testing.T, body []byte, trailingSlash bool) {
		authority := fuzzAuthority
		if trailingSlash {
			authority += "/"
		}
		docs.set(body)
		md, err := discover(context.Background(), client, strings.TrimSuffix(authority, "/")+wellKnownPath, authority)
		if err != nil {
			var de *DiscoveryError
			if md != nil || !errors.As(err, &de) || !errors.Is(err, ErrDiscovery) {
				t.Fatalf("discover = %v, %v (%T); want nil and a *DiscoveryError", md, err, err)
			}
			kinds := 0
			for _, k := range []error{ErrMetadataUnavailable, ErrMetadataMalformed, ErrMetadataIssuerMismatch, ErrMetadataIncomplete} {
				if errors.Is(err, k) {
					kinds++
				}
			}
			if kinds != 1 {
				t.Fatalf("discover error %v matches %d kinds; want exactly one", err, kinds)
			}
			if errors.Is(err, ErrMetadataUnavailable) {
				t.Fatalf("discover could not fetch the document: %v", err)
			}
			if !json.Valid(body) && !errors.Is(err, ErrMetadataMalformed) {
				t.Fatalf("discover error %v for a body that is not JSON; want ErrMetadataMalformed", err)
			}
			return
		}
		if md == nil {
			t.Fatal("discover returned neither metadata nor an error")
		}
		if !fuzzIssuerMatches(md.Issuer, authority) {
			t.Fatalf("discover accepted issuer %q for authority %q", md.Issuer, authority)
		}
		fuzzCheckEndpoint(t, "authorization_endpoint", md.AuthorizationEndpoint, true)
		fuzzCheckEndpoint(t, "token_endpoint", md.TokenEndpoint, true)
		fuzzCheckEndpoint(t, "jwks_uri", md.JWKSURI, true)
		fuzzCheckEndpoint(t, "userinfo_endpoint", md.UserInfoEndpoint, false)
		fuzzCheckEndpoint(t, "end_session_endpoint", md.EndSessionEndpoint, false)
	})
}

// --- FuzzSessionData -----------------------------------------------------------

// fuzzSessionData builds session data from fuzzed strings.
func fuzzSessionData(provider, idToken, accessToken, refreshToken string, claims []byte, expiry int64, userID, username, groups string, admin bool) *sessionData {
	d := &sessionData{Provider: provider, Claims: claims, IDToken: idToken, AccessToken: accessToken, RefreshToken: refreshToken, Expiry: expiry}
	if userID != "" || username != "" || groups != "" || admin {
		d.User = &User{ID: userID, Username: username, Email: username + "@example.com", Name: provider, Admin: admin}
		if groups != "" {
			d.User.Groups = strings.Split(groups, ",")
			d.User.Attributes = map[string]string{"groups": groups, username: userID}
		}
	}
	return d
}

// fuzzValidUTF8 reports whether every string of d's JSON head is valid
// UTF-8: JSON replaces invalid bytes, so only then does the head survive
// encoding unchanged.
func fuzzValidUTF8(d *sessionData) bool {
	ok := utf8.ValidString(d.Provider)
	if u := d.User; u != nil {
		for _, s := range append([]string{u.ID, u.Username, u.Email, u.Name, u.GivenName, u.FamilyName, u.PhoneNumber}, u.Groups...) {
			ok = ok && utf8.ValidString(s)
		}
		for k, v := range u.Attributes {
			ok = ok && utf8.ValidString(k) && utf8.ValidString(v)
		}
	}
	return ok
}

func fuzzEncode(t *testing.T, d *sessionData) []byte {
	t.Helper()
	b, err := d.encode()
	if err != nil {
		t.Fatalf("encode(%+v): %v", d, err)
	}
	return b
}

func fuzzDecode(t *testing.T, b []byte) *sessionData {
	t.Helper()
	d, err := decodeSession(b)
	if err != nil || d == nil {
		t.Fatalf("decodeSession(%q) of an encoding = %+v, %v", b, d, err)
	}
	return d
}

// FuzzSessionData decodes arbitrary bytes as a session (decodeSession fails
// only with errSessionFormat; a decoded session encodes to bytes that
// decode to the same session, and re-encode identically), and encodes
// session data built from fuzzed strings: it decodes back with the tokens,
// claims and expiry byte for byte, the head unchanged when its strings are
// valid UTF-8, and encode(decode(x)) == x for such encodings x; truncated
// or extended encodings are refused.
func FuzzSessionData(f *testing.F) {
	seed := fuzzSessionData("azure", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.sig", "at", "rt", []byte(`{"sub":"a","groups":["x"]}`), 1_800_000_000, "u-1", "alice", "admins,staff", false)
	enc, err := seed.encode()
	if err != nil {
		f.Fatal(err)
	}
	add := func(data []byte) {
		f.Add(data, "azure", "id", "access", "refresh", []byte(`{"sub":"a"}`), int64(1_800_000_000), "u-1", "alice", "g1,g2", false)
	}
	add(enc)
	add(enc[:len(enc)-1])
	add(append(bytes.Clone(enc), 0))
	withHead := func(head string) []byte { // and four empty parts
		b := binary.AppendUvarint([]byte{sessionFormat}, uint64(len(head)))
		return append(append(b, head...), 0, 0, 0, 0)
	}
	add(withHead(`{}`))
	add(withHead(`null`))
	add(withHead(`{"u":{"Groups":[],"Attributes":{},"ID":"x"},"p":"a","P":"b"}`))
	add(withHead("{\"p\":\"\xff\\ud800\",\"e\":-1}"))
	add(withHead(`{"e":1e3}`))
	add([]byte{sessionFormat, 0, 0, 0, 0, 0})
	add([]byte{sessionFormat, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	add([]byte{sessionFormat, 0x80})
	add([]byte{2, 2, '{', '}', 0, 0, 0, 0})
	add([]byte{})
	f.Add([]byte(nil), "", "", "", "", []byte(nil), int64(0), "", "", "", false)
	f.Add([]byte(nil), "\xff<&>\u2028", "\x00", "\xff", strings.Repeat("r", 300), []byte("not json"), int64(-1), "\xc0", "ü", ",,", true)
	f.Add([]byte(nil), "p", "", "", "", []byte{}, int64(1)<<62, "", "", "a", false)

	f.Fuzz(func(t *testing.T, data []byte, provider, idToken, accessToken, refreshToken string, claims []byte, expiry int64, userID, username, groups string, admin bool) {
		// Arbitrary bytes.
		if d, err := decodeSession(data); err != nil {
			if d != nil || err != errSessionFormat {
				t.Fatalf("decodeSession(%q) = %+v, %v; want nil, errSessionFormat", data, d, err)
			}
		} else {
			again := fuzzEncode(t, d)
			d2 := fuzzDecode(t, again)
			if !reflect.DeepEqual(d2, d) {
				t.Fatalf("decode(encode(d)) = %+v; want %+v", d2, d)
			}
			if b := fuzzEncode(t, d2); !bytes.Equal(b, again) {
				t.Fatalf("encoding is not stable: %q, then %q", again, b)
			}
			info := &SessionInfo{rawClaims: d.Claims}
			_, err := decodeClaims(d.Claims)
			if c := info.Claims(); (c != nil) != (len(d.Claims) > 0 && err == nil) {
				t.Fatalf("SessionInfo.Claims() = %v for claims %q (decodeClaims: %v)", c, d.Claims, err)
			}
		}

		// Session data built from fuzzed strings.
		sd := fuzzSessionData(provider, idToken, accessToken, refreshToken, claims, expiry, userID, username, groups, admin)
		x := fuzzEncode(t, sd)
		d := fuzzDecode(t, x)
		if d.IDToken != idToken || d.AccessToken != accessToken || d.RefreshToken != refreshToken ||
			!bytes.Equal(d.Claims, claims) || d.Expiry != expiry || (d.User == nil) != (sd.User == nil) {
			t.Fatalf("decode(encode(%+v)) = %+v", sd, d)
		}
		y := fuzzEncode(t, d)
		if fuzzValidUTF8(sd) {
			if d.Provider != sd.Provider || !reflect.DeepEqual(d.User, sd.User) {
				t.Fatalf("head changed: %q %+v; want %q %+v", d.Provider, d.User, sd.Provider, sd.User)
			}
			if !bytes.Equal(y, x) {
				t.Fatalf("encode(decode(x)) = %q; want x = %q", y, x)
			}
		} else if z := fuzzEncode(t, fuzzDecode(t, y)); !bytes.Equal(z, y) {
			// JSON replaced the invalid bytes; from then on it is stable.
			t.Fatalf("encoding is not stable: %q, then %q", y, z)
		}
		if d, err := decodeSession(x[:len(x)-1]); err == nil {
			t.Fatalf("a truncated encoding decoded: %+v", d)
		}
		if d, err := decodeSession(append(x, 0)); err == nil {
			t.Fatalf("an extended encoding decoded: %+v", d)
		}
	})
}

// --- Regression tests for what the fuzz targets found --------------------------

// TestDecodeClaimsRejectsStrayClosers: decodeClaims used to accept an
// object followed by a stray '}' or ']' (json.Decoder.More reports no more
// data there), although it refuses other trailing data. Found by
// FuzzDecodeClaims.
func TestDecodeClaimsRejectsStrayClosers(t *testing.T) {
	for _, s := range []string{`{}}`, `{"sub":"a"}]`, `{"sub":"a"} }`, "{}\n]\n", `{}]}`} {
		if m, err := decodeClaims([]byte(s)); err == nil {
			t.Errorf("decodeClaims(%q) = %v; want an error", s, m)
		}
	}
	for _, s := range []string{`{}`, " {\"sub\":\"a\"}\r\n\t "} {
		if _, err := decodeClaims([]byte(s)); err != nil {
			t.Errorf("decodeClaims(%q): %v", s, err)
		}
	}
}

// TestSafeReturnToEncodedDotsAndControls: safeReturnTo refuses "/.//host",
// which dot-segment removal turns into the network path "//host", and
// "/%2F/host", which becomes one once decoded. It used to accept the same
// tricks spelled with "%2e" (which browsers read as a dot segment) or with
// an encoded tab or newline (which browsers drop once the path is decoded),
// and passed C1 control characters through in the query. Found by
// FuzzSafeReturnTo.
func TestSafeReturnToEncodedDotsAndControls(t *testing.T) {
	base, _ := url.Parse("https://app.example.com/callback")
	for _, raw := range []string{
		"/%2E//evil.example", "/%2e//evil.example", "/%2e%2e//evil.example", "/a/%2E%2e//evil.example",
		"/.%2e//evil.example", "/%2e./evil.example", "https://app.example.com/%2e//evil.example",
		"/%09/evil.example", "/%0A/evil.example", "/%0d%0a/evil.example", "/a%00b",
		"/x?\u0085", "/x?a=\u009b", "/\u0080",
	} {
		if out, ok := safeReturnTo(raw, base); ok {
			t.Errorf("safeReturnTo(%q) = %q; want it refused", raw, out)
		}
	}
	for raw, want := range map[string]string{
		"/a.b/c..d/.e/..f": "/a.b/c..d/.e/..f",
		"/%2e%2e.x/y":      "/%2e%2e.x/y",
		"/x?q=%0A%C2%85":   "/x?q=%0A%C2%85",
		"/é?q=ü":           "/%C3%A9?q=ü",
	} {
		if out, ok := safeReturnTo(raw, base); !ok || out != want {
			t.Errorf("safeReturnTo(%q) = %q, %v; want %q", raw, out, ok, want)
		}
	}
}
