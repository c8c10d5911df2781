package sim

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// randSource generates n random packets between hosts (randHosts if nil)
// — TCP with random flags, UDP, ICMP echo — on a few ports, so that flows
// are allowed, dropped, tracked, answered and expired (gaps up to 40 s).
// It does not allocate.
type randSource struct {
	rng   *rand.Rand
	n     int
	at    Time
	hosts []netip.Addr
}

var randHosts = []netip.Addr{ip("10.0.1.10"), ip("10.0.2.20"), ip("198.51.100.7")}

func (r *randSource) Next(p *Packet) (bool, error) {
	if r.n == 0 {
		return false, nil
	}
	r.n--
	r.at += Time(r.rng.IntN(4)) * Time(time.Millisecond)
	if r.rng.IntN(200) == 0 {
		r.at += Time(40 * time.Second)
	}
	hosts := r.hosts
	if hosts == nil {
		hosts = randHosts
	}
	s, d := r.rng.IntN(len(hosts)), r.rng.IntN(len(hosts))
	*p = Packet{At: r.at, Src: hosts[s], Dst: hosts[d], Length: 60}
	ports := [...]uint16{443, 80, 53, 40000, 40001}
	switch r.rng.IntN(4) {
	case 0, 1:
		p.Proto, p.Flags = 6, [...]packet.TCPFlags{2, 0x12, 0x10, 0x18, 0x11, 4}[r.rng.IntN(6)]
		p.SrcPort, p.DstPort = ports[r.rng.IntN(5)], ports[r.rng.IntN(5)]
	case 2:
		p.Proto = 17
		p.SrcPort, p.DstPort = ports[r.rng.IntN(5)], ports[r.rng.IntN(5)]
	default:
		p.Proto, p.ICMPType, p.ICMPID = 1, [...]uint8{8, 0}[r.rng.IntN(2)], uint16(r.rng.IntN(3))
	}
	return true, nil
}

// TestRunReadAheadChangesNothing: Run reads sources ahead, prefetches
// their lookups (ahead.go) and takes the packets of known tracked flows by
// fastWalk, with the network ACL verdicts each flow caches (fast.go); the
// Result must be exactly the one stepping the same packets one by one
// gives — flows, verdicts, first drops, hints, conntrack counters — and so
// must Pass's, which steps without a trace and so takes the fast path. The
// cases change the rules in the middle of the run so that cached verdicts
// go stale: a security group rule removed (SPEC.md §2.2, tracked flows
// survive it, CT4), a network ACL deny added then removed and a subnet
// moved to another network ACL (SPEC.md §3, §8 case 30: the NACL change
// breaks tracked connections at once), public addresses behind the
// internet gateway's NAT and a NAT gateway (SPEC.md §6), addresses AWS
// does not filter (SPEC.md §1.5), and state deferred to the end of the
// path (Options.NoStateOnLaterDrop).
func TestRunReadAheadChangesNothing(t *testing.T) {
	type sched struct {
		at Time
		c  Change
	}
	denyIn := nacl(50, "in", "deny", "tcp", 443, 443, "0.0.0.0/0")
	denyOut := nacl(60, "out", "deny", "udp", 53, 53, "0.0.0.0/0")
	natWorld := func() *world {
		w := benchWorld()
		w.inv.Subnets = append(w.inv.Subnets, firewall.Subnet{ID: "s3", VPC: "vpc-1", CIDR: pfx("10.0.3.0/24"), NACL: "acl-1"})
		return w.host("nat", "s3", []string{"10.0.3.5"}).edit(func(in *firewall.Interface) {
			in.Service, in.PublicAddrs = "nat-gateway", []netip.Addr{ip("203.0.113.99")}
		})
	}
	publicWorld := func() *world {
		return benchWorld().edit(func(in *firewall.Interface) { in.PublicAddrs = []netip.Addr{ip("203.0.113.20")} })
	}
	tests := []struct {
		name    string
		world   func() *world
		opt     Options
		hosts   []netip.Addr
		changes []sched
		// wantDrop is a "filter:reason" key some drop must have, or a
		// "forwarded:class" key some forwarded packet must have.
		wantDrop string
	}{
		{"sg rule removed", benchWorld, Options{Replay: true}, nil,
			[]sched{{Time(2 * time.Second), Change{Kind: RemoveSGRule, Group: "sg-web", Direction: firewall.Ingress, RuleID: "https"}}}, ""},
		{"nacl deny added then removed", benchWorld, Options{Replay: true}, nil,
			[]sched{
				{Time(2 * time.Second), Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: denyIn}},
				{Time(3 * time.Second), Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: denyOut}},
				{Time(5 * time.Second), Change{Kind: RemoveNACLEntry, ACL: "acl-1", Direction: firewall.Ingress, Number: 50}},
			}, "nacl:nacl_deny"},
		{"subnet moved to a deny-all nacl", func() *world {
			w := benchWorld()
			w.inv.NetworkACLs = append(w.inv.NetworkACLs, firewall.CustomNACL("acl-deny", "vpc-1"))
			return w
		}, Options{}, nil,
			[]sched{{Time(2 * time.Second), Change{Kind: AssociateNACL, ACL: "acl-deny", Subnet: "s2"}}}, "nacl:nacl_default_deny"},
		{"public address behind the internet gateway", publicWorld, Options{Replay: true},
			[]netip.Addr{ip("10.0.1.10"), ip("203.0.113.20"), ip("198.51.100.7"), ip("10.0.2.20")}, nil, ""},
		{"nat gateway", natWorld, Options{},
			[]netip.Addr{ip("10.0.1.10"), ip("10.0.2.20"), ip("198.51.100.7"), ip("10.0.3.5")}, nil, ""},
		{"addresses AWS does not filter", benchWorld, Options{Replay: true},
			[]netip.Addr{ip("10.0.1.10"), ip("10.0.2.20"), ip("10.0.0.2"), ip("169.254.169.254")}, nil, "forwarded:not_filtered"},
		{"state deferred to the end of the path", benchWorld, Options{NoStateOnLaterDrop: true}, nil,
			[]sched{{Time(2 * time.Second), Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: denyOut}}}, "nacl:nacl_deny"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 5; seed++ {
				newSrc := func() *randSource {
					return &randSource{rng: rand.New(rand.NewPCG(seed, 7)), n: 3000, hosts: tc.hosts}
				}
				newEngine := func() *Engine {
					e := tc.world().engine(t, tc.opt)
					for _, c := range tc.changes {
						if err := e.Schedule(c.at, c.c); err != nil {
							t.Fatal(err)
						}
					}
					return e
				}
				stepped := newEngine()
				feed(newSrc(), func(p *Packet) { stepped.Step(p) })
				want := stepped.Result()

				passed := newEngine()
				feed(newSrc(), func(p *Packet) { passed.Pass(p) })
				if got := passed.Result(); !reflect.DeepEqual(got, want) {
					t.Errorf("seed %d: Pass's result differs from Step's:\npass: %+v\nstep: %+v", seed, got.Summary, want.Summary)
				}

				ran := newEngine()
				ran.AddSource(newSrc())
				got, err := ran.Run(Never)
				if err != nil {
					t.Fatal(err)
				}
				if got.Summary.Read != 3000 || got.Summary.Dropped == 0 || got.Summary.Forwarded == 0 ||
					got.Summary.Expired == 0 || len(got.Changes) != len(tc.changes) {
					t.Fatalf("seed %d: summary %+v, %d changes: want 3000 packets, some dropped, some forwarded, some expired, the changes applied",
						seed, got.Summary, len(got.Changes))
				}
				if fwd, ok := strings.CutPrefix(tc.wantDrop, "forwarded:"); ok {
					if !hasCount(got.Summary.ForwardedBy, fwd) {
						t.Fatalf("seed %d: no %s forward in %+v", seed, fwd, got.Summary.ForwardedBy)
					}
				} else if tc.wantDrop != "" && !hasCount(got.Summary.DroppedBy, tc.wantDrop) {
					t.Fatalf("seed %d: no %s drop in %+v", seed, tc.wantDrop, got.Summary.DroppedBy)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("seed %d: Run's result differs from Step's:\nrun:  %+v\nstep: %+v", seed, got.Summary, want.Summary)
				}
			}
		})
	}
}

// feed hands every packet of src to step, one at a time.
func feed(src packet.Source, step func(*Packet)) {
	var p Packet
	for {
		ok, _ := src.Next(&p)
		if !ok {
			return
		}
		step(&p)
	}
}

// hasCount reports whether cs has a nonzero count for key.
func hasCount(cs []Count, key string) bool {
	for _, c := range cs {
		if c.Key == key && c.Count > 0 {
			return true
		}
	}
	return false
}

// TestRunReadAheadAllocatesNothingPerPacket: once the flows and conntrack
// entries exist, Run with its read-ahead allocates nothing per packet
// (issue 4: 0 allocations per packet in steady state; STYLE.md lesson 4).
// Adding a source costs its read-ahead ring, once.
func TestRunReadAheadAllocatesNothingPerPacket(t *testing.T) {
	const flows, packets = 1000, 20000
	e := benchWorld().engine(t, Options{})
	e.AddSource(&genSource{n: 2 * flows, flows: flows})
	if err := e.run(Never); err != nil {
		t.Fatal(err)
	}
	i := 2 * flows
	allocs := testing.AllocsPerRun(3, func() {
		e.AddSource(&genSource{n: i + packets, flows: flows, i: i, at: e.Now()})
		i += packets
		if err := e.run(Never); err != nil {
			t.Fatal(err)
		}
	})
	if perPacket := allocs / packets; perPacket > 0.001 {
		t.Errorf("%.0f allocations for %d packets (%.5f per packet); want none per packet", allocs, packets, perPacket)
	}
}

// TestSetPacketKeysFlowsAsTheirTuples proves that the read-ahead's in-place
// flow key is the key of the packet's tuple, for both directions of TCP,
// UDP, ICMP echo and other protocols over IPv4 and IPv6, so a packet read
// ahead joins the same flow, and so the same conntrack entry, as one
// processed without read-ahead, and a response meets its request's tracked
// connection (SPEC.md §2.1 CT1).
func TestSetPacketKeysFlowsAsTheirTuples(t *testing.T) {
	addrs := []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"),
		netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"),
	}
	tests := []struct {
		name  string
		proto uint8
		typ   uint8
	}{
		{"tcp", packet.ProtoTCP, 0},
		{"udp", packet.ProtoUDP, 0},
		{"icmp echo", packet.ProtoICMP, 8},
		{"icmp unreachable", packet.ProtoICMP, 3},
		{"icmpv6 echo reply", packet.ProtoICMPv6, 129},
		{"gre", 47, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, src := range addrs {
				for _, dst := range addrs {
					for _, sport := range []uint16{0, 80, 443} {
						p := Packet{Src: src, Dst: dst, Proto: tt.proto, SrcPort: sport, DstPort: 80, ICMPType: tt.typ, ICMPID: 7}
						k := flowKey{aport: 1, bport: 2} // stale fields are overwritten
						srcIsA := k.setPacket(&p)
						want, wantSrcIsA := makeFlowKey(p.Tuple())
						if k != want || srcIsA != wantSrcIsA {
							t.Errorf("%v→%v port %d: setPacket = %+v, %v; makeFlowKey = %+v, %v", src, dst, sport, k, srcIsA, want, wantSrcIsA)
						}
					}
				}
			}
		})
	}
}

// TestFlowRecordIsTwoCacheLines: the per-packet path reads one flowState
// per packet; at 128 bytes in a page-aligned table it is two cache lines to
// fetch (ahead.go), not three. A field added to it belongs in flowCold
// unless the fast path needs it.
func TestFlowRecordIsTwoCacheLines(t *testing.T) {
	if n := unsafe.Sizeof(flowState{}); n != 128 {
		t.Errorf("flowState is %d bytes, want 128", n)
	}
}

// TestLargeTablesOutsideTheHeapAgree: with 40,000 flows the flow records,
// the flow index and the conntrack tables grow past memhint.OffHeapMin,
// so they are mapped outside the Go heap and each growth frees the old
// copy at once; Run (read-ahead, slot hints, fast path) and Step must still
// give the same Result, every flow allowed and tracked (SPEC.md §2.1).
func TestLargeTablesOutsideTheHeapAgree(t *testing.T) {
	const flows = 40000
	stepped := benchWorld().engine(t, Options{})
	feed(&genSource{n: 4 * flows, flows: flows}, func(p *Packet) { stepped.Step(p) })
	want := stepped.Result()

	ran := benchWorld().engine(t, Options{})
	ran.AddSource(&genSource{n: 4 * flows, flows: flows})
	if err := ran.RunTo(Never); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && (ran.flowMem == nil || ran.flowIdx.mem == nil) {
		t.Errorf("flow records mapped %v, flow index mapped %v: want both outside the heap", ran.flowMem != nil, ran.flowIdx.mem != nil)
	}
	got := ran.Result()
	if len(got.Flows) != flows || got.Summary.Dropped != 0 || got.Summary.FlowsAllowed != flows {
		t.Fatalf("%d flows, %d dropped, %d allowed: want %d flows all allowed", len(got.Flows), got.Summary.Dropped, got.Summary.FlowsAllowed, flows)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Run's result differs from Step's: run %+v, step %+v", got.Summary, want.Summary)
	}
	ran.Release()
	stepped.Release()
}

// observedSource numbers randSource's packets (Frame) and records the
// frames the engine reports dropped (DropObserver).
type observedSource struct {
	randSource
	n       uint64
	dropped []uint64
}

func (o *observedSource) Next(p *Packet) (bool, error) {
	ok, err := o.randSource.Next(p)
	if ok {
		o.n++
		p.Frame = o.n
	}
	return ok, err
}

func (o *observedSource) Dropped(p *Packet) { o.dropped = append(o.dropped, p.Frame) }

// TestDropObserverSeesEveryDropInOrder: a source implementing DropObserver
// is told, in order, of exactly the packets Step reports not forwarded,
// though Run reads it ahead (a replay's --write-dropped).
func TestDropObserverSeesEveryDropInOrder(t *testing.T) {
	newSrc := func() *observedSource {
		return &observedSource{randSource: randSource{rng: rand.New(rand.NewPCG(3, 7)), n: 3000}}
	}
	stepped := benchWorld().engine(t, Options{Replay: true})
	var want []uint64
	feed(newSrc(), func(p *Packet) {
		if !stepped.Step(p).Forwarded {
			want = append(want, p.Frame)
		}
	})
	ran := benchWorld().engine(t, Options{Replay: true})
	obs := newSrc()
	ran.AddSource(obs)
	if err := ran.RunTo(Never); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !slices.Equal(obs.dropped, want) {
		t.Errorf("observed %d drops, Step %d; first differ at %v", len(obs.dropped), len(want), firstDifference(obs.dropped, want))
	}
}

func firstDifference(a, b []uint64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
