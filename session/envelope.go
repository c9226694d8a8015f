package session

import (
	"encoding/binary"
	"errors"

	"github.com/oidcrp/rp/internal/deflate"
)

// The plaintext of every sealed value starts with one of these flags, so a
// value of one kind can never be read as another.
//
//	flagRaw, flagDeflate: an envelope, body stored as is or compressed
//	flagRef:              a reference to an envelope kept in a Store
//
// An envelope body is varint(created unix) varint(lastSeen unix) id data,
// with the id exactly idLen bytes and data running to the end. A reference
// body is varint(created unix) id.
const (
	flagRaw     byte = 1
	flagDeflate byte = 2
	flagRef     byte = 3
)

// maxBody bounds the body of a compressed envelope before compression, so
// a sealed cookie can never inflate to more than this.
const maxBody = 1 << 20

// minCompress is the body length below which compression is not tried: a
// body this small fits one cookie as it is, and inflating it would cost
// more per request (about half of Load) than the bytes it saves.
const minCompress = 2048

// errMalformed reports an unreadable plaintext. It only arises from a bug
// or a leaked key, since plaintexts are authenticated before decoding.
var errMalformed = errors.New("session: malformed envelope")

// envelope is what is sealed for one session.
type envelope struct {
	created  int64
	lastSeen int64
	id       string
	data     []byte
}

// encodeEnvelope returns the plaintext of e, compressed when compress is
// set and that makes it shorter. With compress set, it fails with
// ErrTooLarge when the body exceeds maxBody, the most decodeEnvelope inflates.
func encodeEnvelope(e envelope, compress bool) ([]byte, error) {
	body := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(e.id)+len(e.data))
	body = append(body, flagRaw)
	body = binary.AppendVarint(body, e.created)
	body = binary.AppendVarint(body, e.lastSeen)
	body = append(body, e.id...)
	body = append(body, e.data...)
	if !compress || len(body) < minCompress {
		return body, nil
	}
	if len(body)-1 > maxBody {
		return nil, ErrTooLarge
	}
	if z := deflate.Append([]byte{flagDeflate}, body[1:]); len(z) < len(body) {
		return z, nil
	}
	return body, nil
}

// decodeEnvelope reads a plaintext made by encodeEnvelope. The returned
// data may share memory with plain.
func decodeEnvelope(plain []byte) (envelope, error) {
	var e envelope
	if len(plain) == 0 {
		return e, errMalformed
	}
	body := plain[1:]
	switch plain[0] {
	case flagRaw:
	case flagDeflate:
		var err error
		if body, err = deflate.Inflate(body, maxBody); err != nil {
			return e, errMalformed
		}
	default:
		return e, errMalformed
	}
	var ok bool
	if e.created, body, ok = readVarint(body); !ok {
		return e, errMalformed
	}
	if e.lastSeen, body, ok = readVarint(body); !ok {
		return e, errMalformed
	}
	if len(body) < idLen || !validID(string(body[:idLen])) {
		return e, errMalformed
	}
	e.id = string(body[:idLen])
	e.data = body[idLen:]
	return e, nil
}

// encodeRef returns the plaintext of a reference to the session id created
// at created (unix seconds).
func encodeRef(id string, created int64) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(id))
	b = append(b, flagRef)
	b = binary.AppendVarint(b, created)
	return append(b, id...)
}

// decodeRef reads a plaintext made by encodeRef.
func decodeRef(plain []byte) (id string, created int64, err error) {
	if len(plain) == 0 || plain[0] != flagRef {
		return "", 0, errMalformed
	}
	created, rest, ok := readVarint(plain[1:])
	if !ok || len(rest) != idLen || !validID(string(rest)) {
		return "", 0, errMalformed
	}
	return string(rest), created, nil
}

// readVarint reads one varint from the start of b.
func readVarint(b []byte) (v int64, rest []byte, ok bool) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, false
	}
	return v, b[n:], true
}
