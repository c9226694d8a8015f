//go:build integration

package integration

import (
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// maxRedirects bounds the redirects one navigation follows.
const maxRedirects = 15

// browser is an http.Client with a cookie jar that follows redirects
// itself, so that every hop of a navigation is recorded.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// hop is one response of a navigation.
type hop struct {
	Method   string
	URL      *url.URL
	Status   int
	Location string // the Location header of a redirect
}

// page is where a navigation ended.
type page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
	// Hops are the responses of the navigation in order, the last one
	// being the page itself.
	Hops []hop
}

func (p *page) String() string {
	var b strings.Builder
	for _, h := range p.Hops {
		fmt.Fprintf(&b, "  %s %s -> %d %s\n", h.Method, h.URL.Redacted(), h.Status, h.Location)
	}
	body := p.Body
	if len(body) > 2000 {
		body = body[:2000] + "…"
	}
	fmt.Fprintf(&b, "  body: %s", body)
	return b.String()
}

// visited reports whether any hop of the navigation requested a URL with
// the given host and path.
func (p *page) visited(host, path string) bool {
	for _, h := range p.Hops {
		if h.URL.Host == host && h.URL.Path == path {
			return true
		}
	}
	return false
}

// hopTo returns the first hop that requested host and path, or fails.
func (p *page) hopTo(t *testing.T, host, path string) hop {
	t.Helper()
	for _, h := range p.Hops {
		if h.URL.Host == host && h.URL.Path == path {
			return h
		}
	}
	t.Fatalf("the navigation never requested %s%s:\n%s", host, path, p)
	return hop{}
}

// get loads rawURL and follows redirects.
func (b *browser) get(rawURL string) *page {
	b.t.Helper()
	return b.navigate(http.MethodGet, rawURL, nil, nil)
}

// navigate sends a request as a browser would (a form POST when form is
// non-nil) and follows redirects: 301, 302 and 303 with a GET, 307 and 308
// with the same method and form. header is sent with the first request
// only.
func (b *browser) navigate(method, rawURL string, form url.Values, header http.Header) *page {
	b.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		b.t.Fatalf("bad URL %q: %v", rawURL, err)
	}
	p := &page{}
	for i := 0; ; i++ {
		if i > maxRedirects {
			b.t.Fatalf("more than %d redirects:\n%s", maxRedirects, p)
		}
		resp, body := b.send(method, u, form, header)
		h := hop{Method: method, URL: u, Status: resp.StatusCode}
		loc := resp.Header.Get("Location")
		isRedirect := loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400
		if isRedirect {
			h.Location = loc
		}
		p.Hops = append(p.Hops, h)
		if !isRedirect {
			p.URL, p.Status, p.Header, p.Body = u, resp.StatusCode, resp.Header, body
			return p
		}
		next, err := u.Parse(loc)
		if err != nil {
			b.t.Fatalf("bad Location %q from %s: %v", loc, u.Redacted(), err)
		}
		switch resp.StatusCode {
		case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			method, form = http.MethodGet, nil
		}
		header = nil
		u = next
	}
}

// send makes one request and returns the response with its body read.
func (b *browser) send(method string, u *url.URL, form url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	req.Header.Set("User-Agent", "rp-integration-test")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		b.t.Fatalf("%s %s: reading the body: %v", method, u.Redacted(), err)
	}
	return resp, string(data)
}

// htmlForm is a form found in a page.
type htmlForm struct {
	Action *url.URL
	Method string
	// Fields are the values the form would submit as it stands: its
	// named inputs (hidden ones included), checked boxes only.
	Fields url.Values
	// Types maps each input name to its type ("text" when not given).
	Types map[string]string
	// Autocomplete maps input names to their autocomplete attribute.
	Autocomplete map[string]string
}

var (
	commentRE = regexp.MustCompile(`(?s)<!--.*?-->`)
	formRE    = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form\s*>`)
	inputRE   = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	// attrRE matches name, name=value, name='value' and name="value".
	attrRE = regexp.MustCompile(`([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
)

// attributes parses the attributes of a start tag (the text between the
// tag name and '>'), names lower-cased, values unescaped.
func attributes(s string) map[string]string {
	attrs := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		name := strings.ToLower(m[1])
		if _, dup := attrs[name]; dup { // the first one counts, as in HTML
			continue
		}
		attrs[name] = html.UnescapeString(m[2] + m[3] + m[4])
	}
	return attrs
}

// forms returns the forms of an HTML page loaded from base.
func forms(base *url.URL, doc string) ([]*htmlForm, error) {
	doc = commentRE.ReplaceAllString(doc, "")
	var out []*htmlForm
	for _, m := range formRE.FindAllStringSubmatch(doc, -1) {
		fa := attributes(m[1])
		action, err := base.Parse(fa["action"]) // "" is the page itself
		if err != nil {
			return nil, fmt.Errorf("form action %q: %v", fa["action"], err)
		}
		f := &htmlForm{
			Action: action, Method: strings.ToUpper(fa["method"]), Fields: url.Values{},
			Types: map[string]string{}, Autocomplete: map[string]string{},
		}
		if f.Method != http.MethodPost {
			f.Method = http.MethodGet
		}
		for _, im := range inputRE.FindAllStringSubmatch(m[2], -1) {
			ia := attributes(im[1])
			name, ok := ia["name"]
			if !ok || name == "" {
				continue
			}
			typ := strings.ToLower(ia["type"])
			if typ == "" {
				typ = "text"
			}
			switch typ {
			case "submit", "button", "image", "reset", "file":
				continue
			case "checkbox", "radio":
				if _, checked := ia["checked"]; !checked {
					continue
				}
			}
			f.Fields.Add(name, ia["value"])
			f.Types[name] = typ
			f.Autocomplete[name] = strings.ToLower(ia["autocomplete"])
		}
		out = append(out, f)
	}
	return out, nil
}

// loginForm returns the page's form with a password field, or fails.
func loginForm(t *testing.T, p *page) *htmlForm {
	t.Helper()
	fs, err := forms(p.URL, p.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", p.URL.Redacted(), err)
	}
	for _, f := range fs {
		if f.passwordField() != "" {
			return f
		}
	}
	t.Fatalf("no login form (a form with a password field) at %s:\n%s", p.URL.Redacted(), p)
	return nil
}

// passwordField is the name of the form's password input, or "".
func (f *htmlForm) passwordField() string {
	for _, name := range slices.Sorted(maps.Keys(f.Types)) {
		if f.Types[name] == "password" {
			return name
		}
	}
	return ""
}

// usernameField is the name of the input a person would type the username
// into: the one marked autocomplete=username, else one named like it, else
// the only text or email input.
func (f *htmlForm) usernameField() string {
	names := slices.Sorted(maps.Keys(f.Types))
	for _, name := range names {
		if f.Autocomplete[name] == "username" {
			return name
		}
	}
	for _, name := range names {
		switch strings.ToLower(name) {
		case "username", "user", "login", "email":
			return name
		}
	}
	var candidates []string
	for _, name := range names {
		if typ := f.Types[name]; typ == "text" || typ == "email" {
			candidates = append(candidates, name)
		}
	}
	if len(candidates) == 1 {
		return candidates[0]
	}
	return ""
}

// fillLogin returns the form's values with username and password typed in.
func (f *htmlForm) fillLogin(t *testing.T, username, password string) url.Values {
	t.Helper()
	uf, pf := f.usernameField(), f.passwordField()
	if uf == "" || pf == "" {
		t.Fatalf("cannot tell the username field from the others in %v", f.Types)
	}
	v := url.Values{}
	for k, vs := range f.Fields {
		v[k] = append([]string(nil), vs...)
	}
	v.Set(uf, username)
	v.Set(pf, password)
	return v
}

// submit sends values as the form would and follows redirects.
func (b *browser) submit(f *htmlForm, values url.Values) *page {
	b.t.Helper()
	if f.Method == http.MethodPost {
		return b.navigate(http.MethodPost, f.Action.String(), values, nil)
	}
	u := *f.Action
	u.RawQuery = values.Encode()
	return b.navigate(http.MethodGet, u.String(), nil, nil)
}

// signIn fills the login form of p, the provider's login page, with u's
// credentials and submits it.
func (b *browser) signIn(p *page, u opUser) *page {
	b.t.Helper()
	f := loginForm(b.t, p)
	return b.submit(f, f.fillLogin(b.t, u.Username, u.Password))
}
