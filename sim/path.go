package sim

import (
	"net/netip"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// pendingInsert is a conntrack entry deferred until the packet has passed
// the whole path (Options.NoStateOnLaterDrop).
type pendingInsert struct {
	table *conntrack.Table
	m     conntrack.Match
	found bool // update m rather than insert
}

// process walks one packet through the path at the engine's current time
// and records the outcome (see the package comment for the path).
// pre, if not nil, is p's flow key computed ahead. fast lets the packet
// take fastWalk: nobody reads its steps (it then has none). It returns the
// packet's flow and whether it was forwarded; e.steps hold its trace.
func (e *Engine) process(p *Packet, namer int16, pre *flowHint, fast bool) (int32, bool) {
	e.steps = e.steps[:0]
	e.npend = 0
	e.stats.read++
	q := *p
	q.At = e.now
	if e.late {
		e.late = false
		e.stats.reordered++
		e.push(Step{Where: "clock", Filter: FilterClock, Action: firewall.Allow, Note: lateNote})
	}

	// The internet gateway's 1:1 NAT: filters see private addresses
	// (SPEC.md §6). Destination NAT comes first on the way in; source NAT
	// is met last on the way out (SG egress → NACL out → IGW), so its
	// step is pushed after the filters, if the packet passes them.
	srcNAT := int32(-1)
	var srcPublic netip.Addr
	if len(e.net.public) > 0 {
		if to, i, ok := e.net.natTarget(q.Src); ok {
			srcNAT, srcPublic = i, q.Src
			q.Src, pre = to, nil
		}
		if to, i, ok := e.net.natTarget(q.Dst); ok {
			e.push(Step{Where: e.net.ifaces[i].name, Filter: FilterNAT, Direction: firewall.Ingress, Action: firewall.Allow, Note: e.net.natNotes[keyOf(q.Dst)]})
			q.Dst, pre = to, nil
		}
		if q.IsICMPError() {
			e.net.natInner(&q.Inner)
		}
	}

	// A later fragment is matched to its first by the addresses the
	// filters saw, after the NAT.
	if q.Fragment.IsFragment && q.Fragment.Offset > 0 {
		return e.laterFragment(&q, namer, srcNAT, srcPublic)
	}

	fi, back := e.flowFor(&q, namer, pre)
	fl := &e.flows[fi]
	if fast && !q.Fragment.IsFragment {
		if ok, cls := e.fastWalk(&q, fl, back, pre); ok {
			return e.finish(&q, fi, back, true, cls)
		}
	}
	forwarded, cls := e.walk(&q, fi, back, pre)
	if srcNAT >= 0 && forwarded {
		e.pushSrcNAT(srcNAT, srcPublic)
	}

	if q.Fragment.IsFragment && q.Fragment.More {
		e.frags[fragKey{src: keyOf(q.Src), dst: keyOf(q.Dst), id: q.Fragment.ID, proto: q.Proto}] =
			fragState{at: e.now, forwarded: forwarded, cls: cls, flow: fi, step: *e.decisive()}
	}
	return e.finish(&q, fi, back, forwarded, cls)
}

// pushSrcNAT records the internet gateway's source NAT of public address
// pub, interface i's, as the last step of the way out.
func (e *Engine) pushSrcNAT(i int32, pub netip.Addr) {
	e.push(Step{Where: e.net.ifaces[i].name, Filter: FilterNAT, Direction: firewall.Egress, Action: firewall.Allow, Note: e.net.natNotes[keyOf(pub)]})
}

// walk runs the filters and reports whether q passed, with its tracking
// class bits.
// pre, if not nil, holds q's keys computed ahead.
func (e *Engine) walk(q *Packet, fi int32, back bool, pre *flowHint) (bool, uint8) {
	fl := &e.flows[fi]
	// The flow knows its endpoints: which interfaces own its addresses and
	// whether AWS filters them.
	nfSrc, nfDst := fl.flags&flNFInit != 0, fl.flags&flNFResp != 0
	si, di := fl.ends[0], fl.ends[1]
	if back {
		nfSrc, nfDst = nfDst, nfSrc
		si, di = di, si
	}
	if nfDst {
		s := e.net.notFiltered[keyOf(q.Dst)]
		e.push(Step{Where: s.name, Filter: FilterService, Direction: firewall.Egress, Action: firewall.Allow, Reason: firewall.ReasonNotFiltered, Note: s.to})
		return true, clsNotFiltered
	}
	if nfSrc {
		s := e.net.notFiltered[keyOf(q.Src)]
		e.push(Step{Where: s.name, Filter: FilterService, Direction: firewall.Ingress, Action: firewall.Allow, Reason: firewall.ReasonNotFiltered, Note: s.from})
		return true, clsNotFiltered
	}
	var src, dst *iface
	if si >= 0 && e.net.ifaces[si].inVPC() {
		src = &e.net.ifaces[si]
	}
	if di >= 0 && e.net.ifaces[di].inVPC() {
		dst = &e.net.ifaces[di]
	}
	if src == nil && dst == nil {
		e.push(Step{Where: "outside", Filter: FilterNone, Action: firewall.Allow, Reason: firewall.ReasonNoFilter, Note: "both hosts are outside the VPC"})
		return true, 0
	}
	if e.opt.Replay && back && fl.flags&flBlockedFirst != 0 && fl.fwdOut+fl.fwdBack == 0 {
		e.push(Step{Where: "replay", Filter: FilterReplay, Action: firewall.Deny, Reason: firewall.ReasonNeverSent})
		return false, 0
	}

	// Auto-tracked services on the path (SPEC.md §2.3, §6). A VPC
	// interface without a public address of the packet's family reaches
	// outside only through the VPC's NAT gateway (IPv4) or egress-only
	// internet gateway (IPv6), if it has one.
	auto := (src != nil && src.autoTracked) || (dst != nil && dst.autoTracked)
	var gw *iface
	if g := e.gatewayOf(src, dst, q); g >= 0 {
		gw = &e.net.ifaces[g]
		auto = true
	}

	side := 0
	if back {
		side = 1
	}
	var cls uint8
	if (src != nil && src.sg != nil) || (dst != nil && dst.sg != nil) {
		// One conntrack key serves both interfaces' tables.
		if pre != nil && pre.ctOK {
			e.ck, e.ckSrcIsA, e.ckHash = pre.ct, pre.ctSrcIsA, pre.ctHash
		} else {
			e.ckSrcIsA = e.ck.SetPacket(q)
			e.ckHash = e.ck.Hash()
		}
		if src != nil && src.table != nil && dst != nil && dst.table != nil {
			// A new flow's entries were not read ahead (nor any of
			// Step's): let the destination table's cache miss overlap
			// the source table's.
			dst.table.PrefetchHashed(e.ckHash)
		}
	}
	if src != nil && src.sg != nil {
		ok, c := e.sgStep(src, firewall.Egress, q, fi, side, auto)
		cls |= c
		if !ok {
			return false, cls
		}
	}
	var srcNet, dstNet int32 = -1, -1
	if src != nil {
		srcNet = src.subnet
	}
	if dst != nil {
		dstNet = dst.subnet
	}
	if gw == nil {
		if !e.crossSubnets(srcNet, dstNet, q) {
			return false, cls
		}
	} else {
		// Through the gateway's subnet: its network ACL is met on the way
		// into and out of that subnet, on both legs (SPEC.md §6, VPC-SCEN2).
		// Addresses and ports are not translated in the model.
		if !e.crossSubnets(srcNet, gw.subnet, q) {
			return false, cls
		}
		if src == nil && !back {
			// The gateway is stateful: from outside it lets in only the
			// replies of connections started inside the VPC (SPEC.md §6:
			// private instances "cannot receive unsolicited inbound
			// connections" through a NAT gateway; "An egress-only
			// internet gateway is stateful"). A packet from outside that
			// opens its flow is unsolicited. The model keeps no idle
			// timer of the gateway's own (SPEC.md §2.5).
			e.push(Step{Where: gw.name, Filter: FilterService, Direction: firewall.Ingress, Action: firewall.Deny, Reason: firewall.ReasonGatewayUnsolicited, Note: "unsolicited: the connection was started outside the VPC"})
			return false, cls
		}
		e.push(Step{Where: gw.name, Filter: FilterService, Action: firewall.Allow, Reason: firewall.ReasonNone, Note: gw.gwNote})
		if !e.crossSubnets(gw.subnet, dstNet, q) {
			return false, cls
		}
	}
	if dst != nil && dst.sg != nil {
		ok, c := e.sgStep(dst, firewall.Ingress, q, fi, 1-side, auto)
		cls |= c
		if !ok {
			return false, cls
		}
	}
	for i := 0; i < e.npend; i++ {
		pi := &e.pending[i]
		if pi.found {
			pi.table.Update(pi.m, q, e.now)
		} else {
			pi.table.Insert(q, e.now, e.Generation())
		}
	}
	return true, cls
}

// gatewayOf returns the index of the gateway q crosses between src and
// dst, or -1: with one end outside the VPC, the VPC's NAT gateway (IPv4)
// or egress-only internet gateway (IPv6) if the end inside has no public
// address of q's family.
func (e *Engine) gatewayOf(src, dst *iface, q *Packet) int32 {
	if src != nil && dst != nil {
		return -1
	}
	in := src
	if in == nil {
		in = dst
	}
	g, public := e.net.gw4, in.public4
	if q.Is6() {
		g, public = e.net.gw6, in.public6
	}
	if g < 0 || public {
		return -1
	}
	return g
}

// crossSubnets runs the network ACLs met going from subnet from to subnet to
// (-1: outside the VPC): none within one subnet (SPEC.md §3.1), else the
// outbound rules of from and the inbound rules of to.
func (e *Engine) crossSubnets(from, to int32, q *Packet) bool {
	if from == to {
		if from >= 0 {
			e.push(Step{Where: e.net.subnets[from].name, Filter: FilterNACL, Action: firewall.Allow, Reason: firewall.ReasonSameSubnet})
		}
		return true
	}
	if from >= 0 && !e.naclStep(from, firewall.Egress, q) {
		return false
	}
	return to < 0 || e.naclStep(to, firewall.Ingress, q)
}

// naclStep evaluates subnet si's network ACL in direction dir.
func (e *Engine) naclStep(si int32, dir firewall.Direction, q *Packet) bool {
	s := &e.net.subnets[si]
	v := s.nacl.Eval(q, dir)
	e.push(Step{Where: s.name, Filter: FilterNACL, Direction: dir, Action: v.Action, Reason: v.Reason, Rule: v.Rule})
	return v.Allowed()
}

// sgStep runs interface f's security groups in direction dir through its
// conntrack table (see the package comment). side is the flow side f is on
// (0 initiator, 1 responder); auto reports whether the flow passes an
// auto-tracked service.
func (e *Engine) sgStep(f *iface, dir firewall.Direction, q *Packet, fi int32, side int, auto bool) (bool, uint8) {
	ok, cls := e.sgDecide(f, dir, q, fi, side, auto)
	if ok {
		f.fwd++
	} else {
		f.drop++
	}
	return ok, cls
}

func (e *Engine) sgDecide(f *iface, dir firewall.Direction, q *Packet, fi int32, side int, auto bool) (bool, uint8) {
	fl := &e.flows[fi]
	st := Step{Where: f.name, Filter: FilterSG, Direction: dir}
	tbl := f.table
	if q.IsICMPError() {
		v := f.sg.Eval(q, dir)
		if v.Allowed() {
			st.Action, st.Reason, st.Rule = firewall.Allow, firewall.ReasonSGRule, v.Rule
			e.push(st)
			return true, clsTracked
		}
		m := tbl.LookupRelated(q, e.now)
		switch {
		case m.Found && e.opt.Profile == conntrack.ProfileLinux:
			st.Action, st.Reason = firewall.Allow, firewall.ReasonICMPErrorRelated
			e.push(st)
			return true, clsTracked
		case m.Found:
			// The rules decided: name their default deny, as for any
			// other security group drop.
			st.Action, st.Reason, st.Rule = firewall.Deny, firewall.ReasonICMPErrorNotRelated, v.Rule
		default:
			st.Action, st.Reason, st.Rule = firewall.Deny, firewall.ReasonSGNoRule, v.Rule
		}
		e.push(st)
		return false, 0
	}

	m := tbl.LookupHashed(&e.ck, e.ckHash, e.ckSrcIsA, e.now)
	if m.Found {
		fl.ctSlot[side] = m.Slot()
		if e.opt.NoStateOnLaterDrop && dir == firewall.Egress {
			e.defer1(tbl, m, true)
		} else {
			tbl.Update(m, q, e.now)
		}
		st.Action, st.Reason, st.EntryGeneration = firewall.Allow, firewall.ReasonTracked, m.Gen
		e.push(st)
		return true, clsTracked
	}
	if m.Expired {
		e.noteExpired(fi, side, m.ExpiredAt, m.State)
	}
	v := f.sg.Eval(q, dir)
	if !v.Allowed() {
		st.Action, st.Reason, st.Rule = firewall.Deny, firewall.ReasonSGNoRule, v.Rule
		if at := e.expiredAt(fi, side); at != 0 {
			st.Reason, st.ExpiredAt = firewall.ReasonTrackingExpired, at
		}
		e.push(st)
		return false, 0
	}
	st.Rule = v.Rule
	if !auto && (q.Proto == packet.ProtoTCP || q.Proto == packet.ProtoUDP) {
		bit := flUntrackedSide(side)
		switch {
		case e.untracked(f.sg, q, dir):
			fl.flags |= bit
			st.Action, st.Reason = firewall.Allow, firewall.ReasonSGRuleUntracked
			e.push(st)
			return true, clsUntracked
		case fl.flags&bit != 0 && !opensTCP(q):
			// The flow was untracked here and a rule change made its
			// rules tracked ones: it stays untracked, so it keeps being
			// judged by the rules on every packet and the removed rule
			// stays cut (CT7). Picking it up mid-stream would let the
			// other direction through on the new entry.
			st.Action, st.Reason = firewall.Allow, firewall.ReasonSGRuleUntracked
			st.Note = "the flow was untracked here and stays untracked: a rule change does not start tracking it mid-stream (CT7)"
			e.push(st)
			return true, clsUntracked
		}
		fl.flags &^= bit
	}
	if e.opt.NoStateOnLaterDrop && dir == firewall.Egress {
		if tbl.Full(e.now) {
			tbl.Insert(q, e.now, e.Generation()) // fails and counts the drop
			st.Action, st.Reason = firewall.Deny, firewall.ReasonAllowanceExceeded
			e.push(st)
			return false, 0
		}
		e.defer1(tbl, conntrack.Match{}, false)
	} else if m, ok := tbl.InsertHashed(&e.ck, e.ckHash, e.ckSrcIsA, q, e.now, e.Generation()); !ok {
		st.Action, st.Reason = firewall.Deny, firewall.ReasonAllowanceExceeded
		e.push(st)
		return false, 0
	} else if m.Refused {
		st.Note = "allowed by a rule; this packet creates no tracking entry"
	} else {
		fl.ctSlot[side] = m.Slot()
	}
	if fl.flags&flExpiredSide(side) != 0 {
		fl.flags &^= flExpiredSide(side)
		e.cold[fi].expiredAt[side] = 0
	}
	st.Action, st.Reason = firewall.Allow, firewall.ReasonSGRule
	e.push(st)
	return true, clsTracked
}

// untracked reports whether q, allowed by sg in direction dir, belongs to an
// untracked flow: either q opens one (SPEC.md §2.2) or it answers one — the
// reversed packet would be untracked in the other direction. Without the
// second test the reply of an untracked flow, whose response rule is the
// all-open one, would open a tracked entry of its own and survive the
// removal of the rule that admitted the flow, against CT7.
func (e *Engine) untracked(sg *firewall.SG, q *Packet, dir firewall.Direction) bool {
	if sg.Untracked(q, dir) {
		return true
	}
	r := *q
	r.Src, r.Dst = q.Dst, q.Src
	r.SrcPort, r.DstPort = q.DstPort, q.SrcPort
	other := firewall.Ingress
	if dir == firewall.Ingress {
		other = firewall.Egress
	}
	return sg.Untracked(&r, other)
}

// opensTCP reports whether q opens a TCP connection (SYN without ACK): a
// new connection on the tuple of an untracked flow is classified afresh.
func opensTCP(q *Packet) bool {
	return q.Proto == packet.ProtoTCP && q.Flags.Has(packet.SYN) && !q.Flags.Has(packet.ACK)
}

func (e *Engine) defer1(tbl *conntrack.Table, m conntrack.Match, found bool) {
	if e.npend < len(e.pending) {
		e.pending[e.npend] = pendingInsert{table: tbl, m: m, found: found}
		e.npend++
	}
}

// lateNote is the note of the step that starts a late packet's trace.
const lateNote = "late: stamped before the previous packet or event; processed at the clock's time"

// decisive returns the step that decided the packet: the last one, except
// a trailing source-NAT step, which decides nothing.
func (e *Engine) decisive() *Step {
	n := len(e.steps) - 1
	if n > 0 && e.steps[n].Filter == FilterNAT {
		n--
	}
	return &e.steps[n]
}

// push appends a step to the trace buffer.
func (e *Engine) push(s Step) { e.steps = append(e.steps, s) }

// laterFragment gives a later IP fragment its first fragment's verdict and
// tracking class, so the summary counts it as its first. srcNAT and pub are
// the source NAT process found (srcNAT -1: none).
func (e *Engine) laterFragment(q *Packet, namer int16, srcNAT int32, pub netip.Addr) (int32, bool) {
	k := fragKey{src: keyOf(q.Src), dst: keyOf(q.Dst), id: q.Fragment.ID, proto: q.Proto}
	fs, ok := e.frags[k]
	if ok && e.now.Sub(fs.at) <= FragmentMemory {
		st := fs.step
		st.Filter, st.Reason, st.Rule, st.Note = FilterFragment, firewall.ReasonFragment, firewall.RuleRef{}, "follows its first fragment"
		if fs.forwarded {
			st.Action = firewall.Allow
		} else {
			st.Action = firewall.Deny
		}
		e.push(st)
		if srcNAT >= 0 && fs.forwarded {
			e.pushSrcNAT(srcNAT, pub)
		}
		fl := &e.flows[fs.flow]
		init := &fl.key.a
		if fl.flags&flInitIsA == 0 {
			init = &fl.key.b
		}
		back := *init != keyOf(q.Src)
		return e.finish(q, fs.flow, back, fs.forwarded, fs.cls)
	}
	e.push(Step{Where: "fragment", Filter: FilterFragment, Action: firewall.Deny, Reason: firewall.ReasonFragmentOrphan})
	fi, back := e.flowFor(q, namer, nil)
	return e.finish(q, fi, back, false, 0)
}

// finish records the outcome of q in its flow and the totals, and returns
// the flow and whether q was forwarded.
func (e *Engine) finish(q *Packet, fi int32, back, forwarded bool, cls uint8) (int32, bool) {
	fl := &e.flows[fi]
	fl.last = e.now
	fl.class |= cls
	if back {
		fl.packetsBack++
		fl.bytesBack += uint64(q.Length)
	} else {
		fl.packetsOut++
		fl.bytesOut += uint64(q.Length)
	}
	if forwarded {
		e.stats.forwarded++
		switch {
		case cls&clsTracked != 0:
			e.stats.fwdBy[0]++
		case cls&clsUntracked != 0:
			e.stats.fwdBy[1]++
		case cls&clsNotFiltered != 0:
			e.stats.fwdBy[2]++
		default:
			e.stats.fwdBy[3]++
		}
		if back {
			fl.fwdBack++
		} else {
			fl.fwdOut++
		}
	} else {
		last := e.decisive()
		e.stats.dropped++
		e.stats.countDrop(last.Filter, last.Reason)
		if fl.drop < 0 {
			fl.drop = int32(len(e.drops))
			fd := flowDrop{
				drop:   Drop{Packet: int(fl.packets()), Frame: q.Frame, At: Timestamp(e.now), Back: back, Step: *last},
				packet: *q,
				rules:  e.rs,
			}
			if last.Reason == firewall.ReasonTrackingExpired {
				if i := e.interfaceIndex(last.Where); i >= 0 && e.net.ifaces[i].table != nil {
					fd.tm, fd.tmOK = e.net.ifaces[i].table.Config().Timeouts, true
					side := 0
					if fl.ends[1] == int32(i) {
						side = 1
					}
					fd.state = e.cold[fi].expiredState[side]
				}
			}
			e.drops = append(e.drops, fd)
		}
		if fl.packets() == 1 {
			fl.flags |= flBlockedFirst
		}
	}
	if e.opt.Explain {
		e.records = append(e.records, PacketRecord{
			N: e.stats.read, Frame: q.Frame, At: Timestamp(e.now), Flow: int(fi),
			Packet: q.String(), Length: q.Length, Forwarded: forwarded,
			Steps: append([]Step(nil), e.steps...),
		})
	}
	return fi, forwarded
}
