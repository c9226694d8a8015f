package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// redirectServer serves /same (to /final), /cross (to other.example.com),
// /port (to another port), /downgrade (to http), /loop/N (to /loop/N+1)
// and /final, and counts the requests per path.
func redirectServer(t *testing.T) (srv *httptest.Server, hits func(path string) int) {
	var mu sync.Mutex
	counts := map[string]int{}
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		counts[r.Host+r.URL.Path]++
		mu.Unlock()
		_, p, _ := strings.Cut(r.Host, ":")
		switch {
		case r.URL.Path == "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case r.URL.Path == "/cross":
			http.Redirect(w, r, "https://other.example.com:"+p+"/final", http.StatusFound)
		case r.URL.Path == "/port":
			http.Redirect(w, r, "https://idp.example.com:1/final", http.StatusFound)
		case r.URL.Path == "/downgrade":
			http.Redirect(w, r, "http://idp.example.com:"+p+"/final", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/loop/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/loop/"))
			http.Redirect(w, r, "/loop/"+strconv.Itoa(n+1), http.StatusFound)
		case r.URL.Path == "/final":
			io.WriteString(w, "final")
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[path]
	}
}

// TestRedirects: a redirect is followed only to the same scheme, host and
// port, at most MaxRedirects times; any other is refused with ErrRedirect
// without being requested.
func TestRedirects(t *testing.T) {
	srv, hits := redirectServer(t)
	p := port(t, srv.Listener.Addr().String())
	host := "idp.example.com:" + p
	res := newResolver(map[string][][]netip.Addr{
		"idp.example.com":   {addrs("127.0.0.1")},
		"other.example.com": {addrs("127.0.0.1")},
	})
	c := Policy{Resolver: res, Allow: loopback, AllowHTTP: true}.Client(srv.Client())

	resp, err := c.Get("https://" + host + "/same")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "final" {
		t.Fatalf("same-host redirect: body %q", body)
	}

	for _, tc := range []struct{ path, to string }{
		{"/cross", "https://other.example.com:" + p},
		{"/port", "https://idp.example.com:1"},
		{"/downgrade", "http://idp.example.com:" + p},
	} {
		_, err := c.Get("https://" + host + tc.path)
		want := `Get "` + tc.to + `/final": outbound: redirect from https://` + host + " to " + tc.to +
			": redirect refused by the outbound policy (only redirects to the same scheme, host and port are followed)"
		if !errors.Is(err, ErrRedirect) || err.Error() != want {
			t.Errorf("%s: err = %v; want %q", tc.path, err, want)
		}
	}
	if n := hits("other.example.com:" + p + "/final"); n != 0 {
		t.Errorf("the other host was requested %d times", n)
	}
	if n := res.count("other.example.com"); n != 0 {
		t.Errorf("the other host was looked up %d times", n)
	}

	_, err = c.Get("https://" + host + "/loop/0")
	want := `Get "/loop/6": outbound: stopped after 5 redirects: redirect refused by the outbound policy`
	if !errors.Is(err, ErrRedirect) || err.Error() != want {
		t.Errorf("loop: err = %v; want %q", err, want)
	}
	if hits(host+"/loop/5") != 1 || hits(host+"/loop/6") != 0 {
		t.Errorf("loop: /loop/5 requested %d times, /loop/6 %d; want 1 and 0", hits(host+"/loop/5"), hits(host+"/loop/6"))
	}
}

// TestRedirectKeepsBasePolicy: base's own CheckRedirect still applies
// after the policy's, so a client that follows no redirect keeps doing so.
func TestRedirectKeepsBasePolicy(t *testing.T) {
	srv, hits := redirectServer(t)
	host := "idp.example.com:" + port(t, srv.Listener.Addr().String())
	base := srv.Client()
	base.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res := newResolver(map[string][][]netip.Addr{"idp.example.com": {addrs("127.0.0.1")}})
	resp, err := Policy{Resolver: res, Allow: loopback}.Client(base).Get("https://" + host + "/same")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits(host+"/final") != 0 {
		t.Fatalf("status %d, /final requested %d times; want 302 and 0", resp.StatusCode, hits(host+"/final"))
	}
}

// TestCheckURL: CheckURL refuses what a request would refuse, without
// connecting.
func TestCheckURL(t *testing.T) {
	res := newResolver(map[string][][]netip.Addr{
		"idp.example.com":  {addrs("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")},
		"meta.example.com": {addrs("169.254.169.254")},
	})
	p := Policy{Resolver: res}
	for _, tc := range []struct {
		url  string
		is   error
		want string
	}{
		{"https://idp.example.com/.well-known/openid-configuration", nil, ""},
		{"https://meta.example.com/", ErrForbiddenAddress, "outbound: meta.example.com resolves to 169.254.169.254, which is link-local: address refused by the outbound policy"},
		{"https://10.1.2.3:8443/", ErrForbiddenAddress, "outbound: 10.1.2.3 is private: address refused by the outbound policy"},
		{"http://idp.example.com/", ErrForbiddenScheme, "outbound: http://idp.example.com: scheme refused by the outbound policy (only https is allowed)"},
		{"javascript:alert(1)", ErrForbiddenScheme, "outbound: javascript:: scheme refused by the outbound policy (only https is allowed)"},
		{"https:///path", nil, "outbound: the URL has no host"},
		{"https://[::1", nil, `outbound: the URL cannot be parsed: parse "https://[::1": missing ']' in host`},
	} {
		err := p.CheckURL(context.Background(), tc.url)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.url, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.want || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%s: err = %v; want %q", tc.url, err, tc.want)
		}
	}
}
