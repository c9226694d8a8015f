package main

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/connection"
)

// fileOptions are the demo's options on the database file path.
func fileOptions(t *testing.T, path string) options {
	t.Helper()
	opts, err := configFromArgs([]string{"-db", path}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// storedConnections lists the app's connections.
func storedConnections(t *testing.T, app *testApp) []connection.Settings {
	t.Helper()
	list, err := app.in.stores.conns.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestFirstStartSeeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webapp.db")
	app := startAppWith(t, fileOptions(t, path), env(nil))
	list := storedConnections(t, app)
	if len(list) != 2 || list[0].Name != "azure" || list[1].Name != "okta" {
		t.Fatalf("connections after the first start: %+v; want azure and okta", list)
	}
	for _, s := range list {
		m := app.mock(t, s.Name)
		if s.Version != 1 || !s.Enabled || s.Authority != m.Issuer() || s.ClientID != m.ClientID ||
			s.ClientSecret.Value != rp.Secret(m.ClientSecret) || s.UpdatedBy != seededBy {
			t.Errorf("connection %s: %+v; want version 1, enabled, at %s with client %s and its secret", s.Name, s, m.Issuer(), m.ClientID)
		}
	}
	for _, acc := range demoAccounts() {
		u, err := app.in.app.users.UserByUsername(t.Context(), acc.User.Username)
		if err != nil || u.ID != acc.User.ID || u.Admin != acc.User.Admin {
			t.Errorf("account %s: %+v, %v; want ID %s", acc.User.Username, u, err, acc.User.ID)
		}
	}
	info, err := os.Stat(path + ".key")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", info, err)
	}
	// The database holds the client secret sealed, never in clear.
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), "entra-mock-secret") {
		t.Error("the database file holds a client secret in clear")
	}
}

func TestSecondStartKeepsAndMovesConnections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webapp.db")
	first := startAppWith(t, fileOptions(t, path), env(nil))
	// An administrator's own connection to the third mock, and one to
	// a provider elsewhere: the first moves with its mock, the second
	// is left alone.
	kc := first.mock(t, "keycloak")
	for _, s := range []connection.Settings{
		{Name: "kc", Enabled: true, Authority: kc.Issuer(), ClientID: kc.ClientID,
			ClientSecret: connection.ClientSecret{Action: connection.SecretSet, Value: rp.Secret(kc.ClientSecret)}},
		{Name: "elsewhere", Authority: "https://login.example.com", ClientID: kc.ClientID},
	} {
		if _, err := first.in.stores.conns.Put(t.Context(), s, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	oldIssuer := first.mock(t, "azure").Issuer()
	if err := first.in.stores.conns.Delete(t.Context(), "okta", 1); err != nil {
		t.Fatal(err)
	}
	first.Close()

	second := startAppWith(t, fileOptions(t, path), env(nil))
	byName := map[string]connection.Settings{}
	for _, s := range storedConnections(t, second) {
		byName[s.Name] = s
	}
	if len(byName) != 3 {
		t.Fatalf("connections after the second start: %v; want azure, elsewhere and kc (okta stays deleted)", byName)
	}
	for name, mock := range map[string]string{"azure": "azure", "kc": "keycloak"} {
		s, m := byName[name], second.mock(t, mock)
		if s.Authority != m.Issuer() || s.Authority == oldIssuer || s.Version != 2 || s.ClientSecret.Value != rp.Secret(m.ClientSecret) {
			t.Errorf("%s after the second start: version %d at %s (secret kept: %v); want version 2 at %s with its secret",
				name, s.Version, s.Authority, s.ClientSecret.Value == rp.Secret(m.ClientSecret), m.Issuer())
		}
	}
	if s := byName["elsewhere"]; s.Version != 1 || s.Authority != "https://login.example.com" {
		t.Errorf("elsewhere: version %d at %s; want it untouched", s.Version, s.Authority)
	}
	if _, err := second.in.app.users.UserByUsername(t.Context(), "alice"); err != nil {
		t.Errorf("alice after the second start: %v", err)
	}
	// The moved connection signs in at the mock's new address.
	if resp, body := signIn(t, second, newClient(t), "azure", "alice"); resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" ||
		!strings.Contains(body, "u-alice") {
		t.Errorf("sign-in after the second start: %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
}

func TestMemoryDatabaseLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	app := startApp(t, nil) // -db :memory:
	if n := len(storedConnections(t, app)); n != 2 {
		t.Errorf("%d connections in memory, want 2", n)
	}
	if resp, _ := signIn(t, app, newClient(t), "okta", "carol"); resp.Request.URL.Path != "/me" {
		t.Errorf("sign-in on :memory: ended at %s", resp.Request.URL)
	}
	app.Close()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("the working directory holds %v (%v) after a run on :memory:; want nothing", entries, err)
	}
}

func TestWrongKeyRefusedAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webapp.db")
	startAppWith(t, fileOptions(t, path), env(nil)).Close()
	other := env(map[string]string{envConnectionKey: strings.Repeat("k", minKeyLength)})
	_, err := openStores(t.Context(), path, other)
	if err == nil || !strings.Contains(err.Error(), "do not open with this key") {
		t.Errorf("opening with another key: %v; want the sealed secrets refused", err)
	}
	short := env(map[string]string{envConnectionKey: "short"})
	if _, err := openStores(t.Context(), path, short); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("a short key: %v; want it refused", err)
	}
}

func TestKeyFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webapp.db")
	key := env(map[string]string{envConnectionKey: strings.Repeat("e", minKeyLength)})
	app := startAppWith(t, fileOptions(t, path), key)
	if _, err := os.Stat(path + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key file with %s set: %v; want none", envConnectionKey, err)
	}
	if app.in.stores.keyFile != "" {
		t.Errorf("keyFile = %q, want \"\"", app.in.stores.keyFile)
	}
}
