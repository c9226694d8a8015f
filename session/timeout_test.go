package session

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAbsoluteTimeout(t *testing.T) {
	m, clock := newTestManager(t, Config{AbsoluteTimeout: 2 * time.Hour, IdleTimeout: time.Hour})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)
	// Stay active: save every 50 minutes, so only the absolute timeout can end it.
	for range 2 {
		clock.Advance(50 * time.Minute)
		got, ok := m.Load(b.request())
		if !ok {
			t.Fatalf("active session ended early at %v", clock.Now())
		}
		b.save(t, m, got)
	}
	clock.Advance(20*time.Minute - time.Second) // 1s before the absolute timeout
	got, ok := m.Load(b.request())
	if !ok {
		t.Fatal("session ended before its absolute timeout")
	}
	if !got.Created.Equal(s.Created) {
		t.Fatalf("Created moved from %v to %v", s.Created, got.Created)
	}
	clock.Advance(time.Second)
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("session still loads at its absolute timeout")
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, b.request(), got); !errors.Is(err, ErrExpired) {
		t.Fatalf("Save after the absolute timeout = %v; want ErrExpired", err)
	}
	if err := m.Touch(rec, b.request(), got); !errors.Is(err, ErrExpired) {
		t.Fatalf("Touch after the absolute timeout = %v; want ErrExpired", err)
	}
	if h := setCookies(rec); len(h) != 0 {
		t.Fatalf("Save of an expired session wrote %q", h)
	}
}

func TestIdleTimeout(t *testing.T) {
	m, clock := newTestManager(t, Config{AbsoluteTimeout: 8 * time.Hour, IdleTimeout: time.Hour})
	b := newBrowser()
	b.save(t, m, m.New([]byte("x")))
	clock.Advance(time.Hour - time.Second)
	if _, ok := m.Load(b.request()); !ok {
		t.Fatal("session ended before its idle timeout")
	}
	clock.Advance(time.Second)
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("session still loads at its idle timeout")
	}
}

func TestMaxAgeCountsDown(t *testing.T) {
	m, clock := newTestManager(t, Config{AbsoluteTimeout: 8 * time.Hour, IdleTimeout: time.Hour})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)
	clock.Advance(90 * time.Minute / 2)
	clock.Advance(1500 * time.Millisecond) // sub-second times round to whole seconds
	rec := b.save(t, m, s)
	c := rec.Result().Cookies()[0]
	if want := int((8*time.Hour - 45*time.Minute - time.Second) / time.Second); c.MaxAge != want {
		t.Fatalf("Max-Age %d; want %d (seconds left until the absolute timeout)", c.MaxAge, want)
	}
}

func TestTouch(t *testing.T) {
	m, clock := newTestManager(t, Config{AbsoluteTimeout: 3 * time.Hour, IdleTimeout: time.Hour})
	b := newBrowser()
	s := m.New([]byte("x"))
	b.save(t, m, s)
	saved := s.LastSeen

	// Before IdleTimeout/4 Touch writes nothing and LastSeen stays.
	clock.Advance(15*time.Minute - time.Second)
	got, ok := m.Load(b.request())
	if !ok {
		t.Fatal("no session")
	}
	rec := httptest.NewRecorder()
	if err := m.Touch(rec, b.request(), got); err != nil {
		t.Fatal(err)
	}
	if h := setCookies(rec); len(h) != 0 {
		t.Fatalf("Touch within IdleTimeout/4 wrote %q", h)
	}
	if !got.LastSeen.Equal(saved) {
		t.Fatal("Touch within IdleTimeout/4 changed LastSeen")
	}

	// From IdleTimeout/4 on Touch saves, sliding the idle timeout.
	clock.Advance(time.Second)
	rec = httptest.NewRecorder()
	if err := m.Touch(rec, b.request(), got); err != nil {
		t.Fatal(err)
	}
	if h := setCookies(rec); len(h) != 1 {
		t.Fatalf("Touch after IdleTimeout/4 wrote %q; want the session cookie", h)
	}
	b.apply(rec)
	if !got.LastSeen.Equal(clock.Now()) {
		t.Fatalf("LastSeen %v after Touch; want %v", got.LastSeen, clock.Now())
	}
	clock.Advance(59 * time.Minute) // 74 minutes after the first Save
	if _, ok := m.Load(b.request()); !ok {
		t.Fatal("Touch did not slide the idle timeout")
	}

	// Touching every 20 minutes does not extend the absolute timeout.
	for clock.Now().Before(s.Created.Add(3*time.Hour - 20*time.Minute)) {
		got, ok := m.Load(b.request())
		if !ok {
			t.Fatalf("touched session ended at %v", clock.Now().Sub(s.Created))
		}
		rec := httptest.NewRecorder()
		if err := m.Touch(rec, b.request(), got); err != nil {
			t.Fatal(err)
		}
		b.apply(rec)
		clock.Advance(20 * time.Minute)
	}
	clock.t = s.Created.Add(3 * time.Hour)
	if _, ok := m.Load(b.request()); ok {
		t.Fatal("Touch extended the absolute timeout")
	}
}

func TestMaxAgeClamped(t *testing.T) {
	// A Created in the future (a caller's mistake, or clock skew between
	// servers) does not make the cookie outlive the absolute timeout.
	m, clock := newTestManager(t, Config{AbsoluteTimeout: time.Hour})
	s := m.New(nil)
	s.Created = clock.Now().AddDate(1000, 0, 0)
	rec := httptest.NewRecorder()
	if err := m.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	if c := rec.Result().Cookies()[0]; c.MaxAge != 3600 {
		t.Fatalf("Max-Age %d; want 3600", c.MaxAge)
	}
}
