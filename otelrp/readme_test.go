package otelrp_test

// The README's "Metrics and traces" snippet, compiled and vetted here; the
// root module's readme_test.go checks that the README holds it as written.

import (
	"context"
	"log"
	"os"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/otelrp"
	"github.com/oidcrp/rp/web"
)

// The snippet is compiled, not called: it needs a real provider.
var _ = readmeMetrics

// readmeMetrics holds the README's "Metrics and traces" snippet.
func readmeMetrics(ctx context.Context, meterProvider metric.MeterProvider, tracerProvider trace.TracerProvider) (*web.Site, error) {
	obs, err := otelrp.New(otelrp.Config{MeterProvider: meterProvider, TracerProvider: tracerProvider})
	if err != nil {
		log.Fatal(err)
	}
	azure, err := rp.New(ctx, rp.Config{
		Authority:    "https://login.microsoftonline.com/<tenant-id>/v2.0",
		ClientID:     os.Getenv("OIDC_CLIENT_ID"),
		ClientSecret: rp.Secret(os.Getenv("OIDC_CLIENT_SECRET")),
		RedirectURL:  "https://app.example.com/callback/azure",
		Observer:     obs, // discovery, keys, token and userinfo calls
	})
	if err != nil {
		log.Fatal(err)
	}
	site, err := web.New(web.Config{
		Providers:      []web.Provider{{Name: "azure", RP: azure}},
		SessionSecrets: []rp.Secret{rp.Secret(os.Getenv("SESSION_SECRET"))},
		Observer:       obs, // sign-ins, refreshes, logouts, by provider name
	})
	return site, err
}
