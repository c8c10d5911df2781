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

// span is the time a session holds its port: first to last packet.
type span struct{ from, to packet.Time }

func (s span) overlaps(o span) bool { return s.from <= o.to && o.from <= s.to }

// portUse records, per port, the sessions that held it.
type portUse map[uint16][]span

func (u portUse) free(port uint16, s span) bool {
	for _, o := range u[port] {
		if o.overlaps(s) {
			return false
		}
	}
	return true
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
// counter that no session of the same allocKey holds at the time.
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
		used[k][s.sport] = append(used[k][s.sport], span{s.start, s.end})
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
		sp := span{s.start, s.end}
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
