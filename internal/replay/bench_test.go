package replay

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// benchCapacity is the size the RP gives its cache (rp.go).
const benchCapacity = 100_000

// user is either implementation of the replay cache.
type user interface {
	Use(key string, now, expiry time.Time) bool
}

// benchKey returns a 32-byte key, as long as the SHA-256 of a state the
// callback uses, made from two counters.
func benchKey(a, b uint64) string {
	var k [32]byte
	binary.LittleEndian.PutUint64(k[:8], a)
	binary.LittleEndian.PutUint64(k[8:16], b)
	return string(k[:])
}

// benchStep is how far the clock moves per login in the benchmarks.
const benchStep = time.Millisecond

// fills are the fill levels benchmarked. Each is a steady state: every Use
// is a new login whose entry lives for life steps of the clock, so about
// life entries are live at any time (the arrival rate times the lifetime).
// "full" is a flood: entries outlive the benchmark, the cache stays at its
// capacity and every Use must evict.
var fills = []struct {
	name string
	life int // in benchSteps; 0: expired by the next Use
	live int // entries put in before the benchmark
}{
	{"empty", 1, 0},
	{"half", benchCapacity / 2, benchCapacity / 2},
	{"full", 1 << 40, benchCapacity},
}

var benchBase = time.Unix(1_700_000_000, 0)

// prefill puts live entries into c, expiring over the next life steps the
// way a steady state would have left them.
func prefill(c user, live, life int) {
	for i := range live {
		at := benchBase.Add(time.Duration(i-live) * benchStep)
		c.Use(benchKey(1<<62, uint64(i)), at, at.Add(time.Duration(life)*benchStep))
	}
}

// BenchmarkUse measures one callback's replay check (Use of a new key) at
// each fill level, in one goroutine and in 64 goroutines per core at once,
// for the sharded ring cache ("ring") and the single-map cache it replaced
// ("legacy"), both holding benchCapacity keys.
func BenchmarkUse(b *testing.B) {
	impls := []struct {
		name string
		make func() user
	}{
		{"ring", func() user { return New(benchCapacity) }},
		{"legacy", func() user { return newLegacy(benchCapacity) }},
	}
	for _, f := range fills {
		for _, impl := range impls {
			life := time.Duration(f.life) * benchStep
			b.Run("fill="+f.name+"/impl="+impl.name+"/mode=serial", func(b *testing.B) {
				c := impl.make()
				prefill(c, f.live, f.life)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					now := benchBase.Add(time.Duration(i) * benchStep)
					if c.Use(benchKey(0, uint64(i)), now, now.Add(life)) {
						b.Fatal("a new key was reported as reused")
					}
				}
			})
			b.Run("fill="+f.name+"/impl="+impl.name+"/mode=parallel", func(b *testing.B) {
				c := impl.make()
				prefill(c, f.live, f.life)
				var ids atomic.Uint64
				const perCore = 32
				goroutines := uint64(perCore * runtime.GOMAXPROCS(0))
				b.SetParallelism(perCore)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					g := ids.Add(1)
					for i := uint64(0); pb.Next(); i++ {
						// Each goroutine's clock moves as if all of them
						// shared one at the same pace.
						now := benchBase.Add(time.Duration(i*goroutines) * benchStep)
						if c.Use(benchKey(g, i), now, now.Add(life)) {
							b.Error("a new key was reported as reused")
							return
						}
					}
				})
			})
		}
	}
}
