package rp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// requestObjectLifetime is how long a signed request object is valid: the
// browser takes it to the provider at once, or it is pushed at once.
const requestObjectLifetime = 5 * time.Minute

// requestObjectSigner makes signed request objects (RFC 9101).
type requestObjectSigner struct {
	signer   jose.Signer
	clientID string
	audience string // the issuer
	now      func() time.Time
}

// newRequestObjectSigner returns the signer of c's request objects for the
// provider issuer, or nil when Config.RequestObject is off.
func newRequestObjectSigner(c *Config, issuer string) (*requestObjectSigner, error) {
	if !c.RequestObject {
		return nil, nil
	}
	fail := func(err error) error {
		return &ConfigError{Problems: []ConfigProblem{{Field: "ClientKey", Message: err.Error()}}}
	}
	alg, err := c.clientKeyAlgorithm()
	if err != nil {
		return nil, fail(err)
	}
	opts := (&jose.SignerOptions{}).WithType("oauth-authz-req+jwt")
	if c.ClientKeyID != "" {
		opts = opts.WithHeader("kid", c.ClientKeyID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: c.ClientKey}, opts)
	if err != nil {
		return nil, fail(fmt.Errorf("rp: ClientKey cannot sign request objects: %w", err))
	}
	return &requestObjectSigner{signer: signer, clientID: c.ClientID, audience: issuer, now: c.Now}, nil
}

// sign returns a request object carrying every parameter of params (the
// first value of each), with iss the client, aud the issuer, a short exp,
// nbf, iat and a fresh jti. max_age is a number and claims a JSON object,
// as OpenID Connect Core section 6.1 has them.
func (s *requestObjectSigner) sign(params url.Values) (string, error) {
	claims := map[string]any{}
	for k, vs := range params {
		if len(vs) == 0 {
			continue
		}
		claims[k] = vs[0]
	}
	if v, ok := claims["max_age"].(string); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			claims["max_age"] = n
		}
	}
	if v, ok := claims["claims"].(string); ok && json.Valid([]byte(v)) {
		claims["claims"] = json.RawMessage(v)
	}
	now := s.now()
	claims["client_id"] = s.clientID
	std := jwt.Claims{
		Issuer:    s.clientID,
		Audience:  jwt.Audience{s.audience},
		Expiry:    jwt.NewNumericDate(now.Add(requestObjectLifetime)),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        randomString(),
	}
	return jwt.Signed(s.signer).Claims(claims).Claims(std).Serialize()
}

// authRequestURL turns the authorization URL x/oauth2 built into the one
// the browser is sent to: unchanged without PAR and JAR; with JAR the
// parameters travel in a signed request object, with client_id,
// response_type and scope repeated beside it; with PAR they (or the
// request object) are pushed and the browser carries only client_id and
// request_uri. The authorization endpoint's own query parameters stay in
// the browser's URL.
func (r *RP) authRequestURL(ctx context.Context, full string) (string, error) {
	if r.par == nil && r.jar == nil {
		return full, nil
	}
	u, err := url.Parse(full)
	if err != nil {
		return "", err
	}
	params := u.Query()
	browser := url.Values{}
	if base, err := url.Parse(r.md.AuthorizationEndpoint); err == nil {
		for k, vs := range base.Query() {
			browser[k] = vs
			params.Del(k)
		}
	}
	if r.jar != nil {
		obj, err := r.jar.sign(params)
		if err != nil {
			return "", fmt.Errorf("rp: cannot sign the request object: %w", err)
		}
		// OpenID Connect Core 6.1 also wants response_type and scope (with
		// openid) as plain parameters; the provider uses the object's.
		params = url.Values{"client_id": {r.cfg.ClientID}, "request": {obj},
			"response_type": {params.Get("response_type")}, "scope": {params.Get("scope")}}
	}
	if r.par != nil {
		uri, err := r.par.push(ctx, params)
		if err != nil {
			return "", err
		}
		params = url.Values{"client_id": {r.cfg.ClientID}, "request_uri": {uri}}
	}
	for k, vs := range params {
		browser[k] = vs
	}
	u.RawQuery = browser.Encode()
	return u.String(), nil
}
