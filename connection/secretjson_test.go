package connection

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testSecret = "hunter2-very-secret-value"

// fullSettings returns settings with every field set.
func fullSettings() Settings {
	return Settings{
		Name: "okta-acme", Version: 7, Enabled: true, Title: "Acme staff (Okta)",
		Authority: "https://acme.okta.com", ConfigurationURL: "https://acme.okta.com/.well-known/openid-configuration",
		Endpoints: &Endpoints{Issuer: "https://acme.okta.com", Authorization: "https://acme.okta.com/a", Token: "https://acme.okta.com/t",
			JWKS: "https://acme.okta.com/k", UserInfo: "https://acme.okta.com/u", EndSession: "https://acme.okta.com/e"},
		ClientID:     "0oa1",
		ClientSecret: ClientSecret{Action: SecretKeep, Value: testSecret, IsSet: true},
		Scopes:       []string{"openid", "profile"}, ResponseType: "code", DisablePKCE: true, Prompt: "login",
		UsernameClaim: "preferred_username", EmailClaim: "email", GroupsClaim: "groups",
		GroupMapping: map[string]string{"a": "b"}, AttributeMappings: map[string]string{"dept": "department"},
		PostLogoutURL: "/bye", CreateUsers: true, SyncProfile: true, SyncGroups: true, AutoLink: true, AllowAdmins: true,
		AllowPasswordFallback: true, EmailDomains: []EmailDomain{{Domain: "acme.com", Verified: true}, {Domain: "*.acme.com"}},
		Updated: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC), UpdatedBy: "admin@acme.com",
	}
}

func TestSettingsJSONRoundTrip(t *testing.T) {
	in := fullSettings()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(testSecret)) {
		t.Fatalf("JSON holds the secret: %s", data)
	}
	if !bytes.Contains(data, []byte(`"client_secret":{"set":true}`)) {
		t.Fatalf("JSON lacks client_secret {\"set\":true}: %s", data)
	}
	var out Settings
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	want := in.Clone()
	want.ClientSecret = ClientSecret{Action: SecretKeep, IsSet: true} // the value stays behind
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, want)
	}
	// Every field of Settings is set above: a new one must be added too.
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("fullSettings leaves %s zero", v.Type().Field(i).Name)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := fullSettings()
	s.ClientSecret = ClientSecret{Action: SecretSet, Value: testSecret, IsSet: true}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "settings", s, "secret", s.ClientSecret, "ptr", &s)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "settings", s, "secret", s.ClientSecret)
	js, _ := json.Marshal(s)
	jsp, _ := json.Marshal(&s.ClientSecret)
	forms := map[string]string{
		"json": string(js), "json of *ClientSecret": string(jsp), "slog": logs.String(),
		"%v": fmt.Sprintf("%v", s), "%+v": fmt.Sprintf("%+v", s), "%#v": fmt.Sprintf("%#v", s),
		"%s": fmt.Sprintf("%s", s.ClientSecret.Value), "%q": fmt.Sprintf("%q", s.ClientSecret.Value), "%x": fmt.Sprintf("%x", s.ClientSecret.Value),
		"%v pointer": fmt.Sprintf("%v", &s.ClientSecret),
	}
	for name, f := range forms {
		if strings.Contains(f, testSecret) || strings.Contains(f, fmt.Sprintf("%x", testSecret)) {
			t.Errorf("%s shows the secret: %s", name, f)
		}
	}
}

func TestClientSecretUnmarshal(t *testing.T) {
	cases := map[string]ClientSecret{
		`{"action":"keep"}`:                    {Action: SecretKeep},
		`{}`:                                   {Action: SecretKeep},
		`{"set":true}`:                         {Action: SecretKeep, IsSet: true},
		`{"set":false}`:                        {Action: SecretKeep},
		`{"action":"set","value":"abc"}`:       {Action: SecretSet, Value: "abc"},
		`{"action":"replace","value":"abc"}`:   {Action: SecretSet, Value: "abc"},
		`{"action":"set","value":""}`:          {Action: SecretSet},
		`{"action":"remove"}`:                  {Action: SecretRemove},
		`{"action":"remove","set":true}`:       {Action: SecretRemove, IsSet: true},
		` {"action" : "set", "value":"a\"b"} `: {Action: SecretSet, Value: `a"b`},
	}
	for in, want := range cases {
		var got ClientSecret
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	// null leaves the field as it was.
	got := ClientSecret{Action: SecretRemove}
	if err := json.Unmarshal([]byte(`null`), &got); err != nil || got.Action != SecretRemove {
		t.Errorf("Unmarshal(null) = %+v, %v; want unchanged", got, err)
	}
}

func TestClientSecretUnmarshalRejects(t *testing.T) {
	cases := map[string]string{
		`{"action":"rotate"}`:                                     `connection: client_secret: unknown action "rotate"; use "keep", "set", "replace" or "remove"`,
		`{"action":"set"}`:                                        `connection: client_secret: action "set" needs the new secret as "value"`,
		`{"value":"hunter2-very-secret-value"}`:                   `connection: client_secret: a "value" is only read with action "set", not "keep"`,
		`{"action":"keep","value":"hunter2-very-secret-value"}`:   `connection: client_secret: a "value" is only read with action "set", not "keep"`,
		`{"action":"remove","value":"hunter2-very-secret-value"}`: `connection: client_secret: a "value" is only read with action "set", not "remove"`,
		`{"action":"set","secret":"hunter2-very-secret-value"}`:   `connection: client_secret must be an object such as {"action":"set","value":"..."}, {"action":"keep"} or {"action":"remove"}`,
		`"hunter2-very-secret-value"`:                             `connection: client_secret must be an object such as {"action":"set","value":"..."}, {"action":"keep"} or {"action":"remove"}`,
		`{"action":"set","value":12}`:                             `connection: client_secret: value must be a string`,
		`{"action":"set","value":"hunter2-very-secret-value"`:     `unexpected end of JSON input`,
	}
	for in, want := range cases {
		var got ClientSecret
		err := json.Unmarshal([]byte(in), &got)
		if err == nil || err.Error() != want {
			t.Errorf("Unmarshal(%s) = %v; want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), testSecret) {
			t.Errorf("Unmarshal(%s) error shows the secret: %v", in, err)
		}
		if got != (ClientSecret{}) {
			t.Errorf("Unmarshal(%s) changed the value to %+v", in, got)
		}
	}
	// Inside Settings, the error fails the whole document.
	var s Settings
	if err := json.Unmarshal([]byte(`{"name":"c","client_secret":{"action":"nope"}}`), &s); err == nil {
		t.Fatal("Settings with an unknown secret action unmarshalled")
	}
}
