package web

import (
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"slices"

	"github.com/oidcrp/rp/internal/deflate"
)

// maxColdBody bounds the cold body of a session before compression, so
// that a compressed cold part never inflates to more than this. A longer
// body is stored as it is (only a server-side Store takes that much).
const maxColdBody = 1 << 20

var errColdBody = errors.New("rp: malformed compressed session part")

// inflateString reads, from the start of the stream z, what appendString
// wrote before it was compressed, and no further: the claims, without the
// ID token after them.
func inflateString(z []byte) ([]byte, error) {
	var out []byte
	err := deflate.Read(z, func(r io.Reader) error {
		n, err := binary.ReadUvarint(byteReader{r})
		if err != nil || n > maxColdBody {
			return errColdBody
		}
		out = make([]byte, n)
		if _, err := io.ReadFull(r, out); err != nil {
			return errColdBody
		}
		return nil
	})
	return out, err
}

// byteReader reads one byte at a time from r.
type byteReader struct{ r io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var c [1]byte
	_, err := io.ReadFull(b.r, c[:])
	return c[0], err
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
