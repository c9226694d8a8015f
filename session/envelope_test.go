package session

import (
	"bytes"
	"compress/flate"
	"testing"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	id := newID()
	for _, data := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("abc"), 1000), randomBytes(5000)} {
		for _, compress := range []bool{false, true} {
			e := envelope{created: -5, lastSeen: 1 << 40, id: id, data: data}
			plain, err := encodeEnvelope(e, compress)
			if err != nil {
				t.Fatal(err)
			}
			if plain[0] == flagDeflate && (!compress || len(plain) >= len(data)+40) {
				t.Fatalf("compressed without gain: %d bytes for %d", len(plain), len(data))
			}
			got, err := decodeEnvelope(plain)
			if err != nil || got.created != e.created || got.lastSeen != e.lastSeen || got.id != id || !bytes.Equal(got.data, data) {
				t.Fatalf("decode = %+v, %v", got, err)
			}
		}
	}
	plain, _ := encodeEnvelope(envelope{id: id, data: bytes.Repeat([]byte("abc"), 1000)}, true)
	if plain[0] != flagDeflate {
		t.Fatal("a repetitive payload was not compressed")
	}
}

func TestDecodeRejects(t *testing.T) {
	id := newID()
	good, _ := encodeEnvelope(envelope{id: id, data: bytes.Repeat([]byte("abc"), 1000)}, true)
	ref := encodeRef(id, 7)
	var bomb bytes.Buffer
	bomb.WriteByte(flagDeflate)
	w, _ := flate.NewWriter(&bomb, flate.BestCompression)
	_, _ = w.Write(make([]byte, maxBody+100))
	_ = w.Close()
	for name, plain := range map[string][]byte{
		"empty":           nil,
		"unknown flag":    {9, 0, 0},
		"reference":       ref,
		"bad varint":      append([]byte{flagRaw}, bytes.Repeat([]byte{0xff}, 11)...),
		"short id":        append([]byte{flagRaw, 0, 0}, id[:20]...),
		"bad id":          append([]byte{flagRaw, 0, 0}, bytes.Repeat([]byte{'!'}, idLen)...),
		"truncated flate": good[:len(good)/2],
		"corrupt flate":   {flagDeflate, 0xff, 0xff, 0xff},
		"inflation bomb":  bomb.Bytes(),
	} {
		if _, err := decodeEnvelope(plain); err == nil {
			t.Errorf("%s: decodeEnvelope succeeded", name)
		}
	}
	if gotID, created, err := decodeRef(ref); err != nil || gotID != id || created != 7 {
		t.Fatalf("decodeRef = %q, %d, %v", gotID, created, err)
	}
	for name, plain := range map[string][]byte{
		"empty":    nil,
		"envelope": good,
		"extra":    append(bytes.Clone(ref), 'A'),
		"short":    ref[:len(ref)-1],
	} {
		if _, _, err := decodeRef(plain); err == nil {
			t.Errorf("%s: decodeRef succeeded", name)
		}
	}
}

func TestChunkNames(t *testing.T) {
	for _, c := range []struct {
		name string
		i    int
		ok   bool
	}{
		{"s.1", 1, true}, {"s.999", 999, true}, {"s.0", 0, false}, {"s.01", 0, false}, {"s.1000", 0, false},
		{"s.", 0, false}, {"s", 0, false}, {"t.1", 0, false}, {"s.x", 0, false}, {"s.+1", 0, false}, {"s1.1", 0, false},
	} {
		i, ok := chunkIndex(c.name, "s")
		if i != c.i || ok != c.ok {
			t.Errorf("chunkIndex(%q) = %d, %v; want %d, %v", c.name, i, ok, c.i, c.ok)
		}
	}
}
