package libssh2

import (
	"math/rand/v2"
	"testing"
)

// TestPlanCoversEveryByteOnce drives a plan with simulated streams that start, move random amounts,
// steal, and get retired at random moments: every byte of the range is handed out exactly once, and
// no span is left unmoved when the last stream ends.
func TestPlanCoversEveryByteOnce(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		const from, size = 1000, 100 << 20
		var p plan
		streams := []*stream{{sp: p.first(from, size)}}
		taken := make(map[int64]int64) // offset -> count, as runs
		var total int64
		for len(streams) > 0 {
			i := rng.IntN(len(streams))
			st := streams[i]
			switch r := rng.IntN(100); {
			case r < 3 && len(streams) < 8:
				n := &stream{}
				if p.steal(n) != nil {
					streams = append(streams, n)
				}
			case r < 5:
				p.retire(st)
			default:
				off, k := p.take(st.sp, 1+rng.IntN(3<<20))
				if k > 0 {
					taken[off] = int64(k)
					total += int64(k)
					p.setGood(st.sp, off+int64(k))
					continue
				}
				if p.steal(st) == nil {
					streams = append(streams[:i], streams[i+1:]...)
				}
			}
		}
		if total != size-from {
			t.Fatalf("seed %d: %d bytes handed out, want %d", seed, total, size-from)
		}
		// The runs handed out tile [from, size) with no overlap.
		at := int64(from)
		for at < size {
			k, ok := taken[at]
			if !ok {
				t.Fatalf("seed %d: no run starts at %d", seed, at)
			}
			at += k
		}
		if good, moved := p.prefix(); good != size || moved != size-from {
			t.Fatalf("seed %d: prefix %d, moved %d; want %d, %d", seed, good, moved, int64(size), int64(size-from))
		}
	}
}
