package rp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DPoPAlg is the algorithm of the RP's DPoP proofs (RFC 9449): ECDSA with
// P-256 and SHA-256. With Config.DPoP, New refuses a provider whose
// dpop_signing_alg_values_supported leaves it out.
const DPoPAlg = "ES256"

// dpopKeyFormat is the first byte of MarshalBinary's encoding.
const dpopKeyFormat byte = 1

// DPoPKey is the key pair that a session's DPoP-bound tokens are bound to
// (RFC 9449): an ECDSA P-256 key drawn with crypto/rand for each sign-in.
// Keep it with the session's tokens (Tokens.DPoPKey), sealed like them:
// MarshalBinary gives the private key for that, ParseDPoPKey reads it
// back. Printing, logging or marshalling it to JSON or text yields
// "[redacted]", like Secret. It is safe for concurrent use.
type DPoPKey struct {
	priv   *ecdsa.PrivateKey
	signer jose.Signer
	jkt    string
}

// NewDPoPKey draws a new P-256 key pair with crypto/rand. It fails only
// when the system's random source or signer fails.
func NewDPoPKey() (*DPoPKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("%w: drawing a key: %v", ErrDPoPProof, err)
	}
	return dpopKeyOf(priv)
}

// ParseDPoPKey reads a key written by MarshalBinary. Anything else fails
// with ErrDPoPKey.
func ParseDPoPKey(b []byte) (*DPoPKey, error) {
	if len(b) != 33 || b[0] != dpopKeyFormat {
		return nil, ErrDPoPKey
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b[1:])
	if err != nil {
		return nil, ErrDPoPKey
	}
	k, err := dpopKeyOf(priv)
	if err != nil {
		return nil, ErrDPoPKey
	}
	return k, nil
}

func dpopKeyOf(priv *ecdsa.PrivateKey) (*DPoPKey, error) {
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDPoPProof, err)
	}
	sum, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDPoPProof, err)
	}
	return &DPoPKey{priv: priv, signer: signer, jkt: base64.RawURLEncoding.EncodeToString(sum)}, nil
}

// MarshalBinary returns the private key, for sealing with the session: a
// format byte and the 32-byte scalar. Never store it unencrypted.
func (k *DPoPKey) MarshalBinary() ([]byte, error) {
	if k == nil || k.priv == nil {
		return nil, ErrDPoPKey
	}
	d, err := k.priv.Bytes()
	if err != nil {
		return nil, ErrDPoPKey
	}
	return append([]byte{dpopKeyFormat}, d...), nil
}

// Thumbprint returns the key's JWK SHA-256 thumbprint (RFC 7638),
// base64url-encoded: the jkt that the provider binds tokens to (cnf.jkt,
// and dpop_jkt in pushed authorization requests).
func (k *DPoPKey) Thumbprint() string {
	if k == nil {
		return ""
	}
	return k.jkt
}

// Equal reports whether k and o are the same key pair.
func (k *DPoPKey) Equal(o *DPoPKey) bool {
	if k == nil || o == nil {
		return k == o
	}
	return k.priv.Equal(o.priv)
}

// String returns "[redacted]".
func (*DPoPKey) String() string { return redacted }

// GoString returns "[redacted]", so %#v hides the key too.
func (*DPoPKey) GoString() string { return redacted }

// Format writes "[redacted]" for every verb.
func (*DPoPKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (*DPoPKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]"; encoding/json uses it too. Use
// MarshalBinary to store the key.
func (*DPoPKey) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// dpopProofClaims are the claims of a DPoP proof (RFC 9449 section 4.2).
type dpopProofClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	Nonce string `json:"nonce,omitempty"`
	ATH   string `json:"ath,omitempty"`
}

// Proof returns a DPoP proof for one request of an application to a
// resource server with the session's DPoP-bound access token: send it as
// the DPoP header, with "Authorization: DPoP <token>". method is the
// request's HTTP method and rawURL its URL (query and fragment are left
// out of the proof, as RFC 9449 section 4.2 says); accessToken, when not
// empty, is bound by its hash (ath); nonce is the last DPoP-Nonce the
// server sent, or "". A server that answers 401 with
// WWW-Authenticate: DPoP error="use_dpop_nonce" wants the request again
// with a proof carrying the nonce of its DPoP-Nonce header. Proof's iat is
// the current time; see ProofAt. A method that is not an HTTP token, a URL
// that is not absolute http(s), or a nonce with characters RFC 9449 does
// not allow fails with ErrDPoPProof.
func (k *DPoPKey) Proof(method, rawURL string, accessToken Secret, nonce string) (string, error) {
	return k.ProofAt(time.Now(), method, rawURL, accessToken, nonce)
}

// ProofAt is Proof with iat at the given time, for callers that keep
// their own clock.
func (k *DPoPKey) ProofAt(iat time.Time, method, rawURL string, accessToken Secret, nonce string) (string, error) {
	if k == nil || k.signer == nil {
		return "", fmt.Errorf("%w: no key", ErrDPoPProof)
	}
	if method == "" || strings.IndexFunc(method, notTokenChar) >= 0 {
		return "", fmt.Errorf("%w: %q is not an HTTP method", ErrDPoPProof, sanitize(method))
	}
	htu, ok := dpopHTU(rawURL)
	if !ok {
		return "", fmt.Errorf("%w: the URL is not an absolute http or https URL", ErrDPoPProof)
	}
	if nonce != "" && !validDPoPNonce(nonce) {
		return "", fmt.Errorf("%w: the nonce has characters RFC 9449 does not allow", ErrDPoPProof)
	}
	c := dpopProofClaims{JTI: randomString(), HTM: method, HTU: htu, IAT: iat.Unix(), Nonce: nonce}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c.ATH = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDPoPProof, err)
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDPoPProof, err)
	}
	return jws.CompactSerialize()
}

// dpopHTU is the htu of a request to rawURL: the URL without its query and
// fragment (and without user information), or false when it is not an
// absolute http or https URL.
func dpopHTU(rawURL string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	out := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return out.String(), true
}

// notTokenChar reports characters that cannot appear in an HTTP token
// (RFC 9110 section 5.6.2).
func notTokenChar(r rune) bool {
	if r > 0x7e || r <= ' ' {
		return true
	}
	return strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
}

// maxDPoPNonce bounds a nonce accepted from a server.
const maxDPoPNonce = 512

// validDPoPNonce reports whether n is 1*NQCHAR (RFC 9449 section 8.1)
// and not longer than maxDPoPNonce.
func validDPoPNonce(n string) bool {
	if n == "" || len(n) > maxDPoPNonce {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// dpopKeyCtx carries the DPoP key of a request in its context, for
// dpopTransport.
type dpopKeyCtx struct{}

// withDPoPKey returns ctx carrying k; a nil k leaves ctx as it is.
func withDPoPKey(ctx context.Context, k *DPoPKey) context.Context {
	if k == nil {
		return ctx
	}
	return context.WithValue(ctx, dpopKeyCtx{}, k)
}

// dpopKeyFrom returns the DPoP key ctx carries, or nil.
func dpopKeyFrom(ctx context.Context) *DPoPKey {
	k, _ := ctx.Value(dpopKeyCtx{}).(*DPoPKey)
	return k
}

// authScheme is the Authorization scheme of a request whose context is
// ctx: DPoP when it carries a DPoP key, else Bearer.
func authScheme(ctx context.Context) string {
	if dpopKeyFrom(ctx) != nil {
		return "DPoP"
	}
	return "Bearer"
}

// dpopConfigProblems lists what is wrong with Config.DPoP by itself.
func dpopConfigProblems(c *Config) []ConfigProblem {
	if c.DPoP && !responseTypeHas(c.responseType(), "code") {
		return []ConfigProblem{{Field: "DPoP", Message: "DPoP binds the tokens of the token endpoint; use a response type with code (tokens from the authorization endpoint cannot be bound)"}}
	}
	return nil
}

// dpopProviderProblems lists what in c's DPoP cannot work with the
// provider md: one that advertises DPoP algorithms must accept DPoPAlg.
func dpopProviderProblems(c *Config, md *ProviderMetadata) []ConfigProblem {
	algs := md.DPoPSigningAlgValuesSupported
	if !c.DPoP || len(algs) == 0 || slices.Contains(algs, DPoPAlg) {
		return nil
	}
	return []ConfigProblem{{Field: "DPoP", Message: fmt.Sprintf("the provider accepts DPoP proofs only with %q, and the library signs them with %s; turn DPoP off or enable %s at the provider", sanitizeList(algs), DPoPAlg, DPoPAlg)}}
}

// sanitizeList sanitizes each of a provider's values for a message.
func sanitizeList(vs []string) []string {
	out := make([]string, 0, min(len(vs), 16))
	for _, v := range vs[:min(len(vs), 16)] {
		out = append(out, sanitize(v))
	}
	return out
}
