package libssh2

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestEagerStreams: a transfer opens all its streams at once only when one channel's window per
// round trip would make it last longer than growMinLeft.
func TestEagerStreams(t *testing.T) {
	for _, c := range []struct {
		n    int64
		rtt  time.Duration
		want bool
	}{
		{256 << 20, 50 * time.Millisecond, true},  // 6.7 s at 2 MiB per round trip
		{1 << 30, 10 * time.Millisecond, true},    // 5.4 s
		{64 << 20, 50 * time.Millisecond, false},  // 1.7 s: doubling, if anything
		{8 << 20, 200 * time.Millisecond, false},  // 0.8 s
		{1 << 30, 200 * time.Microsecond, false},  // loopback
		{16 << 30, 300 * time.Microsecond, false}, // 2.6 s even for 16 GiB
	} {
		if got := eagerStreams(c.n, c.rtt); got != c.want {
			t.Errorf("eagerStreams(%d MiB, %v) = %v, want %v", c.n>>20, c.rtt, got, c.want)
		}
	}
}

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
			// No split cuts a span below what its stream asked the server for: past its end
			// there is at most what one read asks for beyond the end (reserve).
			for _, sp := range p.spans {
				if sp.ahead > sp.end+5*packetSize {
					t.Fatalf("seed %d: span [%d, %d) has its read-ahead asked up to %d", seed, sp.start, sp.end, sp.ahead)
				}
			}
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
			case r < 40:
				// A download stream asks libssh2 to read ahead from its position (reserve).
				p.mu.Lock()
				pos, end := st.sp.pos, st.sp.end
				p.mu.Unlock()
				if n := p.reserve(st.sp, pos, 1+rng.IntN(DefaultReadBuffer)); (n == 0) != (pos >= end) || n < 0 {
					t.Fatalf("seed %d: reserve at %d of a span ending at %d gave a buffer of %d", seed, pos, end, n)
				}
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
