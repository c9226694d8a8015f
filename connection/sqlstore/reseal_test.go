package sqlstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/oidcrp/rp/connection"
)

// keyIDs returns the key ID column of every version row with a secret, by
// "name/version".
func keyIDs(t *testing.T, src *source) map[string]string {
	t.Helper()
	rows, err := src.db(t).Query(`SELECT name, version, secret_key_id FROM ` + src.table("connection_versions") + ` WHERE sealed_secret <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, id string
		var v int64
		if err := rows.Scan(&name, &v, &id); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprint(name, "/", v)] = id
	}
	return out
}

// TestRotationAndReseal: after a new key is put first, Put seals with it
// (also a kept secret), Reseal re-seals every retained version an old key
// sealed and counts them, and then the old key can go.
func TestRotationAndReseal(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		ctx := t.Context()
		oldKey := sealer(t, key('a'))
		s := src.open(t, oldKey, nil)
		a1 := mustPut(t, s, withSecret(settings("a"), "secret-a"))
		a1.ClientSecret = connection.ClientSecret{}
		mustPut(t, s, a1) // a/2, same secret
		mustPut(t, s, withSecret(settings("b"), "secret-b"))
		mustPut(t, s, settings("c")) // no secret

		rotated := sealer(t, key('b'), key('a'))
		s2 := src.open(t, rotated, nil)
		// A save under the new key re-seals the secret it keeps.
		b1, err := s2.Get(ctx, "b")
		if err != nil || b1.ClientSecret.Value != "secret-b" {
			t.Fatalf("Get(b) under the rotated keys: %v", err)
		}
		b1.ClientSecret = connection.ClientSecret{}
		mustPut(t, s2, b1) // b/2
		ids := keyIDs(t, src)
		newID, oldID := ids["b/2"], ids["b/1"]
		if newID == oldID || newID == "" || oldID != ids["a/1"] {
			t.Fatalf("key IDs %v: b/2 must be sealed with the new key, the rest with the old", ids)
		}

		before := dump(t, src.db(t), src.table("connection_versions"))
		n, err := s2.Reseal(ctx)
		if err != nil || n != 3 {
			t.Fatalf("Reseal = %d, %v; want 3 (a/1, a/2, b/1)", n, err)
		}
		for row, id := range keyIDs(t, src) {
			if id != newID {
				t.Errorf("%s: key ID %q after Reseal; want the new key's %q", row, id, newID)
			}
		}
		if n, err := s2.Reseal(ctx); err != nil || n != 0 {
			t.Fatalf("second Reseal = %d, %v; want 0", n, err)
		}
		if rev, _ := s2.Revision(ctx); rev != 5 {
			t.Fatalf("revision %d after Reseal; want 5 (Reseal changes no version)", rev)
		}
		after := dump(t, src.db(t), src.table("connection_versions"))
		if len(after) != len(before) {
			t.Fatalf("Reseal changed the rows: %d before, %d after", len(before), len(after))
		}

		newOnly := src.open(t, sealer(t, key('b')), nil)
		for _, want := range []struct {
			name    string
			version int64
			secret  string
		}{{"a", 1, "secret-a"}, {"a", 2, "secret-a"}, {"b", 1, "secret-b"}, {"b", 2, "secret-b"}, {"c", 1, ""}} {
			got, err := newOnly.GetVersion(ctx, want.name, want.version)
			if err != nil || string(got.ClientSecret.Value) != want.secret {
				t.Fatalf("%s/%d under the new key alone: %v", want.name, want.version, err)
			}
		}
		if _, err := src.open(t, oldKey, nil).Get(ctx, "a"); !errors.Is(err, connection.ErrSealedSecret) {
			t.Fatalf("the old key alone after Reseal: %v; want ErrSealedSecret", err)
		}
	})
}

// TestResealFailsClosed: a secret that opens under no key fails Reseal
// with ErrSealedSecret and ErrStore, and nothing is re-sealed.
func TestResealFailsClosed(t *testing.T) {
	onBackends(t, func(t *testing.T, src *source) {
		s := src.open(t, sealer(t, key('a')), nil)
		mustPut(t, s, withSecret(settings("a"), "secret-a"))
		mustPut(t, s, withSecret(settings("b"), "secret-b"))
		db := src.db(t)
		src.exec(t, db, `UPDATE `+src.table("connection_versions")+` SET sealed_secret = (SELECT sealed_secret FROM `+
			src.table("connection_versions")+` WHERE name = 'a') WHERE name = 'b'`)
		before := keyIDs(t, src)
		s2 := src.open(t, sealer(t, key('b'), key('a')), nil)
		if n, err := s2.Reseal(t.Context()); !errors.Is(err, connection.ErrSealedSecret) || !errors.Is(err, connection.ErrStore) || n != 0 {
			t.Fatalf("Reseal with a row that does not open = %d, %v; want 0, ErrSealedSecret and ErrStore", n, err)
		}
		after := keyIDs(t, src)
		if after["a/1"] != before["a/1"] || after["b/1"] != before["b/1"] {
			t.Fatalf("a failed Reseal changed rows: %v -> %v", before, after)
		}
	})
}
