package synth

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/ctsim/ctsim/sim/packet"
)

// pcgStream is xored with the seed to make the PCG's second word, so that
// seed 0 still gives a well-mixed stream.
const pcgStream = 0x9e3779b97f4a7c15

// Generator replays the packets of a set of flows in time order. It
// implements packet.Source and sim's optional FlowNamer. Its packets are
// fixed by New; a Generator is not safe for concurrent use.
type Generator struct {
	pkts  []packet.Packet
	sess  []int32 // session index of each packet
	next  int
	names map[packet.Tuple]int32 // client→server tuple → flow index
	flows []string               // flow names by index
	infos []FlowInfo
}

// New validates flows, allocates source ports and ICMP identifiers, and
// materialises every packet of every session, sorted by (time, flow order,
// session, step). The same flows and seed always give the same packets.
// Errors are *FieldError naming the flow and field.
func New(flows []Flow, seed uint64) (*Generator, error) {
	return newGenerator(flows, seed, MaxPackets)
}

// newGenerator is New with a packet limit (tests lower it).
func newGenerator(flows []Flow, seed uint64, maxPackets int) (*Generator, error) {
	b := &builder{
		flows:      flows,
		rng:        rand.New(rand.NewPCG(seed, seed^pcgStream)),
		maxPackets: maxPackets,
	}
	index, err := b.validate()
	if err != nil {
		return nil, err
	}
	if err := b.layout(); err != nil {
		return nil, err
	}
	if err := b.allocate(); err != nil {
		return nil, err
	}
	if err := b.checkTuples(); err != nil {
		return nil, err
	}
	b.resolveQuotes(index)
	return b.generator(), nil
}

// validate validates every flow and the references between them, and
// returns the index of each flow by name.
func (b *builder) validate() (map[string]int, error) {
	flows := b.flows
	index := make(map[string]int, len(flows))
	for i := range flows {
		f := &flows[i]
		if err := f.Validate(); err != nil {
			return nil, err
		}
		if j, dup := index[f.Name]; dup {
			return nil, f.errorf("name", "name %q is used by flow %d too; flow names must be unique", f.Name, j+1)
		}
		index[f.Name] = i
	}
	for i := range flows {
		f := &flows[i]
		if f.Kind != ICMPError {
			continue
		}
		q, ok := index[f.Quote]
		if !ok {
			return nil, f.errorf("quote", "quote %q names no flow", f.Quote)
		}
		if flows[q].Kind == ICMPError {
			return nil, f.errorf("quote", "quote %q names another icmp-error flow; errors quote tcp, udp, icmp-echo or other flows", f.Quote)
		}
		if flows[q].is6() != f.is6() {
			return nil, f.errorf("quote", "quote %q is a flow of the other address family than client %s", f.Quote, f.Client.Addr)
		}
	}
	return index, nil
}

// Plan lays out flows as New does, but keeps no packets and allocates no
// ports: it returns one FlowInfo per session (in Flows order, with a zero
// Tuple) and, per session, how many of its packets are at or before
// horizon. It is much cheaper than New for checking a run's duration
// against the traffic. Errors are New's, except those of port allocation.
func Plan(flows []Flow, seed uint64, horizon packet.Time) ([]FlowInfo, []int, error) {
	return plan(flows, seed, horizon, MaxPackets)
}

// plan is Plan with a packet limit (tests lower it).
func plan(flows []Flow, seed uint64, horizon packet.Time, maxPackets int) ([]FlowInfo, []int, error) {
	b := &builder{
		flows:      flows,
		rng:        rand.New(rand.NewPCG(seed, seed^pcgStream)),
		maxPackets: maxPackets,
		plan:       true,
		horizon:    horizon,
	}
	if _, err := b.validate(); err != nil {
		return nil, nil, err
	}
	if err := b.layout(); err != nil {
		return nil, nil, err
	}
	infos := make([]FlowInfo, len(b.sessions))
	for i := range b.sessions {
		s := &b.sessions[i]
		f := &b.flows[s.flow]
		infos[i] = FlowInfo{Name: f.Name, Flow: s.flow, Session: s.idx, Kind: f.Kind,
			Start: s.start, End: s.end, Packets: s.n}
	}
	return infos, b.until, nil
}

// Next fills *p with the next packet and reports false after the last one.
// It never fails and does not allocate.
func (g *Generator) Next(p *packet.Packet) (bool, error) {
	if g.next >= len(g.pkts) {
		return false, nil
	}
	*p = g.pkts[g.next]
	g.next++
	return true, nil
}

// Reset rewinds the generator to its first packet.
func (g *Generator) Reset() { g.next = 0 }

// Len returns the total number of packets the generator yields.
func (g *Generator) Len() int { return len(g.pkts) }

// FlowName returns the name of the flow one of whose sessions has tuple t
// in either direction, or "" if none has. New rejects two flows sharing a
// tuple at any time (the simulator keeps one flow per tuple for the whole
// run, so a name by time could not be reported), except ICMP error flows,
// where the first flow's name wins. It does not allocate.
func (g *Generator) FlowName(t packet.Tuple) string {
	if i, ok := g.names[t]; ok {
		return g.flows[i]
	}
	if i, ok := g.names[t.Reverse()]; ok {
		return g.flows[i]
	}
	return ""
}

// PacketsUntil returns, per session (in Flows order), how many of its
// packets are at or before t: the packets a run with horizon t simulates.
// A session with fewer than its FlowInfo.Packets was cut short.
func (g *Generator) PacketsUntil(t packet.Time) []int {
	out := make([]int, len(g.infos))
	for i := range g.infos {
		out[i] = g.infos[i].Packets
	}
	cut, _ := slices.BinarySearchFunc(g.pkts, t, func(p packet.Packet, t packet.Time) int {
		if p.At <= t {
			return -1
		}
		return 1
	})
	for _, s := range g.sess[cut:] {
		out[s]--
	}
	return out
}

// Flows returns one FlowInfo per generated session, in flow order then
// session order. The slice is a copy.
func (g *Generator) Flows() []FlowInfo { return slices.Clone(g.infos) }

// session is one session of a flow while the generator is being built.
type session struct {
	flow, idx    int
	start, end   packet.Time
	first, n     int // its items: b.items[first : first+n]
	client, peer netip.Addr
	sport, dport uint16 // ports, or the echo identifier in sport
	inner        packet.Tuple
}

// item is a packet being laid out: the fields that differ from packet to
// packet of a session. Addresses, ports and protocol come from its session
// when the Generator is built. It is 32 bytes and pointer-free, so that
// laying out millions of packets stays cheap for the garbage collector.
type item struct {
	At                 packet.Time
	Seq, Ack, Length   uint32
	sess               int32
	Flags              packet.TCPFlags
	ICMPType, ICMPCode uint8
	back               bool // server→client
}

// builder holds the state of New.
type builder struct {
	flows    []Flow
	rng      *rand.Rand
	items    []item
	sessions []session
	first    []int // first session index per flow
	err      error
	// maxPackets is the most items layout may make (MaxPackets).
	maxPackets int
	// plan makes emit count packets instead of keeping them (Plan): total
	// is their number, scratch receives each, and until per session counts
	// those at or before horizon.
	plan    bool
	total   int
	scratch item
	horizon packet.Time
	until   []int
}

// emit appends a packet of the current session at time at, in the
// direction back (server→client) or not, and returns it for the caller to
// fill. It returns a scratch packet and records an error once MaxPackets
// is exceeded.
func (b *builder) emit(at packet.Time, back bool) *item {
	if b.plan {
		if b.total >= b.maxPackets && b.err == nil {
			s := &b.sessions[len(b.sessions)-1]
			f := &b.flows[s.flow]
			b.err = f.errorf("count", "the flows make more than %d packets (at flow %q session %d)", b.maxPackets, f.Name, s.idx+1)
		}
		b.total++
		s := &b.sessions[len(b.sessions)-1]
		s.n++
		s.end = max(s.end, at)
		if at <= b.horizon {
			b.until[len(b.sessions)-1]++
		}
		b.scratch = item{At: at}
		return &b.scratch
	}
	if len(b.items) >= b.maxPackets {
		if b.err == nil {
			s := &b.sessions[len(b.sessions)-1]
			f := &b.flows[s.flow]
			b.err = f.errorf("count", "the flows make more than %d packets (at flow %q session %d)", b.maxPackets, f.Name, s.idx+1)
		}
		b.items = b.items[:0]
	}
	b.items = append(b.items, item{At: at, sess: int32(len(b.sessions) - 1), back: back})
	return &b.items[len(b.items)-1]
}

// resolveQuotes points each ICMP error session at the quoted flow's
// session: its destination and the tuple it quotes.
func (b *builder) resolveQuotes(index map[string]int) {
	for i := range b.sessions {
		s := &b.sessions[i]
		f := &b.flows[s.flow]
		if f.Kind != ICMPError {
			continue
		}
		q := index[f.Quote]
		n := b.count(q)
		j := min(s.idx, n-1)
		qs := &b.sessions[b.first[q]+j]
		t := b.tuple(qs)
		if f.QuoteTo == QuoteToServer {
			s.peer, s.inner = t.Dst, t.Reverse()
		} else {
			s.peer, s.inner = t.Src, t
		}
	}
}

// count returns the number of sessions of flow i.
func (b *builder) count(i int) int {
	if i+1 < len(b.first) {
		return b.first[i+1] - b.first[i]
	}
	return len(b.sessions) - b.first[i]
}

// tuple returns session s's tuple in the client→server direction, as
// packet.Tuple reports it for the client's packets.
func (b *builder) tuple(s *session) packet.Tuple {
	f := &b.flows[s.flow]
	t := packet.Tuple{Src: s.client, Dst: s.peer, Proto: f.proto()}
	switch {
	case f.Kind == ICMPEcho:
		t.SrcPort, t.DstPort = s.sport, s.sport
	case f.hasPorts():
		t.SrcPort, t.DstPort = s.sport, s.dport
	}
	return t
}

// generator sorts the items, turns them into packets with their
// session's addresses and ports, and builds the Generator.
func (b *builder) generator() *Generator {
	// Items were appended in (flow, session, step) order, so sorting by
	// (time, item index) gives (time, flow order, session, step).
	order := make([]int32, len(b.items))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		if c := cmp.Compare(b.items[x].At, b.items[y].At); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	g := &Generator{
		pkts:  make([]packet.Packet, len(b.items)),
		sess:  make([]int32, len(b.items)),
		names: make(map[packet.Tuple]int32, len(b.sessions)),
		flows: make([]string, len(b.flows)),
		infos: make([]FlowInfo, len(b.sessions)),
	}
	for i, j := range order {
		b.packet(&g.pkts[i], &b.items[j])
		g.sess[i] = b.items[j].sess
	}
	for i := range b.flows {
		g.flows[i] = b.flows[i].Name
	}
	for i := range b.sessions {
		s := &b.sessions[i]
		f := &b.flows[s.flow]
		t := b.tuple(s)
		if _, seen := g.names[t]; !seen {
			g.names[t] = int32(s.flow)
		}
		g.infos[i] = FlowInfo{Name: f.Name, Flow: s.flow, Session: s.idx, Kind: f.Kind, Tuple: t,
			Start: s.start, End: s.end, Packets: s.n}
	}
	return g
}

// packet fills *p from it and its session.
func (b *builder) packet(p *packet.Packet, it *item) {
	s := &b.sessions[it.sess]
	f := &b.flows[s.flow]
	*p = packet.Packet{
		At: it.At, Src: s.client, Dst: s.peer, Proto: f.proto(), Flags: it.Flags,
		ICMPType: it.ICMPType, ICMPCode: it.ICMPCode, Seq: it.Seq, Ack: it.Ack, Length: it.Length,
	}
	switch {
	case f.Kind == ICMPEcho:
		p.ICMPID = s.sport
	case f.Kind == ICMPError:
		p.Inner = s.inner
	case f.hasPorts():
		p.SrcPort, p.DstPort = s.sport, s.dport
	}
	if it.back {
		p.Src, p.Dst = p.Dst, p.Src
		p.SrcPort, p.DstPort = p.DstPort, p.SrcPort
	}
}

// String describes the generator for debugging: its packet and session
// counts.
func (g *Generator) String() string {
	return fmt.Sprintf("synth.Generator{%d packets, %d sessions}", len(g.pkts), len(g.infos))
}
