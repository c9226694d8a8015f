package rptest

// Mutual TLS (RFC 8705): a second, TLS listener whose token, userinfo and
// pushed authorization endpoints are discovery's mtls_endpoint_aliases,
// client authentication with a client certificate, and access tokens bound
// to it.

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
)

// Client authentication with a TLS client certificate (RFC 8705 section
// 2), values of Config.ClientAuth; they need Config.MTLS.
const (
	// ClientAuthTLS: a certificate that chains to Config.TLSClientCAs and
	// whose subject is Config.TLSClientAuthSubjectDN.
	ClientAuthTLS = "tls_client_auth"
	// ClientAuthSelfSignedTLS: one of Config.ClientCertificates, compared
	// by SHA-256 thumbprint.
	ClientAuthSelfSignedTLS = "self_signed_tls_client_auth"
)

// Endpoint names of the mTLS listener in Server.Requests: each request to
// an alias is counted under its own name, not under the plain endpoint's.
const (
	EndpointMTLSToken    = "mtls_token"    // POST MTLSURL/token
	EndpointMTLSUserInfo = "mtls_userinfo" // GET or POST MTLSURL/userinfo
	EndpointMTLSPAR      = "mtls_par"      // POST MTLSURL/par
)

// MTLSFaults make the mTLS features misbehave (Faults.MTLS). The zero
// value behaves.
type MTLSFaults struct {
	// OmitAliases leaves mtls_endpoint_aliases out of discovery; the mTLS
	// listener still answers.
	OmitAliases bool
	// Thumbprint, when set, is the x5t#S256 of the cnf claim of the
	// certificate-bound access tokens issued, instead of the presented
	// certificate's (the token stays bound to the real one).
	Thumbprint string
}

// mtlsServer is the mTLS listener and the client certificates it accepts.
type mtlsServer struct {
	ts         *httptest.Server
	subjectDN  string
	cas        *x509.CertPool
	registered []*x509.Certificate
}

// checkMTLSConfig panics on mTLS settings the calling test got wrong.
func checkMTLSConfig(cfg Config) {
	switch {
	case cfg.ClientAuth == ClientAuthTLS && (cfg.TLSClientCAs == nil || cfg.TLSClientAuthSubjectDN == ""):
		panic("rptest: ClientAuth tls_client_auth needs TLSClientCAs and TLSClientAuthSubjectDN")
	case cfg.ClientAuth == ClientAuthSelfSignedTLS && len(cfg.ClientCertificates) == 0:
		panic("rptest: ClientAuth self_signed_tls_client_auth needs ClientCertificates")
	}
	for _, c := range cfg.ClientCertificates {
		if c == nil {
			panic("rptest: a ClientCertificates entry is nil")
		}
	}
}

// startMTLS starts the mTLS listener of cfg (checked by checkMTLSConfig),
// or does nothing without Config.MTLS.
func (s *Server) startMTLS(cfg Config) {
	if !cfg.MTLS && !isMTLSMethod(cfg.ClientAuth) {
		return
	}
	m := &mtlsServer{subjectDN: cfg.TLSClientAuthSubjectDN, cas: cfg.TLSClientCAs,
		registered: append([]*x509.Certificate(nil), cfg.ClientCertificates...)}
	mux := http.NewServeMux()
	mux.HandleFunc(PathToken, s.counted(EndpointMTLSToken, s.handleToken))
	mux.HandleFunc(PathUserInfo, s.counted(EndpointMTLSUserInfo, s.handleUserInfo))
	mux.HandleFunc(PathPAR, s.counted(EndpointMTLSPAR, s.handlePAR))
	m.ts = httptest.NewUnstartedServer(mux)
	m.ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	m.ts.StartTLS()
	s.mtls = m
	s.MTLSURL = m.ts.URL
}

// closeMTLS shuts the mTLS listener down, if any.
func (s *Server) closeMTLS() {
	if s.mtls != nil {
		s.mtls.ts.Close()
	}
}

// MTLSClient returns an HTTP client that trusts the mTLS listener's
// certificate and presents none of its own, or nil without Config.MTLS. Its
// Transport is an *http.Transport: give it to the relying party, which
// clones it to add its client certificate. It also reaches the plain
// (http) endpoints.
func (s *Server) MTLSClient() *http.Client {
	if s.mtls == nil {
		return nil
	}
	return s.mtls.ts.Client()
}

// isMTLSMethod reports whether method is one of RFC 8705's.
func isMTLSMethod(method string) bool {
	return method == ClientAuthTLS || method == ClientAuthSelfSignedTLS
}

// addMTLSMetadata adds the mTLS members to a discovery document.
func (s *Server) addMTLSMetadata(doc map[string]any, f Faults) {
	if s.mtls == nil {
		return
	}
	doc["tls_client_certificate_bound_access_tokens"] = true
	if f.MTLS.OmitAliases {
		return
	}
	doc["mtls_endpoint_aliases"] = map[string]any{
		"token_endpoint":                        s.MTLSURL + PathToken,
		"userinfo_endpoint":                     s.MTLSURL + PathUserInfo,
		"pushed_authorization_request_endpoint": s.MTLSURL + PathPAR,
	}
}

// peerCertificate returns the client certificate of r, or nil when r came
// without TLS or without one.
func peerCertificate(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil
	}
	return r.TLS.PeerCertificates[0]
}

// thumbprint is a certificate's x5t#S256.
func thumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// certificateBinding is the thumbprint the tokens of r are bound to: that
// of the certificate presented on the mTLS listener, or "".
func (s *Server) certificateBinding(r *http.Request) string {
	if s.mtls == nil {
		return ""
	}
	if c := peerCertificate(r); c != nil {
		return thumbprint(c)
	}
	return ""
}

// checkClientCertificate authenticates the client of r by its certificate
// under ClientAuth method and returns what is wrong, or "".
func (s *Server) checkClientCertificate(r *http.Request, method, bodyID string) string {
	if bodyID != s.clientID {
		return "unknown client"
	}
	leaf := peerCertificate(r)
	if leaf == nil || s.mtls == nil {
		return "client certificate required"
	}
	switch method {
	case ClientAuthTLS:
		inter := x509.NewCertPool()
		for _, c := range r.TLS.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{Roots: s.mtls.cas, Intermediates: inter, CurrentTime: s.now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err != nil {
			return "client certificate is not issued by a trusted authority"
		}
		if leaf.Subject.String() != s.mtls.subjectDN {
			return "client certificate subject does not match tls_client_auth_subject_dn"
		}
	default: // self_signed_tls_client_auth
		got := thumbprint(leaf)
		for _, c := range s.mtls.registered {
			if subtle.ConstantTimeCompare([]byte(got), []byte(thumbprint(c))) == 1 {
				return ""
			}
		}
		return "client certificate is not registered for the client"
	}
	return ""
}

// boundAccessToken returns a JWT access token (RFC 9068) for g, with the
// cnf claim binding it to g.x5t, or to Faults.MTLS.Thumbprint.
func (s *Server) boundAccessToken(g grant, f Faults) (string, error) {
	now := s.now()
	x5t := g.x5t
	if f.MTLS.Thumbprint != "" {
		x5t = f.MTLS.Thumbprint
	}
	claims := map[string]any{
		"sub":       g.sub,
		"aud":       s.clientID,
		"client_id": s.clientID,
		"scope":     g.scope,
		"iat":       now.Unix(),
		"exp":       now.Add(s.tokenTTL).Unix(),
		"jti":       randomString(16),
		"cnf":       map[string]any{"x5t#S256": x5t},
	}
	s.setIDTokenIssuer(claims)
	key := s.currentKey()
	return signJWT(key.alg, key.priv, key.kid, claims, header{typ: "at+jwt"})
}

// bindAccessToken replaces the opaque access token issued for g by a
// certificate-bound JWT one when g is bound, and returns the token to send.
func (s *Server) bindAccessToken(g grant, access string, f Faults) (string, error) {
	if g.x5t == "" {
		return access, nil
	}
	at, err := s.boundAccessToken(g, f)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if stored := s.accessTokens[access]; stored != nil {
		delete(s.accessTokens, access)
		s.accessTokens[at] = stored
	}
	s.mu.Unlock()
	return at, nil
}

// checkBoundToken reports whether a request presenting a token of g
// carries the certificate the token is bound to, if any.
func checkBoundToken(r *http.Request, g *grant) bool {
	if g.x5t == "" {
		return true
	}
	c := peerCertificate(r)
	return c != nil && subtle.ConstantTimeCompare([]byte(thumbprint(c)), []byte(g.x5t)) == 1
}
