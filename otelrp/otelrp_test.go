package otelrp_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/otelrp"
	"github.com/oidcrp/rp/rptest"
	"github.com/oidcrp/rp/web"
)

// app is a Site with one provider, "corp", observed by an Observer that
// records into in-memory readers, and a browser.
type app struct {
	t       *testing.T
	op      *rptest.Server
	srv     *httptest.Server
	browser *http.Client
	reader  *sdkmetric.ManualReader
	spans   *tracetest.SpanRecorder
}

func newApp(t *testing.T) *app {
	t.Helper()
	clock := rptest.NewClock(time.Now().Truncate(time.Second))
	a := &app{t: t, reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	a.op = rptest.NewServer(rptest.Config{Users: []rptest.User{{Subject: "alice-sub"}}, Now: clock.Now})
	t.Cleanup(a.op.Close)
	mux := http.NewServeMux()
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(a.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(a.spans))
	obs, err := otelrp.New(otelrp.Config{MeterProvider: mp, TracerProvider: tp, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rp.New(context.Background(), rp.Config{
		Authority: a.op.Issuer(), ClientID: a.op.ClientID(), ClientSecret: rp.Secret(a.op.ClientSecret()),
		RedirectURL: a.srv.URL + "/callback/corp", Scopes: []string{"openid"}, Now: clock.Now, Observer: obs,
	})
	if err != nil {
		t.Fatal(err)
	}
	site, err := web.New(web.Config{
		Providers:      []web.Provider{{Name: "corp", RP: r}},
		SessionSecrets: []rp.Secret{rp.Secret(strings.Repeat("s", 32))},
		Now:            clock.Now, Observer: obs,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", site.Handler())
	jar, _ := cookiejar.New(nil)
	a.browser = &http.Client{Jar: jar}
	return a
}

// do sends a request and returns the status and body of the last response.
func (a *app) do(method, path string) (int, string) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := a.browser.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// points returns, for each metric, the number of events of each attribute
// set ("k=v,k=v"): a counter's sum, a histogram's count.
func (a *app) points() map[string]map[string]int64 {
	a.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := a.reader.Collect(context.Background(), &rm); err != nil {
		a.t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelrp.ScopeName {
			a.t.Errorf("scope %q, want %q", sm.Scope.Name, otelrp.ScopeName)
		}
		for _, m := range sm.Metrics {
			got := map[string]int64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[p.Attributes.Encoded(attribute.DefaultEncoder())] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[p.Attributes.Encoded(attribute.DefaultEncoder())] += int64(p.Count)
				}
			default:
				a.t.Errorf("metric %s is a %T", m.Name, m.Data)
			}
			out[m.Name] = got
		}
	}
	return out
}

// attributeValues returns every attribute value of every metric point and
// span recorded, as text.
func (a *app) attributeValues() []string {
	var rm metricdata.ResourceMetrics
	_ = a.reader.Collect(context.Background(), &rm)
	var kvs []attribute.KeyValue
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					kvs = append(kvs, p.Attributes.ToSlice()...)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					kvs = append(kvs, p.Attributes.ToSlice()...)
				}
			}
		}
	}
	for _, s := range a.spans.Ended() {
		kvs = append(kvs, s.Attributes()...)
		kvs = append(kvs, attribute.String("span.status", s.Status().Description))
	}
	var values []string
	for _, kv := range kvs {
		values = append(values, kv.Value.String())
	}
	return values
}

// TestSignInMetricsAndSpans signs in, logs out and has a sign-in refused
// (the provider's ID token signature is bad), and checks every metric
// point and span the Observer recorded.
func TestSignInMetricsAndSpans(t *testing.T) {
	a := newApp(t)
	if status, body := a.do("GET", "/login/corp"); status != http.StatusNotFound || !strings.Contains(body, "404") {
		// The callback redirects to "/", which the test's mux leaves to
		// Site: 404.
		t.Fatalf("sign-in ended with %d %q, want the 404 of /", status, body)
	}
	if status, _ := a.do("POST", "/logout"); status != http.StatusNotFound {
		t.Fatalf("logout ended with %d, want the 404 of / after the provider's logout", status)
	}
	a.op.SetFaults(rptest.Faults{BadSignature: true})
	if status, _ := a.do("GET", "/login/corp"); status != http.StatusBadRequest {
		t.Fatalf("the sign-in with a bad signature ended with %d, want 400", status)
	}

	iss := a.op.Issuer()
	host := "127.0.0.1"
	signedIn := fmt.Sprintf("rp.issuer=%s,rp.outcome=ok,rp.provider=corp", iss)
	refused := fmt.Sprintf("error.type=id_token_signature,rp.issuer=%s,rp.outcome=refused,rp.provider=corp", iss)
	call := func(endpoint, method string) string {
		return fmt.Sprintf("http.request.method=%s,http.response.status_code=200,rp.endpoint=%s,rp.issuer=%s,server.address=%s", method, endpoint, iss, host)
	}
	want := map[string]map[string]int64{
		"rp.signins":           {signedIn: 1, refused: 1},
		"rp.callback.duration": {signedIn: 1, refused: 1},
		"rp.logouts":           {"rp.logout.kind=rp_initiated,rp.outcome=ok,rp.provider=corp": 1},
		"rp.provider.call.duration": {
			call("discovery", "GET"): 1,
			// The first sign-in fetches the keys; the bad signature
			// makes the second fetch them again (a token from the
			// token endpoint may always refetch).
			call("jwks", "GET"):   2,
			call("token", "POST"): 2,
		},
		"rp.discovery.fetches": {fmt.Sprintf("rp.issuer=%s,rp.outcome=ok", iss): 1},
		"rp.keyset.fetches":    {fmt.Sprintf("rp.issuer=%s,rp.outcome=ok", iss): 2},
	}
	got := a.points()
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if !maps.Equal(got[name], want[name]) {
			t.Errorf("%s = %v, want %v", name, got[name], want[name])
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("no metric %s", name)
		}
	}

	// Spans: the sign-ins, with their token and key calls as children;
	// the discovery of rp.New on its own.
	spans := a.spans.Ended()
	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID().String()] = s
	}
	var names []string
	for _, s := range spans {
		name := s.Name()
		if p, ok := byID[s.Parent().SpanID().String()]; ok && s.Parent().IsValid() {
			name = p.Name() + ">" + name
		}
		if s.Status().Code == codes.Error {
			name += "!" + s.Status().Description
		}
		names = append(names, name)
	}
	slices.Sort(names)
	wantSpans := []string{"rp.discovery", "rp.sign_in", "rp.sign_in!id_token_signature",
		"rp.sign_in>rp.jwks", "rp.sign_in>rp.jwks", "rp.sign_in>rp.token", "rp.sign_in>rp.token"}
	if !slices.Equal(names, wantSpans) {
		t.Errorf("spans %q, want %q", names, wantSpans)
	}

	// No attribute holds anything but configuration and fixed words.
	allowed := []string{"corp", iss, host, "ok", "refused", "id_token_signature", "rp_initiated",
		"discovery", "jwks", "token", "GET", "POST", "200", ""}
	for _, v := range a.attributeValues() {
		if !slices.Contains(allowed, v) {
			t.Errorf("attribute value %q is none of the configuration's names and the fixed words", v)
		}
		if strings.Contains(v, a.op.ClientSecret()) {
			t.Errorf("attribute value %q holds the client secret", v)
		}
	}
}

// TestObserverDirect calls each method of the Observer and checks the
// metric points and span they record: outcomes, error types and durations
// by the Observer's clock.
func TestObserverDirect(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	now := time.Unix(1000, 0)
	obs, err := otelrp.New(otelrp.Config{
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
		Now:            func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, end := obs.ProviderCall(ctx, rp.ProviderCall{Endpoint: rp.EndpointUserInfo, Issuer: "https://op.example", Method: "GET", ServerAddress: "op.example"})
	now = now.Add(1500 * time.Millisecond)
	end(rp.ProviderCallEnd{ErrorKind: rp.CallTimeout})
	obs.Refresh(ctx, rp.RefreshEvent{Provider: "corp", ErrorKind: "token_endpoint", SessionEnded: true})
	obs.Refresh(ctx, rp.RefreshEvent{Provider: "corp", ErrorKind: "timeout"})
	obs.Refresh(ctx, rp.RefreshEvent{Provider: "corp"})
	obs.Logout(ctx, rp.LogoutEvent{Provider: "corp", Kind: rp.LogoutBackchannel, ErrorKind: "logout_token_signature"})
	obs.KeyRefetchRefused(ctx, "https://op.example")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] = append(got[m.Name], fmt.Sprintf("%s:%d", p.Attributes.Encoded(attribute.DefaultEncoder()), p.Value))
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name] = append(got[m.Name], fmt.Sprintf("%s:%d:%gs", p.Attributes.Encoded(attribute.DefaultEncoder()), p.Count, p.Sum))
				}
			}
			slices.Sort(got[m.Name])
		}
	}
	want := map[string][]string{
		"rp.provider.call.duration": {"error.type=timeout,http.request.method=GET,rp.endpoint=userinfo,rp.issuer=https://op.example,server.address=op.example:1:1.5s"},
		"rp.refreshes": {
			"error.type=timeout,rp.outcome=failed,rp.provider=corp:1",
			"error.type=token_endpoint,rp.outcome=refused,rp.provider=corp:1",
			"rp.outcome=ok,rp.provider=corp:1",
		},
		"rp.logouts":                {"error.type=logout_token_signature,rp.logout.kind=backchannel,rp.outcome=failed,rp.provider=corp:1"},
		"rp.keyset.refetch_refused": {"rp.issuer=https://op.example:1"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("metrics\n%q\nwant\n%q", got, want)
	}
	ended := spans.Ended()
	if len(ended) != 1 || ended[0].Name() != "rp.userinfo" || ended[0].Status().Code != codes.Error || ended[0].Status().Description != "timeout" {
		t.Errorf("spans %v, want one rp.userinfo span with status Error timeout", ended)
	}
}
