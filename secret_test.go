package rp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "s3cr3t-value"
	cfg := Config{ClientID: "c", ClientSecret: value, CookieSecrets: []Secret{value}}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s"} {
		out = append(out, fmt.Sprintf(verb, cfg.ClientSecret), fmt.Sprintf(verb, cfg))
	}
	out = append(out, fmt.Sprint(cfg.ClientSecret), fmt.Sprintln(&cfg))
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("config", "secret", cfg.ClientSecret, "config", cfg)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "secret", cfg.ClientSecret)
	out = append(out, logs.String())
	for _, s := range out {
		if strings.Contains(s, value) || strings.Contains(s, fmt.Sprintf("%x", value)) {
			t.Errorf("secret revealed in %q", s)
		}
	}
	if !strings.Contains(string(j), `"ClientSecret":"[redacted]"`) {
		t.Errorf("JSON = %s; want the secret redacted", j)
	}
	if string(cfg.ClientSecret) != value {
		t.Error("string conversion lost the value")
	}
	var back Config
	if err := json.Unmarshal([]byte(`{"ClientSecret":"abc"}`), &back); err != nil || string(back.ClientSecret) != "abc" {
		t.Errorf("unmarshal = %q, %v", string(back.ClientSecret), err)
	}
}
