package sim

import (
	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// The fast path. Nearly every packet of a capture replay is a TCP or UDP
// packet of a known flow that every security group on its path passes on
// a live conntrack entry and every network ACL allows. Run (without
// Options.Explain) keeps no per-packet trace, so such a packet needs
// neither its steps nor the network ACL rule that allowed it: fastWalk
// decides it with the conntrack tables and with the network ACL verdict
// the flow cached for its direction; it also passes at once the packets of
// flows with an end AWS does not filter, as walk does. Any other packet —
// a new flow, a missing or expired entry, a drop, an ICMP error, a
// fragment, a path through a gateway — is left, untouched, to walk, whose
// outcome for the packets fastWalk takes is the same
// (TestRunReadAheadChangesNothing proves it on scenarios meant to break
// it).
//
// Why the cache is exact: a network ACL's verdict on a TCP or UDP packet
// depends only on its protocol, addresses and ports (SPEC.md §3), which
// are the same for every packet of one direction of a flow, and on the
// rules, which only compile changes (it advances Engine.epoch, which
// dates the cache).

// fastWalk forwards q, a packet of flow fl (back: from the responder),
// and reports true with its tracking class bits, if an end of the flow is
// an address AWS does not filter, or if every security group on its path
// finds a live conntrack entry for it and every network ACL allows it; it
// then updates the entries and the interfaces' counters as walk would.
// Otherwise it changes nothing and reports false. pre, if not nil, holds
// q's keys computed ahead.
func (e *Engine) fastWalk(q *Packet, fl *flowState, back bool, pre *flowHint) (bool, uint8) {
	if fl.flags&(flNFInit|flNFResp) != 0 {
		// An end AWS does not filter: walk passes every packet.
		return true, clsNotFiltered
	}
	if fl.flags&flBlockedFirst != 0 || fl.packets() == 0 || (q.Proto != packet.ProtoTCP && q.Proto != packet.ProtoUDP) {
		// A flow's first packet has no entry to find.
		return false, 0
	}
	si, di := fl.ends[0], fl.ends[1]
	side := uint8(0)
	if back {
		si, di, side = di, si, 1
	}
	src, okSrc := e.fastIface(si)
	dst, okDst := e.fastIface(di)
	if !okSrc || !okDst || src == dst {
		// An interface without security groups, both ends outside the VPC
		// (nothing filters them), or both on one interface (walk meets its
		// table twice).
		return false, 0
	}
	if e.gatewayOf(src, dst, q) >= 0 {
		// Through a gateway: walk knows its rules.
		return false, 0
	}

	k, h, srcIsA := &e.ck, uint64(0), false
	if pre != nil && pre.ctOK {
		k, h, srcIsA = &pre.ct, pre.ctHash, pre.ctSrcIsA
	} else {
		srcIsA = e.ck.SetPacket(q)
		h = e.ck.Hash()
	}
	var ms, md conntrack.Match
	if src != nil {
		if ms = src.table.Peek(k, h, fl.ctSlot[side], srcIsA, e.now); !ms.Found {
			return false, 0
		}
	}
	if dst != nil {
		if md = dst.table.Peek(k, h, fl.ctSlot[1-side], srcIsA, e.now); !md.Found {
			return false, 0
		}
	}

	if fl.naclEpoch != e.epoch {
		fl.naclEpoch, fl.naclPass = e.epoch, 0
	}
	if fl.naclPass&(1<<side) == 0 {
		srcNet, dstNet := int32(-1), int32(-1)
		if src != nil {
			srcNet = src.subnet
		}
		if dst != nil {
			dstNet = dst.subnet
		}
		if !e.naclsAllow(srcNet, dstNet, q) {
			return false, 0
		}
		fl.naclPass |= 1 << side
	}

	if src != nil {
		src.table.Update(ms, q, e.now)
		src.fwd++
		fl.ctSlot[side] = ms.Slot()
	}
	if dst != nil {
		dst.table.Update(md, q, e.now)
		dst.fwd++
		fl.ctSlot[1-side] = md.Slot()
	}
	return true, clsTracked
}

// fastIface returns interface i if it is in the VPC (nil if i is -1, an
// address outside, or an interface outside the VPC), and false if fastWalk
// cannot take it: an interface in the VPC without security groups or
// conntrack table.
func (e *Engine) fastIface(i int32) (*iface, bool) {
	if i < 0 {
		return nil, true
	}
	f := &e.net.ifaces[i]
	if !f.inVPC() {
		return nil, true
	}
	return f, f.sg != nil && f.table != nil
}

// naclsAllow reports whether the network ACLs met going from subnet from to
// subnet to (-1: outside) allow q, as crossSubnets decides, without steps.
func (e *Engine) naclsAllow(from, to int32, q *Packet) bool {
	if from == to {
		return true
	}
	if from >= 0 && !e.net.subnets[from].nacl.Eval(q, firewall.Egress).Allowed() {
		return false
	}
	return to < 0 || e.net.subnets[to].nacl.Eval(q, firewall.Ingress).Allowed()
}
