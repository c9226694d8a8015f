package rp

import (
	"context"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
)

// keySet is the library's single point of access to the provider's signing
// keys. Every signature check goes through VerifySignature, so caching and
// refetch policy live here and nowhere else.
type keySet struct {
	remote *oidc.RemoteKeySet
}

// newKeySet returns a key set fetched from jwksURL with client, which must
// be size- and time-limited.
func newKeySet(client *http.Client, jwksURL string) *keySet {
	ctx := oidc.ClientContext(context.Background(), client)
	return &keySet{remote: oidc.NewRemoteKeySet(ctx, jwksURL)}
}

// sigProbe records the outcome of the signature check inside a go-oidc
// verification, so a failure can be attributed to the right cause.
type sigProbe struct {
	reached bool
	payload []byte
	err     error
}

type sigProbeKey struct{}

// VerifySignature implements oidc.KeySet: it verifies the JWS signature of
// jwt with the provider's keys (refetching them on an unknown key) and
// returns the verified payload.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if p, ok := ctx.Value(sigProbeKey{}).(*sigProbe); ok {
		p.reached, p.payload, p.err = true, payload, err
	}
	return payload, err
}
