package web

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"slices"
	"sync"
)

// maxColdBody bounds the cold body of a session before compression, so
// that a compressed cold part never inflates to more than this. A longer
// body is stored as it is (only a server-side Store takes that much).
const maxColdBody = 1 << 20

var errColdBody = errors.New("rp: malformed compressed session part")

// inflater is a reusable decompressor with its input reader.
type inflater struct {
	src bytes.Reader
	r   io.ReadCloser // made by flate.NewReader, so also a flate.Resetter
}

var (
	deflaters = sync.Pool{New: func() any {
		// NewWriter fails only for an invalid level.
		w, _ := flate.NewWriter(io.Discard, flate.DefaultCompression)
		return w
	}}
	inflaters = sync.Pool{New: func() any {
		f := new(inflater)
		f.r = flate.NewReader(&f.src)
		return f
	}}
)

// deflate returns body compressed.
func deflate(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body)/2 + 64)
	w := deflaters.Get().(*flate.Writer)
	w.Reset(&buf)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(body)
	_ = w.Close()
	w.Reset(io.Discard)
	deflaters.Put(w)
	return buf.Bytes()
}

// inflate decompresses z, failing on a corrupt or truncated stream, on
// bytes after its end and on an output longer than maxColdBody.
func inflate(z []byte) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer func() {
		f.src.Reset(nil) // do not keep z alive in the pool
		inflaters.Put(f)
	}()
	f.src.Reset(z)
	if err := f.r.(flate.Resetter).Reset(&f.src, nil); err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, min(4*len(z)+bytes.MinRead, maxColdBody+1)))
	if _, err := out.ReadFrom(io.LimitReader(f.r, maxColdBody+1)); err != nil {
		return nil, err
	}
	// bytes.Reader is an io.ByteReader, so the decompressor read no
	// further than the end of its stream.
	if out.Len() > maxColdBody || f.src.Len() != 0 {
		return nil, errColdBody
	}
	return out.Bytes(), nil
}

// inflateString reads, from the start of the stream z, what appendString
// wrote before it was compressed, and no further: the claims, without the
// ID token after them.
func inflateString(z []byte) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer func() {
		f.src.Reset(nil)
		inflaters.Put(f)
	}()
	f.src.Reset(z)
	if err := f.r.(flate.Resetter).Reset(&f.src, nil); err != nil {
		return nil, err
	}
	n, err := binary.ReadUvarint(byteReader{f.r})
	if err != nil || n > maxColdBody {
		return nil, errColdBody
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(f.r, out); err != nil {
		return nil, errColdBody
	}
	return out, nil
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
