package deflate

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	body := []byte(strings.Repeat(`{"groups":["a","b","c"]}`, 100))
	z := Append([]byte{7}, body)
	if z[0] != 7 || len(z) >= len(body) {
		t.Fatalf("Append kept the prefix %v and made %d bytes of %d", z[0] == 7, len(z), len(body))
	}
	got, err := Inflate(z[1:], len(body))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Inflate = %d bytes, %v", len(got), err)
	}
}

func TestInflateRefuses(t *testing.T) {
	body := []byte(strings.Repeat("x", 1000))
	z := Append(nil, body)
	for name, tc := range map[string]struct {
		z     []byte
		limit int
	}{
		"over the limit":     {z, len(body) - 1},
		"trailing bytes":     {append(append([]byte{}, z...), 0), len(body)},
		"truncated":          {z[:len(z)/2], len(body)},
		"not deflate at all": {[]byte("\xff\xff\xff\xff"), len(body)},
	} {
		if got, err := Inflate(tc.z, tc.limit); err == nil {
			t.Errorf("%s: Inflate = %d bytes, nil error", name, len(got))
		}
	}
	if _, err := Inflate(z, len(body)-1); !errors.Is(err, ErrMalformed) {
		t.Errorf("over the limit: %v; want ErrMalformed", err)
	}
}

func TestReadPrefix(t *testing.T) {
	z := Append(nil, []byte("hello, world"))
	var head [5]byte
	if err := Read(z, func(r io.Reader) error { _, err := io.ReadFull(r, head[:]); return err }); err != nil || string(head[:]) != "hello" {
		t.Fatalf("Read = %q, %v", head, err)
	}
	want := errors.New("stop")
	if err := Read(z, func(io.Reader) error { return want }); err != want {
		t.Fatalf("Read did not return the callback's error: %v", err)
	}
}
