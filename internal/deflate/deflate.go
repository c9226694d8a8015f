// Package deflate compresses and decompresses session payloads with pooled
// DEFLATE (RFC 1951) writers and readers, and bounds what a stream may
// inflate to, so that a small cookie cannot expand into a large allocation.
package deflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// ErrMalformed reports a corrupt or truncated stream, bytes after its end,
// or an output longer than the limit.
var ErrMalformed = errors.New("malformed compressed data")

// inflater is a reusable decompressor with its input reader.
type inflater struct {
	src bytes.Reader
	r   io.ReadCloser // made by flate.NewReader, so also a flate.Resetter
}

var (
	writers = sync.Pool{New: func() any {
		// NewWriter fails only for an invalid level.
		w, _ := flate.NewWriter(io.Discard, flate.DefaultCompression)
		return w
	}}
	readers = sync.Pool{New: func() any {
		f := new(inflater)
		f.r = flate.NewReader(&f.src)
		return f
	}}
)

// Append appends body, compressed, to dst and returns the result.
func Append(dst, body []byte) []byte {
	buf := bytes.NewBuffer(dst)
	buf.Grow(len(body)/2 + 64)
	w := writers.Get().(*flate.Writer)
	w.Reset(buf)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(body)
	_ = w.Close()
	w.Reset(io.Discard)
	writers.Put(w)
	return buf.Bytes()
}

// Inflate decompresses z, failing with ErrMalformed (or the decompressor's
// error) on a corrupt or truncated stream, on bytes after its end and on an
// output longer than limit bytes.
func Inflate(z []byte, limit int) ([]byte, error) {
	f, err := open(z)
	defer f.close()
	if err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, min(3*len(z)+bytes.MinRead, limit+1)))
	if _, err := out.ReadFrom(io.LimitReader(f.r, int64(limit)+1)); err != nil {
		return nil, err
	}
	// bytes.Reader is an io.ByteReader, so the decompressor read no
	// further than the end of its stream: what is left was never part of it.
	if out.Len() > limit || f.src.Len() != 0 {
		return nil, ErrMalformed
	}
	return out.Bytes(), nil
}

// Read calls read with a reader of the decompressed stream z, for callers
// that need only its beginning, and returns read's error.
func Read(z []byte, read func(io.Reader) error) error {
	f, err := open(z)
	defer f.close()
	if err != nil {
		return err
	}
	return read(f.r)
}

// open takes a decompressor from the pool, reading z; close returns it.
func open(z []byte) (*inflater, error) {
	f := readers.Get().(*inflater)
	f.src.Reset(z)
	return f, f.r.(flate.Resetter).Reset(&f.src, nil)
}

func (f *inflater) close() {
	f.src.Reset(nil) // do not keep z alive in the pool
	readers.Put(f)
}
