package sim

import (
	"cmp"
	"errors"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// maxCatchUpSweeps bounds the sweeps run when the clock jumps over many
// sweep intervals at once (a capture with a gap of years): the remaining
// expiries are found lazily, and every expiry reports its own time anyway.
const maxCatchUpSweeps = 16

// sweepUntil runs the conntrack sweeps due at or before t, each at its own
// time, and forgets stale first-fragment verdicts. After a long jump it
// runs at most maxCatchUpSweeps, at the last due time.
func (e *Engine) sweepUntil(t Time) {
	if e.nextSweep > t {
		return
	}
	iv := Time(e.opt.SweepInterval)
	if due := (t-e.nextSweep)/iv + 1; due > maxCatchUpSweeps {
		last := e.nextSweep + (due-1)*iv
		for i := 0; i < maxCatchUpSweeps; i++ {
			e.sweep(last)
		}
		e.nextSweep = last + iv
		return
	}
	for e.nextSweep <= t {
		e.sweep(e.nextSweep)
		e.nextSweep += iv
	}
}

// sweep runs one sweep at time at.
func (e *Engine) sweep(at Time) {
	for i := range e.net.ifaces {
		f := &e.net.ifaces[i]
		if f.table == nil {
			continue
		}
		e.sweepBuf = f.table.Sweep(at, e.opt.SweepBatch, e.sweepBuf[:0])
		for _, x := range e.sweepBuf {
			e.noteExpiry(int32(i), x)
		}
	}
	for k, fs := range e.frags {
		if at.Sub(fs.at) > FragmentMemory {
			delete(e.frags, k)
		}
	}
}

// noteExpiry remembers on the flow when interface fi's entry for it was
// swept, so that a later packet the rules drop is explained as an expired
// entry rather than a missing rule.
func (e *Engine) noteExpiry(fi int32, x conntrack.Expiry) {
	i := e.findFlow(x.Tuple)
	if i < 0 {
		return
	}
	side := 0
	if e.flows[i].ends[1] == fi {
		side = 1
	}
	e.noteExpired(i, side, x.At, x.State)
}

// Finish ends the run: it releases what only a running engine needs, every
// conntrack table (after taking its counters for Result.Interfaces), the
// flow index, the first-fragment memory and the sources, so that a large
// run's Result can reuse that memory. Call Result after it. After Finish
// the engine must not be run or stepped (Run and RunTo return an error,
// Step panics); calling Finish again does nothing.
func (e *Engine) Finish() {
	if !e.finished {
		e.ifStats = e.interfaceStats()
		for i := range e.net.ifaces {
			f := &e.net.ifaces[i]
			if f.table == nil {
				continue
			}
			// An empty table with the same configuration keeps what the
			// hints read (that the interface tracks, its timeouts).
			if t, err := conntrack.NewTable(emptyConfig(f.table.Config())); err == nil {
				f.table.Release()
				f.table = t
			}
		}
		e.flowIdx.release()
		e.frags = nil
		e.sources = nil
		e.sweepBuf = nil
		e.finished = true
	}
}

// Release frees the engine's flow records now rather than when the engine
// is garbage-collected (a large run's records live outside the Go heap, see
// memhint.Make): call it once the Result is taken, so that writing a large
// result out does not hold them too. It finishes the engine first; after
// it the engine must not be used at all (Result panics).
func (e *Engine) Release() {
	e.Finish()
	e.flowMem.Free()
	e.coldMem.Free()
	e.flows, e.cold, e.flowMem, e.coldMem = nil, nil, nil, nil
	e.released = true
}

// emptyConfig is c for a table that will hold nothing: no capacity reserved.
func emptyConfig(c conntrack.Config) conntrack.Config {
	c.Capacity = 0
	return c
}

// errFinished is Run's error after Finish.
var errFinished = errors.New("the engine has finished (Finish was called)")

// interfaceStats returns the VPC interfaces' conntrack counters, sorted by
// name.
func (e *Engine) interfaceStats() []InterfaceStats {
	var out []InterfaceStats
	for i := range e.net.ifaces {
		f := &e.net.ifaces[i]
		if f.table == nil {
			continue
		}
		st := f.table.Stats()
		out = append(out, InterfaceStats{
			ID: f.id, Name: f.name, Entries: st.Entries, PeakEntries: st.Peak,
			Inserted: st.Inserted, Expired: st.Expired, AllowanceExceeded: st.AllowanceExceeded,
			Allowance: f.allowance, AllowanceAvailable: f.table.Available(),
			Forwarded: f.fwd, Dropped: f.drop,
		})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Result returns the result so far. It allocates; call it once at the end
// (after Finish, to let it reuse the memory of the engine's tables). Flows are
// sorted by first-seen time, then tuple string, and numbered from 1 in
// that order.
func (e *Engine) Result() *Result {
	if e.released {
		panic("sim: Result after Release")
	}
	r := &Result{Changes: append([]AppliedChange(nil), e.applied...)}
	order := make([]int, len(e.flows))
	keys := make([]string, len(e.flows))
	var buf []byte
	for i := range e.flows {
		order[i] = i
		buf = e.flows[i].tuple().AppendTo(buf[:0])
		keys[i] = string(buf)
	}
	// Flows are made in time order (the clock never goes back), so order
	// is sorted by first-seen time already: only runs of flows first seen
	// at the same time need sorting, by key.
	byTime := func(a, b int) int { return cmp.Compare(e.cold[a].first, e.cold[b].first) }
	if !slices.IsSortedFunc(order, byTime) {
		slices.SortStableFunc(order, byTime)
	}
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && e.cold[order[hi]].first == e.cold[order[lo]].first {
			hi++
		}
		if hi-lo > 1 {
			slices.SortStableFunc(order[lo:hi], func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
		}
		lo = hi
	}
	ids := make([]int, len(e.flows))
	if len(e.flows) > 0 {
		r.Flows = make([]Flow, len(e.flows))
	}
	for n, i := range order {
		ids[i] = n + 1
		e.flowResult(&r.Flows[n], i, n+1, keys[i])
	}
	for _, f := range r.Flows {
		switch f.Verdict {
		case Allowed:
			r.Summary.FlowsAllowed++
		case Dropped:
			r.Summary.FlowsDropped++
		case Blocked:
			r.Summary.FlowsBlocked++
		}
	}
	if e.opt.Explain {
		r.Packets = make([]PacketRecord, len(e.records))
		copy(r.Packets, e.records)
		for i := range r.Packets {
			r.Packets[i].Flow = ids[r.Packets[i].Flow]
		}
	}
	s := &r.Summary
	s.Read, s.Forwarded, s.Dropped = e.stats.read, e.stats.forwarded, e.stats.dropped
	s.Flows = len(r.Flows)
	s.Reordered = e.stats.reordered
	s.End = Timestamp(e.now)
	for _, d := range e.stats.dropBy {
		s.DroppedBy = append(s.DroppedBy, Count{Key: d.key.filter + ":" + d.key.reason.String(), Count: d.n})
	}
	sort.Slice(s.DroppedBy, func(a, b int) bool { return s.DroppedBy[a].Key < s.DroppedBy[b].Key })
	for i, n := range e.stats.fwdBy {
		if n > 0 {
			s.ForwardedBy = append(s.ForwardedBy, Count{Key: fwdByNames[i], Count: n})
		}
	}
	sort.Slice(s.ForwardedBy, func(a, b int) bool { return s.ForwardedBy[a].Key < s.ForwardedBy[b].Key })
	if !e.finished {
		r.Interfaces = e.interfaceStats()
	} else {
		r.Interfaces = append([]InterfaceStats(nil), e.ifStats...)
	}
	for _, st := range r.Interfaces {
		s.Expired += st.Expired
	}
	return r
}

// flowResult renders flow i.
func (e *Engine) flowResult(f *Flow, i, id int, key string) {
	fl := &e.flows[i]
	t := fl.tuple()
	*f = Flow{
		ID: id, Tuple: t, Key: key,
		Initiator: e.endpointName(t.Src, fl.ends[0]), Responder: e.endpointName(t.Dst, fl.ends[1]),
		Proto:      packet.ProtoName(t.Proto),
		PacketsOut: fl.packetsOut, PacketsBack: fl.packetsBack, BytesOut: fl.bytesOut, BytesBack: fl.bytesBack,
		ForwardedOut: fl.fwdOut, ForwardedBack: fl.fwdBack,
		DroppedOut: fl.packetsOut - fl.fwdOut, DroppedBack: fl.packetsBack - fl.fwdBack,
		FirstSeen: Timestamp(e.cold[i].first), LastSeen: Timestamp(fl.last),
	}
	if fl.namer >= 0 {
		n := e.namers[fl.namer]
		f.Name = n.FlowName(t)
		if f.Name == "" {
			// The source may know the flow by the public address the
			// internet gateway translated (SPEC.md §6).
			if u, ok := e.net.publicForm(t); ok {
				f.Name = n.FlowName(u)
			}
		}
	}
	switch fl.class {
	case 0:
		f.Tracked = TrackingNone
	case clsTracked:
		f.Tracked = TrackingTracked
	case clsUntracked:
		f.Tracked = TrackingUntracked
	case clsNotFiltered:
		f.Tracked = TrackingNotFiltered
	default:
		f.Tracked = TrackingMixed
	}
	switch {
	case fl.drop < 0:
		f.Verdict = Allowed
	case fl.fwdOut+fl.fwdBack == 0:
		f.Verdict = Blocked
	default:
		f.Verdict = Dropped
	}
	if fl.drop >= 0 {
		fd := &e.drops[fl.drop]
		d := fd.drop
		f.FirstDrop = &d
		f.Hint = e.hint(fl, fd)
	}
}

// endpointName names the host owning a, whose interface index is i (-1:
// none): its interface name, an external host's name, or the address
// itself.
func (e *Engine) endpointName(a netip.Addr, i int32) string {
	if i >= 0 {
		return e.net.ifaces[i].name
	}
	if _, i, ok := e.net.natTarget(a); ok {
		return e.net.ifaces[i].name
	}
	if s, ok := e.net.notFiltered[keyOf(a)]; ok {
		return s.name
	}
	return a.String()
}

// cloneInventory copies inv deeply enough that changes to the copy (rule
// lists, entry lists, associations, tracking) never reach the caller's.
func cloneInventory(inv *firewall.Inventory) firewall.Inventory {
	c := firewall.Inventory{
		VPCs:           append([]firewall.VPC(nil), inv.VPCs...),
		Subnets:        append([]firewall.Subnet(nil), inv.Subnets...),
		SecurityGroups: append([]firewall.SecurityGroup(nil), inv.SecurityGroups...),
		NetworkACLs:    append([]firewall.NetworkACL(nil), inv.NetworkACLs...),
		Interfaces:     append([]firewall.Interface(nil), inv.Interfaces...),
		PrefixLists:    append([]firewall.PrefixList(nil), inv.PrefixLists...),
	}
	for i := range c.SecurityGroups {
		g := &c.SecurityGroups[i]
		g.Ingress = append([]firewall.SGRule(nil), g.Ingress...)
		g.Egress = append([]firewall.SGRule(nil), g.Egress...)
	}
	for i := range c.NetworkACLs {
		c.NetworkACLs[i].Entries = append([]firewall.NACLEntry(nil), c.NetworkACLs[i].Entries...)
	}
	return c
}
