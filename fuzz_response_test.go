package rp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

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
	return r.sealTx(r.txCookieName(state), plain)
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
	notJSON := r.sealTx(r.txCookieName(fuzzState), []byte("not json"))
	otherName := r.txSealer().Seal([]byte(`{"s":"fuzz-state","n":"n","e":1900000000}`), []byte("rp_tx_other"))

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
		case wantErr != nil && !errors.Is(cerr, wantErr):
			t.Fatalf("Callback error %v; the response is unacceptable, want %v", cerr, wantErr)
		case wantErr == nil && !errors.Is(cerr, ErrState):
			t.Fatalf("Callback error %v; the state is checked first, want a state error", cerr)
		case wantErr == nil && wantParams.Get("state") == "" && !errors.Is(cerr, ErrStateMissing):
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
