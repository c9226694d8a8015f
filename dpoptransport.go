package rp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// maxDPoPOrigins bounds the servers whose latest DPoP nonce an RP keeps.
const maxDPoPOrigins = 256

// dpopNonces remembers the latest DPoP-Nonce of each server origin.
type dpopNonces struct {
	mu sync.Mutex
	m  map[string]string
}

func (n *dpopNonces) get(origin string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[origin]
}

func (n *dpopNonces) put(origin, nonce string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = make(map[string]string)
	}
	if _, ok := n.m[origin]; !ok && len(n.m) >= maxDPoPOrigins {
		for k := range n.m { // forget one: nonces are cheap to learn again
			delete(n.m, k)
			break
		}
	}
	n.m[origin] = nonce
}

// originOf is the scheme and host of u, lower case.
func originOf(u *url.URL) string {
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// dpopTransport adds a DPoP proof to every request whose context carries a
// DPoP key (withDPoPKey), with the latest nonce of the server and, when
// the request carries "Authorization: DPoP <token>", the token's hash. A
// server that asks for a nonce (use_dpop_nonce: HTTP 400 from a token
// endpoint, 401 from a resource server, with a DPoP-Nonce header) gets the
// request once more with it, when its body can be read again. Requests
// without a key pass unchanged. It must wrap every transport that changes
// the request's body (assertionTransport), so a retry gets a fresh client
// assertion too.
type dpopTransport struct {
	base   http.RoundTripper
	nonces *dpopNonces
	now    func() time.Time
}

func (t *dpopTransport) next() http.RoundTripper {
	if t.base == nil {
		return http.DefaultTransport
	}
	return t.base
}

func (t *dpopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := dpopKeyFrom(req.Context())
	if key == nil {
		return t.next().RoundTrip(req)
	}
	origin := originOf(req.URL)
	var token Secret
	if scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "DPoP") {
		token = Secret(strings.TrimSpace(tok))
	}
	sent := t.nonces.get(origin)
	resp, err := t.send(req, req.Body, key, token, sent)
	if err != nil {
		return nil, err
	}
	fresh := resp.Header.Get("DPoP-Nonce")
	if !validDPoPNonce(fresh) {
		return resp, nil
	}
	t.nonces.put(origin, fresh)
	if fresh == sent || !asksForNonce(resp) {
		return resp, nil
	}
	var body io.ReadCloser = http.NoBody
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, nil // cannot send it again
		}
		b, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		body = b
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return t.send(req, body, key, token, fresh)
}

// send sends req with body and a fresh proof.
func (t *dpopTransport) send(req *http.Request, body io.ReadCloser, key *DPoPKey, token Secret, nonce string) (*http.Response, error) {
	proof, err := key.ProofAt(t.now(), req.Method, req.URL.String(), token, nonce)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = body
	out.Header.Set("DPoP", proof)
	return t.next().RoundTrip(out)
}

// asksForNonce reports whether resp is a server's use_dpop_nonce answer:
// HTTP 400 with that OAuth error (a token endpoint), or 401 with a DPoP
// challenge naming it (a resource server). Reading a 400's body to tell,
// it leaves the body readable as before.
func asksForNonce(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return dpopChallengeError(resp.Header.Values("WWW-Authenticate")) == "use_dpop_nonce"
	case http.StatusBadRequest:
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
		var e struct {
			Error string `json:"error"`
		}
		return json.Unmarshal(head, &e) == nil && e.Error == "use_dpop_nonce"
	}
	return false
}

// dpopChallengeError returns the error parameter of the first DPoP
// challenge among WWW-Authenticate header values (RFC 9110 section 11.6.1
// syntax), or "".
func dpopChallengeError(values []string) string {
	for _, v := range values {
		scheme := ""
		p := authParser{s: v}
		for !p.done() {
			name := p.token()
			if name == "" {
				p.skip()
				continue
			}
			if !p.eat('=') {
				scheme = name // a new challenge
				continue
			}
			val, ok := p.value()
			if ok && strings.EqualFold(scheme, "DPoP") && strings.EqualFold(name, "error") {
				return val
			}
		}
	}
	return ""
}

// authParser reads the tokens and parameters of a WWW-Authenticate value.
type authParser struct{ s string }

func (p *authParser) done() bool { p.space(); return p.s == "" }

func (p *authParser) space() { p.s = strings.TrimLeft(p.s, " \t,") }

// skip drops one character that starts nothing the parser reads.
func (p *authParser) skip() { p.s = p.s[1:] }

func (p *authParser) token() string {
	p.space()
	i := strings.IndexFunc(p.s, notTokenChar)
	if i < 0 {
		i = len(p.s)
	}
	t := p.s[:i]
	p.s = p.s[i:]
	return t
}

func (p *authParser) eat(c byte) bool {
	s := strings.TrimLeft(p.s, " \t")
	if s == "" || s[0] != c {
		return false
	}
	p.s = s[1:]
	return true
}

// value reads a token or a quoted string.
func (p *authParser) value() (string, bool) {
	p.s = strings.TrimLeft(p.s, " \t")
	if !strings.HasPrefix(p.s, `"`) {
		t := p.token()
		return t, t != ""
	}
	var b strings.Builder
	for i := 1; i < len(p.s); i++ {
		switch c := p.s[i]; c {
		case '\\':
			if i+1 < len(p.s) {
				i++
				b.WriteByte(p.s[i])
			}
		case '"':
			p.s = p.s[i+1:]
			return b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	p.s = ""
	return "", false
}

// dpopClient returns a copy of c whose requests carry DPoP proofs when
// their context has a key (see dpopTransport), sharing nonces.
func dpopClient(c *http.Client, nonces *dpopNonces, now func() time.Time) *http.Client {
	wrapped := *c
	wrapped.Transport = &dpopTransport{base: c.Transport, nonces: nonces, now: now}
	return &wrapped
}

// dpopState is an RP's DPoP (Config.DPoP): the nonces its servers gave
// and the client for userinfo.
type dpopState struct {
	nonces dpopNonces
	api    *http.Client // r.client with proofs, for userinfo
}

// setupDPoP turns DPoP on for r when configured: the token endpoint's and
// the PAR endpoint's clients add proofs (outermost, see dpopTransport).
func (r *RP) setupDPoP() {
	if !r.cfg.DPoP {
		return
	}
	d := &dpopState{}
	d.api = dpopClient(r.endpointClient(), &d.nonces, r.now)
	r.tokenClient = dpopClient(r.tokenClient, &d.nonces, r.now)
	if r.par != nil {
		r.par.client = dpopClient(r.par.client, &d.nonces, r.now)
	}
	r.dpop = d
}

// apiClient is the client for requests with an access token: userinfo.
// It presents the client certificate under mTLS (endpointClient) and adds
// DPoP proofs under Config.DPoP.
func (r *RP) apiClient() *http.Client {
	if r.dpop != nil {
		return r.dpop.api
	}
	return r.endpointClient()
}

// dpopLoginStart draws the login's DPoP key when its authorization request
// is pushed: the key goes into the sealed transaction tx, its thumbprint
// into the request as dpop_jkt (RFC 9449 section 10), and the push itself
// carries a proof (the returned context). Without PAR or DPoP it changes
// nothing; the callback then draws the key.
func (r *RP) dpopLoginStart(ctx context.Context, tx *transaction, params []oauth2.AuthCodeOption) (context.Context, []oauth2.AuthCodeOption, error) {
	if r.dpop == nil || r.par == nil {
		return ctx, params, nil
	}
	key, err := NewDPoPKey()
	if err != nil {
		return nil, nil, err
	}
	b, err := key.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	tx.DPoPKey = base64.RawURLEncoding.EncodeToString(b)
	params = append(params, oauth2.SetAuthURLParam("dpop_jkt", key.Thumbprint()))
	return withDPoPKey(ctx, key), params, nil
}

// loginDPoPKey is the DPoP key of the login tx: the one drawn at its start
// (see dpopLoginStart), or a new one; nil when DPoP is off. A key in the
// transaction that does not parse makes the state invalid.
func (r *RP) loginDPoPKey(tx *transaction) (*DPoPKey, error) {
	if r.dpop == nil {
		return nil, nil
	}
	if tx.DPoPKey == "" {
		return NewDPoPKey()
	}
	b, err := base64.RawURLEncoding.DecodeString(tx.DPoPKey)
	if err != nil {
		return nil, ErrStateInvalid
	}
	k, err := ParseDPoPKey(b)
	if err != nil {
		return nil, ErrStateInvalid
	}
	return k, nil
}

// checkTokenType refuses a token response whose token_type does not match
// DPoP's being on: a Bearer (or other) token where DPoP was asked for is a
// downgrade (ErrDPoPDowngrade), a DPoP token where it was not cannot be
// used (ErrDPoPUnrequested). DPoP is matched case-insensitively and then
// spelled "DPoP".
func (r *RP) checkTokenType(tok *oauth2.Token, refresh bool) error {
	isDPoP := strings.EqualFold(tok.TokenType, "DPoP")
	switch {
	case r.dpop != nil && !isDPoP:
		return &TokenError{Refresh: refresh, Err: ErrDPoPDowngrade}
	case r.dpop == nil && isDPoP:
		return &TokenError{Refresh: refresh, Err: ErrDPoPUnrequested}
	case isDPoP:
		tok.TokenType = "DPoP"
	}
	return nil
}
