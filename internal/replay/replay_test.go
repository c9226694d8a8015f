package replay

import (
	"fmt"
	"testing"
	"time"
)

func TestUse(t *testing.T) {
	c := New(10)
	now := time.Unix(1000, 0)
	exp := now.Add(time.Minute)
	if c.Use("a", now, exp) {
		t.Fatal("first use reported as reuse")
	}
	if !c.Use("a", now.Add(30*time.Second), exp) {
		t.Fatal("second use before expiry not reported")
	}
	if c.Use("a", exp, exp.Add(time.Minute)) {
		t.Fatal("use after expiry reported as reuse")
	}
}

func TestBounded(t *testing.T) {
	c := New(5)
	now := time.Unix(1000, 0)
	for i := range 100 {
		c.Use(fmt.Sprint(i), now, now.Add(time.Hour))
	}
	if n := len(c.seen); n > 5 {
		t.Fatalf("cache holds %d keys; limit 5", n)
	}
	if !c.Use("99", now, now.Add(time.Hour)) {
		t.Fatal("the newest key was evicted")
	}
}
