package web

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oidcrp/rp"
)

// The fuzz targets of the package. Seeds that depend on keys or clocks use
// fixed ones, so that fuzzing workers, which rerun the setup in their own
// process, recognise the inputs the coordinator sends them. Hand-made seeds
// also live in testdata/fuzz/<target>/.

// --- FuzzAuthorizationResponse ---------------------------------------------

// fuzzCookieSecret seals the transaction cookies of the fuzzed RP; fuzzNow
// is its clock.
func fuzzSessionData(provider, idToken, accessToken, refreshToken string, claims []byte, expiry int64, userID, username, groups string, admin bool) *sessionData {
	d := &sessionData{Provider: provider, Claims: claims, IDToken: idToken, AccessToken: accessToken, RefreshToken: refreshToken, Expiry: expiry,
		SID: username + groups, Subject: userID}
	if userID != "" || username != "" || groups != "" || admin {
		d.User = &rp.User{ID: userID, Username: username, Email: username + "@example.com", Name: provider, Admin: admin}
		if groups != "" {
			d.User.Groups = strings.Split(groups, ",")
			d.User.Attributes = map[string]string{"groups": groups, username: userID}
		}
	}
	return d
}

// fuzzValidUTF8 reports whether every string of d's JSON head is valid
// UTF-8: JSON replaces invalid bytes, so only then does the head survive
// encoding unchanged.
func fuzzValidUTF8(d *sessionData) bool {
	ok := utf8.ValidString(d.Provider)
	if u := d.User; u != nil {
		for _, s := range append([]string{u.ID, u.Username, u.Email, u.Name, u.GivenName, u.FamilyName, u.PhoneNumber}, u.Groups...) {
			ok = ok && utf8.ValidString(s)
		}
		for k, v := range u.Attributes {
			ok = ok && utf8.ValidString(k) && utf8.ValidString(v)
		}
	}
	return ok
}

func fuzzEncode(t testing.TB, d *sessionData) []byte {
	t.Helper()
	b, err := d.encode()
	if err != nil {
		t.Fatalf("encode(%+v): %v", d, err)
	}
	return b
}

func fuzzDecode(t *testing.T, b []byte) *sessionData {
	t.Helper()
	d, err := decodeSession(b)
	if err != nil || d == nil {
		t.Fatalf("decodeSession(%q) of an encoding = %+v, %v", b, d, err)
	}
	return d
}

// FuzzSessionData decodes arbitrary bytes as a session (decodeSession fails
// only with errSessionFormat; a decoded session encodes to bytes that
// decode to the same session, and re-encode identically; the claims that
// Require decodes lazily from the cold part are the same), and encodes
// session data built from fuzzed strings: it decodes back with the tokens,
// claims and expiry byte for byte, the head unchanged when its strings are
// valid UTF-8, and encode(decode(x)) == x for such encodings x; truncated
// or extended encodings are refused.
func FuzzSessionData(f *testing.F) {
	seed := fuzzSessionData("azure", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.sig", "at", "rt", []byte(`{"sub":"a","groups":["x"]}`), 1_800_000_000, "u-1", "alice", "admins,staff", false)
	enc, err := seed.encode()
	if err != nil {
		f.Fatal(err)
	}
	add := func(data []byte) {
		f.Add(data, "azure", "id", "access", "refresh", []byte(`{"sub":"a"}`), int64(1_800_000_000), "u-1", "alice", "g1,g2", false)
	}
	add(enc)
	add(enc[:len(enc)-1])
	add(append(bytes.Clone(enc), 0))
	// A JWS-shaped ID token is kept decoded; one whose base64url is not
	// canonical (a non-zero trailing bit, padding), or a JWE, verbatim.
	for _, tok := range []string{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.sig", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn1.sig",
		"a.b.c", "YQ==.Yg.Yw", "a.b.c.d.e", "..", "x"} {
		d := fuzzSessionData("p", tok, "", "", nil, 0, "", "", "", false)
		add(fuzzEncode(f, d))
	}
	// A cold part big enough to be compressed, and its truncations.
	big := fuzzSessionData("entra", "eyJhbGciOiJSUzI1NiJ9."+strings.Repeat("eyJncm91cHMiOlsiYSJdfQ", 100)+".c2ln", "at", "rt",
		[]byte(`{"groups":["`+strings.Repeat("a-b-c-d", 400)+`"]}`), 1_800_000_000, "u", "pat", "g1,g2", true)
	zipped := fuzzEncode(f, big)
	add(zipped)
	add(zipped[:len(zipped)-3])
	// Application data (format 4).
	withApp := fuzzSessionData("p", "", "at", "", nil, 0, "u", "pat", "", false)
	withApp.App = map[string]string{"tenant": "contoso", "": "x"}
	add(fuzzEncode(f, withApp))
	// Hand-made hot parts: empty, a needless varint zero group, a user
	// flag of 2, counts beyond the data.
	withHot := func(hot ...byte) []byte {
		b := binary.AppendUvarint([]byte{sessionFormat}, uint64(len(hot)))
		return append(append(b, hot...), coldRaw, 0, idTokenNone)
	}
	add(withHot())
	add(withHot(0, 0, 0, 0, 0, 0, 0))
	add(withHot(0, 0, 0, 0, 0))                      // format 2's hot part: no sid, sub
	add(withHot(0, 0, 0, 0, 2, 's', 'x', 1, 'u', 0)) // sid "sx", sub "u"
	add(withHot(0, 0, 0, 0, 9, 's', 0))              // a sid longer than the data
	add(withHot(0, 0x80, 0x00, 0, 0, 0, 0, 0))
	add(withHot(0, 0, 0, 0, 0, 0, 2))
	add(withHot(0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x7f))
	add(withHot(0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 1, 'k', 0, 1, 'k', 0))
	add([]byte{sessionFormat, 0, coldDeflate, 0xff})
	add([]byte{sessionFormat, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	add([]byte{sessionFormat, 0x80})
	// Format 1, which is no longer read.
	add([]byte("\x01\x02{}\x00\x00\x00\x00"))
	add([]byte{})
	f.Add([]byte(nil), "", "", "", "", []byte(nil), int64(0), "", "", "", false)
	f.Add([]byte(nil), "\xff<&>\u2028", "\x00", "\xff", strings.Repeat("r", 300), []byte("not json"), int64(-1), "\xc0", "ü", ",,", true)
	f.Add([]byte(nil), "p", "", "", "", []byte{}, int64(1)<<62, "", "", "a", false)

	f.Fuzz(func(t *testing.T, data []byte, provider, idToken, accessToken, refreshToken string, claims []byte, expiry int64, userID, username, groups string, admin bool) {
		// Arbitrary bytes.
		if d, err := decodeSession(data); err != nil {
			if d != nil || err != errSessionFormat {
				t.Fatalf("decodeSession(%q) = %+v, %v; want nil, errSessionFormat", data, d, err)
			}
		} else {
			again := fuzzEncode(t, d)
			d2 := fuzzDecode(t, again)
			if !reflect.DeepEqual(d2, d) {
				t.Fatalf("decode(encode(d)) = %+v; want %+v", d2, d)
			}
			if b := fuzzEncode(t, d2); !bytes.Equal(b, again) {
				t.Fatalf("encoding is not stable: %q, then %q", again, b)
			}
			info := &SessionInfo{rawClaims: d.Claims}
			var decoded rp.Claims
			err := json.Unmarshal(d.Claims, &decoded)
			m := decoded.Raw
			ok := len(d.Claims) > 0 && err == nil
			if c := info.Claims(); c == nil || c.Raw == nil || (ok && len(c.Raw) != len(m)) || (!ok && len(c.Raw) != 0) {
				t.Fatalf("SessionInfo.Claims() = %v for claims %q (json.Unmarshal: %v); want the decoded claims, or empty ones", c, d.Claims, err)
			}
			// The lazy path of Require reads the same claims.
			_, cold, _ := decodeHot(data)
			if got, err := coldClaims(cold); err != nil || !bytes.Equal(got, d.Claims) {
				t.Fatalf("coldClaims = %q, %v; want %q", got, err, d.Claims)
			}
			if lazy := (&SessionInfo{cold: cold}).Claims(); !reflect.DeepEqual(lazy, info.Claims()) {
				t.Fatalf("lazily decoded claims %+v; want %+v", lazy, info.Claims())
			}
		}

		// Session data built from fuzzed strings.
		sd := fuzzSessionData(provider, idToken, accessToken, refreshToken, claims, expiry, userID, username, groups, admin)
		x := fuzzEncode(t, sd)
		d := fuzzDecode(t, x)
		if d.IDToken != idToken || d.AccessToken != accessToken || d.RefreshToken != refreshToken || d.SID != sd.SID || d.Subject != sd.Subject ||
			!bytes.Equal(d.Claims, claims) || d.Expiry != expiry || (d.User == nil) != (sd.User == nil) {
			t.Fatalf("decode(encode(%+v)) = %+v", sd, d)
		}
		y := fuzzEncode(t, d)
		if fuzzValidUTF8(sd) {
			if d.Provider != sd.Provider || !reflect.DeepEqual(d.User, sd.User) {
				t.Fatalf("head changed: %q %+v; want %q %+v", d.Provider, d.User, sd.Provider, sd.User)
			}
			if !bytes.Equal(y, x) {
				t.Fatalf("encode(decode(x)) = %q; want x = %q", y, x)
			}
		} else if z := fuzzEncode(t, fuzzDecode(t, y)); !bytes.Equal(z, y) {
			// JSON replaced the invalid bytes; from then on it is stable.
			t.Fatalf("encoding is not stable: %q, then %q", y, z)
		}
		if d, err := decodeSession(x[:len(x)-1]); err == nil {
			t.Fatalf("a truncated encoding decoded: %+v", d)
		}
		if d, err := decodeSession(append(x, 0)); err == nil {
			t.Fatalf("an extended encoding decoded: %+v", d)
		}
	})
}

// --- Regression tests for what the fuzz targets found --------------------------

// TestDecodeClaimsRejectsStrayClosers: decodeClaims used to accept an
// object followed by a stray '}' or ']' (json.Decoder.More reports no more
// data there), although it refuses other trailing data. Found by
// FuzzDecodeClaims.
