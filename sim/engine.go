package sim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/memhint"
	"github.com/ctsim/ctsim/sim/packet"
)

// Engine runs one simulation: it owns a private copy of the inventory, the
// compiled rules, one conntrack table per VPC interface, the event queue and
// the packet sources. An Engine is not safe for concurrent use; it starts no
// goroutines.
type Engine struct {
	opt  Options
	lim  firewall.Limits
	auto map[string]bool

	inv firewall.Inventory // private copy; changes edit it
	rs  *firewall.RuleSet
	// epoch counts compilations: its low 16 bits are the rule generation
	// (Generation), and all of it, which does not wrap in practice, dates
	// the network ACL verdicts flows cache (fastWalk).
	epoch uint32
	net   network

	q       queue
	changes []pendingChange
	applied []AppliedChange
	err     error // first error of a change applied while stepping

	sources []sourceState
	now     Time
	// nextSweep is when the next conntrack sweep is due; sweeps run only
	// when a later packet or event is processed.
	nextSweep Time
	sweepBuf  []conntrack.Expiry

	// flows and cold (beside flows, index for index) live outside the Go
	// heap when large, held by flowMem and coldMem (memhint.Make).
	flows   []flowState
	cold    []flowCold
	flowMem *memhint.Mem
	coldMem *memhint.Mem
	flowIdx flowTable
	drops   []flowDrop
	namers  []FlowNamer
	frags   map[fragKey]fragState

	steps []Step
	// ck is the conntrack key of the packet on the path (both tables
	// use it).
	ck       conntrack.Key
	ckHash   uint64
	ckSrcIsA bool
	pending  [2]pendingInsert
	npend    int

	stats   counters
	records []PacketRecord
	// late: the packet about to be processed was stamped before the
	// clock (Summary.Reordered).
	late bool
	// finished: Finish has released the tables; ifStats are the
	// interfaces' counters it took first.
	finished bool
	ifStats  []InterfaceStats
	// released: Release has freed the flow records.
	released bool
}

// sourceState is a source with its next packet read ahead.
type sourceState struct {
	src   packet.Source
	namer int16   // index in Engine.namers, or -1
	next  *Packet // the packet to process next, in ring (valid when ok)
	// nextKey is next's flow key and its hash, computed when it was read.
	nextKey *flowHint
	ok      bool // next holds a packet
	done    bool // the source has ended (err: with this error)
	err     error
	// ring holds the packets read ahead (see ahead.go).
	ring *ring
	// late: next was stamped before the clock and has been clamped to it.
	late bool
	// drops, if not nil, is told of the source's dropped packets.
	drops DropObserver
}

// pendingChange is a scheduled change.
type pendingChange struct {
	at, effective Time
	c             Change
	seq           uint64 // the queue's handle
	done          bool   // applied or cancelled
}

// New builds an engine for inv: it copies inv (later changes to the caller's
// slices do not affect the engine), compiles the rules, indexes the network
// and creates each VPC interface's conntrack table with its timeouts
// (conntrack.TimeoutsFor(InstanceType) overlaid with the interface's
// Tracking). Errors name the object and its origin.
func New(inv firewall.Inventory, opt Options) (*Engine, error) {
	e := &Engine{
		opt:   opt,
		lim:   opt.Limits,
		inv:   cloneInventory(&inv),
		frags: make(map[fragKey]fragState),
		steps: make([]Step, 0, 16),
	}
	if e.lim == (firewall.Limits{}) {
		e.lim = firewall.DefaultLimits()
	}
	if e.opt.SweepInterval <= 0 {
		e.opt.SweepInterval = DefaultSweepInterval
	}
	if e.opt.SweepBatch <= 0 {
		e.opt.SweepBatch = DefaultSweepBatch
	}
	auto := opt.AutoTracked
	if auto == nil {
		auto = DefaultAutoTracked()
	}
	e.auto = make(map[string]bool, len(auto))
	for _, s := range auto {
		e.auto[s] = true
	}
	e.nextSweep = Time(e.opt.SweepInterval)

	for i := range e.inv.Interfaces {
		// The rules are keyed by interface ID; a scenario may give only a
		// name.
		if in := &e.inv.Interfaces[i]; in.ID == "" {
			in.ID = in.Name
		}
	}
	var err error
	if e.net, err = buildNetwork(&e.inv, e.auto); err != nil {
		return nil, err
	}
	for _, key := range slices.Sorted(maps.Keys(opt.Allowances)) {
		if !e.hasInterface(key) {
			return nil, fmt.Errorf("allowance for unknown interface %q", key)
		}
	}
	if err := e.compile(); err != nil {
		return nil, err
	}
	for i := range e.net.ifaces {
		f := &e.net.ifaces[i]
		if !f.inVPC() || f.sg == nil {
			continue
		}
		tm, err := e.timeoutsFor(i)
		if err != nil {
			return nil, err
		}
		f.allowance = opt.Allowance
		if a, ok := opt.Allowances[f.id]; ok {
			f.allowance = a
		} else if a, ok := opt.Allowances[f.name]; ok {
			f.allowance = a
		}
		if f.allowance < 0 {
			return nil, fmt.Errorf("%sinterface %s: conntrack allowance %d is negative", prefix(e.inv.Interfaces[i].Origin), f.name, f.allowance)
		}
		f.table, err = conntrack.NewTable(conntrack.Config{
			Timeouts:          tm,
			Allowance:         f.allowance,
			Profile:           opt.Profile,
			NoMidStreamPickup: opt.NoMidStreamPickup,
			Capacity:          f.allowance,
		})
		if err != nil {
			return nil, fmt.Errorf("%sinterface %s: %w", prefix(e.inv.Interfaces[i].Origin), f.name, err)
		}
	}
	return e, nil
}

// hasInterface reports whether an interface has ID or name key.
func (e *Engine) hasInterface(key string) bool {
	return e.interfaceIndex(key) >= 0
}

// interfaceIndex returns the index of the interface with ID or name key, or
// -1.
func (e *Engine) interfaceIndex(key string) int {
	if i, ok := e.net.byName[key]; ok {
		return int(i)
	}
	return -1
}

// timeoutsFor returns interface i's timeouts: the defaults for its instance
// type overlaid with its Tracking specification (the three AWS timeouts
// and the non-AWS ICMP and per-state TCP timeouts, SPEC.md §5.1),
// validated.
func (e *Engine) timeoutsFor(i int) (conntrack.Timeouts, error) {
	in := &e.inv.Interfaces[i]
	tm := conntrack.TimeoutsFor(in.InstanceType)
	if e.opt.Profile == conntrack.ProfileLinux {
		tm.UDPStream = conntrack.LinuxTimeouts().UDPStream
	}
	if in.Tracking.TCPEstablished != 0 {
		tm.TCPEstablished = in.Tracking.TCPEstablished
	}
	if in.Tracking.UDP != 0 {
		tm.UDP = in.Tracking.UDP
	}
	if in.Tracking.UDPStream != 0 {
		tm.UDPStream = in.Tracking.UDPStream
	}
	for _, o := range []struct {
		dst *time.Duration
		v   time.Duration
	}{
		{&tm.ICMP, in.Tracking.ICMP},
		{&tm.TCPSynSent, in.Tracking.TCPSynSent},
		{&tm.TCPSynRecv, in.Tracking.TCPSynRecv},
		{&tm.TCPFinWait, in.Tracking.TCPFinWait},
		{&tm.TCPCloseWait, in.Tracking.TCPCloseWait},
		{&tm.TCPLastAck, in.Tracking.TCPLastAck},
		{&tm.TCPTimeWait, in.Tracking.TCPTimeWait},
		{&tm.TCPClose, in.Tracking.TCPClose},
	} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
	if err := tm.Validate(); err != nil {
		return tm, fmt.Errorf("%sinterface %s: %w", prefix(in.Origin), e.net.ifaces[i].name, err)
	}
	return tm, nil
}

// compile compiles e.inv and points every interface and subnet at its
// compiled filters. The generation advances by one.
func (e *Engine) compile() error {
	rs, err := firewall.CompileGeneration(&e.inv, e.lim, uint16(e.epoch+1))
	if err != nil {
		return err
	}
	e.rs = rs
	e.epoch++
	for i := range e.net.ifaces {
		f := &e.net.ifaces[i]
		in := &e.inv.Interfaces[f.inv]
		f.sg = nil
		// An AWS service interface without groups (a NAT gateway) has no
		// security group; an instance without groups has its VPC's
		// default group, which Compile supplies.
		if f.inVPC() && (in.Service == "" || len(in.Groups) > 0) {
			f.sg = rs.InterfaceSG(in.ID)
		}
	}
	for i := range e.net.subnets {
		e.net.subnets[i].nacl = rs.SubnetNACL(e.net.subnets[i].id)
	}
	return nil
}

// AddSource adds a packet source. Sources are merged by time; packets of
// different sources at the same time are taken in the order the sources
// were added. A source implementing FlowNamer names the flows it starts.
//
// Run reads each source up to 8 packets ahead of the one it processes (to
// overlap the memory accesses of their lookups; see ahead.go), so a source
// must not expect the engine to be done with a packet when its next Next
// is called: per-packet side data such as a capture reader's Raw bytes
// does not match the packet being processed. Callers that need it keep the
// last few packets' side data and implement DropObserver, or step packets
// themselves with Step or Pass. A source's error is reported after every
// packet it delivered.
func (e *Engine) AddSource(src packet.Source) {
	s := sourceState{src: src, namer: -1, ring: new(ring)}
	s.drops, _ = src.(DropObserver)
	if n, ok := src.(FlowNamer); ok && len(e.namers) < 1<<15-1 {
		s.namer = int16(len(e.namers))
		e.namers = append(e.namers, n)
	}
	e.sources = append(e.sources, s)
}

// Schedule schedules change c at time at (network ACL changes take effect
// Options.NACLPropagationDelay later). The objects c names must exist;
// whether the rule or entry it removes exists is checked when it is applied,
// since an earlier change may add it.
func (e *Engine) Schedule(at Time, c Change) error {
	if err := e.checkChange(&c); err != nil {
		return fmt.Errorf("%schange at %s: %w", prefix(c.Origin), at, err)
	}
	if at < e.now {
		return fmt.Errorf("%schange at %s: the engine is already at %s", prefix(c.Origin), at, e.now)
	}
	if len(e.changes) >= maxEventIdx {
		return fmt.Errorf("%schange at %s: more than %d changes", prefix(c.Origin), at, maxEventIdx)
	}
	eff := at
	if c.Kind.isNACL() {
		eff = at.Add(e.opt.NACLPropagationDelay)
	}
	seq := e.q.Schedule(eff, evChange, int32(len(e.changes)))
	e.changes = append(e.changes, pendingChange{at: at, effective: eff, c: c, seq: seq})
	return nil
}

// Cancel cancels the first change equal to c scheduled at time at that has
// not taken effect yet, and reports whether there was one.
func (e *Engine) Cancel(at Time, c Change) bool {
	for i := range e.changes {
		pc := &e.changes[i]
		if pc.at == at && pc.c == c && !pc.done {
			pc.done = true
			e.q.Cancel(pc.seq)
			return true
		}
	}
	return false
}

// Now returns the engine's virtual time: that of the last packet or event
// processed.
func (e *Engine) Now() Time { return e.now }

// Generation returns the rule generation: 1 after New, one more after each
// change.
func (e *Engine) Generation() uint16 { return uint16(e.epoch) }

// Err returns the first error met applying a change while stepping packets
// with Step (Run returns it itself).
func (e *Engine) Err() error { return e.err }

// Run processes packets and events in time order until the sources and the
// queue are exhausted or the next packet or event is later than horizon
// (Never: no limit), and returns the result so far. Run may be called again
// with a later horizon to continue. An error from a source ends the run
// after the packets it delivered; it is returned with the result. An error
// applying a change ends the run and is returned with the result.
func (e *Engine) Run(horizon Time) (*Result, error) {
	if e.finished {
		return e.Result(), errFinished
	}
	err := e.run(horizon)
	return e.Result(), err
}

// RunTo is Run without building the result: it processes packets and
// events up to horizon and returns Run's error. Take the result with
// Finish (or Result) when the run is over.
func (e *Engine) RunTo(horizon Time) error {
	if e.finished {
		return errFinished
	}
	return e.run(horizon)
}

// run is Run without building the result.
func (e *Engine) run(horizon Time) error {
	var srcErr error
	for e.err == nil {
		si := e.nextSource(&srcErr)
		ev, haveEv := e.q.Peek()
		if si < 0 && !haveEv {
			break
		}
		if haveEv && (si < 0 || ev.at <= e.sources[si].next.At) {
			if ev.at > horizon {
				break
			}
			e.q.pop() // Peek has discarded the cancelled events above it
			e.runEvent(ev)
			continue
		}
		s := &e.sources[si]
		if s.next.At > horizon {
			break
		}
		s.ok = false
		// No event is due by the packet's time (the queue was just
		// peeked): only sweeps may be.
		e.sweepUntil(s.next.At)
		e.now = max(e.now, s.next.At)
		e.late, s.late = s.late, false
		if _, forwarded := e.process(s.next, s.namer, s.nextKey, !e.opt.Explain); !forwarded && s.drops != nil {
			s.drops.Dropped(s.next)
		}
	}
	return errors.Join(e.err, srcErr)
}

// nextSource reads ahead every source and returns the index of the one with
// the earliest packet (the first added on ties), or -1.
func (e *Engine) nextSource(errp *error) int {
	best := -1
	for i := range e.sources {
		s := &e.sources[i]
		if !s.ok && (s.ring.len > 0 || !s.done || s.err != nil) {
			e.fill(s)
			if e.take(s) {
				s.ok = true
				if s.next.At < e.now {
					// Sources must be in time order; clamp a late packet
					// so the clock never runs backwards, and record it.
					s.next.At, s.late = e.now, true
				}
			} else if s.err != nil {
				// Reported after every packet the source delivered.
				if *errp == nil {
					*errp = fmt.Errorf("source %d: %w", i+1, s.err)
				}
				s.err = nil
			}
		}
		if s.ok && (best < 0 || s.next.At < e.sources[best].next.At) {
			best = i
		}
	}
	return best
}

// advance runs every event due at or before t, then sets the clock to t
// (never backwards). Conntrack sweeps due by then run first.
func (e *Engine) advance(t Time) {
	for e.err == nil {
		ev, ok := e.q.Peek()
		if !ok || ev.at > t {
			break
		}
		e.q.pop() // Peek has discarded the cancelled events above it
		e.runEvent(ev)
	}
	e.sweepUntil(t)
	if t > e.now {
		e.now = t
	}
}

// runEvent runs one event at its time.
func (e *Engine) runEvent(ev event) {
	e.sweepUntil(ev.at)
	if ev.at > e.now {
		e.now = ev.at
	}
	switch ev.kind() {
	case evChange:
		if err := e.apply(int(ev.idx())); err != nil && e.err == nil {
			e.err = err
		}
	}
}

// Step processes one packet at p.At: first every event due by then, then
// the packet's path. It is how tests and benchmarks drive the engine
// without a source. A p.At earlier than the engine's clock is treated as
// now and counted in Summary.Reordered. Step does not allocate in steady state when Options.Explain is off
// (new flows grow the flow table). p is not modified.
func (e *Engine) Step(p *Packet) PacketOutcome {
	if e.finished {
		panic("sim: Step after Finish")
	}
	e.late = p.At < e.now
	e.advance(p.At)
	fi, forwarded := e.process(p, -1, nil, false)
	return PacketOutcome{Forwarded: forwarded, Decisive: *e.decisive(), Steps: e.steps, Flow: int(fi)}
}

// Pass is Step for a caller that needs only whether p was forwarded (a
// capture replay writing its dropped packets out): like Run, it keeps no
// trace unless Options.Explain is set, so that a packet of a known tracked
// flow takes the fast path (see the package comment). The Result is the
// same as Step's.
func (e *Engine) Pass(p *Packet) bool {
	if e.finished {
		panic("sim: Pass after Finish")
	}
	e.late = p.At < e.now
	e.advance(p.At)
	_, forwarded := e.process(p, -1, nil, !e.opt.Explain)
	return forwarded
}

// Options configure an Engine. The zero Options are AWS's defaults: the AWS
// profile, default quotas, the union of the documented auto-tracked
// services, no conntrack allowance limit, SG state created at egress even if
// a later network ACL drops the packet, no network ACL propagation delay, a
// sweep every 10 s, no per-packet traces.
type Options struct {
	// Limits are the quotas checked when the rules are compiled; the zero
	// value means firewall.DefaultLimits().
	Limits firewall.Limits
	// Profile selects AWS (default) or Linux connection tracking semantics
	// (SPEC.md §5.5): it decides whether ICMP errors are "related".
	Profile conntrack.Profile
	// AutoTracked lists Interface.Service values whose flows are always
	// tracked (SPEC.md §2.3). Nil means DefaultAutoTracked(); an empty
	// non-nil slice means none.
	AutoTracked []string
	// Allowance is every interface's conntrack allowance (maximum tracked
	// entries, SPEC.md §2.6); 0 means unlimited.
	Allowance int
	// Allowances overrides Allowance per interface, keyed by interface ID
	// or name; 0 means unlimited for that interface.
	Allowances map[string]int
	// NoStateOnLaterDrop defers the conntrack entry a packet creates at its
	// source's egress until the packet has passed the whole path, so a
	// packet a network ACL drops leaves no state (SPEC.md §6, UNDOCUMENTED
	// by AWS; the default keeps the state).
	NoStateOnLaterDrop bool
	// NoMidStreamPickup refuses to create a TCP entry from a packet without
	// SYN (Linux tcp_loose=0); see conntrack.Config.
	NoMidStreamPickup bool
	// NACLPropagationDelay delays every network ACL change by this much
	// after the time it is scheduled at (SPEC.md §7.7; default 0).
	NACLPropagationDelay time.Duration
	// SweepInterval is the period of the conntrack sweep event; 0 means
	// 10 s. Sweeps run only while sources or other events remain.
	SweepInterval time.Duration
	// SweepBatch is the number of table slots one sweep visits per
	// interface; 0 means 4096.
	SweepBatch int
	// Explain keeps every packet's trace in Result.Packets.
	Explain bool
	// Replay marks packets that would never have been sent had the rules
	// applied (ReasonNeverSent; see the package comment).
	Replay bool
}

// DefaultAutoTracked returns the union of the services SPEC.md §2.3 lists as
// automatically tracked across both versions of the AWS page, sorted.
func DefaultAutoTracked() []string {
	return []string{
		"dynamodb-gateway-endpoint",
		"egress-only-internet-gateway",
		"gateway-load-balancer",
		"global-accelerator",
		"lambda",
		"nat-gateway",
		"network-firewall",
		"network-load-balancer",
		"privatelink",
		"transit-gateway",
	}
}

// Defaults used when an Options field is zero.
const (
	DefaultSweepInterval = 10 * time.Second
	DefaultSweepBatch    = 4096
	// FragmentMemory is how long the verdict of a first fragment is
	// remembered for its later fragments.
	FragmentMemory = 30 * time.Second
)

// DropObserver is implemented by packet sources that want to know which of
// their packets the engine drops (a capture replay writing them out): Run
// calls Dropped for each, in order, as soon as its path is decided — up to
// 8 packets after the source delivered it, since Run reads ahead. p is the
// packet as the source delivered it, valid only during the call.
type DropObserver interface {
	Dropped(p *Packet)
}

// FlowNamer is implemented by packet sources that know the names of their
// flows (the synthetic generator). FlowName returns the name of the flow a
// tuple belongs to, in either direction, or "". The engine asks with the
// tuple the filters saw (private addresses); if that has no name, it asks
// again with the private addresses of interfaces with a public address
// replaced by it (the tuple before the internet gateway's 1:1 NAT).
type FlowNamer interface {
	FlowName(t packet.Tuple) string
}
