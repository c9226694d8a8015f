package web

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"

	"github.com/oidcrp/rp"
	"github.com/oidcrp/rp/internal/deflate"
)

// sessionData is what a session holds.
type sessionData struct {
	Provider     string // "" for SignIn
	SID          string // the provider's session ID (claim sid), if any
	Subject      string // the provider's sub
	User         *rp.User
	Claims       json.RawMessage // decoded only when a handler asks
	IDToken      string          // kept for id_token_hint at logout
	AccessToken  string
	RefreshToken string
	Expiry       int64 // access token expiry, Unix seconds
	// App is the application's data (Hooks.BeforeSession); nil for none.
	App map[string]string
	// DPoPKey is the session's DPoP key (rp.DPoPKey.MarshalBinary) under
	// rp.Config.DPoP; "" for none.
	DPoPKey string
}

// sessionFormat versions the encoding of sessionData. Formats 1 (a JSON
// head and five parts, all of it compressed by package session when large)
// and 2 (format 3 without the provider's sid and sub, which a signed-in
// request needs to check revocation) are no longer read: such a session is
// "no session", and the user signs in again.
const sessionFormat = 3

// sessionFormatApp is format 3 with the application's data (never empty)
// at the end of the hot part: uvarint(count+1), then each key and value,
// keys sorted. A session without it is written in format 3, so that
// sessions of either format stay readable and every session has one
// encoding.
const sessionFormatApp = 4

// sessionFormatDPoP is format 3 with, at the end of the hot part, the
// application's data as in format 4 but 0 for none (so the count is
// uvarint(0) or uvarint(count+1)), then the session's DPoP key (never
// empty). Sessions without a DPoP key are written in format 3 or 4, byte
// for byte as before.
const sessionFormatDPoP = 5

// The layout of format 3, in which a signed-in request reads only what it
// uses:
//
//	format byte
//	hot part:  uvarint(length) then, in binary (no JSON):
//	           provider, varint expiry, access token, refresh token,
//	           sid, sub, user (0, or 1 and its fields)
//	cold part: coldRaw or coldDeflate, then the cold body (compressed
//	           with coldDeflate):
//	           claims JSON, ID token
//
// Every string is uvarint(length) and its bytes. The hot part is all that
// Require decodes, with one allocation for all its strings; the cold part
// is decoded (and inflated) only when a handler calls Claims, or for a
// refresh or a logout. The ID token is kept as its three decoded
// base64url parts when that spells it out again byte for byte, so that
// its payload sits next to the claims JSON, which repeats it, and the
// compressor stores that once. Nothing may follow the cold body.
const (
	coldRaw     byte = 0
	coldDeflate byte = 1

	idTokenNone     byte = 0 // no ID token
	idTokenVerbatim byte = 1 // the ID token as it came
	idTokenJWS      byte = 2 // header, payload and signature, base64url-decoded
)

// coldCompressMin is the cold body length below which it is not
// compressed: a body this small fits in one cookie as it is, and then
// Claims need not inflate it.
const coldCompressMin = 2048

var errSessionFormat = errors.New("rp: unreadable session")

// encode lays d out as described above.
func (d *sessionData) encode() ([]byte, error) {
	n := 64 + len(d.Provider) + len(d.AccessToken) + len(d.RefreshToken) + len(d.SID) + len(d.Subject) + userSize(d.User) + appSize(d.App) + len(d.DPoPKey)
	buf := make([]byte, 0, n+len(d.Claims)+len(d.IDToken))
	if d.DPoPKey != "" {
		buf = append(buf, sessionFormatDPoP)
	} else if len(d.App) > 0 {
		buf = append(buf, sessionFormatApp)
	} else {
		buf = append(buf, sessionFormat)
	}
	hot := make([]byte, 0, n)
	hot = appendString(hot, d.Provider)
	hot = binary.AppendVarint(hot, d.Expiry)
	hot = appendString(hot, d.AccessToken)
	hot = appendString(hot, d.RefreshToken)
	hot = appendString(hot, d.SID)
	hot = appendString(hot, d.Subject)
	hot = appendUser(hot, d.User)
	if d.DPoPKey != "" {
		hot = appendCount(hot, len(d.App), len(d.App) == 0)
		for _, k := range sortedKeys(d.App) {
			hot = appendString(appendString(hot, k), d.App[k])
		}
		hot = appendString(hot, d.DPoPKey)
	} else if len(d.App) > 0 {
		hot = appendStrings(hot, d.App)
	}
	buf = binary.AppendUvarint(buf, uint64(len(hot)))
	buf = append(buf, hot...)

	cold := make([]byte, 0, len(d.Claims)+len(d.IDToken)+16)
	cold = appendString(cold, string(d.Claims))
	cold = appendIDToken(cold, d.IDToken)
	if len(cold) >= coldCompressMin && len(cold) <= maxColdBody {
		head := len(buf) + 1
		if z := deflate.Append(append(buf, coldDeflate), cold); len(z)-head < len(cold) {
			return z, nil
		}
	}
	return append(append(buf, coldRaw), cold...), nil
}

// decodeSession reverses encode, cold part included.
func decodeSession(b []byte) (*sessionData, error) {
	d, cold, err := decodeHot(b)
	if err != nil {
		return nil, err
	}
	if err := d.decodeCold(cold); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeHot decodes the format byte and the hot part of b, returning the
// session without its claims and ID token, and the undecoded cold part
// (sharing memory with b), which decodeCold reads.
func decodeHot(b []byte) (*sessionData, []byte, error) {
	if len(b) == 0 || (b[0] != sessionFormat && b[0] != sessionFormatApp && b[0] != sessionFormatDPoP) {
		return nil, nil, errSessionFormat
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n > uint64(len(b)-1-k) {
		return nil, nil, errSessionFormat
	}
	// One string holds every string of the hot part.
	r := reader{s: string(b[1+k : 1+k+int(n)])}
	d := &sessionData{Provider: r.str()}
	d.Expiry = r.varint()
	d.AccessToken = r.str()
	d.RefreshToken = r.str()
	d.SID = r.str()
	d.Subject = r.str()
	d.User = r.user()
	switch b[0] {
	case sessionFormatApp:
		if d.App = r.strings(); len(d.App) == 0 {
			r.bad = true // written only when not empty
		}
	case sessionFormatDPoP:
		if d.App = r.strings(); d.App != nil && len(d.App) == 0 {
			r.bad = true // none is written as 0
		}
		if d.DPoPKey = r.str(); d.DPoPKey == "" {
			r.bad = true // written only when there is one
		}
	}
	if r.bad || len(r.s) != 0 {
		return nil, nil, errSessionFormat
	}
	return d, b[1+k+int(n):], nil
}

// decodeCold sets d's claims and ID token from the cold part of its
// encoding.
func (d *sessionData) decodeCold(cold []byte) error {
	if len(cold) == 0 {
		return errSessionFormat
	}
	body := cold[1:]
	switch cold[0] {
	case coldRaw:
	case coldDeflate:
		var err error
		if body, err = deflate.Inflate(body, maxColdBody); err != nil {
			return errSessionFormat
		}
	default:
		return errSessionFormat
	}
	r := reader{s: string(body)}
	claims := r.str()
	idToken := r.idToken()
	if r.bad || len(r.s) != 0 {
		return errSessionFormat
	}
	d.Claims, d.IDToken = json.RawMessage(claims), idToken
	return nil
}

// coldClaims returns the claims JSON of the cold part, without reading
// the ID token after it.
func coldClaims(cold []byte) (json.RawMessage, error) {
	if len(cold) == 0 {
		return nil, errSessionFormat
	}
	switch cold[0] {
	case coldRaw:
		r := reader{s: string(cold[1:])}
		if claims := r.str(); !r.bad {
			return json.RawMessage(claims), nil
		}
	case coldDeflate:
		if claims, err := inflateString(cold[1:]); err == nil {
			return claims, nil
		}
	}
	return nil, errSessionFormat
}

// appendString appends s, length first.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendCount appends the length of a slice or map that may be nil: 0
// for nil, n+1 for n elements.
func appendCount(b []byte, n int, isNil bool) []byte {
	if isNil {
		return append(b, 0)
	}
	return binary.AppendUvarint(b, uint64(n)+1)
}

// userSize estimates the encoded size of u.
func userSize(u *rp.User) int {
	if u == nil {
		return 1
	}
	n := 32 + len(u.ID) + len(u.Username) + len(u.Email) + len(u.Name) + len(u.GivenName) + len(u.FamilyName) + len(u.PhoneNumber)
	for _, g := range u.Groups {
		n += 2 + len(g)
	}
	for k, v := range u.Attributes {
		n += 4 + len(k) + len(v)
	}
	return n
}

// appendUser appends u: 0 for nil, else 1 and its fields. Attributes are
// written in sorted order, so equal users encode alike.
func appendUser(b []byte, u *rp.User) []byte {
	if u == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, s := range []string{u.ID, u.Username, u.Email, u.Name, u.GivenName, u.FamilyName, u.PhoneNumber} {
		b = appendString(b, s)
	}
	b = appendCount(b, len(u.Groups), u.Groups == nil)
	for _, g := range u.Groups {
		b = appendString(b, g)
	}
	admin := byte(0)
	if u.Admin {
		admin = 1
	}
	b = append(b, admin)
	return appendStrings(b, u.Attributes)
}

// appendStrings appends m, nil or not, its keys sorted.
func appendStrings(b []byte, m map[string]string) []byte {
	b = appendCount(b, len(m), m == nil)
	for _, k := range sortedKeys(m) {
		b = appendString(appendString(b, k), m[k])
	}
	return b
}

// appSize estimates the encoded size of the application's data.
func appSize(m map[string]string) int {
	n := 4
	for k, v := range m {
		n += 4 + len(k) + len(v)
	}
	return n
}

// appendIDToken appends tok: a kind byte, then nothing (idTokenNone), the
// token (idTokenVerbatim), or its decoded header and payload, each length
// first, and its decoded signature (idTokenJWS).
func appendIDToken(b []byte, tok string) []byte {
	if tok == "" {
		return append(b, idTokenNone)
	}
	if parts, ok := jwsParts(tok); ok {
		b = append(b, idTokenJWS)
		b = appendString(b, string(parts[0]))
		b = appendString(b, string(parts[1]))
		return appendString(b, string(parts[2]))
	}
	return appendString(append(b, idTokenVerbatim), tok)
}

// jwsParts decodes the three parts of a compact JWS, when encoding them
// again gives back tok exactly.
func jwsParts(tok string) ([3][]byte, bool) {
	var parts [3][]byte
	rest := tok
	for i := range parts {
		p := rest
		if i < 2 {
			var found bool
			if p, rest, found = strings.Cut(rest, "."); !found {
				return parts, false
			}
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil || base64.RawURLEncoding.EncodeToString(raw) != p {
			return parts, false
		}
		parts[i] = raw
	}
	return parts, true
}

// reader reads the parts of an encoding from s. Its strings share s's
// memory. A read past the end or of a malformed length sets bad and
// returns zero values from then on.
type reader struct {
	s   string
	bad bool
}

func (r *reader) uvarint() uint64 {
	if r.bad {
		return 0
	}
	v, k := uvarintString(r.s)
	if k <= 0 {
		r.bad = true
		return 0
	}
	r.s = r.s[k:]
	return v
}

func (r *reader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *reader) byte() byte {
	if r.bad || len(r.s) == 0 {
		r.bad = true
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.s)) {
		r.bad = true
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

// count reads what appendCount wrote: -1 for nil. A count larger than
// the bytes left (each element takes at least one) is malformed.
func (r *reader) count() int {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.s))+1 {
		r.bad = true
		return -1
	}
	return int(n) - 1
}

func (r *reader) user() *rp.User {
	switch r.byte() {
	case 0:
		return nil
	case 1:
	default:
		r.bad = true
		return nil
	}
	u := &rp.User{ID: r.str(), Username: r.str(), Email: r.str(), Name: r.str(), GivenName: r.str(), FamilyName: r.str(), PhoneNumber: r.str()}
	if n := r.count(); n >= 0 {
		u.Groups = make([]string, n)
		for i := range u.Groups {
			u.Groups[i] = r.str()
		}
	}
	switch r.byte() {
	case 0:
	case 1:
		u.Admin = true
	default:
		r.bad = true
	}
	u.Attributes = r.strings()
	if r.bad {
		return nil
	}
	return u
}

// strings reads what appendStrings wrote: nil for a nil map.
func (r *reader) strings() map[string]string {
	n := r.count()
	if n < 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.str()
		if _, dup := m[k]; dup {
			r.bad = true // a canonical encoding holds each key once
		}
		m[k] = r.str()
	}
	return m
}

func (r *reader) idToken() string {
	switch r.byte() {
	case idTokenNone:
		return ""
	case idTokenVerbatim:
		if tok := r.str(); tok != "" {
			return tok
		}
	case idTokenJWS:
		var sb strings.Builder
		for i := range 3 {
			p := r.str()
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(base64.RawURLEncoding.EncodeToString([]byte(p)))
		}
		return sb.String()
	}
	r.bad = true
	return ""
}

// uvarintString is binary.Uvarint on a string, refusing encodings longer
// than needed, so that every value has one encoding.
func uvarintString(s string) (uint64, int) {
	var v uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			return 0, -1 // overflow
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, -1 // a needless trailing zero group
			}
			return v, i + 1
		}
	}
	return 0, -1
}
