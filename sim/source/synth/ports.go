package synth

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/ctsim/ctsim/sim/packet"
)

// allocKey is what a source port (or echo identifier) must be unique
// within: a client talking to one server port over one protocol.
type allocKey struct {
	client, server netip.Addr
	proto          uint8
	dport          uint16
}

// span is the time a session holds its port (see builder.hold) and the
// index of its flow.
type span struct {
	from, to packet.Time
	flow     int
}

func (s span) overlaps(o span) bool { return s.from <= o.to && o.from <= s.to }

// forever is the end of a span that lasts until the end of the run.
const forever = packet.Time(1<<63 - 1)

// portUse records, per port, the sessions that held it.
type portUse map[uint16][]span

// free reports whether s may take port: no session holds it during s, and
// no session of another flow has ever used it, because the simulator keeps
// one flow per tuple for the whole run and could not tell the two flows
// apart (see New).
func (u portUse) free(port uint16, s span) bool {
	for _, o := range u[port] {
		if o.overlaps(s) || o.flow != s.flow {
			return false
		}
	}
	return true
}

// hold returns the time session s holds its port or identifier: from its
// first to its last packet, or to the end of the run for a TCP session
// with close "none", whose connection stays open after its last packet.
func (b *builder) hold(s *session) span {
	f := &b.flows[s.flow]
	sp := span{from: s.start, to: s.end, flow: s.flow}
	if f.Kind == TCP && len(f.Script) == 0 && f.Close == CloseNone {
		sp.to = forever
	}
	return sp
}

// seqKey identifies a sequential allocator: one counter per client address
// and range, shared by all that client's flows (as an OS shares one).
type seqKey struct {
	client netip.Addr
	r      packet.PortRange
}

// echoIDs is the range ICMP echo identifiers are drawn from.
var echoIDs = packet.PortRange{Lo: 1, Hi: 65535}

// portRange returns the range a client draws source ports from: its
// custom Ports, else its OS profile's range (SPEC.md §4), else linux's.
func (e *Endpoint) portRange() packet.PortRange {
	if e.Ports != (packet.PortRange{}) {
		return e.Ports
	}
	os := e.OS
	if os == "" {
		os = "linux"
	}
	r, _ := packet.EphemeralRange(os)
	return r
}

// allocate gives every session that needs one a source port (TCP, UDP,
// SCTP) or echo identifier (ICMP echo), in time order so that sequential
// allocation counts up as time goes on. Fixed ports are registered first so
// that allocated ones avoid them.
//
// A random port is drawn uniformly from the range, then probed upwards
// (wrapping) for one that no session of the same allocKey has used yet;
// only when all have been used is one reused, and never while another
// session holds it. A sequential port is the next one from the client's
// counter that no session of the same allocKey holds at the time. Neither
// takes a port another flow of the same allocKey has used (portUse.free).
func (b *builder) allocate() error {
	used := map[allocKey]portUse{}
	cursor := map[seqKey]uint16{}
	var todo []int
	for i := range b.sessions {
		s := &b.sessions[i]
		f := &b.flows[s.flow]
		if f.Kind != ICMPEcho && !f.hasPorts() {
			continue
		}
		if s.sport == 0 {
			todo = append(todo, i)
			continue
		}
		k := b.allocKey(s)
		if used[k] == nil {
			used[k] = portUse{}
		}
		used[k][s.sport] = append(used[k][s.sport], b.hold(s))
	}
	slices.SortStableFunc(todo, func(x, y int) int { return cmp.Compare(b.sessions[x].start, b.sessions[y].start) })
	for _, i := range todo {
		s := &b.sessions[i]
		f := &b.flows[s.flow]
		k := b.allocKey(s)
		u := used[k]
		if u == nil {
			u = portUse{}
			used[k] = u
		}
		sp := b.hold(s)
		r := f.Client.portRange()
		if f.Kind == ICMPEcho {
			r = echoIDs
		}
		var port uint16
		var ok bool
		if f.Kind != ICMPEcho && f.Client.Sequential {
			ck := seqKey{s.client, r}
			cur, started := cursor[ck]
			if !started {
				cur = r.Lo
			}
			port, ok = probe(r, cur, func(p uint16) bool { return u.free(p, sp) })
			if ok {
				cursor[ck] = next(r, port)
			}
		} else {
			start := r.Lo + uint16(b.rng.IntN(r.Size()))
			port, ok = probe(r, start, func(p uint16) bool { return len(u[p]) == 0 })
			if !ok {
				port, ok = probe(r, start, func(p uint16) bool { return u.free(p, sp) })
			}
		}
		if !ok {
			what := "source port"
			if f.Kind == ICMPEcho {
				what = "echo identifier"
			}
			return f.errorf("client.ports", "client %s has no free %s in %d-%d for session %d at %s: all are in use", s.client, what, r.Lo, r.Hi, s.idx+1, s.start)
		}
		s.sport = port
		u[port] = append(u[port], sp)
	}
	return nil
}

func (b *builder) allocKey(s *session) allocKey {
	f := &b.flows[s.flow]
	return allocKey{client: s.client, server: s.peer, proto: f.proto(), dport: s.dport}
}

// probe returns the first port from start upwards, wrapping within r, for
// which ok holds.
func probe(r packet.PortRange, start uint16, ok func(uint16) bool) (uint16, bool) {
	p := start
	for range r.Size() {
		if ok(p) {
			return p, true
		}
		p = next(r, p)
	}
	return 0, false
}

// next returns the port after p in r, wrapping from Hi to Lo.
func next(r packet.PortRange, p uint16) uint16 {
	if p >= r.Hi {
		return r.Lo
	}
	return p + 1
}

// checkTuples rejects two flows whose sessions share a tuple (in either
// direction). The simulator keeps one flow per tuple for the whole run
// (sim.Flow), so packets of both would be reported as one connection under
// one name: at overlapping times the two "connections" are in fact one,
// and one after the other the later one's packets would carry the earlier
// one's name. Allocated ports never collide (portUse.free); fixed ports
// and identifiers may. ICMP error flows are not checked: their packets
// belong to the flow they quote.
func (b *builder) checkTuples() error {
	seen := make(map[packet.Tuple]int, len(b.sessions)) // canonical tuple → session
	for i := range b.sessions {
		s := &b.sessions[i]
		f := &b.flows[s.flow]
		if f.Kind == ICMPError {
			continue
		}
		t := canonical(b.tuple(s))
		j, dup := seen[t]
		if !dup {
			seen[t] = i
			continue
		}
		o := &b.sessions[j]
		if o.flow == s.flow {
			continue
		}
		of := &b.flows[o.flow]
		when := "after it"
		if b.hold(o).overlaps(b.hold(s)) {
			when = "at the same time"
		}
		return f.errorf(f.tupleField(), "session %d has the tuple %s of flow %q (session %d), %s; the simulator keeps one flow per tuple, so give one of them another %s",
			s.idx+1, b.tuple(s), of.Name, o.idx+1, when, f.tupleWhat())
	}
	return nil
}

// tupleField is the field that fixes a flow's tuple, for errors.
func (f *Flow) tupleField() string {
	switch {
	case f.Kind == ICMPEcho && f.ID != 0:
		return "id"
	case f.SrcPort != 0:
		return "src_port"
	}
	return "client"
}

// tupleWhat names what makes two flows' tuples differ, for errors.
func (f *Flow) tupleWhat() string {
	switch {
	case f.Kind == ICMPEcho:
		return "id"
	case f.hasPorts():
		return "src_port"
	}
	return "client or server"
}

// canonical returns t or its reverse, whichever sorts first, so that both
// directions of a tuple give the same key.
func canonical(t packet.Tuple) packet.Tuple {
	r := t.Reverse()
	if c := t.Src.Compare(r.Src); c > 0 || (c == 0 && t.SrcPort > r.SrcPort) {
		return r
	}
	return t
}
