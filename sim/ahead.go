package sim

import (
	"unsafe"

	"github.com/ctsim/ctsim/sim/memhint"
	"github.com/ctsim/ctsim/sim/packet"
)

// Reading ahead. A capture replay looks up three large tables per packet —
// the flow index, the source's and the destination's conntrack tables —
// and with a hundred thousand flows or more nearly every lookup misses the
// CPU caches. One miss costs as much as the rest of the packet's work, but
// misses of different packets can overlap. So Run reads each source a few
// packets ahead and, as a packet comes closer to its turn, asks the CPU to
// fetch what its lookups will touch: the flow index slot when it is read,
// its flow record a few packets later (the slot is cached by then), the
// conntrack slots of its endpoints' tables just before its turn (the flow
// record names the endpoints). The hints change nothing: a packet whose
// hint went stale (a new flow, a table resized meanwhile) is processed
// exactly as without them.

// readAhead is how many packets Run reads ahead of the one it processes,
// and the distances at which it prefetches the flow record and the
// conntrack slots.
const (
	readAhead     = 8 // a power of two
	aheadFlow     = 4
	aheadConntrak = 2
)

// ring holds a source's read-ahead packets with their flow hashes and
// flow indexes (-1: unknown).
type ring struct {
	pkt       [readAhead]Packet
	key       [readAhead]flowHint
	flow      [readAhead]int32
	head, len int
}

// at returns the ring position of the i-th packet after the head.
func (r *ring) at(i int) int { return (r.head + i) & (readAhead - 1) }

// fill reads s ahead until its ring is full or the source ends, hinting
// the flow index slot of each packet read.
func (e *Engine) fill(s *sourceState) {
	r := s.ring
	for r.len < readAhead && !s.done {
		j := r.at(r.len)
		ok, err := s.src.Next(&r.pkt[j])
		if !ok {
			s.done, s.err = true, err
			return
		}
		r.len++
		p, fh := &r.pkt[j], &r.key[j]
		fh.ctSrcIsA = fh.ct.SetPacket(p)
		fh.ctHash, fh.ctOK = fh.ct.Hash(), true
		if p.Proto == packet.ProtoTCP || p.Proto == packet.ProtoUDP || p.IsICMPEcho() {
			// The flow key is the conntrack key: same sides, same order,
			// same hash (flowKey.hash).
			a, b, ap, bp := fh.ct.Sides()
			fh.key = flowKey{a: a, b: b, aport: ap, bport: bp, proto: p.Proto, v6: p.Src.Is6()}
			fh.srcIsA, fh.hash = fh.ctSrcIsA, fh.ctHash
		} else {
			fh.srcIsA = fh.key.setPacket(p)
			fh.hash = fh.key.hash()
		}
		h := fh.hash
		r.flow[j] = -1
		if len(e.flowIdx.slots) > 0 {
			memhint.Prefetch(uintptr(unsafe.Pointer(&e.flowIdx.slots[h&e.flowIdx.mask])))
		}
	}
}

// take moves the ring's head packet to s.next and hints the lookups of the
// packets behind it. It reports false when the ring is empty.
func (e *Engine) take(s *sourceState) bool {
	r := s.ring
	if r.len == 0 {
		return false
	}
	s.next, s.nextKey = &r.pkt[r.head], &r.key[r.head]
	r.head = r.at(1)
	r.len--
	if aheadFlow-1 < r.len {
		j := r.at(aheadFlow - 1)
		if i := e.flowIdx.peek(r.key[j].hash); i >= 0 && int(i) < len(e.flows) {
			r.flow[j] = i
			// A record spans three cache lines; its counters and last-seen
			// time sit at the end.
			memhint.PrefetchSpan(uintptr(unsafe.Pointer(&e.flows[i])), unsafe.Sizeof(flowState{}))
		}
	}
	if aheadConntrak-1 < r.len {
		j := r.at(aheadConntrak - 1)
		if i := r.flow[j]; i >= 0 && int(i) < len(e.flows) {
			fl := &e.flows[i]
			for side, fi := range fl.ends {
				if fi >= 0 {
					if t := e.net.ifaces[fi].table; t != nil {
						// Where the entry was last found, or else where
						// its search starts.
						if s := fl.ctSlot[side]; s >= 0 {
							t.PrefetchSlot(s)
						} else {
							t.PrefetchHashed(r.key[j].ctHash)
						}
					}
				}
			}
		}
	}
	return true
}

// peek returns the flow index of the first slot whose tag matches hash h,
// without comparing keys (a hint only), or -1.
func (t *flowTable) peek(h uint64) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	tag := uint32(h >> 32)
	for i, n := h&t.mask, 0; n < 4; i, n = (i+1)&t.mask, n+1 {
		s := t.slots[i]
		if s.idx == 0 {
			return -1
		}
		if s.tag == tag {
			return int32(s.idx - 1)
		}
	}
	return -1
}
