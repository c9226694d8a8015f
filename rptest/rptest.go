package rptest

import (
	"crypto/x509"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Default values used when the corresponding Config field is empty.
const (
	DefaultClientID     = "test-client" // Config.ClientID
	DefaultClientSecret = "test-secret" // Config.ClientSecret of a confidential client
	DefaultTokenTTL     = time.Hour     // Config.TokenTTL
)

// codeTTL is how long an authorization code stays redeemable, measured with
// the Config clock.
const codeTTL = time.Minute

// Config configures a Server. The zero value is usable: it gives a
// confidential client "test-client" with secret "test-secret", RS256 signing
// and no users (so authorization requests fail with login_required until a
// user is added with AddUser).
type Config struct {
	// ClientID is the only client the provider knows. Default "test-client".
	ClientID string

	// ClientSecret is the client's secret. Default "test-secret", except
	// that an empty ClientSecret with PublicClient set means the client has
	// no secret at all.
	ClientSecret string

	// PublicClient makes the token endpoint accept requests that carry no
	// client authentication, only client_id in the body (auth method
	// "none"). Such a client must use PKCE: an authorization request
	// without code_challenge is answered with error=invalid_request.
	// Credentials that a public client sends anyway are still checked
	// against ClientSecret (unless ClientAuth restricts the methods).
	PublicClient bool

	// ClientAuth restricts client authentication at the token endpoint to
	// one method: "client_secret_basic", "client_secret_post",
	// "private_key_jwt" or "none" (see the ClientAuth constants). A token
	// request that uses any other method is answered 401 invalid_client,
	// and discovery's token_endpoint_auth_methods_supported lists only
	// that method. "none" implies PublicClient. Empty (the default)
	// accepts client_secret_basic and client_secret_post, plus none for a
	// PublicClient. NewServer panics on any other value.
	ClientAuth string

	// ClientJWKS holds the client's public keys (RSA, EC or Ed25519) that
	// verify its client assertions under private_key_jwt. NewServer panics
	// if ClientAuth is "private_key_jwt" and ClientJWKS is nil or empty.
	// The set is copied; private keys in it are reduced to their public
	// halves.
	ClientJWKS *jose.JSONWebKeySet

	// RedirectURIs lists the allowed redirect_uri values, compared as exact
	// strings. When empty, any absolute redirect_uri without a fragment is
	// accepted; the token request must still repeat the same value.
	RedirectURIs []string

	// PostLogoutRedirectURIs lists the allowed post_logout_redirect_uri
	// values of the end-session endpoint, compared as exact strings; any
	// other value is answered with a 400 page and no redirect. When empty,
	// any absolute URI without a fragment is accepted.
	PostLogoutRedirectURIs []string

	// SigningAlg is the ID token signing algorithm: "RS256" (default),
	// "PS256", "ES256" or "EdDSA" (Ed25519). NewServer panics on any
	// other value.
	SigningAlg string

	// Now is the clock used for iat, exp, auth_time, max_age, code and
	// token expiry and the checks of client assertions. Default time.Now. It may be called from several goroutines
	// at once.
	Now func() time.Time

	// TokenTTL is the lifetime of ID tokens and access tokens. Default 1h.
	TokenTTL time.Duration

	// Users are the initial accounts; the first one is the default
	// signed-in user. NewServer panics if one has an empty Subject.
	Users []User

	// LoginPage makes the authorization endpoint ask which user signs in,
	// for trying a relying party out in a browser: instead of signing in
	// the default user at once, it answers a small HTML page with a button
	// per user. The chosen user is posted back to the authorization
	// endpoint together with the original request's parameters, and the
	// flow goes on as without the page (code, redirect). A login_hint that
	// names a user still skips the page, and so a test client can sign in
	// without one; prompt=none is answered with error=login_required. Off
	// by default: every request is answered without a page.
	LoginPage bool

	// EntraMultiTenant imitates a Microsoft Entra ID multi-tenant
	// authority ("common"): discovery's issuer is the template
	// "<URL>/{tenantid}/v2.0", with the literal text "{tenantid}", and
	// each ID token's iss is "<URL>/<tid>/v2.0", where tid is the user's
	// Claims["tid"], a string, which is also sent as the tid claim. A
	// user without such a tid gets no tid claim and the issuer
	// "<URL>/common/v2.0". The endpoints stay where they are (discovery is
	// still fetched from URL), and the authorization response's iss
	// parameter is the template, the issuer of the discovery document.
	// Faults.Issuer, Faults.DiscoveryIssuer and Faults.ExtraIDTokenClaims
	// still override these values, e.g. to make tid and iss disagree.
	EntraMultiTenant bool

	// OmitIssWithIDToken imitates node oidc-provider (a certified
	// provider): discovery still advertises
	// authorization_response_iss_parameter_supported true, but
	// authorization responses that carry an id_token (response types
	// "id_token", "id_token token", "code id_token" and
	// "code id_token token") have no iss parameter, since the ID token's
	// own iss names the issuer. Error responses and responses without an
	// ID token still carry iss. Faults.ResponseIss is then ignored for
	// responses with an ID token. Off by default: every response has iss.
	OmitIssWithIDToken bool

	// RequirePushedAuthorization makes discovery advertise
	// require_pushed_authorization_requests and the authorization
	// endpoint refuse (with a 400 page, invalid_request) every request
	// without a request_uri from the pushed authorization request
	// endpoint (RFC 9126), which is always served at PathPAR.
	RequirePushedAuthorization bool

	// OAuthMetadataOnly makes the provider publish its metadata only as
	// OAuth 2.0 Authorization Server Metadata (RFC 8414) at
	// PathOAuthMetadata, as some OAuth servers that also speak OpenID
	// Connect do: PathDiscovery answers 404. The document is the one
	// discovery would serve, and the discovery faults (DiscoveryIssuer,
	// DiscoveryStatus, DiscoveryBody, HugeResponse of EndpointDiscovery)
	// apply to it. Off by default: only PathDiscovery is served.
	OAuthMetadataOnly bool

	// MTLS serves the token, userinfo and pushed authorization request
	// endpoints a second time on a TLS listener at Server.MTLSURL
	// (httptest's certificate; trust it with Server.MTLSClient) that asks
	// every client for a certificate, and advertises them in discovery as
	// mtls_endpoint_aliases (RFC 8705 section 5), with
	// tls_client_certificate_bound_access_tokens true. Tokens issued there
	// to a client that presented a certificate are bound to it: the access
	// token is a JWT (typ at+jwt) with cnf x5t#S256, and userinfo accepts
	// it only with the same certificate. Requests to the listener are
	// counted under EndpointMTLSToken, EndpointMTLSUserInfo and
	// EndpointMTLSPAR. ClientAuth tls_client_auth or
	// self_signed_tls_client_auth implies it. Off by default.
	MTLS bool

	// TLSClientCAs and TLSClientAuthSubjectDN register the client for
	// tls_client_auth: its certificate must chain to one of TLSClientCAs
	// (with the client authentication extended key usage) and its subject,
	// in the RFC 4514 form of pkix.Name.String, must equal
	// TLSClientAuthSubjectDN. NewServer panics when ClientAuth is
	// tls_client_auth and either is missing.
	TLSClientCAs           *x509.CertPool
	TLSClientAuthSubjectDN string

	// ClientCertificates register the client for
	// self_signed_tls_client_auth: its certificate must be one of them
	// (compared by SHA-256 thumbprint). NewServer panics when ClientAuth is
	// self_signed_tls_client_auth and it is empty.
	ClientCertificates []*x509.Certificate

	// DPoPSigningAlgs are the DPoP proof algorithms discovery advertises
	// (dpop_signing_alg_values_supported) and the endpoints accept (see
	// dpop.go). Default DefaultDPoPSigningAlgs.
	DPoPSigningAlgs []string

	// DPoPRequireNonce makes the token, userinfo and pushed authorization
	// request endpoints demand a server nonce in DPoP proofs (RFC 9449
	// section 8): a proof without the endpoint's current nonce is
	// answered use_dpop_nonce (400 at the token and PAR endpoints, 401
	// with a DPoP challenge at userinfo) with the nonce in a DPoP-Nonce
	// header. Each endpoint has its own nonce. Off by default.
	DPoPRequireNonce bool

	// IDTokenEncryption, when set, encrypts every ID token the provider
	// issues (token endpoint, authorization response, refresh) to the
	// client's key: the signed ID token becomes the plaintext of a JWE
	// with cty "JWT" (a nested JWT). Faults.Encryption spoils it.
	// NewServer panics on a key, alg or enc it cannot use.
	IDTokenEncryption *Encryption

	// SignedUserInfo makes the userinfo endpoint answer application/jwt:
	// its claims, with iss and aud added, signed with the current signing
	// key. Faults.SignedUserInfo spoils it.
	SignedUserInfo bool

	// UserInfoEncryption, when set, encrypts userinfo answers
	// (application/jwt) to the client's key: the signed JWT (cty "JWT")
	// under SignedUserInfo, else the JSON claims. NewServer panics as for
	// IDTokenEncryption.
	UserInfoEncryption *Encryption

	// AuthorizationEncryption, when set, encrypts JARM response JWTs to
	// the client's key: the signed JWT becomes the plaintext of a JWE with
	// cty "JWT", as for IDTokenEncryption (and NewServer panics alike).
	AuthorizationEncryption *Encryption
}

// User is a test account at the provider.
type User struct {
	// Subject is the "sub" claim. It is required and identifies the user.
	Subject string

	// Claims are put into every ID token issued for the user and are also
	// returned by the userinfo endpoint, e.g. "email", "email_verified",
	// "preferred_username", "name", "groups", or "tid" under
	// Config.EntraMultiTenant. They never override the protocol claims
	// (iss, sub, aud, exp, iat, auth_time, sid, nonce, at_hash, c_hash, and
	// acr when the request has acr_values); use Faults.ExtraIDTokenClaims for
	// that. Values must be encodable as
	// JSON, otherwise token requests fail with server_error.
	Claims map[string]any

	// UserInfo are claims returned only by the userinfo endpoint, which is
	// how a provider with "thin" ID tokens behaves. Userinfo answers Claims
	// merged with UserInfo (UserInfo wins), plus "sub".
	UserInfo map[string]any
}

// Server is an in-process OpenID Provider listening on a loopback address.
// All methods are safe for concurrent use, including while requests are
// being served.
type Server struct {
	// URL is the issuer URL, e.g. "http://127.0.0.1:PORT", with no
	// trailing slash. Every endpoint lives under it. Under
	// Config.EntraMultiTenant it is the authority the discovery document
	// is fetched from, not the issuer.
	URL string

	// MTLSURL is the base URL of the mTLS listener ("https://127.0.0.1:PORT")
	// under Config.MTLS, else "".
	MTLSURL string

	ts   *httptest.Server
	mtls *mtlsServer // Config.MTLS; nil: off (mtls.go)

	clientID     string
	clientSecret string
	public       bool
	redirectURIs []string
	postLogout   []string // Config.PostLogoutRedirectURIs
	alg          string
	now          func() time.Time
	tokenTTL     time.Duration
	loginPage    bool
	clientAuth   string             // Config.ClientAuth
	clientJWKS   jose.JSONWebKeySet // public keys only
	entra        bool               // Config.EntraMultiTenant
	issWithIDTok bool               // false under Config.OmitIssWithIDToken
	oauthOnly    bool               // Config.OAuthMetadataOnly
	closing      chan struct{}      // closed by Close; releases Faults.SlowEndpoint requests
	closeOnce    sync.Once

	mu               sync.Mutex
	claimSrc         claimState // claim-source imitations (claimsources.go), guarded by mu
	users            map[string]User
	defaultSub       string
	faults           Faults
	keys             []*signingKey // keys[0] signs; the rest are kept old keys
	rogue            *signingKey   // never published; used for Faults.BadSignature
	unusable         *unusableKeys // for Faults.PublishUnusableKeys, made on first use
	codes            map[string]*authCode
	accessTokens     map[string]*grant
	refresh          map[string]*grant
	counts           map[string]int
	authTimes        map[string]time.Time // last sign-in per subject
	sessions         map[string]string    // the subject of every session ID issued
	sessionIDs       map[string][]string  // the session IDs of each subject, oldest first
	lastAuthz        url.Values           // the last authorization request's parameters
	seenJTIs         map[string]bool      // jti of every accepted client assertion
	lastAssert       []byte               // JOSE header (JSON) of the last accepted client assertion
	lastAssertClaims []byte               // and its claims (JSON)
	lastAuthUsed     string               // client authentication method of the last successful token request

	requirePAR     bool                      // Config.RequirePushedAuthorization
	pushed         map[string]*pushedRequest // by request_uri (par.go)
	requestObjects int                       // request objects accepted (jar.go)
	dpop           dpopState                 // DPoP (dpop.go)
	enc            encryptionConfig          // Config.IDTokenEncryption and friends (encrypt.go)
}

// Endpoint names accepted by Server.Requests.
const (
	EndpointDiscovery  = "discovery"   // GET /.well-known/openid-configuration
	EndpointJWKS       = "jwks"        // GET /jwks
	EndpointAuthorize  = "authorize"   // GET or POST /authorize
	EndpointToken      = "token"       // POST /token
	EndpointUserInfo   = "userinfo"    // GET or POST /userinfo
	EndpointEndSession = "end_session" // GET or POST /logout
)

// Paths of the endpoints, relative to Server.URL.
const (
	PathDiscovery  = "/.well-known/openid-configuration" // discovery document
	PathJWKS       = "/jwks"                             // jwks_uri
	PathAuthorize  = "/authorize"                        // authorization_endpoint
	PathToken      = "/token"                            // token_endpoint
	PathUserInfo   = "/userinfo"                         // userinfo_endpoint
	PathEndSession = "/logout"                           // end_session_endpoint
)

// NewServer starts a provider on 127.0.0.1 with httptest.NewServer and
// returns it; call Close when done. Like httptest.NewServer it panics when
// it cannot listen, and it also panics when cfg.SigningAlg or
// cfg.ClientAuth is not supported, when private_key_jwt has no ClientJWKS,
// when tls_client_auth or self_signed_tls_client_auth lacks what registers
// the client's certificate,
// when a key cannot be generated or when a user has no Subject: these are
// mistakes in the calling test, not conditions to handle.
func NewServer(cfg Config) *Server {
	s := &Server{
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		public:       cfg.PublicClient,
		redirectURIs: append([]string(nil), cfg.RedirectURIs...),
		postLogout:   append([]string(nil), cfg.PostLogoutRedirectURIs...),
		alg:          cfg.SigningAlg,
		now:          cfg.Now,
		tokenTTL:     cfg.TokenTTL,
		loginPage:    cfg.LoginPage,
		clientAuth:   cfg.ClientAuth,
		entra:        cfg.EntraMultiTenant,
		issWithIDTok: !cfg.OmitIssWithIDToken,
		requirePAR:   cfg.RequirePushedAuthorization,
		oauthOnly:    cfg.OAuthMetadataOnly,
		users:        make(map[string]User),
		codes:        make(map[string]*authCode),
		accessTokens: make(map[string]*grant),
		refresh:      make(map[string]*grant),
		counts:       make(map[string]int),
		authTimes:    make(map[string]time.Time),
		sessions:     make(map[string]string),
		sessionIDs:   make(map[string][]string),
		seenJTIs:     make(map[string]bool),
		closing:      make(chan struct{}),
		dpop:         newDPoPState(cfg),
		enc:          newEncryptionConfig(cfg),
	}
	if s.clientAuth != "" && !slices.Contains(clientAuthMethods, s.clientAuth) {
		panic("rptest: unsupported ClientAuth " + strconv.Quote(s.clientAuth) +
			" (want client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth, self_signed_tls_client_auth or none)")
	}
	checkMTLSConfig(cfg)
	if s.clientAuth == ClientAuthNone {
		s.public = true
	}
	if cfg.ClientJWKS != nil {
		s.clientJWKS = publicKeySet(*cfg.ClientJWKS)
	}
	if s.clientAuth == ClientAuthPrivateKeyJWT && len(s.clientJWKS.Keys) == 0 {
		panic("rptest: ClientAuth private_key_jwt needs ClientJWKS with the client's public keys")
	}
	if s.clientID == "" {
		s.clientID = DefaultClientID
	}
	if s.clientSecret == "" && !s.public {
		s.clientSecret = DefaultClientSecret
	}
	if s.alg == "" {
		s.alg = "RS256"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = DefaultTokenTTL
	}
	key, err := newSigningKey(s.alg)
	if err != nil {
		panic("rptest: " + err.Error())
	}
	s.keys = []*signingKey{key}
	for _, u := range cfg.Users {
		s.AddUser(u)
	}

	mux := http.NewServeMux()
	mux.HandleFunc(PathDiscovery, s.counted(EndpointDiscovery, s.handleDiscovery))
	mux.HandleFunc(PathOAuthMetadata, s.counted(EndpointOAuthMetadata, s.handleOAuthMetadata))
	mux.HandleFunc(PathJWKS, s.counted(EndpointJWKS, s.handleJWKS))
	mux.HandleFunc(PathAuthorize, s.counted(EndpointAuthorize, s.handleAuthorize))
	mux.HandleFunc(PathToken, s.counted(EndpointToken, s.handleToken))
	mux.HandleFunc(PathUserInfo, s.counted(EndpointUserInfo, s.handleUserInfo))
	mux.HandleFunc(PathEndSession, s.counted(EndpointEndSession, s.handleEndSession))
	mux.HandleFunc(PathPAR, s.counted(EndpointPAR, s.handlePAR))
	s.claimRoutes(mux)
	s.ts = httptest.NewServer(mux)
	s.URL = s.ts.URL
	s.startMTLS(cfg)
	return s
}

// counted wraps h so that every request reaching it is counted under name
// before anything else happens, including Faults.SlowEndpoint.
func (s *Server) counted(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[name]++
		slow := s.faults.SlowEndpoint == name
		s.mu.Unlock()
		if slow {
			s.stall(r)
			return
		}
		h(w, r)
	}
}

// Close shuts the server down, blocking until all outstanding requests
// have completed; requests held by Faults.SlowEndpoint are released. It is
// safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.Close()
	s.closeMTLS()
}

// Issuer returns the issuer identifier, which equals s.URL: the URL a
// relying party is configured with and fetches discovery from. Under
// Config.EntraMultiTenant the discovery document names the template
// "<URL>/{tenantid}/v2.0" as its issuer instead, and ID tokens the
// tenant-specific issuer.
func (s *Server) Issuer() string { return s.URL }

// ClientID returns the client_id the provider accepts.
func (s *Server) ClientID() string { return s.clientID }

// ClientSecret returns the client secret the provider accepts; it is empty
// for a public client configured without a secret.
func (s *Server) ClientSecret() string { return s.clientSecret }

// Client returns an HTTP client configured for requests to the server, the
// one from httptest.Server.Client. It follows redirects, so a test that
// wants to read the authorization response should set CheckRedirect on a
// copy.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// AddUser adds u, replacing any user with the same Subject. The maps in u are
// copied (shallowly), so the caller may reuse them, but nested values must
// not be mutated afterwards. When the server has no users yet, u becomes the
// default user. AddUser panics if u.Subject is empty.
func (s *Server) AddUser(u User) {
	if u.Subject == "" {
		panic("rptest: User.Subject is required")
	}
	u.Claims = maps.Clone(u.Claims)
	u.UserInfo = maps.Clone(u.UserInfo)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) == 0 {
		s.defaultSub = u.Subject
	}
	s.users[u.Subject] = u
}

// SetDefaultUser makes the user with Subject sub the one signed in when an
// authorization request has no login_hint naming another user. If no user
// has that Subject (for example sub is ""), such requests are answered with
// error=login_required, as if nobody were signed in.
func (s *Server) SetDefaultUser(sub string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaultSub = sub
}

// SetFaults replaces the current faults with f; Faults{} restores normal
// behaviour. The maps, slices and pointers in f are copied, so changing
// them afterwards has no effect on the server. Faults apply to requests
// that start after SetFaults returns.
func (s *Server) SetFaults(f Faults) {
	f = f.clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Requests returns how many requests reached the endpoint named endpoint:
// "discovery", "jwks", "authorize", "token", "userinfo", "end_session" or
// "par" (see the Endpoint constants and EndpointPAR), or, on the listener
// of Config.MTLS, "mtls_token", "mtls_userinfo" or "mtls_par"
// (EndpointMTLSToken and friends). Every request is counted, including
// malformed ones and ones answered by a fault. Any other name gives 0.
func (s *Server) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

// currentFaults returns a snapshot of the faults in force.
func (s *Server) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// user looks up a user by subject.
func (s *Server) user(sub string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[sub]
	return u, ok
}
