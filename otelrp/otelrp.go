// Package otelrp measures and traces the sign-ins of package rp and
// rp/web with OpenTelemetry: it implements rp.Observer with the
// OpenTelemetry API only, and the application chooses the SDK and the
// exporters (Prometheus, OTLP...) through the MeterProvider and
// TracerProvider it gives.
//
//	obs, err := otelrp.New(otelrp.Config{MeterProvider: mp, TracerProvider: tp})
//	...
//	rpConfig.Observer = obs  // provider calls, key set refetches
//	webConfig.Observer = obs // sign-ins, refreshes, logouts
//
// Metrics (each counter counts events, each histogram is in seconds):
//
//	rp.signins                  sign-ins: rp.provider, rp.issuer, rp.outcome (ok, refused), error.type
//	rp.callback.duration        the callback as a whole: the same attributes
//	rp.refreshes                token refreshes: rp.provider, rp.issuer, rp.outcome (ok, refused, failed), error.type
//	rp.logouts                  logouts: rp.provider, rp.logout.kind, rp.outcome (ok, failed), error.type
//	rp.provider.call.duration   each request to the provider: rp.issuer, rp.endpoint, http.request.method,
//	                            http.response.status_code, server.address, error.type
//	rp.discovery.fetches        discovery document fetches: rp.issuer, rp.outcome (ok, failed), error.type
//	rp.keyset.fetches           key set (JWKS) fetches: rp.issuer, rp.outcome (ok, failed), error.type
//	rp.keyset.refetch_refused   unknown keys refused without a fetch by the refetch budget: rp.issuer
//
// Spans: "rp.sign_in" around each callback, and a client span per request
// to the provider named after its endpoint ("rp.discovery", "rp.jwks",
// "rp.token", "rp.userinfo"), a child of the sign-in's when made during
// one, with the attributes of rp.provider.call.duration. A failed sign-in
// or call sets the span's status to Error with error.type as its
// description.
//
// Every attribute value comes from the configuration (provider names,
// issuers, endpoint hosts) or from a fixed list (outcomes, endpoints,
// logout kinds, the error kinds of rp.ErrorCode, HTTP methods and status
// codes): never a token, code, secret, URL, claim or anything else a
// browser or a provider makes up, so the number of time series stays
// bounded. An attribute that does not apply (rp.provider of an RP used
// without package web, error.type of a success) is left out.
package otelrp

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/oidcrp/rp"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/oidcrp/rp/otelrp"

// Config configures an Observer.
type Config struct {
	// MeterProvider makes the metrics. Default otel.GetMeterProvider(),
	// which records nothing until the application sets a global one.
	MeterProvider metric.MeterProvider
	// TracerProvider makes the spans. Default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// Now is the clock of the durations; tests replace it. Default
	// time.Now.
	Now func() time.Time
}

// Observer is an rp.Observer recording metrics and spans. It is safe for
// concurrent use; one Observer may serve every RP and Site of a process.
type Observer struct {
	now    func() time.Time
	tracer trace.Tracer

	signIns        metric.Int64Counter
	callback       metric.Float64Histogram
	refreshes      metric.Int64Counter
	logouts        metric.Int64Counter
	callDuration   metric.Float64Histogram
	discovery      metric.Int64Counter
	keySetFetches  metric.Int64Counter
	refetchRefused metric.Int64Counter
}

var _ rp.Observer = (*Observer)(nil)

// New returns an Observer with the instruments made by cfg's
// MeterProvider. It fails when the MeterProvider refuses an instrument.
func New(cfg Config) (*Observer, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	o := &Observer{now: cfg.Now, tracer: tp.Tracer(ScopeName)}
	if o.now == nil {
		o.now = time.Now
	}
	m := mp.Meter(ScopeName)
	var errs []error
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit("{event}"))
		errs = append(errs, err)
		return c
	}
	seconds := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
		errs = append(errs, err)
		return h
	}
	o.signIns = counter("rp.signins", "Sign-ins, by provider and outcome.")
	o.callback = seconds("rp.callback.duration", "Duration of the sign-in callback as a whole.")
	o.refreshes = counter("rp.refreshes", "Token refreshes, by provider and outcome.")
	o.logouts = counter("rp.logouts", "Logouts, by provider, kind and outcome.")
	o.callDuration = seconds("rp.provider.call.duration", "Duration of requests to the provider, by endpoint.")
	o.discovery = counter("rp.discovery.fetches", "Fetches of the provider's discovery document.")
	o.keySetFetches = counter("rp.keyset.fetches", "Fetches of the provider's signing keys (JWKS).")
	o.refetchRefused = counter("rp.keyset.refetch_refused", "Tokens with an unknown key refused without a fetch by the refetch budget.")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}

// Attribute keys of the library's own.
const (
	keyProvider   = attribute.Key("rp.provider")
	keyIssuer     = attribute.Key("rp.issuer")
	keyOutcome    = attribute.Key("rp.outcome")
	keyEndpoint   = attribute.Key("rp.endpoint")
	keyLogoutKind = attribute.Key("rp.logout.kind")
	keyErrorType  = attribute.Key("error.type")
	keyMethod     = attribute.Key("http.request.method")
	keyStatus     = attribute.Key("http.response.status_code")
	keyServer     = attribute.Key("server.address")
)

// Outcomes, the values of rp.outcome.
const (
	outcomeOK      = "ok"
	outcomeRefused = "refused"
	outcomeFailed  = "failed"
)

// add appends key=value to attrs unless value is empty.
func add(attrs []attribute.KeyValue, key attribute.Key, value string) []attribute.KeyValue {
	if value == "" {
		return attrs
	}
	return append(attrs, key.String(value))
}

// outcome appends rp.outcome (ok, or failed when errorKind is not empty)
// and error.type.
func outcome(attrs []attribute.KeyValue, errorKind, failed string) []attribute.KeyValue {
	if errorKind == "" {
		return append(attrs, keyOutcome.String(outcomeOK))
	}
	return append(attrs, keyOutcome.String(failed), keyErrorType.String(errorKind))
}

// ProviderCall starts a client span for a request to the provider; the
// function it returns records rp.provider.call.duration, and
// rp.discovery.fetches or rp.keyset.fetches for those endpoints, and ends
// the span.
func (o *Observer) ProviderCall(ctx context.Context, call rp.ProviderCall) (context.Context, func(rp.ProviderCallEnd)) {
	start := o.now()
	attrs := add(nil, keyIssuer, call.Issuer)
	attrs = append(attrs, keyEndpoint.String(call.Endpoint))
	attrs = add(attrs, keyMethod, call.Method)
	attrs = add(attrs, keyServer, call.ServerAddress)
	ctx, span := o.tracer.Start(ctx, "rp."+call.Endpoint, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx, func(end rp.ProviderCallEnd) {
		all := attrs
		if end.StatusCode != 0 {
			all = append(all[:len(all):len(all)], keyStatus.Int(end.StatusCode))
		}
		all = add(all[:len(all):len(all)], keyErrorType, end.ErrorKind)
		o.callDuration.Record(ctx, o.now().Sub(start).Seconds(), metric.WithAttributes(all...))
		var fetches metric.Int64Counter
		switch call.Endpoint {
		case rp.EndpointDiscovery:
			fetches = o.discovery
		case rp.EndpointJWKS:
			fetches = o.keySetFetches
		}
		if fetches != nil {
			fetches.Add(ctx, 1, metric.WithAttributes(outcome(add(nil, keyIssuer, call.Issuer), end.ErrorKind, outcomeFailed)...))
		}
		span.SetAttributes(all[len(attrs):]...)
		if end.ErrorKind != "" {
			span.SetStatus(codes.Error, end.ErrorKind)
		}
		span.End()
	}
}

// SignIn starts the "rp.sign_in" span; the function it returns counts
// rp.signins, records rp.callback.duration and ends the span.
func (o *Observer) SignIn(ctx context.Context, provider, issuer string) (context.Context, func(rp.SignInEnd)) {
	start := o.now()
	attrs := add(add(nil, keyProvider, provider), keyIssuer, issuer)
	ctx, span := o.tracer.Start(ctx, "rp.sign_in", trace.WithAttributes(attrs...))
	return ctx, func(end rp.SignInEnd) {
		all := outcome(attrs[:len(attrs):len(attrs)], end.ErrorKind, outcomeRefused)
		o.signIns.Add(ctx, 1, metric.WithAttributes(all...))
		o.callback.Record(ctx, o.now().Sub(start).Seconds(), metric.WithAttributes(all...))
		span.SetAttributes(all[len(attrs):]...)
		if end.ErrorKind != "" {
			span.SetStatus(codes.Error, end.ErrorKind)
		}
		span.End()
	}
}

// Refresh counts rp.refreshes: ok, refused (the session ended) or failed
// (the session was kept).
func (o *Observer) Refresh(ctx context.Context, e rp.RefreshEvent) {
	failed := outcomeFailed
	if e.SessionEnded {
		failed = outcomeRefused
	}
	attrs := add(add(nil, keyProvider, e.Provider), keyIssuer, e.Issuer)
	o.refreshes.Add(ctx, 1, metric.WithAttributes(outcome(attrs, e.ErrorKind, failed)...))
}

// Logout counts rp.logouts.
func (o *Observer) Logout(ctx context.Context, e rp.LogoutEvent) {
	attrs := append(add(nil, keyProvider, e.Provider), keyLogoutKind.String(e.Kind))
	o.logouts.Add(ctx, 1, metric.WithAttributes(outcome(attrs, e.ErrorKind, outcomeFailed)...))
}

// KeyRefetchRefused counts rp.keyset.refetch_refused.
func (o *Observer) KeyRefetchRefused(ctx context.Context, issuer string) {
	o.refetchRefused.Add(ctx, 1, metric.WithAttributes(add(nil, keyIssuer, issuer)...))
}
