package rp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// webFingerServer is a TLS server answering WebFinger requests with
// status, content type and body, and recording the last query.
func webFingerServer(t *testing.T, status int, ctype, body string) (*httptest.Server, *string) {
	t.Helper()
	query := new(string)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" {
			http.NotFound(w, r)
			return
		}
		*query = r.URL.RawQuery
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, query
}

// emailAt is an address at srv's host:port.
func emailAt(srv *httptest.Server) string {
	return "joe@" + strings.TrimPrefix(srv.URL, "https://")
}

const jrdOK = `{"subject":"acct:joe@x","links":[{"rel":"self","href":"http://a"},{"rel":"` + IssuerRel + `","href":"https://idp.example/tenant"}]}`

// TestDiscoverIssuer: the issuer link of the domain's JRD is returned,
// asked for with resource=acct:<email> and the issuer rel.
func TestDiscoverIssuer(t *testing.T) {
	srv, query := webFingerServer(t, 200, "application/jrd+json", jrdOK)
	iss, err := DiscoverIssuer(context.Background(), srv.Client(), emailAt(srv))
	if err != nil || iss != "https://idp.example/tenant" {
		t.Fatalf("DiscoverIssuer = %q, %v", iss, err)
	}
	want := "rel=" + strings.ReplaceAll(strings.ReplaceAll(IssuerRel, ":", "%3A"), "/", "%2F") +
		"&resource=acct%3Ajoe%40" + strings.ReplaceAll(strings.TrimPrefix(srv.URL, "https://"), ":", "%3A")
	if *query != want {
		t.Errorf("query %q, want %q", *query, want)
	}
	// A loopback http issuer named by a loopback domain, as in tests.
	srv, _ = webFingerServer(t, 200, "application/json", `{"links":[{"rel":"`+IssuerRel+`","href":"http://127.0.0.1:9/t"}]}`)
	if iss, err := DiscoverIssuer(context.Background(), srv.Client(), emailAt(srv)); err != nil || iss != "http://127.0.0.1:9/t" {
		t.Fatalf("loopback issuer: %q, %v", iss, err)
	}
}

// TestDiscoverIssuerHostile: each hostile answer is refused with its
// exact kind, and every error matches ErrWebFinger.
func TestDiscoverIssuerHostile(t *testing.T) {
	link := func(href string) string { return `{"links":[{"rel":"` + IssuerRel + `","href":"` + href + `"}]}` }
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		want              error
	}{
		{"http href", "application/jrd+json", link("http://idp.example"), 200, ErrWebFingerInsecureIssuer},
		{"javascript href", "application/jrd+json", link("javascript:alert(1)"), 200, ErrWebFingerInsecureIssuer},
		{"relative href", "application/jrd+json", link("/issuer"), 200, ErrWebFingerInsecureIssuer},
		{"href with query", "application/jrd+json", link("https://idp.example/?a=b"), 200, ErrWebFingerInsecureIssuer},
		{"href with fragment", "application/jrd+json", link("https://idp.example/#f"), 200, ErrWebFingerInsecureIssuer},
		{"href with user", "application/jrd+json", link("https://u@idp.example/"), 200, ErrWebFingerInsecureIssuer},
		{"wrong rel", "application/jrd+json", `{"links":[{"rel":"http://openid.net/specs/connect/1.0/issuerx","href":"https://idp.example"}]}`, 200, ErrWebFingerNoIssuer},
		{"no links", "application/jrd+json", `{"subject":"acct:joe@x"}`, 200, ErrWebFingerNoIssuer},
		{"empty links", "application/jrd+json", `{"links":[]}`, 200, ErrWebFingerNoIssuer},
		{"bad JSON", "application/jrd+json", `{"links":[`, 200, ErrWebFingerMalformed},
		{"JSON array", "application/jrd+json", `[{"links":[]}]`, 200, ErrWebFingerMalformed},
		{"trailing data", "application/jrd+json", jrdOK + `{}`, 200, ErrWebFingerMalformed},
		{"links not array", "application/jrd+json", `{"links":{"rel":"x"}}`, 200, ErrWebFingerMalformed},
		{"link not object", "application/jrd+json", `{"links":["` + IssuerRel + `"]}`, 200, ErrWebFingerMalformed},
		{"href not string", "application/jrd+json", `{"links":[{"rel":"` + IssuerRel + `","href":7}]}`, 200, ErrWebFingerMalformed},
		{"no href", "application/jrd+json", `{"links":[{"rel":"` + IssuerRel + `"}]}`, 200, ErrWebFingerMalformed},
		{"link without rel", "application/jrd+json", `{"links":[{"href":"https://idp.example"}]}`, 200, ErrWebFingerMalformed},
		{"two issuers", "application/jrd+json", `{"links":[{"rel":"` + IssuerRel + `","href":"https://a.example"},{"rel":"` + IssuerRel + `","href":"https://b.example"}]}`, 200, ErrWebFingerMalformed},
		{"HTML", "text/html", `<html>` + link("https://idp.example") + `</html>`, 200, ErrWebFingerMalformed},
		{"oversized", "application/jrd+json", `{"pad":"` + strings.Repeat("x", MaxWebFingerSize) + `","links":[]}`, 200, ErrWebFingerTooLarge},
		{"404", "application/jrd+json", link("https://idp.example"), 404, ErrWebFingerUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := webFingerServer(t, tc.status, tc.ctype, tc.body)
			iss, err := DiscoverIssuer(context.Background(), srv.Client(), emailAt(srv))
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrWebFinger) || iss != "" {
				t.Fatalf("DiscoverIssuer = %q, %v; want %v", iss, err, tc.want)
			}
		})
	}
}

// TestDiscoverIssuerAddress: inputs that are not an email address with a
// host are refused before any request.
func TestDiscoverIssuerAddress(t *testing.T) {
	for _, email := range []string{"", "joe", "@idp.example", "joe@", "joe@idp.example/path", "joe@idp.example?x", "joe@user@", "jo e@idp.example",
		"joe@idp_example", "joe@idp.example#f", "joe\n@idp.example", "joe@" + strings.Repeat("a", maxEmail)} {
		if _, err := DiscoverIssuer(context.Background(), http.DefaultClient, email); !errors.Is(err, ErrWebFingerAddress) || !errors.Is(err, ErrWebFinger) {
			t.Errorf("%q: %v, want ErrWebFingerAddress", email, err)
		}
	}
}

// TestDiscoverIssuerHTTPSOnly: the domain is asked over https only; a
// plain http server cannot answer, and a redirect off https is not
// followed.
func TestDiscoverIssuerHTTPSOnly(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jrd+json")
		_, _ = w.Write([]byte(jrdOK))
	}))
	t.Cleanup(plain.Close)
	if _, err := DiscoverIssuer(context.Background(), plain.Client(), "joe@"+strings.TrimPrefix(plain.URL, "http://")); !errors.Is(err, ErrWebFingerUnavailable) {
		t.Errorf("plain http server: %v, want ErrWebFingerUnavailable", err)
	}
	redirect := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	if _, err := DiscoverIssuer(context.Background(), redirect.Client(), emailAt(redirect)); !errors.Is(err, ErrWebFingerUnavailable) {
		t.Errorf("redirect to http: %v, want ErrWebFingerUnavailable", err)
	}
}

// TestDiscoverIssuerContext: a cancelled context makes no request succeed.
func TestDiscoverIssuerContext(t *testing.T) {
	srv, query := webFingerServer(t, 200, "application/jrd+json", jrdOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DiscoverIssuer(ctx, srv.Client(), emailAt(srv)); !errors.Is(err, ErrWebFingerUnavailable) || *query != "" {
		t.Errorf("cancelled: %v, query %q", err, *query)
	}
}
