package conntrack

import (
	"flag"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

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

// flowOf fills p with the i-th pseudo-random IPv4 TCP flow (an ACK, so an
// Insert picks it up as ESTABLISHED); reply gives the other direction.
// Computing a flow from its index costs a few nanoseconds and touches no
// memory, so the benchmarks measure the table's own cache misses rather
// than those of a large slice of packets.
func flowOf(i uint64, reply bool, p *packet.Packet) {
	x := splitmix64(i)
	a := netip.AddrFrom4([4]byte{10, byte(x >> 16), byte(x >> 8), byte(x)})
	b := netip.AddrFrom4([4]byte{172, 16 + byte(x>>60), byte(x >> 24), byte(x >> 32)})
	sport, dport := uint16(1024+(x>>40)%64000), []uint16{80, 443, 22, 5432}[x>>62]
	if reply {
		a, b, sport, dport = b, a, dport, sport
	}
	*p = packet.Packet{Src: a, Dst: b, SrcPort: sport, DstPort: dport, Proto: packet.ProtoTCP, Flags: packet.ACK}
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// fill inserts flows 0…n−1 into a new table of capacity hint capHint.
func fill(b *testing.B, n, capHint int) *Table {
	b.Helper()
	tb := newTable(b, Config{Capacity: capHint})
	var p packet.Packet
	for i := range n {
		flowOf(uint64(i), false, &p)
		if _, ok := tb.Insert(&p, 0, 1); !ok {
			b.Fatal("insert failed")
		}
	}
	return tb
}

// BenchmarkLookupUpdate1M measures one packet's conntrack work — Lookup
// plus Update of a reply — on a table of 1 M flows, picking the flow at
// random each time (target ≤ 400 ns/op).
func BenchmarkLookupUpdate1M(b *testing.B) {
	const n = 1 << 20
	tb := fill(b, n, 0)
	r := rand.New(rand.NewPCG(3, 4))
	now := packet.Time(time.Second)
	var p packet.Packet
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		flowOf(r.Uint64()&(n-1), true, &p)
		m := tb.Lookup(&p, now)
		if !m.Found {
			b.Fatal("miss")
		}
		tb.Update(m, &p, now)
		i++
	}
	// On a shared machine wall time includes waiting for a CPU; the
	// process's CPU time per operation is the fairer figure.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(i), "cpu-ns/op")
}

// BenchmarkLookupUpdate1K is BenchmarkLookupUpdate1M on a table that fits
// in cache: the instruction cost of one packet's conntrack work, without
// the memory latency that dominates at 1 M entries.
func BenchmarkLookupUpdate1K(b *testing.B) {
	const n = 1 << 10
	tb := fill(b, n, 0)
	r := rand.New(rand.NewPCG(3, 4))
	now := packet.Time(time.Second)
	var p packet.Packet
	b.ReportAllocs()
	for b.Loop() {
		flowOf(r.Uint64()&(n-1), true, &p)
		tb.Update(tb.Lookup(&p, now), &p, now)
	}
}

// BenchmarkMapBaseline1M is the yardstick for BenchmarkLookupUpdate1M on
// the same machine: one lookup in a Go map[Key]int32 of 1 M random keys,
// with the same flow generation.
func BenchmarkMapBaseline1M(b *testing.B) {
	const n = 1 << 20
	m := make(map[Key]int32, n)
	var p packet.Packet
	for i := range n {
		flowOf(uint64(i), false, &p)
		k, _ := KeyOf(&p)
		m[k] = int32(i)
	}
	r := rand.New(rand.NewPCG(3, 4))
	cpu0 := cpuTime()
	i, sum := 0, int32(0)
	for b.Loop() {
		flowOf(r.Uint64()&(n-1), true, &p)
		k, _ := KeyOf(&p)
		sum += m[k]
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(i), "cpu-ns/op")
	runtime.KeepAlive(sum)
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTableMemory1M reports the bytes per tracked connection of a
// table holding 1 M flows, entries and index included (target ≤ 160 B):
// the Go heap's growth plus the slots mapped outside it (memhint.Make).
func BenchmarkTableMemory1M(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tb := fill(b, 1_000_000, 0)
		runtime.GC()
		runtime.ReadMemStats(&after)
		bytes := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		if tb.mem != nil {
			bytes += float64(uintptr(len(tb.slots)) * unsafe.Sizeof(entry{}))
		}
		b.ReportMetric(bytes/float64(tb.Len()), "bytes/conn")
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
	tb := fill(b, n, n)
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

// BenchmarkInsertAtAllowanceWithChurn measures Insert on a table held at
// its allowance of 200 k entries whose expiries are staggered (one expires
// per Insert): each Insert must reclaim an expired entry before it can
// track a new flow (SPEC.md §2.6). Without the expiry index every such
// Insert scanned all slots (2.64 ms/op at 200 k).
func BenchmarkInsertAtAllowanceWithChurn(b *testing.B) {
	const n = 200_000
	tm := DefaultTimeouts()
	tm.TCPEstablished = 60 * time.Second
	tb := newTable(b, Config{Allowance: n, Capacity: n, Timeouts: tm})
	step := packet.Time(tm.TCPEstablished) / n
	var p packet.Packet
	for i := range n {
		flowOf(uint64(i), false, &p)
		if _, ok := tb.Insert(&p, packet.Time(i)*step, 1); !ok {
			b.Fatal("insert failed")
		}
	}
	out := make([]Expiry, 0, 4096)
	b.ReportAllocs()
	i := n
	for b.Loop() {
		// The entry inserted n Inserts ago expires now.
		now := packet.Time(tm.TCPEstablished) + packet.Time(i-n)*step
		flowOf(uint64(i), false, &p)
		if _, ok := tb.Insert(&p, now, 1); !ok {
			b.Fatalf("insert %d at %v refused", i, now)
		}
		if len(tb.pending) >= 2048 {
			out = tb.Sweep(now, 1, out[:0])
		}
		i++
	}
}
