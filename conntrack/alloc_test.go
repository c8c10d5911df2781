package conntrack

import (
	"testing"

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
