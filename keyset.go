package rp

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key set caching bounds.
const (
	// keyRefetchCooldown is the least time between two fetches of the
	// provider's keys that untrusted tokens with an unknown kid cause: at
	// most one per cooldown, however many such tokens arrive. (ID tokens
	// from the token endpoint are not held to it; see keySet.)
	keyRefetchCooldown = time.Minute
	// keyCacheDefault is how long keys are used without a refetch when the
	// provider sends no Cache-Control max-age; keyCacheMin and keyCacheMax
	// bound the max-age it sends.
	keyCacheDefault = time.Hour
	keyCacheMin     = 5 * time.Minute
	keyCacheMax     = 24 * time.Hour
)

// joseAlgs is SupportedSigningAlgs as go-jose takes them.
var joseAlgs = func() []jose.SignatureAlgorithm {
	algs := make([]jose.SignatureAlgorithm, len(SupportedSigningAlgs))
	for i, a := range SupportedSigningAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	return algs
}()

// errNoKey reports that no key of the provider verifies a signature.
var errNoKey = errors.New("no key of the provider verifies the signature")

// errMalformedJWS reports a token that is not a compact JWS this library
// can check, whatever the keys.
var errMalformedJWS = errors.New("malformed JWS")

// keySet is the library's single point of access to the provider's signing
// keys; every signature check goes through verifyJWS, which has go-jose
// verify the signature with the keys that fit the token's header. It
// caches the JWKS, honours Cache-Control max-age within bounds, keeps the
// last good keys when the provider is unreachable, and tries only keys
// whose type, curve, use, alg and kid fit the token's header.
//
// A token with an unknown kid may cause a refetch, concurrent callers
// sharing one fetch. How often depends on where the token came from (see
// fromTokenEndpoint): an ID token the token endpoint returned to the RP's
// own request may always refetch, since only the provider can put a token
// there; any other token (front channel, a client's token given to
// RP.VerifyIDToken, logout tokens) shares one refetch per cooldown, so that
// a flood of forged kids costs the provider at most one fetch a minute.
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time
	obs    Observer // nil: none
	issuer string   // for obs

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	expires     time.Time // when the cached keys should be refetched
	lastAttempt time.Time // when the last fetch started
	lastRefetch time.Time // when an untrusted token's unknown key last caused a fetch
	inflight    *keyFetch
	lastErr     error
}

type keyFetch struct {
	done chan struct{}
	err  error
}

// newKeySet returns a key set fetched from jwksURL with client, which must
// be size- and time-limited.
func newKeySet(client *http.Client, jwksURL string) *keySet {
	return &keySet{url: jwksURL, client: client, now: time.Now}
}

// tokenEndpointKey marks a context whose ID token came from the token
// endpoint.
type tokenEndpointKey struct{}

// fromTokenEndpoint marks ctx for verifying an ID token that the token
// endpoint returned in answer to the RP's own request (code exchange or
// refresh), over the RP's own connection: an unknown kid in it may always
// refetch the keys (see keySet).
func fromTokenEndpoint(ctx context.Context) context.Context {
	return context.WithValue(ctx, tokenEndpointKey{}, true)
}

// isFromTokenEndpoint reports whether ctx was marked by fromTokenEndpoint.
func isFromTokenEndpoint(ctx context.Context) bool {
	trusted, _ := ctx.Value(tokenEndpointKey{}).(bool)
	return trusted
}

// VerifySignature parses the compact JWS jwt and verifies it with the
// provider's keys, as verifyJWS does, returning the verified payload.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, joseAlgs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errMalformedJWS, err)
	}
	return k.verifyJWS(ctx, jws)
}

// verifyJWS returns the payload of jws, parsed with go-jose, once a key
// of the provider verifies it. It fails with errMalformedJWS, whatever the
// keys, for a JWS without exactly one signature or with critical header
// extensions, and with errNoKey when no key verifies it.
func (k *keySet) verifyJWS(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: the JWS must have exactly one signature", errMalformedJWS)
	}
	h := jws.Signatures[0].Header
	// RFC 7515 section 4.1.11: a JWS with critical extensions the
	// recipient does not understand is invalid, whatever its keys.
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return nil, fmt.Errorf("%w: the header lists critical extensions (crit), which are not supported", errMalformedJWS)
	}
	keys, due := k.cached()
	if due {
		keys = k.refresh(ctx)
	}
	if payload, ok := verifyWith(jws, keys, h.KeyID, h.Algorithm); ok {
		return payload, nil
	}
	// An unknown or rotated key: look again, unless the keys were
	// fetched just now.
	if !due && k.mayRefetch(isFromTokenEndpoint(ctx)) {
		keys = k.refresh(ctx)
		if payload, ok := verifyWith(jws, keys, h.KeyID, h.Algorithm); ok {
			return payload, nil
		}
	} else if !due && k.obs != nil {
		k.obs.KeyRefetchRefused(ctx, k.issuer)
	}
	k.mu.Lock()
	lastErr := k.lastErr
	k.mu.Unlock()
	if len(keys) == 0 && lastErr != nil {
		return nil, fmt.Errorf("%w: fetching %s failed: %v", errNoKey, k.url, lastErr)
	}
	if h.KeyID != "" {
		return nil, fmt.Errorf("%w (kid %q, alg %s)", errNoKey, h.KeyID, h.Algorithm)
	}
	return nil, fmt.Errorf("%w (no kid, alg %s)", errNoKey, h.Algorithm)
}

// cached returns the cached keys and whether they are due for a refetch.
func (k *keySet) cached() ([]jose.JSONWebKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	// Never fetched: lastAttempt is the zero time, long before now.
	due := (k.keys == nil || !now.Before(k.expires)) && now.Sub(k.lastAttempt) >= keyRefetchCooldown
	return k.keys, due
}

// mayRefetch reports whether an unknown key may cause a fetch now: always
// for a token from the token endpoint (trusted), else when no untrusted
// token's unknown key did within the cooldown; and whenever a fetch is
// running, to share it. Fetches for the cache's expiry and for trusted
// tokens do not use up the untrusted budget, so a key rotated just after
// such a fetch is still found.
func (k *keySet) mayRefetch(trusted bool) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.inflight != nil || trusted {
		return true
	}
	now := k.now()
	if !k.lastRefetch.IsZero() && now.Sub(k.lastRefetch) < keyRefetchCooldown {
		return false
	}
	k.lastRefetch = now
	return true
}

// refresh fetches the keys, or waits for a fetch already running, and
// returns the keys it leaves cached (the last good ones if it failed).
func (k *keySet) refresh(ctx context.Context) []jose.JSONWebKey {
	k.mu.Lock()
	f := k.inflight
	if f == nil {
		f = &keyFetch{done: make(chan struct{})}
		k.inflight = f
		k.lastAttempt = k.now()
		k.mu.Unlock()
		keys, maxAge, err := k.fetch(context.WithoutCancel(ctx))
		k.mu.Lock()
		if err == nil {
			k.keys = keys
			k.expires = k.now().Add(maxAge)
		}
		k.lastErr = err
		k.inflight = nil
		f.err = err
		close(f.done)
		keys = k.keys
		k.mu.Unlock()
		return keys
	}
	k.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys
}

// fetch reads the JWKS. Keys the library cannot use (unknown types or
// curves, private or symmetric keys, encryption keys) are skipped, not
// fatal.
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(observed(ctx, k.obs, EndpointJWKS, k.issuer), http.MethodGet, k.url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("the server answered %s", resp.Status)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, 0, fmt.Errorf("not a JSON Web Key Set: %v", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) != nil || !key.Valid() || !key.IsPublic() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		keys = append(keys, key)
	}
	if keys == nil {
		keys = []jose.JSONWebKey{}
	}
	return keys, cacheLifetime(resp.Header.Get("Cache-Control")), nil
}

// cacheLifetime reads max-age from a Cache-Control header, bounded.
func cacheLifetime(cc string) time.Duration {
	for part := range strings.SplitSeq(cc, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		if !strings.EqualFold(name, "max-age") {
			continue
		}
		secs, err := strconv.Atoi(strings.Trim(value, `"`))
		if err != nil || secs < 0 {
			break
		}
		return min(max(time.Duration(secs)*time.Second, keyCacheMin), keyCacheMax)
	}
	return keyCacheDefault
}

// verifyWith verifies jws with the keys that fit its header: kid equal when
// the token names one, use "sig" or unset, alg equal or unset, and a key
// type and curve that the algorithm uses.
func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid, alg string) ([]byte, bool) {
	for _, key := range keys {
		if (kid != "" && key.KeyID != kid) || (key.Algorithm != "" && key.Algorithm != alg) || !publicKeyFits(key.Key, alg) {
			continue
		}
		if payload, err := jws.Verify(key.Key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// publicKeyFits reports whether a public key can check signatures of alg.
func publicKeyFits(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
