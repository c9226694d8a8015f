package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// trials is a TrialHandler holding the RPs of the trials it started.
type trials struct {
	mu  sync.Mutex
	rps map[string]*rp.RP
	got []string
}

func (h *trials) ServeTrial(w http.ResponseWriter, r *http.Request, name, trial string) {
	h.mu.Lock()
	r0 := h.rps[trial]
	h.mu.Unlock()
	if r0 == nil {
		http.Error(w, "no such trial", http.StatusNotFound)
		return
	}
	res, err := r0.Callback(w, r)
	if err != nil {
		http.Error(w, rp.ErrorCode(err), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, name+" "+trial+" "+res.Claims.Subject)
	h.mu.Unlock()
	fmt.Fprintf(w, "trial of %s: sub=%s", name, res.Claims.Subject)
}

// TestTrialSignIn: a sign-in with unsaved settings comes back to the
// connection's registered redirect URL and reaches the TrialHandler,
// which verifies it with the trial's RP; no session starts.
func TestTrialSignIn(t *testing.T) {
	clock := newFakeClock()
	store := connection.NewMemoryStore(connection.MemoryConfig{Now: clock.Now})
	op := newConnOP(t, clock)
	a := newConnApp(t, clock, store, nil)
	unsaved := settingsFor("newco", op) // never saved
	cfg, err := a.web.TrialConfig(&unsaved, "T1")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RedirectURL != a.srv.URL+"/sso/newco/callback" || cfg.Matcher != nil {
		t.Fatalf("trial config: redirect %q, matcher %v", cfg.RedirectURL, cfg.Matcher)
	}
	if links, ok := a.web.ConnectionURLs("newco"); !ok || links.RedirectURL != cfg.RedirectURL {
		t.Fatalf("ConnectionURLs: %+v, %v", links, ok)
	}
	trialRP, err := rp.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := func() string {
		rec := &headerRecorder{h: http.Header{}}
		req, _ := http.NewRequest("GET", a.srv.URL+"/admin/test", nil)
		if err := trialRP.Login(rec, req, rp.LoginOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, c := range (&http.Response{Header: rec.h}).Cookies() {
			a.jar.SetCookies(mustURL(t, a.srv.URL), []*http.Cookie{c})
		}
		resp := a.raw("GET", rec.h.Get("Location"), nil)
		return resp.Header.Get("Location")
	}

	cb := start()
	if resp := a.raw("GET", cb, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a trial's callback without a TrialHandler: %d; want 404", resp.StatusCode)
	}
	h := &trials{rps: map[string]*rp.RP{"T1": trialRP}}
	a.web.HandleTrials(h)
	cb = start()
	status, body := a.finish(cb)
	if status != http.StatusOK || body != "trial of newco: sub="+alice.Subject {
		t.Fatalf("trial callback: %d %q", status, body)
	}
	if _, path, _ := a.get("/me"); path == "/me" {
		t.Fatal("a trial sign-in started a session")
	}
	forged := strings.Replace(start(), "trial-T1.", "trial-T2.", 1)
	if status, body := a.finish(forged); status != http.StatusNotFound || len(h.got) != 1 {
		t.Fatalf("a trial ID that names no trial: %d %q", status, body)
	}
}

// headerRecorder is a minimal http.ResponseWriter for RP.Login.
type headerRecorder struct{ h http.Header }

func (r *headerRecorder) Header() http.Header         { return r.h }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(int)             {}
