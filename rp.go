package rp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/oidcrp/rp/internal/netlimit"
	"github.com/oidcrp/rp/internal/replay"
	"github.com/oidcrp/rp/internal/seal"
)

// RP is a relying party for one provider. It is safe for concurrent use.
type RP struct {
	cfg           Config // with defaults applied
	md            ProviderMetadata
	client        *http.Client
	oauth         oauth2.Config
	tokenClient   *http.Client // r.client, adding client assertions for private_key_jwt
	authParams    []authParam
	keys          *keySet
	issuers       issuerPolicy
	ids           *idTokenVerifier
	tx            txKeys                       // seals login transactions (txseal.go)
	used          *replay.Cache                // the replay memory when no store is set
	replay        atomic.Pointer[firstUseFunc] // Config.ReplayStore, or a web Site's; nil: used
	redirect      *url.URL
	cookiePrefix  string
	txBind        []byte   // txBinding of this RP, for the transactions' associated data
	txPfx         string   // txPrefixFor of this RP
	statePrefix   string   // Config.TransactionTag and '.', or ""
	msNameClaims  bool     // Config.MicrosoftNameClaims decided for this issuer
	readClaims    []string // the claims a login reads (see needUserInfo)
	secureCookies bool
	now           func() time.Time
	log           *slog.Logger
	obs           Observer // Config.Observer; nil: none

	par       *parClient           // pushes authorization requests; nil: off (par.go)
	jar       *requestObjectSigner // signs request objects; nil: off (jar.go)
	claimKeys map[string]*keySet   // Config.ClaimSources' keys (claimsources.go)
	mtls      *mtlsState           // mutual TLS; nil: off (mtls.go)
	dpop      *dpopState           // Config.DPoP; nil: off (dpoptransport.go)
}

// New validates cfg, loads the provider's metadata (by discovery unless
// cfg.Endpoints is set) and returns a ready RP. It fails with a
// *ConfigError for configuration mistakes and a *DiscoveryError when the
// provider's metadata cannot be fetched or used. ctx bounds discovery only.
func New(ctx context.Context, cfg Config) (*RP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Scopes = slices.Clone(cfg.Scopes)
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = slices.Clone(DefaultScopes)
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = DefaultClockSkew
	}
	if cfg.LoginTimeout == 0 {
		cfg.LoginTimeout = DefaultLoginTimeout
	}
	if cfg.HTTPTimeout == 0 {
		cfg.HTTPTimeout = DefaultHTTPTimeout
	}
	if cfg.ResponseSizeLimit == 0 {
		cfg.ResponseSizeLimit = MaxResponseSize
	}
	if cfg.MaxLoginsInProgress == 0 {
		cfg.MaxLoginsInProgress = DefaultMaxLoginsInProgress
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.CookieSecrets = slices.Clone(cfg.CookieSecrets)
	var sealer *seal.Sealer
	if len(cfg.CookieSecrets) > 0 {
		secrets := make([][]byte, len(cfg.CookieSecrets))
		for i, s := range cfg.CookieSecrets {
			secrets[i] = []byte(s)
		}
		var err error
		if sealer, err = seal.New(txSealLabel, secrets...); err != nil {
			return nil, &ConfigError{Problems: []ConfigProblem{{Field: "CookieSecrets", Message: err.Error()}}}
		}
	}
	redirect, _ := url.Parse(cfg.RedirectURL) // checked by Validate

	r := &RP{
		cfg:           cfg,
		client:        netlimit.Client(cfg.HTTPClient, cfg.ResponseSizeLimit, cfg.HTTPTimeout),
		used:          replay.New(100_000),
		redirect:      redirect,
		secureCookies: redirect.Scheme == "https",
		now:           cfg.Now,
		log:           cfg.Logger,
		obs:           cfg.Observer,
	}
	if sealer != nil {
		// Without CookieSecrets the key is left for a web Site to give
		// (adopt) or drawn at the first login (txSealer).
		r.tx.sealer.Store(sealer)
	}
	if cfg.ReplayStore != nil {
		f := firstUseFunc(cfg.ReplayStore.FirstUse)
		r.replay.Store(&f)
	}
	if r.secureCookies {
		r.cookiePrefix = "__Host-"
	}
	md, err := loadMetadata(observed(ctx, r.obs, EndpointDiscovery, cfg.Authority), r.client, &cfg)
	if err != nil {
		return nil, err
	}
	r.md = *md
	r.txBind = txBinding(md.Issuer, cfg.ClientID, cfg.RedirectURL, cfg.TransactionTag)
	r.txPfx = txPrefixFor(r.cookiePrefix, r.txBind)
	if cfg.TransactionTag != "" {
		r.statePrefix = cfg.TransactionTag + "."
	}
	r.msNameClaims = microsoftNameClaims(cfg.MicrosoftNameClaims, md.Issuer)
	r.readClaims = r.readClaimNames()
	if ps := providerProblems(&cfg, md); len(ps) > 0 {
		return nil, &ConfigError{Problems: ps}
	}
	if ps := decryptionProblems(&cfg, md); len(ps) > 0 {
		return nil, &ConfigError{Problems: ps}
	}
	algs, err := signingAlgs(cfg.SigningAlgs, md.IDTokenSigningAlgValuesSupported, cfg.FAPI2)
	if err != nil {
		return nil, err
	}
	r.keys = newKeySet(r.client, md.JWKSURI)
	r.keys.now = cfg.Now
	r.keys.obs, r.keys.issuer = r.obs, md.Issuer
	r.claimKeys = r.claimSourceKeys()
	r.issuers = issuerPolicy{issuer: md.Issuer, allowedTenants: slices.Clone(cfg.AllowedTenants), anyTenant: cfg.AllowAnyTenant}
	r.ids = newIDTokenVerifier(r.issuers, cfg.ClientID, algs, r.keys, cfg.ClockSkew, cfg.Now)
	r.ids.dec = newDecrypter(&cfg)
	method := cfg.clientAuth(md)
	secret := string(cfg.ClientSecret)
	if method == "none" || method == "private_key_jwt" || isMTLSMethod(method) {
		secret = ""
	}
	if r.mtls, err = newMTLS(&cfg, md); err != nil {
		return nil, err
	}
	r.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: secret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       cfg.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   md.AuthorizationEndpoint,
			TokenURL:  r.tokenEndpoint(),
			AuthStyle: oauthAuthStyle(method),
		},
	}
	if r.tokenClient, err = r.newTokenClient(&cfg, method); err != nil {
		return nil, err
	}
	r.authParams = authParams(&cfg)
	if r.par, err = newPARClient(r, &cfg, md, method); err != nil {
		return nil, err
	}
	if r.jar, err = newRequestObjectSigner(&cfg, md.Issuer); err != nil {
		return nil, err
	}
	r.setupDPoP()
	r.log.Debug("rp: provider ready", "issuer", md.Issuer, "signing_algs", algs)
	return r, nil
}

// signingAlgs picks the ID token algorithms to accept: the configured ones,
// or those the provider advertises that the library supports, or RS256.
// With fapi2 only FAPI2SigningAlgs are supported, and all of them are the
// default when the provider advertises none.
func signingAlgs(configured, advertised []string, fapi2 bool) ([]string, error) {
	if len(configured) > 0 {
		return slices.Clone(configured), nil
	}
	allowed := SupportedSigningAlgs
	if fapi2 {
		allowed = FAPI2SigningAlgs
		if len(advertised) == 0 {
			return slices.Clone(FAPI2SigningAlgs), nil
		}
	}
	var algs []string
	for _, a := range advertised {
		if slices.Contains(allowed, a) {
			algs = append(algs, a)
		}
	}
	if len(advertised) == 0 {
		return []string{"RS256"}, nil
	}
	if len(algs) == 0 && fapi2 {
		return nil, &ConfigError{Problems: []ConfigProblem{{Field: "SigningAlgs",
			Message: fmt.Sprintf("the provider signs ID tokens only with %v; FAPI 2.0 allows only %s (FAPI2 is set)", advertised, strings.Join(FAPI2SigningAlgs, ", "))}}}
	}
	if len(algs) == 0 {
		return nil, &ConfigError{Problems: []ConfigProblem{{Field: "SigningAlgs",
			Message: fmt.Sprintf("the provider signs ID tokens only with %v, none of which is safe to accept; configure it to use RS256 or ES256", advertised)}}}
	}
	return algs, nil
}

// Metadata returns the provider's metadata as loaded by New.
func (r *RP) Metadata() ProviderMetadata { return r.md }

// LoginOptions adjust one login.
type LoginOptions struct {
	// ReturnTo is where the user goes after signing in: a path on this
	// site ("/reports?id=7") or an absolute URL of the same origin as the
	// redirect URL. Anything else is refused with ErrUnsafeReturnTo.
	// Default "/".
	ReturnTo string
	// Prompt asks the provider to behave a certain way: "none", "login",
	// "consent" or "select_account" (several of the last three separated
	// by spaces). It overrides Config.Prompt for this login; empty means
	// Config.Prompt. Another value fails with ErrInvalidLoginOption.
	Prompt string
	// LoginHint suggests the account to sign in with, e.g. an email address.
	LoginHint string
	// Extra adds further authorization request parameters, e.g. "hd" or
	// "domain_hint". The protocol's own parameters cannot be overridden.
	Extra url.Values
}

// Errors from starting a login.
var (
	// ErrUnsafeReturnTo: LoginOptions.ReturnTo leaves this site.
	ErrUnsafeReturnTo = errors.New("rp: return-to location is not on this site")
	// ErrInvalidLoginOption: a LoginOptions value is not allowed.
	ErrInvalidLoginOption = errors.New("rp: invalid login option")
)

// ResponseTypes are the response types Config.ResponseType accepts.
var ResponseTypes = []string{"code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"}

// reservedParams are set by the library and cannot come from Extra.
var reservedParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "login_hint", "response_mode", "request", "request_uri",
	"max_age", "acr_values", "ui_locales", "claims", "client_secret", "client_assertion", "client_assertion_type"}

// AuthURL starts a login: it creates state, nonce and a PKCE verifier, sets
// the login's sealed transaction cookie on w (evicting the oldest of the
// browser's logins in progress with this RP, as req's cookies show, beyond
// Config.MaxLoginsInProgress; other RPs' logins are left alone), and
// returns the provider's authorization URL to send the browser to. Use
// Login to redirect at once; a caller redirecting itself should send
// Cache-Control: no-store too.
func (r *RP) AuthURL(w http.ResponseWriter, req *http.Request, opts LoginOptions) (string, error) {
	returnTo, ok := safeReturnTo(opts.ReturnTo, r.redirect)
	if !ok {
		return "", ErrUnsafeReturnTo
	}
	// The parameters that may change per login, then the configuration's,
	// which win: the hook sees and may change the ones it may set.
	perLogin := url.Values{}
	if opts.Prompt != "" {
		if msg := promptProblem(opts.Prompt); msg != "" {
			return "", fmt.Errorf("%w: %s", ErrInvalidLoginOption, msg)
		}
		perLogin.Set("prompt", opts.Prompt)
	} else if r.cfg.Prompt != "" {
		perLogin.Set("prompt", r.cfg.Prompt)
	}
	if opts.LoginHint != "" {
		perLogin.Set("login_hint", opts.LoginHint)
	}
	for k, vs := range opts.Extra {
		if slices.Contains(reservedParams, k) {
			return "", fmt.Errorf("%w: parameter %q is set by the library", ErrInvalidLoginOption, k)
		}
		if len(vs) > 0 {
			perLogin.Set(k, vs[0])
		}
	}
	var fixed []authParam
	for _, p := range r.authParams {
		if slices.Contains(HookReservedParams, p.name) {
			fixed = append(fixed, p)
		} else {
			perLogin.Set(p.name, p.value)
		}
	}
	if r.cfg.Hooks.AuthorizationRequest != nil {
		var err error
		if perLogin, err = r.hookAuthParams(req, returnTo, perLogin); err != nil {
			return "", err
		}
	}
	params := make([]oauth2.AuthCodeOption, 0, len(perLogin)+len(fixed)+3)
	for k, vs := range perLogin {
		if len(vs) > 0 {
			params = append(params, oauth2.SetAuthURLParam(k, vs[0]))
		}
	}
	now := r.now()
	tx := &transaction{
		State:    r.statePrefix + randomString(),
		Nonce:    randomString(),
		ReturnTo: returnTo,
		Created:  now.Unix(),
		Expiry:   now.Add(r.cfg.LoginTimeout).Unix(),
	}
	params = append(params, oauth2.SetAuthURLParam("nonce", tx.Nonce))
	for _, p := range fixed {
		params = append(params, oauth2.SetAuthURLParam(p.name, p.value))
	}
	if !r.cfg.DisablePKCE && responseTypeHas(r.cfg.responseType(), "code") {
		tx.Verifier = oauth2.GenerateVerifier()
		params = append(params, oauth2.S256ChallengeOption(tx.Verifier))
	}
	ctx, params, err := r.dpopLoginStart(req.Context(), tx, params)
	if err != nil {
		return "", err
	}
	u, err := r.authRequestURL(ctx, r.oauth.AuthCodeURL(tx.State, params...))
	if err != nil {
		return "", err
	}
	name := r.txCookieName(tx.State)
	r.evictTransactions(w, req)
	http.SetCookie(w, r.txCookie(name, tx))
	r.log.Debug("rp: login started", "transaction", name)
	return u, nil
}

// Login starts a login (see AuthURL) and redirects the browser to the
// provider with 302 Found. On error it writes nothing and returns the error.
//
// The login cookie is set for the host of req; the provider sends the
// browser back to the redirect URL's host. When the two differ (say
// localhost and 127.0.0.1) the callback fails with ErrStateUnknown, so Login
// logs a warning.
func (r *RP) Login(w http.ResponseWriter, req *http.Request, opts LoginOptions) error {
	if !strings.EqualFold(req.Host, r.redirect.Host) {
		r.log.Warn("rp: login requested on another host than the redirect URL's; the browser will not return the login cookie",
			"request_host", req.Host, "redirect_host", r.redirect.Host)
	}
	u, err := r.AuthURL(w, req, opts)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, req, u, http.StatusFound)
	return nil
}

// randomBytes returns n bytes from crypto/rand, which never fails on
// supported platforms.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// randomString returns 256 random bits, base64url-encoded.
func randomString() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}
