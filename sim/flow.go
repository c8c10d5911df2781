package sim

import (
	"encoding/binary"
	"net/netip"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/memhint"
	"github.com/ctsim/ctsim/sim/packet"
)

// flowKey identifies a flow in both directions: the tuple normalised so that
// (a, aport) ≤ (b, bport). It is pointer-free (STYLE.md lesson 1). v6 keeps
// an IPv4 flow apart from an IPv6 flow between IPv4-mapped addresses.
type flowKey struct {
	a, b         addrKey
	aport, bport uint16
	proto        uint8
	v6           bool
}

// equal reports whether k and o are the same key. Field by field, the
// compiler compares inline; == on the whole struct calls memequal.
func (k *flowKey) equal(o *flowKey) bool {
	return k.a == o.a && k.b == o.b && k.aport == o.aport && k.bport == o.bport && k.proto == o.proto && k.v6 == o.v6
}

// makeFlowKey returns t's direction-free key and whether t travels a→b.
// A flow whose two sides are equal counts as a→b both ways.
func makeFlowKey(t packet.Tuple) (flowKey, bool) {
	k := flowKey{a: keyOf(t.Src), b: keyOf(t.Dst), aport: t.SrcPort, bport: t.DstPort, proto: t.Proto, v6: t.Src.Is6()}
	return k, k.canon()
}

// setPacket sets k to makeFlowKey(p.Tuple()) and returns its bool, in place
// and without building the tuple (once per packet read).
func (k *flowKey) setPacket(p *Packet) bool {
	k.a, k.b = keyOf(p.Src), keyOf(p.Dst)
	k.proto, k.v6 = p.Proto, p.Src.Is6()
	switch {
	case packet.HasPorts(p.Proto):
		k.aport, k.bport = p.SrcPort, p.DstPort
	case p.IsICMPEcho():
		k.aport, k.bport = p.ICMPID, p.ICMPID
	default:
		k.aport, k.bport = 0, 0
	}
	return k.canon()
}

// canon orders k's sides (see makeFlowKey) and reports whether they were
// already in order.
func (k *flowKey) canon() bool {
	if less16(&k.b, &k.a) || (k.a == k.b && k.bport < k.aport) {
		k.a, k.b = k.b, k.a
		k.aport, k.bport = k.bport, k.aport
		return false
	}
	return true
}

func less16(x, y *addrKey) bool {
	x0, y0 := binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(y[:8])
	if x0 != y0 {
		return x0 < y0
	}
	return binary.BigEndian.Uint64(x[8:]) < binary.BigEndian.Uint64(y[8:])
}

// hash returns the key's hash: conntrack's for a key of the same sides,
// so that a TCP or UDP packet read ahead is hashed once for the flow index
// and both conntrack tables (see Engine.fill).
func (k *flowKey) hash() uint64 {
	return conntrack.HashSides((*[16]byte)(&k.a), (*[16]byte)(&k.b), k.aport, k.bport, k.proto, k.v6)
}

// addr returns the side's address in the key's family.
func (k *flowKey) addr(b *addrKey) netip.Addr {
	a := netip.AddrFrom16(*b)
	if !k.v6 {
		return a.Unmap()
	}
	return a
}

// Tracking-class bits of a flow.
const (
	clsTracked uint8 = 1 << iota
	clsUntracked
	clsNotFiltered
)

// Flow flag bits.
const (
	// flInitIsA: the initiator is the key's side a.
	flInitIsA uint8 = 1 << iota
	// flBlockedFirst: the flow's first packet was dropped before reaching
	// the responder (Options.Replay's never-sent rule).
	flBlockedFirst
	// flNFInit, flNFResp: the initiator's or responder's address is one AWS
	// does not filter (SPEC.md §1.5).
	flNFInit
	flNFResp
	// flUntracked0, flUntracked1: the flow was last classified untracked
	// on the initiator's (0) or responder's (1) interface (see
	// flUntrackedSide).
	flUntracked0
	flUntracked1
	// flExpired0, flExpired1: flowCold.expiredAt[side] is set (see
	// flExpiredSide), so a drop reads the cold record only then.
	flExpired0
	flExpired1
)

// flExpiredSide returns the flag bit recording that the flow's entry on
// side's interface expired (flowCold.expiredAt[side] is set).
func flExpiredSide(side int) uint8 { return flExpired0 << side }

// flUntrackedSide returns the flag bit recording that the flow is untracked
// on side's interface.
func flUntrackedSide(side int) uint8 { return flUntracked0 << side }

// flowState is a flow while the run goes on: compact and pointer-free,
// since a capture may hold millions of flows. Names and strings are made
// only when the Result is built, and what the first drop's explanation
// needs lives in Engine.drops, so a new flow costs no allocation beyond the
// growth of the flow table.
type flowState struct {
	key   flowKey
	flags uint8
	class uint8
	// namer is the index in Engine.namers of the source that started the
	// flow, or -1.
	namer int16
	// ends are the network.ifaces indices of the initiator and the
	// responder (after public-address NAT), or -1: addresses never change
	// owner during a run, so they are resolved once per flow.
	ends [2]int32
	// drop is the index in Engine.drops of the flow's first drop, or -1.
	drop int32

	packetsOut, packetsBack uint64
	bytesOut, bytesBack     uint64
	fwdOut, fwdBack         uint64
	last                    Time

	// ctSlot[side] is where the flow's conntrack entry on the initiator's
	// (0) or responder's (1) interface was last found: a hint for reading
	// ahead and for the lookup, checked before use (conntrack.Table.Peek).
	ctSlot [2]int32
	// naclPass has bit 1<<side set when the network ACLs on the path of
	// that direction (0: from the initiator) are known to allow the
	// flow's packets under the rules of Engine.epoch naclEpoch (see
	// fastWalk).
	naclPass  uint8
	naclEpoch uint32
}

// noteExpired records that flow fi's conntrack entry on side's interface
// expired at at, in state st.
func (e *Engine) noteExpired(fi int32, side int, at Time, st conntrack.State) {
	e.flows[fi].flags |= flExpiredSide(side)
	c := &e.cold[fi]
	c.expiredAt[side], c.expiredState[side] = at, st
}

// expiredAt returns when flow fi's entry on side's interface expired, or 0.
func (e *Engine) expiredAt(fi int32, side int) Time {
	if e.flows[fi].flags&flExpiredSide(side) == 0 {
		return 0
	}
	return e.cold[fi].expiredAt[side]
}

// flowCold is the part of a flow that the fast path never reads, kept in
// Engine.cold beside Engine.flows so that a flowState is 128 bytes: two
// cache lines to fetch per packet rather than three.
type flowCold struct {
	first Time
	// expiredAt[side] is when the conntrack entry of this flow on the
	// initiator's (0) or responder's (1) interface was swept, or 0.
	expiredAt [2]Time
	// expiredState[side] is the state that entry expired in (TCP
	// TIME_WAIT, say), so the hint can name the timeout that applied.
	expiredState [2]conntrack.State
}

// tuple returns the flow's tuple from initiator to responder.
func (fl *flowState) tuple() packet.Tuple {
	k := &fl.key
	t := packet.Tuple{Src: k.addr(&k.a), Dst: k.addr(&k.b), SrcPort: k.aport, DstPort: k.bport, Proto: k.proto}
	if fl.flags&flInitIsA == 0 {
		t = t.Reverse()
	}
	return t
}

// packets returns the number of packets of the flow so far.
func (fl *flowState) packets() uint64 { return fl.packetsOut + fl.packetsBack }

// flowDrop is what the explanation of a flow's first drop needs beyond the
// counters: the Step, the packet as the filters saw it and the rules in
// force then (a later change must not rewrite the explanation).
type flowDrop struct {
	drop   Drop
	packet Packet
	rules  *firewall.RuleSet
	// tm are the timeouts of the interface of a conntrack_entry_expired
	// drop as they stood at the drop (a later SetTracking must not change
	// the explanation); ok reports whether they were recorded.
	tm   conntrack.Timeouts
	tmOK bool
	// state is the state the expired entry was in.
	state conntrack.State
}

// flowTable indexes Engine.flows by key: open addressing with linear
// probing over 8-byte slots (part of the key's hash and the flow's index),
// so the index of a million flows stays a few megabytes and a lookup
// touches one slot and one flow. Flows are never removed.
type flowTable struct {
	slots []flowSlot
	mem   *memhint.Mem // holds slots if they are outside the Go heap
	mask  uint64
	n     int
}

// flowSlot is one slot: idx is the flow's index plus one (0: empty), tag
// the hash's high half.
type flowSlot struct {
	tag uint32
	idx uint32
}

// find returns the index of the flow with key k and hash h, or -1.
func (t *flowTable) find(flows []flowState, k *flowKey, h uint64) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	tag := uint32(h >> 32)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s.idx == 0 {
			return -1
		}
		if s.tag == tag && flows[s.idx-1].key.equal(k) {
			return int32(s.idx - 1)
		}
	}
}

// add indexes flow idx, whose key has hash h and is absent, growing the
// table to keep its load at most 1/2.
func (t *flowTable) add(flows []flowState, h uint64, idx int32) {
	if (t.n+1)*2 > len(t.slots) {
		t.grow(flows, max(2*len(t.slots), 1024))
	}
	t.put(h, idx)
	t.n++
}

func (t *flowTable) put(h uint64, idx int32) {
	i := h & t.mask
	for t.slots[i].idx != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = flowSlot{tag: uint32(h >> 32), idx: uint32(idx) + 1}
}

func (t *flowTable) grow(flows []flowState, n int) {
	old, oldMem := t.slots, t.mem
	t.slots, t.mem = memhint.Make[flowSlot](n)
	t.mask = uint64(n - 1)
	for _, s := range old {
		if s.idx != 0 {
			t.put(flows[s.idx-1].key.hash(), int32(s.idx-1))
		}
	}
	oldMem.Free()
}

// release frees the index's memory now.
func (t *flowTable) release() {
	t.mem.Free()
	*t = flowTable{}
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
	cls       uint8 // the first fragment's tracking class bits
	flow      int32
	step      Step
}

// counters are the run's totals.
type counters struct {
	read, forwarded, dropped uint64
	reordered                uint64
	// dropBy counts drops by filter and reason: a handful of keys, so a
	// slice scanned in order beats hashing a string per drop.
	dropBy []dropCount
	fwdBy  [4]uint64 // tracked, untracked, not_filtered, no_filter
}

// dropKey labels a drop for Summary.DroppedBy.
type dropKey struct {
	filter string
	reason firewall.Reason
}

// dropCount is one entry of counters.dropBy.
type dropCount struct {
	key dropKey
	n   uint64
}

// countDrop counts one drop by filter and reason.
func (c *counters) countDrop(filter string, reason firewall.Reason) {
	for i := range c.dropBy {
		if d := &c.dropBy[i]; d.key.reason == reason && d.key.filter == filter {
			d.n++
			return
		}
	}
	c.dropBy = append(c.dropBy, dropCount{key: dropKey{filter, reason}, n: 1})
}

var fwdByNames = [4]string{"tracked", "untracked", "not_filtered", "no_filter"}

// flowHint is a packet's flow key, its direction and hash, and maybe its
// conntrack key (ctOK), computed ahead.
type flowHint struct {
	key      flowKey
	srcIsA   bool
	ctSrcIsA bool
	ctOK     bool
	hash     uint64
	ct       conntrack.Key
	ctHash   uint64 // ct.Hash(), when ctOK
}

// flowFor returns the index of q's flow, creating it, and whether q travels
// from the responder. namer is the index of q's source in Engine.namers, or
// -1. pre, if not nil, is q's flow key computed ahead.
func (e *Engine) flowFor(q *Packet, namer int16, pre *flowHint) (int32, bool) {
	var own flowKey
	k := &own
	var srcIsA bool
	var h uint64
	if pre != nil {
		k, srcIsA, h = &pre.key, pre.srcIsA, pre.hash
	} else {
		srcIsA = own.setPacket(q)
		h = own.hash()
	}
	if i := e.flowIdx.find(e.flows, k, h); i >= 0 {
		return i, srcIsA != (e.flows[i].flags&flInitIsA != 0)
	}
	i := int32(len(e.flows))
	fl := flowState{key: *k, namer: namer, drop: -1,
		ends: [2]int32{e.net.lookup(q.Src), e.net.lookup(q.Dst)}, ctSlot: [2]int32{-1, -1}}
	if srcIsA {
		fl.flags |= flInitIsA
	}
	if _, ok := e.net.notFiltered[keyOf(q.Src)]; ok {
		fl.flags |= flNFInit
	}
	if _, ok := e.net.notFiltered[keyOf(q.Dst)]; ok {
		fl.flags |= flNFResp
	}
	if len(e.flows) == cap(e.flows) || len(e.cold) == cap(e.cold) {
		e.growFlows()
	}
	e.flows = append(e.flows, fl)
	e.cold = append(e.cold, flowCold{first: e.now})
	e.flowIdx.add(e.flows, h, i)
	return i, false
}

// growFlows doubles the capacity of the flow records and their cold parts
// (outside the Go heap when large, see memhint.Make), freeing the old copies.
func (e *Engine) growFlows() {
	n := max(2*cap(e.flows), 1024)
	fs, fm := memhint.Make[flowState](n)
	cs, cm := memhint.Make[flowCold](n)
	fs, cs = fs[:len(e.flows)], cs[:len(e.cold)]
	copy(fs, e.flows)
	copy(cs, e.cold)
	e.flowMem.Free()
	e.coldMem.Free()
	e.flows, e.flowMem, e.cold, e.coldMem = fs, fm, cs, cm
}

// findFlow returns the index of the flow of tuple t, or -1.
func (e *Engine) findFlow(t packet.Tuple) int32 {
	k, _ := makeFlowKey(t)
	return e.flowIdx.find(e.flows, &k, k.hash())
}
