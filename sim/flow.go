package sim

import (
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// flowKey identifies a flow in both directions: the tuple normalised so that
// (a, aport) ≤ (b, bport). It is pointer-free (STYLE.md lesson 1).
type flowKey struct {
	a, b         addrKey
	aport, bport uint16
	proto        uint8
}

// makeFlowKey returns t's direction-free key.
func makeFlowKey(t packet.Tuple) flowKey {
	k := flowKey{a: keyOf(t.Src), b: keyOf(t.Dst), aport: t.SrcPort, bport: t.DstPort, proto: t.Proto}
	if less16(k.b, k.a) || (k.a == k.b && k.bport < k.aport) {
		k.a, k.b = k.b, k.a
		k.aport, k.bport = k.bport, k.aport
	}
	return k
}

func less16(x, y addrKey) bool {
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

// Tracking-class bits of a flow.
const (
	clsTracked uint8 = 1 << iota
	clsUntracked
	clsNotFiltered
)

// flowState is a flow while the run goes on. Names and strings are made
// only when the Result is built, so a new flow costs no allocation beyond
// the growth of the flow table.
type flowState struct {
	tuple packet.Tuple // initiator → responder
	namer FlowNamer
	n     int // packets so far

	packetsOut, packetsBack uint64
	bytesOut, bytesBack     uint64
	fwdOut, fwdBack         uint64
	dropOut, dropBack       uint64
	first, last             Time
	class                   uint8

	// blockedFirst: the flow's first packet was dropped before reaching the
	// responder (Options.Replay's never-sent rule).
	blockedFirst bool
	hasDrop      bool
	drop         Drop
	// dropPacket and dropRules are what the hint of the first drop needs
	// beyond its Step: the packet as the filters saw it and the rules in
	// force then (a later change must not rewrite the explanation).
	dropPacket Packet
	dropRules  *firewall.RuleSet

	// expiredAt[side] is when the conntrack entry of this flow on the
	// initiator's (0) or responder's (1) interface was swept, or 0.
	expiredAt [2]Time
}

// fragKey identifies the fragments of one IP datagram.
type fragKey struct {
	src, dst addrKey
	id       uint32
	proto    uint8
}

// fragState remembers a first fragment's verdict.
type fragState struct {
	at        Time
	forwarded bool
	flow      int32
	step      Step
}

// counters are the run's totals.
type counters struct {
	read, forwarded, dropped uint64
	dropBy                   map[dropKey]uint64
	fwdBy                    [4]uint64 // tracked, untracked, not_filtered, no_filter
}

// dropKey labels a drop for Summary.DroppedBy.
type dropKey struct {
	filter string
	reason firewall.Reason
}

var fwdByNames = [4]string{"tracked", "untracked", "not_filtered", "no_filter"}

// flowFor returns the index of q's flow, creating it, and whether q travels
// from the responder.
func (e *Engine) flowFor(q *Packet, namer FlowNamer) (int32, bool) {
	t := q.Tuple()
	k := makeFlowKey(t)
	if i, ok := e.flowIdx[k]; ok {
		return i, e.flows[i].tuple.Src != t.Src || e.flows[i].tuple.SrcPort != t.SrcPort
	}
	i := int32(len(e.flows))
	e.flows = append(e.flows, flowState{tuple: t, namer: namer, first: e.now})
	e.flowIdx[k] = i
	return i, false
}
