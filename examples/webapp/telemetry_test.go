package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestMetricsCountSignIns scrapes /metrics after one sign-in and one
// refused sign-in and finds each counted, by provider and outcome.
func TestMetricsCountSignIns(t *testing.T) {
	app := startApp(t, nil)
	if resp, body := signIn(t, app, newClient(t), "azure", "bob"); resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" {
		t.Fatalf("bob: sign-in ended with %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	if resp, _ := signIn(t, app, newClient(t), "okta", "dave"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dave: sign-in ended with %d, want 403 (no local account)", resp.StatusCode)
	}
	resp, body := get(t, newClient(t), app.URL+"/metrics")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`^rp_signins_total\{[^}]*rp_outcome="ok"[^}]*rp_provider="azure"[^}]*\} 1$`,
		`^rp_signins_total\{error_type="no_local_account"[^}]*rp_outcome="refused"[^}]*rp_provider="okta"[^}]*\} 1$`,
		`^rp_callback_duration_seconds_count\{[^}]*rp_outcome="ok"[^}]*rp_provider="azure"[^}]*\} 1$`,
	} {
		if !regexp.MustCompile("(?m)" + want).MatchString(body) {
			t.Errorf("/metrics has no line matching %s:\n%s", want, body)
		}
	}
	if n := strings.Count(body, "\nrp_signins_total{"); n != 2 {
		t.Errorf("/metrics has %d rp_signins_total series, want 2:\n%s", n, body)
	}
	// One code exchange at each provider.
	tokenCalls := regexp.MustCompile(`(?m)^rp_provider_call_duration_seconds_count\{[^}]*rp_endpoint="token"[^}]*\} 1$`)
	if n := len(tokenCalls.FindAllString(body, -1)); n != 2 {
		t.Errorf("/metrics counts token calls at %d providers, want 2:\n%s", n, body)
	}
}

// TestLogLinesCarryRequestID: a log line written while serving a request
// carries that request's ID, which the response's X-Request-ID names.
func TestLogLinesCarryRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(requestIDs{slog.NewTextHandler(&buf, nil)})
	var id string
	h := withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "rp: sign-in", "provider", "azure")
		log.Info("no request")
	}))
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, httpRequest(t))
	id = rec.header.Get("X-Request-ID")
	if len(id) != 16 {
		t.Fatalf("X-Request-ID %q, want 16 characters", id)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "provider=azure request_id="+id) || strings.Contains(lines[1], "request_id") {
		t.Errorf("log lines %q, want the first ending with request_id=%s and the second without", lines, id)
	}
}

type headerRecorder struct{ header http.Header }

func (r *headerRecorder) Header() http.Header         { return r.header }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(int)             {}

func httpRequest(t *testing.T) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://app.example/", nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
