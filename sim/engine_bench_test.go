package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ctsim/ctsim/firewall"
)

// benchQueue measures a hold model: pending events stay at n while each
// iteration pops the earliest and schedules one later (the engine's pattern).
func benchQueue(b *testing.B, n int) {
	r := rand.New(rand.NewPCG(7, 7))
	var q queue
	q.grow(n + 1)
	for i := 0; i < n; i++ {
		q.Schedule(Time(r.Int64N(int64(n))), evTest, 0)
	}
	incs := make([]Time, 1024)
	for i := range incs {
		incs[i] = Time(r.Int64N(int64(n)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := processCPU()
	for i := 0; i < b.N; i++ {
		ev, _ := q.Pop()
		q.Schedule(ev.at+incs[i&1023], evTest, 0)
	}
	b.StopTimer()
	report(b, c0, "events")
}

// report adds throughput metrics: per wall second ("events/s") and per
// CPU second of the process ("events/cpu-s").
func report(b *testing.B, cpu0 time.Duration, unit string) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, unit+"/s")
	}
	if c := (processCPU() - cpu0).Seconds(); cpu0 != 0 && c > 0 {
		b.ReportMetric(float64(b.N)/c, unit+"/cpu-s")
	}
}

// BenchmarkQueue1M: schedule+pop with 1 M pending events (target ≥ 2.5 M
// events/s, 0 allocs/event). This measures the event queue alone; the
// engine's own loop over the same load is BenchmarkEngineEvents1M.
func BenchmarkQueue1M(b *testing.B) { benchQueue(b, 1_000_000) }

// BenchmarkQueue10k: schedule+pop with 10 k pending events (target ≥ 8 M
// events/s). The queue alone; see BenchmarkEngineEvents10k.
func BenchmarkQueue10k(b *testing.B) { benchQueue(b, 10_000) }

// benchEngineEvents drives the engine's Run loop (peek the queue against
// the sources, pop, due sweeps, dispatch) with n pending cheap events
// (evTest, which the engine dispatches and ignores): a hold model where each
// round schedules a batch of events at random times in the next n ns and
// runs the engine to the end of the batch's first stretch, so about n
// events stay pending. The engine's real events, rule changes, each
// recompile the rules (milliseconds) and are few; cheap events make the
// loop's own overhead visible. Reports events/s and allocations per event.
func benchEngineEvents(b *testing.B, n int) {
	const batch = 4096
	e := benchWorld().engine(b, Options{})
	r := rand.New(rand.NewPCG(9, 9))
	e.q.grow(n + 2*batch)
	for i := 0; i < n; i++ {
		e.q.Schedule(Time(1+r.Int64N(int64(n))), evTest, 0)
	}
	h := Time(0)
	processed := 0
	b.ReportAllocs()
	b.ResetTimer()
	c0 := processCPU()
	for processed < b.N {
		for i := 0; i < batch; i++ {
			e.q.Schedule(h+Time(n)+Time(1+r.Int64N(batch)), evTest, 0)
		}
		before := e.q.Len()
		h += batch
		if err := e.run(h); err != nil {
			b.Fatal(err)
		}
		processed += before - e.q.Len()
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(processed)/s, "events/s")
	}
	if c := (processCPU() - c0).Seconds(); c0 != 0 && c > 0 {
		b.ReportMetric(float64(processed)/c, "events/cpu-s")
	}
	if p := e.q.Len(); p < n/2 {
		b.Fatalf("only %d events pending at the end, want about %d", p, n)
	}
}

// BenchmarkEngineEvents1M: the engine's Run loop with 1 M pending events
// (target ≥ 2.5 M events/s, 0 allocs/event).
func BenchmarkEngineEvents1M(b *testing.B) { benchEngineEvents(b, 1_000_000) }

// BenchmarkEngineEvents10k: the engine's Run loop with 10 k pending events
// (target ≥ 8 M events/s).
func BenchmarkEngineEvents10k(b *testing.B) { benchEngineEvents(b, 10_000) }

// benchWorld is two instances in different subnets with tracked rules, so
// that a packet meets SG egress → NACL out → NACL in → SG ingress.
func benchWorld() *world {
	return newWorld().
		sg("sg-web", []firewall.SGRule{sgr("https", "tcp", 443, 443, "10.0.1.0/24")}, []firewall.SGRule{sgr("all", "-1", 0, 0, "10.0.0.0/16")}).
		sg("sg-app", nil, []firewall.SGRule{sgr("web", "tcp", 443, 443, "10.0.2.0/24")}).
		host("app", "s1", []string{"10.0.1.10"}, "sg-app").
		host("web", "s2", []string{"10.0.2.20"}, "sg-web")
}

// BenchmarkStep: one TCP data packet of an established flow through the
// full path, steady state (target: 0 allocs).
func BenchmarkStep(b *testing.B) {
	e := benchWorld().engine(b, Options{})
	syn := pkt(0, "tcp 10.0.1.10:50000 > 10.0.2.20:443 S")
	e.Step(&syn)
	synack := pkt(0, "tcp 10.0.2.20:443 > 10.0.1.10:50000 S.")
	e.Step(&synack)
	p := pkt(0, "tcp 10.0.1.10:50000 > 10.0.2.20:443 P.")
	b.ReportAllocs()
	b.ResetTimer()
	c0 := processCPU()
	for i := 0; i < b.N; i++ {
		p.At += Time(time.Microsecond)
		if out := e.Step(&p); !out.Forwarded {
			b.Fatal(traceString(out.Steps))
		}
	}
	b.StopTimer()
	report(b, c0, "packets")
}

// genSource generates n packets over flows concurrent TCP flows between
// app (10.0.1.0/24 clients) and web: each flow opens with a SYN, gets a
// SYN/ACK, then exchanges data both ways. It does not allocate.
type genSource struct {
	n, flows, i int
	at          Time
}

var genClient, genServer = ip("10.0.1.10"), ip("10.0.2.20")

func (g *genSource) Next(p *Packet) (bool, error) {
	if g.i >= g.n {
		return false, nil
	}
	f := g.i % g.flows
	round := g.i / g.flows
	g.i++
	g.at += Time(time.Microsecond)
	*p = Packet{At: g.at, Proto: 6, Length: 100,
		Src: genClient, Dst: genServer, SrcPort: uint16(1024 + f), DstPort: 443}
	switch {
	case round == 0:
		p.Flags = 2 // SYN
	case round%2 == 1:
		p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
		p.Flags = 0x12 // SYN/ACK or ACK
		if round > 1 {
			p.Flags = 0x10
		}
	default:
		p.Flags = 0x18 // PSH/ACK
	}
	return true, nil
}

// BenchmarkRun: the engine end to end (source merge, flow table, full
// path, conntrack) over 10 k concurrent flows; reports packets/s and
// allocations per packet once the flow table has grown.
func BenchmarkRun(b *testing.B) {
	const flows = 10_000
	b.ReportAllocs()
	e := benchWorld().engine(b, Options{})
	// Warm up: create every flow and entry.
	e.AddSource(&genSource{n: 2 * flows, flows: flows})
	if _, err := e.Run(Never); err != nil {
		b.Fatal(err)
	}
	src := &genSource{n: b.N, flows: flows, i: 2 * flows, at: e.Now()}
	src.n += src.i
	e.AddSource(src)
	b.ResetTimer()
	c0 := processCPU()
	if err := e.run(Never); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	report(b, c0, "packets")
}
