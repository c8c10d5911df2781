package synth

import (
	"errors"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/ctsim/ctsim/sim/packet"
)

// mixed is a set of flows of every kind, used by the determinism,
// ordering and allocation tests.
func mixed() []Flow {
	return []Flow{
		{Name: "web", Kind: TCP, Client: cli4, Server: srv4, DstPort: 443, Count: 20, Every: 500 * time.Millisecond, Poisson: true, Exchanges: 3},
		{Name: "dns", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53, Count: 20, Every: time.Second, Poisson: true},
		{Name: "ping6", Kind: ICMPEcho, Client: cli6, Server: srv6, Requests: 4},
		{Name: "pmtu", Kind: ICMPError, Client: rtr4, Quote: "web", Start: ms(15)},
		{Name: "gre", Kind: Other, Proto: packet.ProtoGRE, Client: cli4, Server: srv4, Requests: 3},
	}
}

// TestDeterminism checks that the same flows and seed give the same
// packets, and that the seed changes Poisson arrivals, sequence numbers and
// ports (DESIGN.md "Time": the same input and seed give byte-identical
// output; STYLE.md anti-pattern 1).
func TestDeterminism(t *testing.T) {
	run := func(seed uint64) []packet.Packet {
		g, err := New(mixed(), seed)
		if err != nil {
			t.Fatal(err)
		}
		return all(t, g)
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Error("two runs with seed 7 differ")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 7 and 8 give the same packets")
	}
}

// TestPoissonArrivals checks that Poisson session starts are seeded
// exponential gaps with mean Every: the mean of 2000 gaps is within 10 % of
// Every, gaps vary, and the first session starts at Start.
func TestPoissonArrivals(t *testing.T) {
	c := cli4
	c.Ports = packet.PortRange{Lo: 1024, Hi: 65535}
	f := Flow{Name: "p", Kind: UDP, Client: c, Server: srv4, DstPort: 53, NoReply: true,
		Start: 3 * time.Second, Count: 2000, Every: 100 * time.Millisecond, Poisson: true}
	infos := gen(t, f).Flows()
	if infos[0].Start != packet.Time(3*time.Second) {
		t.Errorf("first session at %s, want 3s", infos[0].Start)
	}
	var sum, sumSq float64
	for i := 1; i < len(infos); i++ {
		gap := infos[i].Start.Sub(infos[i-1].Start).Seconds()
		sum += gap
		sumSq += gap * gap
	}
	n := float64(len(infos) - 1)
	mean := sum / n
	sd := math.Sqrt(sumSq/n - mean*mean)
	if math.Abs(mean-0.1) > 0.01 {
		t.Errorf("mean gap %.4fs, want 0.1s ± 10%%", mean)
	}
	// An exponential distribution's standard deviation equals its mean.
	if math.Abs(sd-0.1) > 0.02 {
		t.Errorf("gap standard deviation %.4fs, want ≈ 0.1s", sd)
	}
}

// TestPacketOrder checks that packets come out in non-decreasing time,
// and that packets at the same instant keep (flow order, session, step)
// order (STYLE.md lesson 7: ties broken by sequence, never by map order).
func TestPacketOrder(t *testing.T) {
	pkts := all(t, gen(t, mixed()...))
	for i := 1; i < len(pkts); i++ {
		if pkts[i].At < pkts[i-1].At {
			t.Fatalf("packet %d at %s after packet at %s", i, pkts[i].At, pkts[i-1].At)
		}
	}
	// Two flows starting together: the first flow's packet comes first.
	g := gen(t,
		Flow{Name: "b", Kind: UDP, Client: cli4, Server: srv4, DstPort: 2},
		Flow{Name: "a", Kind: UDP, Client: cli4, Server: srv4, DstPort: 1})
	var names []string
	for _, p := range all(t, g) {
		names = append(names, g.FlowName(p.Tuple()))
	}
	if want := []string{"b", "a", "b", "a"}; !slices.Equal(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}

// TestFlowsAndNames checks FlowInfo per session and FlowName in both
// directions; every session of a flow carries the flow's own name.
func TestFlowsAndNames(t *testing.T) {
	g := gen(t, mixed()...)
	infos := g.Flows()
	counts := map[string]int{}
	total := 0
	for i, fi := range infos {
		counts[fi.Name]++
		total += fi.Packets
		if fi.End < fi.Start {
			t.Errorf("session %d: end %s before start %s", i, fi.End, fi.Start)
		}
		for _, tu := range []packet.Tuple{fi.Tuple, fi.Tuple.Reverse()} {
			if got := g.FlowName(tu); got != fi.Name {
				t.Errorf("FlowName(%s) = %q, want %q", tu, got, fi.Name)
			}
		}
	}
	if want := map[string]int{"web": 20, "dns": 20, "ping6": 1, "pmtu": 1, "gre": 1}; !mapsEqual(counts, want) {
		t.Errorf("sessions per flow %v, want %v", counts, want)
	}
	if total != g.Len() {
		t.Errorf("sessions hold %d packets, Len is %d", total, g.Len())
	}
	if got := g.FlowName(packet.Tuple{Src: netip.MustParseAddr("203.0.113.9"), Dst: srv4.Addr, Proto: 6}); got != "" {
		t.Errorf("FlowName(unknown) = %q, want \"\"", got)
	}
	for _, p := range all(t, g) {
		if g.FlowName(p.Tuple()) == "" {
			t.Errorf("packet %s has no flow name", &p)
		}
	}
	g.Reset()
	if n := len(all(t, g)); n != g.Len() {
		t.Errorf("after Reset: %d packets, want %d", n, g.Len())
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestNextDoesNotAllocate checks that Next and FlowName allocate nothing
// once the generator is built (STYLE.md lesson 4; packet.Source contract).
func TestNextDoesNotAllocate(t *testing.T) {
	g := gen(t, mixed()...)
	var p packet.Packet
	allocs := testing.AllocsPerRun(1000, func() {
		ok, _ := g.Next(&p)
		if !ok {
			g.Reset()
		}
		_ = g.FlowName(p.Tuple())
	})
	if allocs != 0 {
		t.Errorf("Next + FlowName: %v allocs per packet, want 0", allocs)
	}
}

func BenchmarkNext(b *testing.B) {
	flows := mixed()
	flows[0].Count, flows[1].Count = 2000, 2000
	g := gen(b, flows...)
	var p packet.Packet
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if ok, _ := g.Next(&p); !ok {
			g.Reset()
		}
	}
}

func BenchmarkNew(b *testing.B) {
	flows := mixed()
	flows[0].Count, flows[1].Count = 2000, 2000
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(flows, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// TestItemSize pins the size of a laid-out packet, which bounds New's
// memory: MaxPackets items take 128 MiB besides the packets themselves
// (STYLE.md lesson 1: sizes measured and written down).
func TestItemSize(t *testing.T) {
	if got := unsafe.Sizeof(item{}); got != 32 {
		t.Errorf("item is %d bytes, want 32", got)
	}
}

// FuzzNew builds flows from arbitrary field values. New must never panic;
// when it succeeds, the packets must be in time order, each at least as
// long as its headers, each named by FlowName, and as many as Len says.
// Specs reach New from scenario files written by people, so every
// combination of fields must end in packets or a *FieldError.
func FuzzNew(f *testing.F) {
	f.Add(uint8(1), uint8(0), uint16(0), uint16(443), uint8(3), uint8(2), uint8(0), uint16(100), uint16(3000),
		uint32(0), uint32(100), uint32(10), uint32(1000), uint32(400000), uint32(60000), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(2), uint8(0), uint16(0), uint16(53), uint8(20), uint8(0), uint8(3), uint16(0), uint16(0),
		uint32(5), uint32(50), uint32(29000), uint32(0), uint32(0), uint32(0), uint8(1|4), uint8(3), uint64(7))
	f.Add(uint8(3), uint8(0), uint16(0), uint16(0), uint8(2), uint8(0), uint8(4), uint16(56), uint16(0),
		uint32(0), uint32(1000), uint32(0), uint32(0), uint32(0), uint32(0), uint8(8), uint8(0), uint64(2))
	f.Add(uint8(4), uint8(0), uint16(0), uint16(0), uint8(2), uint8(0), uint8(0), uint16(0), uint16(0),
		uint32(25), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint8(16), uint8(0), uint64(3))
	f.Add(uint8(5), uint8(132), uint16(0), uint16(3868), uint8(1), uint8(0), uint8(2), uint16(0), uint16(0),
		uint32(0), uint32(0), uint32(599000), uint32(0), uint32(0), uint32(0), uint8(2), uint8(5), uint64(4))
	f.Fuzz(func(t *testing.T, kind, proto uint8, sport, dport uint16, count, exchanges, requests uint8,
		reqBytes, respBytes uint16, startMs, everyMs, rttMs, thinkMs, idleMs, keepaliveMs uint32,
		bits, osIndex uint8, seed uint64) {
		d := func(ms uint32) time.Duration { return time.Duration(ms) * time.Millisecond }
		client, server, router := cli4, srv4, rtr4
		if bits&8 != 0 {
			client, server, router = cli6, srv6, rtr6
		}
		oses := packet.OSProfiles()
		client.OS = oses[int(osIndex)%len(oses)]
		client.Sequential = bits&4 != 0
		quoted := Flow{Name: "q", Kind: TCP, Client: client, Server: server, DstPort: 80}
		fl := Flow{
			Name: "f", Kind: Kind(kind % 7), Proto: proto, Client: client, Server: server,
			SrcPort: sport, DstPort: dport, Count: int(count), Exchanges: int(exchanges), Requests: int(requests),
			RequestBytes: int(reqBytes), ResponseBytes: int(respBytes),
			Start: d(startMs), Every: d(everyMs), RTT: d(rttMs), Think: d(thinkMs), Idle: d(idleMs), Keepalive: d(keepaliveMs),
			Poisson: bits&1 != 0, NoReply: bits&2 != 0, Close: []string{"", "fin", "rst", "none"}[bits>>5&3],
		}
		if fl.Kind == ICMPError {
			fl.Client, fl.Server, fl.Quote = router, Endpoint{}, "q"
			if bits&16 != 0 {
				fl.QuoteTo = QuoteToServer
			}
		}
		g, err := newGenerator([]Flow{quoted, fl}, seed, 20000)
		if err != nil {
			return
		}
		var p packet.Packet
		var prev packet.Time
		n := 0
		for {
			ok, err := g.Next(&p)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if !ok {
				break
			}
			n++
			if p.At < prev {
				t.Fatalf("packet %d at %s after %s", n, p.At, prev)
			}
			prev = p.At
			hdr := uint32(20)
			if p.Is6() {
				hdr = 40
			}
			if p.Length < hdr {
				t.Fatalf("packet %d %s: length %d below the IP header", n, &p, p.Length)
			}
			if g.FlowName(p.Tuple()) == "" {
				t.Fatalf("packet %d %s has no flow name", n, &p)
			}
		}
		if n != g.Len() {
			t.Fatalf("%d packets, Len %d", n, g.Len())
		}
	})
}

// TestPacketsUntilCountsSimulatedPackets checks that PacketsUntil counts,
// per session, the packets at or before a horizon (a run simulates
// packets up to and including its horizon), and that Plan gives the same
// sessions and counts without keeping packets, so that a run cut short by
// its duration can be told apart from one that saw every packet (SPEC.md
// §2.4: the deciding packet of a UDP stream is its last).
func TestPacketsUntilCountsSimulatedPackets(t *testing.T) {
	flows := []Flow{
		{Name: "web", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80, Count: 3, Every: 10 * time.Second, Poisson: true},
		{Name: "stream", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53, Requests: 5, Think: 45 * time.Second},
		{Name: "pmtu", Kind: ICMPError, Client: rtr4, Quote: "web", Start: 2 * time.Second},
	}
	g := gen(t, flows...)
	pkts := all(t, g)
	infos := g.Flows()
	for _, h := range []time.Duration{0, time.Second, 100 * time.Second, 180*time.Second + 10*time.Millisecond, time.Hour} {
		horizon := packet.Time(h)
		want := make([]int, len(infos))
		for _, p := range pkts {
			if p.At > horizon {
				continue
			}
			for i, fi := range infos {
				tu := p.Tuple()
				if fi.Kind == ICMPError {
					if p.IsICMPError() && tu.Src == fi.Tuple.Src && tu.Dst == fi.Tuple.Dst {
						want[i]++
						break
					}
					continue
				}
				if tu == fi.Tuple || tu == fi.Tuple.Reverse() {
					want[i]++
					break
				}
			}
		}
		got := g.PacketsUntil(horizon)
		pinfos, pgot, err := Plan(flows, 1, horizon)
		if err != nil {
			t.Fatalf("Plan: %v", err)
		}
		for i := range infos {
			if got[i] != want[i] {
				t.Errorf("horizon %s: %s session %d: PacketsUntil %d, want %d", h, infos[i].Name, infos[i].Session+1, got[i], want[i])
			}
			if pgot[i] != want[i] {
				t.Errorf("horizon %s: %s session %d: Plan counts %d, want %d", h, infos[i].Name, infos[i].Session+1, pgot[i], want[i])
			}
			pi := infos[i]
			pi.Tuple = packet.Tuple{}
			if pinfos[i] != pi {
				t.Errorf("Plan session %d = %+v, want %+v", i, pinfos[i], pi)
			}
		}
	}
	if got := g.PacketsUntil(packet.Time(time.Hour)); got[3] != 5*2 {
		t.Errorf("stream session: %d packets in all, want 10", got[3])
	}
}

// TestPlanPacketLimit checks that Plan reports the packet limit as New
// does, naming the flow and its count field.
func TestPlanPacketLimit(t *testing.T) {
	f := Flow{Name: "big", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53, Count: 100}
	_, _, err := plan([]Flow{f}, 1, 0, 50)
	var fe *FieldError
	if err == nil || !strings.Contains(err.Error(), `flow "big": the flows make more than 50 packets (at flow "big" session 26)`) {
		t.Fatalf("err = %v", err)
	}
	if !errors.As(err, &fe) || fe.Field != "count" {
		t.Errorf("err %v is not a FieldError on count", err)
	}
}
