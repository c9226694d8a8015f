//go:build integration

package integration

// The second real provider: oidc-provider (panva's OpenID Certified
// provider for Node.js), run by oidcprovider/server.js on loopback. The
// tests write its configuration (the clients below, the users, the TLS
// files) and read the ready line it prints; they need node (RP_IT_NODE, or
// node on PATH) and oidcprovider/node_modules (npm ci in that directory, as
// .ci/run does). Without them the tests are skipped, or fail when CI is set.
//
// What the provider is, as configured by server.js:
//
//   - Its issuer is http://127.0.0.1:PORT (no trailing slash), every
//     endpoint on that port: /auth, /token, /me (userinfo), /request (PAR),
//     /session/end, /jwks. A second, HTTPS port serves the same endpoints,
//     asking for a client certificate, and discovery names its token,
//     userinfo and PAR endpoints in mtls_endpoint_aliases.
//   - PAR, request objects (JAR), JARM, DPoP, encrypted ID tokens and
//     userinfo, signed userinfo, mTLS client authentication and
//     certificate-bound tokens, RP-initiated logout and the claims parameter
//     are on; clients opt in through their metadata. It sends iss with
//     every authorization response (RFC 9207).
//   - Its login page (/interaction/UID) is a form with username and
//     password; a wrong one shows the form again with "wrong username or
//     password". Consent is granted without a page.
//   - Refresh tokens are issued only for offline_access, which it drops
//     unless prompt has consent (OpenID Connect Core 11).
//   - ID tokens that come with an access token carry only sub and the
//     protocol claims; profile and email come from userinfo.

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcrp/rp"
)

// nodeEnv names the environment variable that may hold the node binary.
const nodeEnv = "RP_IT_NODE"

// nodeDir is the directory of server.js, package.json and node_modules.
const nodeDir = "oidcprovider"

// nodeReady starts the line server.js prints once it listens.
const nodeReady = "rp-oidc-provider ready "

// Paths of oidc-provider's endpoints.
const (
	nodeAuthPath       = "/auth"
	nodeTokenPath      = "/token"
	nodeUserinfoPath   = "/me"
	nodePARPath        = "/request"
	nodeEndSessionPath = "/session/end"
	nodeLoginPrefix    = "/interaction/"
)

// mtlsSubject is the subject DN of the CA-issued client certificate the
// "mtls" client registers (tls_client_auth_subject_dn).
const mtlsSubject = "CN=rp-mtls-client"

// nodeClient is one client registered at oidc-provider.
type nodeClient struct {
	ID     string
	Secret string
	// Key and KeyID are the client's signing key (private_key_jwt and
	// request objects), registered in its jwks; nil for the others.
	Key   crypto.Signer
	KeyID string
	// Meta is the registration beyond client_id, client_secret,
	// redirect_uris, post_logout_redirect_uris, grant_types and jwks.
	Meta map[string]any
}

// nodeOP is the running oidc-provider with the test application. Its env
// has the issuer, the application's server and the provider's log, so
// serveFlow and serveWeb work as with the other provider.
type nodeOP struct {
	*env
	// mtlsBase is the HTTPS listener's base URL, "https://127.0.0.1:PORT".
	mtlsBase string
	// roots trusts the HTTPS listener's certificate.
	roots *x509.CertPool
	// mtlsCert is a client certificate issued by the provider's trusted
	// CA with subject mtlsSubject, for the "mtls" client;
	// selfSignedCert is the one registered in "mtls-self-signed"'s jwks.
	mtlsCert, selfSignedCert tls.Certificate
	// encRSA and encEC are the private halves of the encryption keys
	// registered by "encrypted" (RSA-OAEP-256) and "encrypted-ec"
	// (ECDH-ES+A256KW), kids "enc-rsa" and "enc-ec".
	encRSA *rsa.PrivateKey
	encEC  *ecdsa.PrivateKey
	// clients by client ID.
	clients map[string]nodeClient
}

var (
	nodeOnce   sync.Once
	nodeShared *nodeOP
	nodeErr    error
)

// stopNodeOP ends the provider, if one was started; TestMain calls it.
func stopNodeOP() {
	if nodeShared != nil {
		nodeShared.stop()
	}
}

// setupNode returns the running oidc-provider, starting it on first use.
// Without node or the installed packages the test is skipped, or fails
// when CI is set.
func setupNode(t *testing.T) *nodeOP {
	t.Helper()
	node, err := nodeBinary()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("oidc-provider cannot run: %v; .ci/run installs it", err)
		}
		t.Skipf("oidc-provider cannot run: %v", err)
	}
	nodeOnce.Do(func() { nodeShared, nodeErr = startNodeOP(node) })
	if nodeErr != nil {
		t.Fatalf("starting oidc-provider: %v", nodeErr)
	}
	e := nodeShared
	mark := e.log.Len()
	t.Cleanup(func() {
		e.sw.set(nil)
		if t.Failed() {
			t.Logf("oidc-provider output during this test:\n%s", e.log.Since(mark))
		}
	})
	return e
}

// nodeBinary finds node and checks that npm ci installed the pinned
// oidc-provider.
func nodeBinary() (string, error) {
	node := os.Getenv(nodeEnv)
	if node == "" {
		var err error
		if node, err = exec.LookPath("node"); err != nil {
			return "", fmt.Errorf("no node on PATH (or set %s): install Node.js 20.12 or later", nodeEnv)
		}
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(nodeDir, "package.json"), &pkg); err != nil {
		return "", err
	}
	var installed struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(nodeDir, "node_modules", "oidc-provider", "package.json"), &installed); err != nil {
		return "", fmt.Errorf("oidc-provider is not installed (%v): run npm ci --no-audit --no-fund in integration/%s", err, nodeDir)
	}
	if want := pkg.Dependencies["oidc-provider"]; installed.Version != want {
		return "", fmt.Errorf("integration/%s/node_modules has oidc-provider %s, package.json pins %s: run npm ci --no-audit --no-fund there", nodeDir, installed.Version, want)
	}
	return node, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// startNodeOP makes the keys, certificates and clients, writes the
// provider's configuration and starts it.
func startNodeOP(node string) (op *nodeOP, err error) {
	dir, err := os.MkdirTemp("", "rp-integration-node-op-")
	if err != nil {
		return nil, err
	}
	sw := &appSwitch{}
	app := httptest.NewServer(sw)
	defer func() {
		if err != nil {
			app.Close()
			os.RemoveAll(dir)
		}
	}()
	e := &env{app: app, sw: sw, callbackURL: app.URL + "/callback", log: &syncBuffer{}}
	op = &nodeOP{env: e, clients: map[string]nodeClient{}}
	tlsFiles, err := op.makeCertificates(dir)
	if err != nil {
		return nil, err
	}
	if err := op.makeClients(); err != nil {
		return nil, err
	}
	var clients []map[string]any
	for _, c := range op.clients {
		reg, err := op.registration(c)
		if err != nil {
			return nil, err
		}
		clients = append(clients, reg)
	}
	var users []map[string]any
	for _, u := range []opUser{alice, bob} {
		users = append(users, map[string]any{"username": u.Username, "password": u.Password, "claims": map[string]any{
			"sub": u.ID, "email": u.Email, "email_verified": u.EmailVerified, "name": u.fullName(),
			"given_name": u.FirstName, "family_name": u.LastName, "preferred_username": u.Username,
			"locale": u.PreferredLanguage,
		}})
	}
	cfg, err := json.MarshalIndent(map[string]any{"clients": clients, "users": users, "tls": tlsFiles}, "", "  ")
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		return nil, err
	}
	script, err := filepath.Abs(filepath.Join(nodeDir, "server.js"))
	if err != nil {
		return nil, err
	}
	stop, err := op.run(node, script, cfgFile)
	if err != nil {
		return nil, fmt.Errorf("%w\noidc-provider output:\n%s", err, e.log.String())
	}
	e.stop = func() {
		stop()
		app.Close()
		os.RemoveAll(dir)
	}
	return op, nil
}

// run starts server.js and waits for its ready line, which names the
// issuer and the HTTPS base URL.
func (op *nodeOP) run(node, script, cfgFile string) (stop func(), err error) {
	cmd := exec.Command(node, script, cfgFile)
	cmd.Dir = filepath.Dir(script)
	cmd.Stderr = op.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.WaitDelay = 5 * time.Second
	setProcessAttributes(cmd)
	fmt.Fprintf(op.log, "--- starting %s %s\n", node, script)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	var waitErr error
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, nodeReady); ok {
				select {
				case ready <- rest:
				default:
				}
			}
			fmt.Fprintln(op.log, line)
		}
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop = func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case line := <-ready:
		var urls struct {
			Issuer string `json:"issuer"`
			MTLS   string `json:"mtls"`
		}
		if err := json.Unmarshal([]byte(line), &urls); err != nil || !strings.HasPrefix(urls.Issuer, "http://127.0.0.1:") ||
			!strings.HasPrefix(urls.MTLS, "https://127.0.0.1:") {
			stop()
			return nil, fmt.Errorf("server.js printed an unusable ready line %q", line)
		}
		op.issuer, op.mtlsBase = urls.Issuer, urls.MTLS
		return stop, nil
	case <-exited:
		return nil, fmt.Errorf("server.js exited (%v) before it was ready", waitErr)
	case <-timer.C:
		stop()
		return nil, fmt.Errorf("server.js was not ready within %v", startTimeout)
	}
}

// publicJWK is key's public half as a JWK with kid, alg and use, and the
// certificate chain certs (x5c) when given.
func publicJWK(key crypto.PublicKey, kid, alg, use string, certs ...*x509.Certificate) (json.RawMessage, error) {
	return jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use, Certificates: certs}.MarshalJSON()
}

// registration is c's client metadata for server.js.
func (op *nodeOP) registration(c nodeClient) (map[string]any, error) {
	reg := map[string]any{
		"client_id":                 c.ID,
		"redirect_uris":             []string{op.callbackURL},
		"post_logout_redirect_uris": []string{op.app.URL + "/signout-callback-oidc"},
		"grant_types":               []string{"authorization_code", "refresh_token"},
		"response_types":            []string{"code"},
	}
	if c.Secret != "" {
		reg["client_secret"] = c.Secret
	}
	var keys []json.RawMessage
	if c.Key != nil {
		alg := "RS256"
		if _, ok := c.Key.(*ecdsa.PrivateKey); ok {
			alg = "ES256"
		}
		k, err := publicJWK(c.Key.Public(), c.KeyID, alg, "sig")
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	switch c.ID {
	case "encrypted":
		k, err := publicJWK(op.encRSA.Public(), "enc-rsa", "RSA-OAEP-256", "enc")
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	case "encrypted-ec":
		k, err := publicJWK(op.encEC.Public(), "enc-ec", "ECDH-ES+A256KW", "enc")
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	case "mtls-self-signed":
		leaf := op.selfSignedCert.Leaf
		k, err := publicJWK(leaf.PublicKey, "self-signed", "", "sig", leaf)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if keys != nil {
		reg["jwks"] = map[string]any{"keys": keys}
	}
	for k, v := range c.Meta {
		if _, dup := reg[k]; dup {
			return nil, fmt.Errorf("client %s: Meta sets %s, which registration sets", c.ID, k)
		}
		reg[k] = v
	}
	return reg, nil
}

// makeClients makes the keys and the clients: one per way of signing in.
func (op *nodeOP) makeClients() error {
	var err error
	if op.encRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return err
	}
	if op.encEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	ecKey := func() *ecdsa.PrivateKey {
		if err != nil {
			return nil
		}
		var k *ecdsa.PrivateKey
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return k
	}
	jarKey, parJARKey, fapiKey := ecKey(), ecKey(), ecKey()
	if err != nil {
		return err
	}
	secret := func(id string) string { return id + "-secret-" + rand.Text() }
	requirePAR := map[string]any{"require_pushed_authorization_requests": true}
	for _, c := range []nodeClient{
		// client_secret_basic, the default.
		{ID: "basic", Secret: secret("basic")},
		{ID: "post", Secret: secret("post"), Meta: map[string]any{"token_endpoint_auth_method": "client_secret_post"}},
		{ID: "pkjwt", Key: rsaKey, KeyID: "pkjwt-rs256", Meta: map[string]any{"token_endpoint_auth_method": "private_key_jwt"}},
		// The provider refuses this client's requests unless pushed.
		{ID: "par", Secret: secret("par"), Meta: requirePAR},
		// The provider refuses this client's requests unless signed.
		{ID: "jar", Key: jarKey, KeyID: "jar-es256", Meta: map[string]any{
			"token_endpoint_auth_method": "private_key_jwt", "require_signed_request_object": true,
			"request_object_signing_alg": "ES256"}},
		{ID: "par-jar", Key: parJARKey, KeyID: "par-jar-es256", Meta: map[string]any{
			"token_endpoint_auth_method": "private_key_jwt", "require_signed_request_object": true,
			"require_pushed_authorization_requests": true}},
		// Not yet used by a test; see the list in nodeop_flow_test.go.
		{ID: "jarm", Secret: secret("jarm"), Meta: map[string]any{"authorization_signed_response_alg": "RS256"}},
		{ID: "dpop", Secret: secret("dpop"), Meta: map[string]any{"dpop_bound_access_tokens": true}},
		{ID: "dpop-nonce", Secret: secret("dpop-nonce"), Meta: map[string]any{"dpop_bound_access_tokens": true}},
		{ID: "encrypted", Secret: secret("encrypted"), Meta: map[string]any{
			"id_token_encrypted_response_alg": "RSA-OAEP-256", "id_token_encrypted_response_enc": "A256GCM",
			"userinfo_signed_response_alg":    "RS256",
			"userinfo_encrypted_response_alg": "RSA-OAEP-256", "userinfo_encrypted_response_enc": "A256GCM"}},
		{ID: "encrypted-ec", Secret: secret("encrypted-ec"), Meta: map[string]any{
			"id_token_encrypted_response_alg": "ECDH-ES+A256KW", "id_token_encrypted_response_enc": "A128CBC-HS256"}},
		{ID: "signed-userinfo", Secret: secret("signed-userinfo"), Meta: map[string]any{"userinfo_signed_response_alg": "ES256"}},
		{ID: "mtls", Meta: map[string]any{
			"token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": mtlsSubject,
			"tls_client_certificate_bound_access_tokens": true}},
		{ID: "mtls-self-signed", Meta: map[string]any{
			"token_endpoint_auth_method":                 "self_signed_tls_client_auth",
			"tls_client_certificate_bound_access_tokens": true}},
		{ID: "fapi2", Key: fapiKey, KeyID: "fapi2-es256", Meta: map[string]any{
			"token_endpoint_auth_method": "private_key_jwt", "require_pushed_authorization_requests": true,
			"dpop_bound_access_tokens": true, "id_token_signed_response_alg": "ES256"}},
	} {
		op.clients[c.ID] = c
	}
	return nil
}

// rpConfig is the configuration of an RP for the client id, talking to the
// provider through bc: its secret, or its key for private_key_jwt.
func (op *nodeOP) rpConfig(t *testing.T, bc *backChannel, id string) rp.Config {
	t.Helper()
	c, ok := op.clients[id]
	if !ok {
		t.Fatalf("no client %q registered at oidc-provider", id)
	}
	return rp.Config{
		Authority:    op.issuer,
		ClientID:     c.ID,
		ClientSecret: rp.Secret(c.Secret),
		ClientKey:    c.Key,
		ClientKeyID:  c.KeyID,
		RedirectURL:  op.callbackURL,
		HTTPClient:   bc.client(),
	}
}
