package session

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestConfigValidation(t *testing.T) {
	good := [][]byte{secret(1)}
	cases := []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"no secrets", Config{}, []string{"Secrets is empty"}},
		{"short secret", Config{Secrets: [][]byte{secret(1), []byte("short")}}, []string{"Secrets[1] is 5 bytes"}},
		{"negative absolute", Config{Secrets: good, AbsoluteTimeout: -time.Second}, []string{"AbsoluteTimeout is -1s"}},
		{"negative idle", Config{Secrets: good, IdleTimeout: -time.Hour}, []string{"IdleTimeout is -1h0m0s"}},
		{"sub-second idle", Config{Secrets: good, IdleTimeout: time.Millisecond}, []string{"IdleTimeout is 1ms"}},
		{"huge absolute", Config{Secrets: good, AbsoluteTimeout: 500 * 24 * time.Hour}, []string{"AbsoluteTimeout"}},
		{"small MaxSize", Config{Secrets: good, MaxSize: 4095}, []string{"MaxSize is 4095"}},
		{"negative MaxSize", Config{Secrets: good, MaxSize: -1}, []string{"MaxSize is -1"}},
		{"huge MaxSize", Config{Secrets: good, MaxSize: 1 << 20}, []string{"MaxSize is 1048576"}},
		{"prefixed name", Config{Secrets: good, Name: "__Host-s"}, []string{"cookie prefix"}},
		{"secure-prefixed name", Config{Secrets: good, Name: "__secure-s"}, []string{"cookie prefix"}},
		{"bad name", Config{Secrets: good, Name: "a;b"}, []string{`Name "a;b"`}},
		{"dotted name", Config{Secrets: good, Name: "a.b"}, []string{`Name "a.b"`}},
		{"long name", Config{Secrets: good, Name: strings.Repeat("a", 65)}, []string{"Name"}},
		{"everything", Config{Secrets: [][]byte{nil}, MaxSize: 1, IdleTimeout: -1, AbsoluteTimeout: -1, Name: "x y"},
			[]string{"Secrets[0]", "MaxSize", "IdleTimeout", "AbsoluteTimeout", "Name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(c.cfg)
			if err == nil || m != nil {
				t.Fatalf("New = %v, %v; want an error", m, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	m, err := New(Config{Secrets: [][]byte{bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	if m.name != "__Host-rp_session" || !m.secure || m.absolute != 8*time.Hour || m.idle != time.Hour ||
		m.maxSize != 24<<10 || m.store != nil || m.now == nil || m.maxChunks != 7 {
		t.Fatalf("defaults: %+v", m)
	}
	m, err = New(Config{Secrets: [][]byte{secret(1)}, Name: "app-s_1", Insecure: true, AbsoluteTimeout: time.Hour,
		IdleTimeout: 2 * time.Hour, MaxSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if m.CookieName() != "app-s_1" || m.Secure() || m.maxChunks != 2 {
		t.Fatalf("custom: %+v", m)
	}
	m, err = New(Config{Secrets: [][]byte{secret(1)}, MaxSize: maxMaxSize})
	if err != nil || m.maxChunks > maxChunkIndex || m.maxChunks > 99 {
		t.Fatalf("largest MaxSize: %v, %d chunks", err, m.maxChunks)
	}
}
