package conntrack

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/ctsim/ctsim/sim/memhint"
	"github.com/ctsim/ctsim/sim/packet"
)

// Dir is a packet's direction relative to the connection that tracks it.
// The zero Dir is Original.
type Dir uint8

// Directions.
const (
	Original Dir = iota // the direction of the packet that created the entry
	Reply
)

// String returns "original" or "reply".
func (d Dir) String() string {
	if d == Reply {
		return "reply"
	}
	return "original"
}

// Profile selects whose semantics the table follows. The zero Profile is
// ProfileAWS.
type Profile uint8

// Profiles.
const (
	ProfileAWS   Profile = iota // AWS security groups (SPEC.md §2)
	ProfileLinux                // Linux netfilter, for comparison (SPEC.md §5)
)

// Config configures one ENI's table. The zero Config is an unlimited AWS
// table with DefaultTimeouts.
type Config struct {
	// Timeouts are the idle timeouts; the zero value means DefaultTimeouts
	// (LinuxTimeouts for ProfileLinux). They must pass Validate.
	Timeouts Timeouts
	// Allowance is the maximum number of tracked entries, the ENI's
	// conntrack allowance (SPEC.md §2.6); 0 means unlimited. AWS publishes
	// no per-instance values, so it is a parameter.
	Allowance int
	// Profile selects AWS or Linux semantics; it changes UDP stream
	// classification (udp.go). Whether ICMP errors are related is the
	// caller's decision from the same field (icmp.go).
	Profile Profile
	// NoMidStreamPickup disables creating an ESTABLISHED entry from a TCP
	// packet without SYN (Linux tcp_loose=0); Insert then refuses it.
	NoMidStreamPickup bool
	// Capacity pre-sizes the table for this many entries, so that Insert
	// does not grow it (and does not allocate) until it holds more.
	Capacity int
}

// Match is the result of a lookup: whether an entry exists for the packet's
// flow, the packet's direction relative to it, and what the entry knows.
// The zero Match found nothing.
type Match struct {
	Found bool   // a live entry exists for the packet's flow
	Dir   Dir    // the packet's direction relative to the entry
	Gen   uint16 // rule generation stamped at insert
	// State is the entry's state when the Match was made: before the
	// packet's own step for Lookup, after it for Insert and Advance; for
	// an Expired match, the state the entry expired in.
	State State
	// Expired reports that an entry existed but had expired at the lookup
	// time; it has been removed (and counted in Stats.Expired).
	Expired   bool
	ExpiredAt packet.Time // lastSeen + timeout of the expired entry
	// Refused reports that Insert created no entry although the allowance
	// had room: an ICMP error, a TCP SYN/ACK or RST with no entry, or a
	// mid-stream TCP segment under Config.NoMidStreamPickup. The packet
	// is untracked; forwarding it is the caller's decision.
	Refused bool
	// Related reports that LookupRelated found the flow an ICMP error
	// quotes.
	Related bool
	slot    int32
	moves   uint32 // Table.moves when slot was read
	// liveAt is 1 + the time at which the entry was seen live (0: not
	// known): Update at that same time, with nothing moved, need not ask
	// again (every timeout is positive, so a packet at that time cannot
	// have expired it since).
	liveAt packet.Time
}

// Stats are a table's counters. The zero Stats is an empty, unused table.
type Stats struct {
	Entries           int    // live and not-yet-removed entries now
	Peak              int    // the most Entries ever held
	Inserted          uint64 // entries created
	Expired           uint64 // entries removed on expiry (lookup, sweep, or reclaim)
	AllowanceExceeded uint64 // conntrack_allowance_exceeded: packets refused an entry (SPEC.md §2.6)
	Refused           uint64 // Inserts that created no entry by design (Match.Refused)
	Invalid           uint64 // TCP segments invalid in their entry's state (kept, not dropped)
}

// Expiry records one entry that timed out.
type Expiry struct {
	Tuple packet.Tuple // in the original direction
	At    packet.Time  // lastSeen + timeout
	State State        // the entry's state when it expired
	Gen   uint16       // the rule generation stamped at insert
	Key   Key          // tells apart flows whose tuples print alike (ICMP classes)
}

// Table is one ENI's connection tracking table.
//
// Expiry: an entry whose last packet (either direction) was at L and whose
// idle timeout for its current state is T — read from the table's
// *current* Timeouts, so SetTimeouts applies to existing entries — has
// expired at every now ≥ L+T. A packet exactly at L+T finds it gone, as
// Linux's nf_ct_is_expired does; a packet at L+T−1ns still finds it.
// Expired entries are removed three ways, each reporting the expiry at L+T,
// not at the time it was noticed (STYLE.md lesson 9):
//   - lazily, by the Lookup, LookupRelated, Advance or Insert that meets one
//     (Match.Expired, Match.ExpiredAt);
//   - incrementally, by Sweep, which visits a bounded number of slots per
//     call from a round-robin cursor;
//   - by Insert (and Full) when the allowance is used up: it removes every
//     expired entry before refusing a new one, so an expired entry never
//     costs a connection (these expiries are handed out by the next Sweep).
//     An index of deadlines (expiry.go) finds them without a scan.
//
// Tracked entries are counted against Config.Allowance until removed.
// Untracked flows (SPEC.md §2.2) must not be inserted: they use no entry
// (§2.6).
//
// A Table is not safe for concurrent use. The zero Table is not usable;
// call NewTable.
type Table struct {
	cfg    Config
	tm     Timeouts
	slots  []entry
	mem    *memhint.Mem // holds slots if they are outside the Go heap
	mask   uint64
	count  int
	cursor int
	// expq indexes entries by deadline when there is an allowance
	// (expiry.go).
	expq    []expiryItem
	pending []Expiry // expiries found by reclaim, for the next Sweep
	// moves counts the operations that can move entries between slots
	// (removal, resize). A Match whose moves equals it still names its
	// entry's slot, so Advance need not rebuild the key.
	moves uint32
	stats Stats
}

// NewTable returns an empty table, or an error if cfg is invalid.
func NewTable(cfg Config) (*Table, error) {
	if cfg.Timeouts == (Timeouts{}) {
		cfg.Timeouts = DefaultTimeouts()
		if cfg.Profile == ProfileLinux {
			cfg.Timeouts = LinuxTimeouts()
		}
	}
	if err := cfg.Timeouts.Validate(); err != nil {
		return nil, fmt.Errorf("conntrack: %w", err)
	}
	if cfg.Allowance < 0 {
		return nil, fmt.Errorf("conntrack: allowance %d is negative", cfg.Allowance)
	}
	if cfg.Capacity < 0 {
		return nil, fmt.Errorf("conntrack: capacity %d is negative", cfg.Capacity)
	}
	if cfg.Profile > ProfileLinux {
		return nil, fmt.Errorf("conntrack: unknown profile %d", cfg.Profile)
	}
	t := &Table{cfg: cfg, tm: cfg.Timeouts}
	if cfg.Capacity > 0 {
		n := max(minSlots, 1<<bits.Len(uint(cfg.Capacity*4/3+1)))
		t.resize(n)
		if cfg.Allowance > 0 {
			t.expq = make([]expiryItem, 0, 2*min(cfg.Capacity, cfg.Allowance)+64)
		}
	}
	return t, nil
}

// Release frees the memory of the table's entries now rather than when the
// table is garbage-collected (a large table's entries live outside the Go
// heap). The table must not be used afterwards.
func (t *Table) Release() {
	t.mem.Free()
	t.slots, t.mem, t.mask, t.count = nil, nil, 0, 0
	t.expq, t.pending = nil, nil
}

// Config returns the table's configuration, with its current Timeouts.
func (t *Table) Config() Config {
	c := t.cfg
	c.Timeouts = t.tm
	return c
}

// Lookup finds p's entry and p's direction relative to it. An entry that
// has expired at now is removed and reported in the Match instead. Lookup
// does not change the entry; call Update when the packet passes. It does
// not allocate.
func (t *Table) Lookup(p *packet.Packet, now packet.Time) Match {
	k, srcIsA := KeyOf(p)
	return t.LookupHashed(&k, k.hash(hashSeed), srcIsA, now)
}

// Peek is LookupHashed without side effects: it reports a live entry as
// LookupHashed does, but an entry expired at now as no Match at all
// (neither Found nor Expired), leaving its removal and its report to the
// next Lookup. A caller can so consult several tables before deciding to
// change any; a Found Match may be passed to Update. hint is the Slot of
// an earlier Match for the key, or -1: if the entry is still there Peek
// reads nothing else, and a stale hint only costs the usual search. It
// does not allocate.
func (t *Table) Peek(k *Key, h uint64, hint int32, srcIsA bool, now packet.Time) Match {
	i := int(hint)
	if uint(i) >= uint(len(t.slots)) || t.slots[i].tag != tagOf(h) || !t.slots[i].key.equal(k) {
		if i = t.find(k, h); i < 0 {
			return Match{}
		}
	}
	e := &t.slots[i]
	if now >= deadline(e.lastSeen, t.tm.timeout(e)) {
		return Match{}
	}
	return Match{Found: true, Dir: dirOf(e, srcIsA), Gen: e.gen, State: stateOf(e), slot: int32(i), moves: t.moves, liveAt: now + 1}
}

// LookupHashed is Lookup for the key and direction KeyOf(p) returned, whose
// Key.Hash is h, so that a caller consulting several tables about one
// packet builds and hashes its key once. It does not allocate.
func (t *Table) LookupHashed(k *Key, h uint64, srcIsA bool, now packet.Time) Match {
	i := t.find(k, h)
	if i < 0 {
		return Match{}
	}
	e := &t.slots[i]
	if at := deadline(e.lastSeen, t.tm.timeout(e)); now >= at {
		st := stateOf(e)
		t.expire(i)
		return Match{Expired: true, ExpiredAt: at, State: st}
	}
	return Match{Found: true, Dir: dirOf(e, srcIsA), Gen: e.gen, State: stateOf(e), slot: int32(i), moves: t.moves, liveAt: now + 1}
}

// Slot returns where a Found Match's entry is in its table, or -1: a hint
// for Peek and PrefetchSlot that stays right until entries move (a
// removal or a resize); a wrong hint is harmless.
func (m Match) Slot() int32 {
	if !m.Found {
		return -1
	}
	return m.slot
}

// dirOf returns the direction of a packet travelling a→b (srcIsA) or b→a
// relative to e.
func dirOf(e *entry, srcIsA bool) Dir {
	if srcIsA == (e.flags&flagOrigIsA != 0) {
		return Original
	}
	return Reply
}

// expire removes slot i as expired.
func (t *Table) expire(i int) {
	t.remove(i)
	t.stats.Expired++
}

// Update advances m's entry with p at now: the state machine steps, and the
// idle timer restarts. A Match that found nothing, and a related ICMP
// error, change nothing (an error never refreshes the flow it quotes). It
// does not allocate.
func (t *Table) Update(m Match, p *packet.Packet, now packet.Time) { t.touch(m, p, now) }

// Advance is Update returning the entry's Match after the step: its new
// State, or Expired if the entry had expired at now (it is then removed and
// not refreshed). m must come from this table, for p's flow. It does not
// allocate.
func (t *Table) Advance(m Match, p *packet.Packet, now packet.Time) Match {
	if !m.Found || m.Related || p.IsICMPError() {
		return m
	}
	i, dir, x := t.touch(m, p, now)
	switch {
	case x.Expired:
		return x
	case i < 0:
		return Match{}
	}
	e := &t.slots[i]
	return Match{Found: true, Dir: dir, Gen: e.gen, State: stateOf(e), slot: int32(i), moves: t.moves}
}

// touch is Advance without building the Match it returns: the slot of the
// entry it stepped and the packet's direction, or -1 if it changed nothing
// or removed the entry as expired (x then reports it as Advance does).
func (t *Table) touch(m Match, p *packet.Packet, now packet.Time) (i int, dir Dir, x Match) {
	if !m.Found || m.Related || p.IsICMPError() {
		return -1, 0, x
	}
	i, dir = int(m.slot), m.Dir
	if m.moves != t.moves || i < 0 || i >= len(t.slots) || t.slots[i].tag == 0 {
		// Entries have moved since the Match was made: find it again.
		k, srcIsA := KeyOf(p)
		if i = t.find(&k, k.hash(hashSeed)); i < 0 {
			return -1, 0, x
		}
		dir = dirOf(&t.slots[i], srcIsA)
	}
	e := &t.slots[i]
	if m.liveAt != now+1 || m.moves != t.moves {
		if at := deadline(e.lastSeen, t.tm.timeout(e)); now >= at {
			x = Match{Expired: true, ExpiredAt: at, State: stateOf(e)}
			t.expire(i)
			return -1, 0, x
		}
	}
	t.advance(e, dir, p, now)
	return i, dir, x
}

// advance steps e with p and restarts its idle timer.
func (t *Table) advance(e *entry, dir Dir, p *packet.Packet, now packet.Time) {
	if t.cfg.Allowance == 0 {
		// No expiry index to keep.
		if step(e, dir, p, now, t.cfg.Profile) {
			t.stats.Invalid++
		}
		e.lastSeen = max(e.lastSeen, now)
		return
	}
	old := deadline(e.lastSeen, t.tm.timeout(e))
	if step(e, dir, p, now, t.cfg.Profile) {
		t.stats.Invalid++
	}
	if now > e.lastSeen {
		e.lastSeen = now
	}
	if at := deadline(e.lastSeen, t.tm.timeout(e)); at < old {
		// The deadline moved earlier: keep the expiry index's invariant.
		t.pushExpiry(e.key.hash(hashSeed), at)
	}
}

// Insert creates an entry with p as the original direction, stamped with
// rule generation gen, and returns its Match. ok is false only when the
// allowance is used up: no entry is created and the packet is counted as
// conntrack_allowance_exceeded (SPEC.md §2.6); the caller drops it. Before
// refusing, Insert removes entries that have expired at now.
//
// Some packets create nothing by design and return ok true with
// m.Refused set (see Match.Refused and tcpFirst). If p's flow already has a
// live entry (the caller should have found it with Lookup), Insert advances
// that entry instead and keeps its generation. If it has an expired one, the
// old entry is removed and reported in m.Expired/m.ExpiredAt.
//
// It does not allocate unless the table must grow (see Config.Capacity).
func (t *Table) Insert(p *packet.Packet, now packet.Time, gen uint16) (m Match, ok bool) {
	if p.IsICMPError() {
		t.stats.Refused++
		return Match{Refused: true}, true
	}
	k, srcIsA := KeyOf(p)
	return t.insert(&k, k.hash(hashSeed), srcIsA, p, now, gen)
}

// InsertHashed is Insert for p whose key, Key.Hash and direction KeyOf
// returned, so that a caller that looked the key up first builds and
// hashes it once.
func (t *Table) InsertHashed(k *Key, h uint64, srcIsA bool, p *packet.Packet, now packet.Time, gen uint16) (m Match, ok bool) {
	if p.IsICMPError() {
		t.stats.Refused++
		return Match{Refused: true}, true
	}
	return t.insert(k, h, srcIsA, p, now, gen)
}

func (t *Table) insert(k *Key, h uint64, srcIsA bool, p *packet.Packet, now packet.Time, gen uint16) (m Match, ok bool) {
	if i := t.find(k, h); i >= 0 {
		e := &t.slots[i]
		at := deadline(e.lastSeen, t.tm.timeout(e))
		if now < at {
			dir := dirOf(e, srcIsA)
			t.advance(e, dir, p, now)
			return Match{Found: true, Dir: dir, Gen: e.gen, State: stateOf(e), slot: int32(i), moves: t.moves}, true
		}
		t.expire(i)
		m.Expired, m.ExpiredAt = true, at
	}
	st, invalid := StateNone, false
	if k.proto == packet.ProtoTCP {
		var create bool
		st, invalid, create = tcpFirst(p.Flags, !t.cfg.NoMidStreamPickup)
		if !create {
			t.stats.Refused++
			m.Refused = true
			return m, true
		}
	}
	if t.cfg.Allowance > 0 && t.count >= t.cfg.Allowance {
		t.reclaim(now)
		if t.count >= t.cfg.Allowance {
			t.stats.AllowanceExceeded++
			return m, false
		}
	}
	i := t.place(k, h)
	e := &t.slots[i]
	e.lastSeen, e.gen, e.state = now, gen, st
	if srcIsA {
		e.flags = flagOrigIsA
	}
	if k.proto == packet.ProtoUDP {
		udpStep(e, Original, now, t.cfg.Profile)
	}
	if invalid {
		t.stats.Invalid++
	}
	t.count++
	t.stats.Inserted++
	t.stats.Peak = max(t.stats.Peak, t.count)
	t.pushExpiry(h, deadline(now, t.tm.timeout(e)))
	m.Found, m.Dir, m.Gen, m.State, m.slot, m.moves = true, Original, gen, stateOf(e), int32(i), t.moves
	return m, true
}

func expiryOf(e *entry, at packet.Time) Expiry {
	return Expiry{Tuple: e.key.Tuple(e.flags&flagOrigIsA != 0), At: at, State: stateOf(e), Gen: e.gen, Key: e.key}
}

// Sweep removes entries idle at now and appends their expiries to out,
// returning the extended slice. First come the expiries Insert found while
// reclaiming for the allowance; then Sweep visits at most max slots
// (max ≤ 0: every slot once) round-robin from where the previous call
// stopped, so a caller can bound each call's work and still cover the whole
// table over successive calls (as gVisor's reapUnused does). The order is
// slot order, which is deterministic. It does not allocate when out has
// room.
func (t *Table) Sweep(now packet.Time, max int, out []Expiry) []Expiry {
	out = append(out, t.pending...)
	t.pending = t.pending[:0]
	n := len(t.slots)
	if n == 0 {
		return out
	}
	if max <= 0 || max > n {
		max = n
	}
	for visited := 0; visited < max; {
		e := &t.slots[t.cursor]
		if e.tag != 0 {
			if at := deadline(e.lastSeen, t.tm.timeout(e)); now >= at {
				out = append(out, expiryOf(e, at))
				t.expire(t.cursor)
				// Re-examine the slot, without counting a new visit: an
				// entry may have shifted into it.
				continue
			}
		}
		t.cursor = (t.cursor + 1) & int(t.mask)
		visited++
	}
	return out
}

// SetTimeouts changes the timeouts; existing entries use them from now on
// (an entry idle longer than its new timeout has expired). It returns the
// Validate error and changes nothing if tm is invalid.
func (t *Table) SetTimeouts(tm Timeouts) error {
	if err := tm.Validate(); err != nil {
		return fmt.Errorf("conntrack: %w", err)
	}
	t.tm = tm
	t.moves++         // a Match's liveAt no longer holds
	t.rebuildExpiry() // every deadline may have moved
	return nil
}

// Stats returns the counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Entries = t.count
	return s
}

// Len returns the number of entries held, expired ones not yet removed
// included.
func (t *Table) Len() int { return t.count }

// Available returns conntrack_allowance_available: the allowance minus the
// entries held, or -1 when the allowance is unlimited (SPEC.md §2.6).
// Expired entries not yet removed still count; Sweep first for an exact
// figure.
func (t *Table) Available() int {
	if t.cfg.Allowance == 0 {
		return -1
	}
	return max(t.cfg.Allowance-t.count, 0)
}

// Full reports whether an Insert at now needing a new entry would be
// refused for the allowance (SPEC.md §2.6). Like Insert, it first removes
// the entries expired at now (their expiries go to the next Sweep), so
// after Full returns false an Insert at now succeeds. It counts nothing: a
// caller that then drops the packet without calling Insert should say so
// in its own report. It does not allocate unless the reclaimed expiries
// outgrow their buffer.
func (t *Table) Full(now packet.Time) bool {
	if t.cfg.Allowance == 0 || t.count < t.cfg.Allowance {
		return false
	}
	t.reclaim(now)
	return t.count >= t.cfg.Allowance
}

// EntryInfo describes one live entry, for reports and debugging.
type EntryInfo struct {
	Tuple     packet.Tuple // in the original direction
	State     State        // the TCP state (StateNone for other protocols)
	LastSeen  packet.Time  // the time of the last packet, either direction
	ExpiresAt packet.Time  // LastSeen + the timeout of the entry's state
	Gen       uint16       // the rule generation stamped at insert
}

// String formats the entry as
// "tcp 10.0.1.5:49152 > 10.0.2.7:443 ESTABLISHED last=1s expires=432001s gen=3".
func (ei EntryInfo) String() string {
	return fmt.Sprintf("%s %s last=%s expires=%s gen=%d", ei.Tuple, ei.State, ei.LastSeen, ei.ExpiresAt, ei.Gen)
}

// Entries returns the entries live at now, sorted by their tuple's string
// (then by state and expiry). It removes nothing, and it allocates.
func (t *Table) Entries(now packet.Time) []EntryInfo {
	var out []EntryInfo
	for i := range t.slots {
		e := &t.slots[i]
		if e.tag == 0 {
			continue
		}
		at := deadline(e.lastSeen, t.tm.timeout(e))
		if now >= at {
			continue
		}
		out = append(out, EntryInfo{
			Tuple: e.key.Tuple(e.flags&flagOrigIsA != 0), State: stateOf(e),
			LastSeen: e.lastSeen, ExpiresAt: at, Gen: e.gen,
		})
	}
	keys := make([]string, len(out))
	for i := range out {
		keys[i] = out[i].Tuple.String()
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		if c := strings.Compare(keys[x], keys[y]); c != 0 {
			return c
		}
		if out[x].State != out[y].State {
			return int(out[x].State) - int(out[y].State)
		}
		return cmp.Compare(out[x].ExpiresAt, out[y].ExpiresAt)
	})
	sorted := make([]EntryInfo, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}
