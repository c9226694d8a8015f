package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/oidcrp/rp/otelrp"
)

// telemetry is the app's metrics: the library's (through otelrp), kept by
// the OpenTelemetry SDK and read by the Prometheus exporter, served as
// Prometheus text at /metrics.
type telemetry struct {
	observer *otelrp.Observer
	handler  http.Handler // GET /metrics
}

// newTelemetry returns the app's metrics, in a Prometheus registry of their
// own (so that several apps in one test process do not mix).
func newTelemetry() (*telemetry, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	obs, err := otelrp.New(otelrp.Config{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))})
	if err != nil {
		return nil, err
	}
	return &telemetry{observer: obs, handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}, nil
}

type requestIDKey struct{}

// withRequestID gives each request an ID: in the X-Request-ID response
// header and, through requestIDs, in every log line written with the
// request's context (the library's included).
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := rand.Text()[:16]
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// requestIDs is a slog.Handler adding the request's ID, when the record's
// context has one, as "request_id".
type requestIDs struct{ slog.Handler }

func (h requestIDs) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDs{h.Handler.WithAttrs(attrs)}
}

func (h requestIDs) WithGroup(name string) slog.Handler { return requestIDs{h.Handler.WithGroup(name)} }
