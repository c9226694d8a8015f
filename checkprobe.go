package rp

// The probes of the authorization and end-session endpoints: does the
// provider accept the redirect URLs? Both send a request a browser would
// send, follow no redirect and sign nobody in.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// maxProbeBody bounds how much of a probed page is read.
const maxProbeBody = 64 << 10

// probeAnswer is what a probed endpoint answered.
type probeAnswer struct {
	status   int
	location *url.URL // the resolved Location of a 3xx, or nil
	code     string   // the OAuth error code of a JSON answer, sanitized
	words    string   // the description or the page's text, sanitized
}

// String gives the answer as "HTTP 400 invalid_request "words"".
func (a probeAnswer) String() string {
	s := fmt.Sprintf("HTTP %d", a.status)
	if a.code != "" {
		s += " " + a.code
	}
	if a.words != "" {
		s += ` "` + a.words + `"`
	}
	return s
}

// probe sends req with client, without following redirects, and reads the
// answer. Its error is worded for an administrator.
func probe(base *http.Client, req *http.Request) (probeAnswer, error) {
	client := *base
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		if np := netProblem(req.URL.String(), err); np != "" {
			return probeAnswer{}, errors.New(np)
		}
		return probeAnswer{}, fmt.Errorf("the request to %s failed: %v", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	a := probeAnswer{status: resp.StatusCode}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := req.URL.Parse(resp.Header.Get("Location")); err == nil && resp.Header.Get("Location") != "" {
			a.location = loc
		}
		return a, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody)) // a cut page is still read
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if (ct == "application/json" || strings.HasSuffix(ct, "+json")) && json.Unmarshal(body, &e) == nil {
		a.code, a.words = sanitize(e.Error), sanitize(e.Description)
		return a, nil
	}
	a.words = sanitize(pageText(string(body)))
	return a, nil
}

var (
	hiddenElements = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>`)
	markup         = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)
)

// pageText returns the text of an HTML (or plain text) page: without
// scripts, styles, comments and tags, entities decoded, white space
// collapsed.
func pageText(page string) string {
	page = hiddenElements.ReplaceAllString(page, " ")
	page = markup.ReplaceAllString(page, " ")
	return strings.Join(strings.Fields(html.UnescapeString(page)), " ")
}

// mentionsRedirect reports whether a provider's words are about a redirect
// URL, as the error pages for an unregistered one are.
func mentionsRedirect(words string) bool {
	w := strings.ToLower(words)
	for _, s := range []string{"redirect_uri", "redirect uri", "redirect url", "redirect_url", "reply url", "callback url", "post_logout"} {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}

// sameEndpoint reports whether loc points at the endpoint raw, whatever
// its query and fragment.
func sameEndpoint(loc *url.URL, raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && loc != nil && strings.EqualFold(loc.Scheme, u.Scheme) && strings.EqualFold(loc.Host, u.Host) &&
		loc.EscapedPath() == u.EscapedPath()
}

// where shows a redirect target without its query, which may carry codes.
func where(loc *url.URL) string {
	return sanitize(loc.Scheme + "://" + loc.Host + loc.EscapedPath())
}

// probeRedirect sends an authorization request as a login would, with
// prompt=none, and records the "redirect_url" finding. Whatever comes
// back, nobody is signed in: a code that a signed-in browser session would
// get is never redeemed, and the redirect is not followed.
func (c *checker) probeRedirect(ctx context.Context, md *ProviderMetadata) {
	raw := c.cfg.RedirectURL
	scopes := c.cfg.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	q := url.Values{}
	for k, vs := range c.cfg.ExtraAuthParams { // as a login sends them; Validate keeps out the reserved ones
		if len(vs) > 0 {
			q.Set(k, vs[0])
		}
	}
	q.Set("client_id", c.cfg.ClientID)
	q.Set("redirect_uri", raw)
	q.Set("response_type", c.cfg.responseType())
	q.Set("scope", strings.Join(scopes, " "))
	q.Set("state", randomString())
	q.Set("nonce", randomString())
	q.Set("prompt", "none")
	if !c.cfg.DisablePKCE {
		challenge := sha256.Sum256([]byte(randomString()))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(challenge[:]))
		q.Set("code_challenge_method", "S256")
	}
	// No response_mode: the default ones, query and fragment, both answer
	// with a redirect that tells where the provider sends the browser.
	a, err := c.probeGet(ctx, md.AuthorizationEndpoint, q)
	register := fmt.Sprintf("register %q at the provider exactly as written (scheme, host, port, path, trailing slash), and check ClientID", raw)
	switch {
	case err != nil:
		c.add("redirect_url", CheckWarn, fmt.Sprintf("could not tell whether %q is registered: %v: is the authorization endpoint %s right?", raw, err, md.AuthorizationEndpoint))
	case a.location != nil && sameEndpoint(a.location, raw):
		c.add("redirect_url", CheckOK, fmt.Sprintf("%q is registered: the provider sends the browser back to it", raw))
	case a.location != nil:
		c.add("redirect_url", CheckWarn, fmt.Sprintf("could not tell whether %q is registered: the provider redirected to %s (probably its sign-in page) instead of answering at once; some providers check the redirect URL only after sign-in, so try one, and make sure the URL is registered exactly as written", raw, where(a.location)))
	case a.status >= 200 && a.status < 300 && mentionsRedirect(a.words):
		c.add("redirect_url", CheckFail, fmt.Sprintf("the provider rejected this redirect URL (%s): %s", a, register))
	case a.status >= 400 && a.status < 500:
		c.add("redirect_url", CheckFail, fmt.Sprintf("the provider rejected this redirect URL (%s): %s", a, register))
	default:
		c.add("redirect_url", CheckWarn, fmt.Sprintf("could not tell whether %q is registered: the provider answered %s instead of a redirect", raw, a))
	}
}

// postLogoutURL checks the post-logout redirect URL and asks the provider's
// end-session endpoint whether it accepts it; md may be nil, and then only
// the URL itself is checked.
func (c *checker) postLogoutURL(ctx context.Context, md *ProviderMetadata, raw string) {
	const check = "post_logout_redirect_url"
	if msg := urlProblem(raw, "the absolute URL the provider sends the browser to after logout"); msg != "" {
		c.add(check, CheckFail, msg)
		return
	}
	if u, _ := url.Parse(raw); u.Fragment != "" || strings.Contains(raw, "#") {
		c.add(check, CheckFail, "remove the #fragment from the post-logout redirect URL: redirect URLs must not contain one")
		return
	}
	if md == nil || c.bad["ClientID"] {
		return
	}
	if md.EndSessionEndpoint == "" {
		c.add(check, CheckWarn, fmt.Sprintf("the provider has no end_session_endpoint (RP-initiated logout), so it cannot send the browser back to %q after logout; only the local session ends", raw))
		return
	}
	q := url.Values{"client_id": {c.cfg.ClientID}, "post_logout_redirect_uri": {raw}, "state": {randomString()}}
	a, err := c.probeGet(ctx, md.EndSessionEndpoint, q)
	const unsure = "could not tell whether it is registered: "
	switch {
	case err != nil:
		c.add(check, CheckWarn, fmt.Sprintf("%s%v: is the end-session endpoint %s right?", unsure, err, md.EndSessionEndpoint))
	case a.location != nil && sameEndpoint(a.location, raw):
		c.add(check, CheckOK, fmt.Sprintf("%q is registered: the provider sends the browser back to it after logout", raw))
	case a.location != nil:
		c.add(check, CheckWarn, fmt.Sprintf("%sthe provider redirected to %s instead of to %q; many providers return to it only for a logout with an ID token (id_token_hint), so try a logout", unsure, where(a.location), raw))
	case mentionsRedirect(a.words) || mentionsRedirect(a.code):
		c.add(check, CheckFail, fmt.Sprintf("the provider rejected this post-logout redirect URL (%s): register %q at the provider as a post-logout (sign-out) redirect URL, exactly as written", a, raw))
	default:
		c.add(check, CheckWarn, fmt.Sprintf("%sthe provider answered %s; many providers return to it only for a logout with an ID token (id_token_hint), so try a logout", unsure, a))
	}
}

// probeGet sends a GET to endpoint with the parameters q added to its
// query.
func (c *checker) probeGet(ctx context.Context, endpoint string, q url.Values) (probeAnswer, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return probeAnswer{}, fmt.Errorf("%q is not a URL", endpoint)
	}
	all := u.Query()
	for k, vs := range q {
		all[k] = vs
	}
	u.RawQuery = all.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return probeAnswer{}, err
	}
	req.Header.Set("Accept", "text/html,application/json;q=0.9,*/*;q=0.8")
	return probe(c.client, req)
}

// netProblem words err when it shows that the provider at rawURL did not
// answer, naming the host and port tried, and returns "" for any other
// error.
func netProblem(rawURL string, err error) string {
	addr := rawURL
	if u, perr := url.Parse(rawURL); perr == nil && u.Host != "" {
		addr = u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
	}
	var dns *net.DNSError
	var op *net.OpError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &dns):
		return fmt.Sprintf("the host name %q is not known (%s)", sanitize(dns.Name), sanitize(dns.Err))
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &timeout) && timeout.Timeout()):
		return fmt.Sprintf("the provider did not answer at %s in time", addr)
	case errors.As(err, &op) && op.Op == "dial":
		return fmt.Sprintf("the provider did not answer at %s (%v)", addr, op.Err)
	}
	return ""
}
