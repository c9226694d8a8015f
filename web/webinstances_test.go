package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/oidcrp/rp/session"
)

// otherInstance returns a second Site of a's application, as another
// instance behind a load balancer would run it: the same providers,
// secrets and Config, changed by mod (which sets what the instances
// share, Shared and SessionStore).
func (a *webApp) otherInstance(mod func(*Config)) *Site {
	a.t.Helper()
	cfg := a.web.cfg
	cfg.Providers = nil
	for _, p := range a.web.order {
		cfg.Providers = append(cfg.Providers, Provider{Name: p.Name, RP: p.RP})
	}
	if mod != nil {
		mod(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		a.t.Fatal(err)
	}
	return b
}

// statusOn returns the status that site.Require answers a script's request
// carrying cookies, and the response.
func statusOn(site *Site, cookies []*http.Cookie) (int, *http.Response) {
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Accept", "application/json")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	site.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(rec, req)
	return rec.Code, rec.Result()
}

// record runs h on a POST request without cookies and returns what it
// answered.
func record(h http.HandlerFunc) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("POST", "/", nil))
	return rec
}

// newBrowser gives a a fresh browser (an empty cookie jar) and returns the
// cookies of the previous one.
func (a *webApp) newBrowser() []*http.Cookie {
	old := a.requestWithCookies().Cookies()
	a.jar, _ = cookiejar.New(nil)
	a.browser = &http.Client{Jar: a.jar}
	a.noRedir = &http.Client{Jar: a.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return old
}

// sessionOf returns the decoded session that cookies carry.
func (a *webApp) sessionOf(cookies []*http.Cookie) (*session.Session, *sessionData) {
	a.t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	s, ok := a.web.sessions.Load(req)
	if !ok {
		a.t.Fatal("no session in the cookies")
	}
	d, err := decodeSession(s.Data)
	if err != nil {
		a.t.Fatal(err)
	}
	return s, d
}

// faultyShared is a SharedStore whose operations can be made to fail,
// and which counts them.
type faultyShared struct {
	SharedStore
	mu                         sync.Mutex
	getErr, putErr, addErr     error
	gets, puts, adds, removals int
}

// newFaultyShared returns a faultyShared over the memory store, on the
// clock now (the Site's, Config.Now).
func newFaultyShared(now func() time.Time) *faultyShared {
	return &faultyShared{SharedStore: newMemShared(now)}
}

func (s *faultyShared) fail(get, put, add error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.getErr, s.putErr, s.addErr = get, put, add
}

func (s *faultyShared) Get(ctx context.Context, keys ...string) ([][]byte, error) {
	s.mu.Lock()
	err := s.getErr
	s.gets++
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.SharedStore.Get(ctx, keys...)
}

func (s *faultyShared) Put(ctx context.Context, key string, value []byte, expiry time.Time) error {
	s.mu.Lock()
	err := s.putErr
	s.puts++
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.SharedStore.Put(ctx, key, value, expiry)
}

func (s *faultyShared) Add(ctx context.Context, key string, value []byte, expiry time.Time) (bool, error) {
	s.mu.Lock()
	err := s.addErr
	s.adds++
	s.mu.Unlock()
	if err != nil {
		return false, err
	}
	return s.SharedStore.Add(ctx, key, value, expiry)
}

func (s *faultyShared) Remove(ctx context.Context, key string, value []byte) error {
	s.mu.Lock()
	s.removals++
	s.mu.Unlock()
	return s.SharedStore.Remove(ctx, key, value)
}

// counts returns how many times each operation was called.
func (s *faultyShared) counts() (gets, puts, adds, removals int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, s.puts, s.adds, s.removals
}

// indexStore is a session store that records the keys sessions are
// indexed under, and whose DeleteIndexed can be made to fail.
type indexStore struct {
	*session.MemoryStore
	mu        sync.Mutex
	keys      [][]string
	deleteErr error
}

func newIndexStore() *indexStore { return &indexStore{MemoryStore: session.NewMemoryStore()} }

func (s *indexStore) Index(ctx context.Context, id string, keys []string, expiry time.Time) error {
	s.mu.Lock()
	s.keys = append(s.keys, keys)
	s.mu.Unlock()
	return s.MemoryStore.Index(ctx, id, keys, expiry)
}

func (s *indexStore) DeleteIndexed(ctx context.Context, key string) (int, error) {
	s.mu.Lock()
	err := s.deleteErr
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return s.MemoryStore.DeleteIndexed(ctx, key)
}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
