package main

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/scenarios"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

// benchInventory is the network of `ctsim gencap --scenario` for a
// capture of the given number of flows: two ENIs in two subnets, so every
// packet crosses two security groups with conntrack and two network ACLs.
func benchInventory(tb testing.TB, flows int) firewall.Inventory {
	tb.Helper()
	s, err := scenarios.Parse("gencap-bench.yaml", benchScenario(flows))
	if err != nil {
		tb.Fatal(err)
	}
	return s.Inventory
}

// BenchmarkReplay replays a generated capture of 2 M packets over 131,072
// flows end to end — pcap reading and decoding,
// then the whole path through two security groups with conntrack and two
// network ACLs — and reports packets/s and allocations per packet (issue 4:
// ≥ 2 M packets/s, 0 allocs/packet in steady state). With -short, 200 k
// packets.
func BenchmarkReplay(b *testing.B) {
	const flows = 1 << 17
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	path := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := pcap.GenerateCapture(bw, n, flows, 1); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	inv := benchInventory(b, flows)
	var res *sim.Result
	var ms0, ms1 runtime.MemStats
	b.ResetTimer()
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		rd, err := pcap.Open(path, pcap.Options{})
		if err != nil {
			b.Fatal(err)
		}
		eng, err := sim.New(inv, sim.Options{Replay: true})
		if err != nil {
			b.Fatal(err)
		}
		readErr, _, err := replayLoop(rd, eng, nil, nil)
		if err != nil || readErr != nil {
			b.Fatal(err, readErr)
		}
		rd.Close()
		res = eng.Result()
	}
	runtime.ReadMemStats(&ms1)
	b.StopTimer()
	if res.Summary.Read != uint64(n) {
		b.Fatalf("engine read %d packets, want %d", res.Summary.Read, n)
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perOp, "packets/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N)/float64(n), "allocs/packet")
	b.ReportMetric(float64(len(res.Flows)), "flows")
	b.ReportMetric(float64(res.Summary.Dropped)/float64(n)*100, "%dropped")
}
