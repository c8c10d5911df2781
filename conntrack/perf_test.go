package conntrack

import (
	"flag"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestHotPathsDoNotAllocate holds the per-packet budget of zero heap
// allocations in steady state (STYLE.md lesson 4; the common brief's hot
// path rule): Lookup on a hit, Lookup+Update, LookupRelated, Insert into a
// pre-sized table, and Sweep into a slice with room.
func TestHotPathsDoNotAllocate(t *testing.T) {
	tb := newTable(t, Config{Capacity: 4096})
	syn := pkt(c2s("S"))
	ack := pkt(s2c("S."))
	tb.Insert(syn, 0, 1)
	now := packet.Time(0)

	check := func(name string, f func()) {
		t.Helper()
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, n)
		}
	}
	check("Lookup hit", func() {
		if m := tb.Lookup(ack, now); !m.Found {
			t.Fatal("miss")
		}
	})
	check("Lookup+Update", func() {
		now++
		m := tb.Lookup(ack, now)
		tb.Update(m, ack, now)
	})
	rel := icmpError("192.0.2.1", c2s("P."), packet.ProtoICMP, 3, 4)
	check("LookupRelated", func() {
		if m := tb.LookupRelated(rel, now); !m.Found {
			t.Fatal("miss")
		}
	})

	// Insert and expire many distinct flows in a pre-sized table.
	udp := pkt("udp 10.0.0.1:1000 > 10.0.0.2:53")
	var port uint16
	out := make([]Expiry, 0, 4096)
	check("Insert into a pre-sized table", func() {
		port++
		udp.SrcPort = 1000 + port%2000
		now += packet.Time(sec(1))
		tb.Insert(udp, now, 1)
	})
	check("Sweep with room in out", func() {
		now += packet.Time(sec(1))
		out = tb.Sweep(now, 64, out[:0])
	})
	if tb.Stats().Expired == 0 {
		t.Error("the sweep loop expired nothing; the test did not exercise removal")
	}
}

// randomFlow fills p with a random IPv4 TCP flow from r (an ACK, so an
// Insert picks it up as ESTABLISHED).
func randomFlow(r *rand.Rand, p *packet.Packet) {
	var a, b [4]byte
	x, y := r.Uint32(), r.Uint32()
	a = [4]byte{10, byte(x >> 16), byte(x >> 8), byte(x)}
	b = [4]byte{172, 16 + byte(y>>20)&15, byte(y >> 8), byte(y)}
	*p = packet.Packet{
		Src: netip.AddrFrom4(a), Dst: netip.AddrFrom4(b),
		SrcPort: uint16(1024 + r.IntN(64000)), DstPort: uint16([]int{80, 443, 22, 5432}[r.IntN(4)]),
		Proto: packet.ProtoTCP, Flags: packet.ACK,
	}
}

// fill inserts n random flows into a new table and returns it with the
// packets, each one's reply ready for lookups.
func fill(b *testing.B, n int, keep bool) (*Table, []packet.Packet) {
	b.Helper()
	tb := newTable(b, Config{})
	r := rand.New(rand.NewPCG(1, 2))
	var pkts []packet.Packet
	if keep {
		pkts = make([]packet.Packet, n)
	}
	var p packet.Packet
	for i := range n {
		randomFlow(r, &p)
		if _, ok := tb.Insert(&p, 0, 1); !ok {
			b.Fatal("insert failed")
		}
		if keep {
			pkts[i] = p
			pkts[i].Src, pkts[i].Dst = p.Dst, p.Src
			pkts[i].SrcPort, pkts[i].DstPort = p.DstPort, p.SrcPort
		}
	}
	return tb, pkts
}

// BenchmarkLookupUpdate1M measures one packet's conntrack work — Lookup
// plus Update — on a table of 1 M random flows, visiting them in a random
// order (target ≤ 400 ns/op).
func BenchmarkLookupUpdate1M(b *testing.B) {
	const n = 1 << 20
	tb, pkts := fill(b, n, true)
	r := rand.New(rand.NewPCG(3, 4))
	order := make([]int32, 1<<16)
	for i := range order {
		order[i] = int32(r.IntN(len(pkts)))
	}
	now := packet.Time(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := &pkts[order[i&(len(order)-1)]^int32(i>>16)&(n-1)]
		m := tb.Lookup(p, now)
		if !m.Found {
			b.Fatal("miss")
		}
		tb.Update(m, p, now)
	}
}

// BenchmarkTableMemory1M reports the heap bytes per tracked connection of
// a table holding 1 M flows, entries and index included (target ≤ 160 B).
func BenchmarkTableMemory1M(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tb, _ := fill(b, 1_000_000, false)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(tb.Len()), "bytes/conn")
		runtime.KeepAlive(tb)
	}
}

// BenchmarkGC10M reports how long a full garbage collection takes with a
// 10 M-entry table live (target: mark ≤ 10 ms). It needs about 1 GB, so it
// runs only when -bench names it explicitly (e.g. -bench GC10M), not under
// -bench=. .
func BenchmarkGC10M(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "GC10M") {
		b.Skip("needs ~1 GB; run with -bench GC10M")
	}
	const n = 10_000_000
	tb := newTable(b, Config{Capacity: n})
	r := rand.New(rand.NewPCG(5, 6))
	var p packet.Packet
	for range n {
		randomFlow(r, &p)
		tb.Insert(&p, 0, 1)
	}
	runtime.GC()
	var total time.Duration
	var runs int
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		runtime.GC()
		runtime.ReadMemStats(&after)
		// PauseTotalNs counts stop-the-world pauses only; the mark phase
		// runs concurrently, so report the whole cycle's wall time too.
		total += time.Duration(after.PauseTotalNs - before.PauseTotalNs)
		runs++
	}
	b.ReportMetric(float64(b.Elapsed())/1e6/float64(runs), "ms/gc")
	b.ReportMetric(float64(total.Microseconds())/float64(runs), "µs-pause/gc")
	b.ReportMetric(float64(tb.Len()), "entries")
	runtime.KeepAlive(tb)
}
