package rp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// EndpointPushedAuthorization names the pushed authorization request
// endpoint (RFC 9126) in Observer events.
const EndpointPushedAuthorization = "pushed_authorization"

// maxRequestURI bounds the request_uri accepted from the provider.
const maxRequestURI = 2048

// Pushed authorization request failures. Every *PushedAuthorizationError
// matches ErrPushedAuthorization and, when the provider answered success
// with an unusable body, ErrPushedAuthorizationResponse too.
var (
	// ErrPushedAuthorization: the authorization request could not be
	// pushed to the provider; the login does not start.
	ErrPushedAuthorization = errors.New("rp: pushed authorization request failed")
	// ErrPushedAuthorizationResponse: the provider accepted the push but
	// its answer lacks a valid request_uri or expires_in.
	ErrPushedAuthorizationResponse = errors.New("rp: pushed authorization response is not valid")
)

// PushedAuthorizationError is a failed push of an authorization request to
// the provider's pushed authorization request endpoint (RFC 9126). Its
// Code and Description come from the provider and are untrusted: they are
// stripped of control characters and cut to 256 bytes.
type PushedAuthorizationError struct {
	StatusCode  int    // HTTP status, 0 if no response
	Code        string // OAuth error code, e.g. "invalid_request", if sent
	Description string // error_description, sanitized
	// Detail says what was wrong with a success response (then the error
	// matches ErrPushedAuthorizationResponse too), or is "".
	Detail string
	Err    error // underlying transport or read error, if any
}

func (e *PushedAuthorizationError) Error() string {
	var b strings.Builder
	b.WriteString("rp: pushed authorization request failed")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " with HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %q", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %q", e.Description)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Is matches ErrPushedAuthorization, and ErrPushedAuthorizationResponse
// when a success response was unusable.
func (e *PushedAuthorizationError) Is(target error) bool {
	return target == ErrPushedAuthorization || (target == ErrPushedAuthorizationResponse && e.Detail != "")
}

// Unwrap returns the underlying error.
func (e *PushedAuthorizationError) Unwrap() error { return e.Err }

// parClient pushes authorization requests, authenticating as at the token
// endpoint.
type parClient struct {
	endpoint string
	method   string // client authentication method
	clientID string
	secret   string
	client   *http.Client // adds client assertions under private_key_jwt
	obs      Observer
	issuer   string
}

// usePAR reports whether logins push their authorization requests: when
// configured, or always when the provider requires it.
func (c *Config) usePAR(md *ProviderMetadata) bool {
	return c.PushedAuthorization || c.FAPI2 || md.RequirePushedAuthorizationRequests
}

// newPARClient returns the pusher for the provider md, or nil when
// pushed authorization is off. Its client assertions name the issuer as
// audience, which RFC 9126 section 2 says the provider must accept.
func newPARClient(r *RP, c *Config, md *ProviderMetadata, method string) (*parClient, error) {
	if !c.usePAR(md) {
		return nil, nil
	}
	p := &parClient{endpoint: r.parEndpoint(), method: method, clientID: c.ClientID,
		client: r.endpointClient(), obs: r.obs, issuer: md.Issuer}
	switch method {
	case "client_secret_basic", "client_secret_post":
		p.secret = string(c.ClientSecret)
	case "private_key_jwt":
		client, err := assertionClient(r.endpointClient(), c, p.endpoint, md.Issuer)
		if err != nil {
			return nil, err
		}
		p.client = client
	}
	return p, nil
}

// push sends params to the endpoint and returns the request_uri.
func (p *parClient) push(ctx context.Context, params url.Values) (string, error) {
	form := url.Values{}
	for k, vs := range params {
		form[k] = vs
	}
	form.Set("client_id", p.clientID)
	if p.method == "client_secret_post" {
		form.Set("client_secret", p.secret)
	}
	ctx = observed(ctx, p.obs, EndpointPushedAuthorization, p.issuer)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", &PushedAuthorizationError{Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if p.method == "client_secret_basic" {
		req.SetBasicAuth(url.QueryEscape(p.clientID), url.QueryEscape(p.secret))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "", &PushedAuthorizationError{Err: redactedURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", &PushedAuthorizationError{StatusCode: resp.StatusCode, Err: err}
	}
	if resp.StatusCode != http.StatusCreated {
		e := &PushedAuthorizationError{StatusCode: resp.StatusCode}
		var oe struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &oe) == nil {
			e.Code, e.Description = sanitize(oe.Error), sanitize(oe.Description)
		}
		return "", e
	}
	bad := func(detail string) (string, error) {
		return "", &PushedAuthorizationError{StatusCode: resp.StatusCode, Detail: detail}
	}
	var ok struct {
		RequestURI *string          `json:"request_uri"`
		ExpiresIn  *json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &ok); err != nil {
		return bad("the response is not a JSON object")
	}
	switch {
	case ok.RequestURI == nil || *ok.RequestURI == "":
		return bad("the response has no request_uri")
	case len(*ok.RequestURI) > maxRequestURI || strings.IndexFunc(*ok.RequestURI, notURIChar) >= 0:
		return bad("the response's request_uri is not a URI")
	case ok.ExpiresIn == nil:
		return bad("the response has no expires_in")
	}
	var secs int64
	if json.Unmarshal(*ok.ExpiresIn, &secs) != nil || secs <= 0 {
		return bad("the response's expires_in is not a positive integer")
	}
	if u, err := url.Parse(*ok.RequestURI); err != nil || u.Scheme == "" {
		return bad("the response's request_uri is not an absolute URI")
	}
	return *ok.RequestURI, nil
}

// notURIChar reports characters that cannot appear in a URI.
func notURIChar(r rune) bool {
	return r > unicode.MaxASCII || unicode.IsControl(r) || r == ' ' || r == '"' || r == '<' || r == '>'
}

// redactedURLError keeps a transport error's cause without the URL's
// query (the endpoint is the provider's, but be safe).
func redactedURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
