package conntrack

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// naiveTable is the reference the fast table is fuzzed against: a map of
// structs keyed by a string, expiring lazily, written for obviousness
// rather than speed (the role parseIPSlow plays for netip, STYLE.md
// lesson 15). It shares only the pure TCP transition functions with Table.
type naiveTable struct {
	cfg     Config
	tm      Timeouts
	m       map[string]*naiveEntry
	pending map[Key][]packet.Time // reclaimed on a full Insert, awaiting Sweep, oldest first
}

type naiveEntry struct {
	key       Key          // the table's key, only to match Sweep's reports
	orig      packet.Tuple // tuple of the creating packet (ports as the key uses them)
	last      packet.Time
	created   packet.Time
	state     State
	gen       uint16
	seenReply bool
	stream    bool
	pending   bool // AWS UDP: original packet awaiting a reply
	tx        int  // AWS UDP: completed transactions
}

func newNaive(cfg Config) *naiveTable {
	tm := cfg.Timeouts
	if tm == (Timeouts{}) {
		tm = DefaultTimeouts()
	}
	return &naiveTable{cfg: cfg, tm: tm, m: map[string]*naiveEntry{}, pending: map[Key][]packet.Time{}}
}

// naiveTuple is p's tuple with ports as tracking uses them.
func naiveTuple(p *packet.Packet) packet.Tuple {
	t := packet.Tuple{Src: p.Src, Dst: p.Dst, Proto: p.Proto}
	switch {
	case p.Proto == packet.ProtoTCP || p.Proto == packet.ProtoUDP:
		t.SrcPort, t.DstPort = p.SrcPort, p.DstPort
	case p.IsICMPEcho():
		t.SrcPort, t.DstPort = p.ICMPID, p.ICMPID
	case p.IsICMP():
		class, reply := icmpClass(p.Proto, p.ICMPType)
		t.SrcPort, t.DstPort = 1000+uint16(class), 2000+uint16(class)
		if reply {
			t.SrcPort, t.DstPort = t.DstPort, t.SrcPort
		}
	}
	return t
}

func naiveKey(t packet.Tuple) string {
	x := netip.AddrPortFrom(t.Src, t.SrcPort).String()
	y := netip.AddrPortFrom(t.Dst, t.DstPort).String()
	if y < x {
		x, y = y, x
	}
	return fmt.Sprintf("%d %s %s", t.Proto, x, y)
}

func (n *naiveTable) timeout(e *naiveEntry) time.Duration {
	switch e.orig.Proto {
	case packet.ProtoTCP:
		return n.tm.ForState(e.state)
	case packet.ProtoUDP:
		if e.stream {
			return n.tm.UDPStream
		}
		return n.tm.UDP
	case packet.ProtoICMP, packet.ProtoICMPv6:
		return n.tm.ICMP
	}
	return n.tm.Other
}

func (n *naiveTable) expiry(e *naiveEntry) packet.Time {
	return e.last + packet.Time(n.timeout(e))
}

func (n *naiveTable) state(e *naiveEntry) State {
	switch {
	case e.orig.Proto == packet.ProtoTCP:
		return e.state
	case e.stream:
		return StateStream
	case e.seenReply:
		return StateReplied
	}
	return StateUnreplied
}

// get returns the live entry of tuple tu and the direction, or the expiry
// time and last state of a dead one (which it deletes).
func (n *naiveTable) get(tu packet.Tuple, now packet.Time) (e *naiveEntry, dir Dir, gone Match) {
	k := naiveKey(tu)
	e = n.m[k]
	if e == nil {
		return nil, 0, Match{}
	}
	if at := n.expiry(e); now >= at {
		delete(n.m, k)
		return nil, 0, Match{Expired: true, ExpiredAt: at, State: n.state(e)}
	}
	if tu.Src == e.orig.Src && tu.SrcPort == e.orig.SrcPort {
		return e, Original, Match{}
	}
	return e, Reply, Match{}
}

func (n *naiveTable) lookup(p *packet.Packet, now packet.Time) Match {
	e, dir, gone := n.get(naiveTuple(p), now)
	if e == nil {
		return gone
	}
	return Match{Found: true, Dir: dir, Gen: e.gen, State: n.state(e)}
}

func (n *naiveTable) step(e *naiveEntry, dir Dir, p *packet.Packet, now packet.Time) {
	switch e.orig.Proto {
	case packet.ProtoTCP:
		e.state, _ = tcpStep(e.state, dir, p.Flags)
	case packet.ProtoUDP:
		if n.cfg.Profile == ProfileLinux {
			if e.seenReply && now-e.created > packet.Time(2*time.Second) {
				e.stream = true
			}
		} else if dir == Original {
			e.pending = true
		} else if e.pending {
			e.pending = false
			e.tx++
			if e.tx >= 2 {
				e.stream = true
			}
		}
	}
	if dir == Reply {
		e.seenReply = true
	}
	e.last = max(e.last, now)
}

func (n *naiveTable) update(p *packet.Packet, now packet.Time) {
	if p.IsICMPError() {
		return
	}
	if e, dir, _ := n.get(naiveTuple(p), now); e != nil {
		n.step(e, dir, p, now)
	}
}

func (n *naiveTable) insert(p *packet.Packet, now packet.Time, gen uint16) (Match, bool) {
	if p.IsICMPError() {
		return Match{Refused: true}, true
	}
	tu := naiveTuple(p)
	e, dir, gone := n.get(tu, now)
	if e != nil {
		n.step(e, dir, p, now)
		return Match{Found: true, Dir: dir, Gen: e.gen, State: n.state(e)}, true
	}
	m := Match{Expired: gone.Expired, ExpiredAt: gone.ExpiredAt}
	st := StateNone
	if p.Proto == packet.ProtoTCP {
		var ok bool
		st, _, ok = tcpFirst(p.Flags, !n.cfg.NoMidStreamPickup)
		if !ok {
			m.Refused = true
			return m, true
		}
	}
	if n.cfg.Allowance > 0 && len(n.m) >= n.cfg.Allowance {
		for k, e := range n.m {
			if at := n.expiry(e); now >= at {
				n.pending[e.key] = append(n.pending[e.key], at)
				delete(n.m, k)
			}
		}
		if len(n.m) >= n.cfg.Allowance {
			return m, false
		}
	}
	key, _ := KeyOf(p)
	e = &naiveEntry{key: key, orig: tu, last: now, created: now, state: st, gen: gen}
	if p.Proto == packet.ProtoUDP && n.cfg.Profile != ProfileLinux {
		e.pending = true
	}
	n.m[naiveKey(tu)] = e
	m.Found, m.Dir, m.Gen, m.State = true, Original, gen, n.state(e)
	return m, true
}

// checkSweep verifies the table's sweep output against the reference and
// applies it: every reported expiry is an entry the reference holds (or
// reclaimed), dead at now, expiring at the reported time, with the same
// original tuple.
func (n *naiveTable) checkSweep(t *testing.T, out []Expiry, now packet.Time) {
	t.Helper()
	for _, x := range out {
		if ats := n.pending[x.Key]; len(ats) > 0 {
			if ats[0] != x.At {
				t.Fatalf("reclaimed %v at %v, reference says %v", x.Tuple, x.At, ats[0])
			}
			n.pending[x.Key] = ats[1:]
			continue
		}
		var found string
		for k, e := range n.m {
			if e.key == x.Key {
				found = k
			}
		}
		e := n.m[found]
		if e == nil {
			t.Fatalf("sweep reported %v, which the reference does not hold", x.Tuple)
		}
		want := e.orig
		if want.Proto == packet.ProtoICMP || want.Proto == packet.ProtoICMPv6 {
			if want.SrcPort != want.DstPort { // class key: no ports in the tuple
				want.SrcPort, want.DstPort = 0, 0
			}
		}
		if at := n.expiry(e); at != x.At || now < at || want != x.Tuple {
			t.Fatalf("sweep reported %v at %v; reference: %v at %v", x.Tuple, x.At, want, at)
		}
		delete(n.m, found)
	}
}

// FuzzTableMatchesNaive drives Table and naiveTable with the same random
// packet sequence — inserts, lookups, updates, sweeps, time jumps onto
// exact timeout edges, timeout changes, a small allowance — and requires
// the same Found, Dir, State, Gen and expiry for every packet (SPEC.md
// §2.4 timeouts, §2.6 allowance, §5.3 TCP).
func FuzzTableMatchesNaive(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{2, 0, 0x11, 0x20, 0x31, 0x42, 0x10, 0x25, 0x53, 0x64, 0x70, 0x01})
	f.Add([]byte{0x13, 0x01, 0x81, 0x02, 0x91, 0x03, 0xa1, 0x0b, 0x22, 0x33, 0x44})
	f.Add([]byte{1, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		cfg := Config{Allowance: int(data[0] & 7), NoMidStreamPickup: data[0]&8 != 0}
		if data[0]&16 != 0 {
			cfg.Profile = ProfileLinux
		}
		tb := newTable(t, cfg)
		ref := newNaive(cfg)
		runOps(t, tb, ref, data[1:])
	})
}

var fuzzAddrs = []netip.Addr{
	netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3"),
	netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("2001:db8::1"),
}

var fuzzSteps = []time.Duration{
	1, time.Second, 10 * time.Second, 30*time.Second - 1, 30 * time.Second, 60 * time.Second,
	120 * time.Second, 180*time.Second + 1, 600 * time.Second, 0,
}

func fuzzPacket(b0, b1 byte) *packet.Packet {
	p := &packet.Packet{Src: fuzzAddrs[int(b0)%3], Dst: fuzzAddrs[int(b0>>2)%3]}
	if b0&0x40 != 0 { // an IPv6 pair instead
		p.Src, p.Dst = fuzzAddrs[3+int(b0)%2], fuzzAddrs[3+int(b0>>1)%2]
	}
	ports := []uint16{1, 2, 53}
	p.SrcPort, p.DstPort = ports[int(b1)%3], ports[int(b1>>2)%3]
	switch b1 >> 4 & 7 {
	case 0, 1, 2:
		p.Proto = packet.ProtoTCP
		p.Flags = packet.TCPFlags([]byte{0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x00, 0x14}[b0>>4&7])
	case 3, 4:
		p.Proto = packet.ProtoUDP
	case 5:
		p.Proto, p.ICMPType, p.ICMPID = packet.ProtoICMP, []uint8{8, 0, 13, 14}[b0>>4&3], uint16(b1&1)
	case 6:
		p.Proto = packet.ProtoGRE
	case 7:
		p.Proto, p.ICMPType = packet.ProtoICMP, 3 // an error quoting a TCP flow
		q := fuzzPacket(b0, b1&0x0f)
		p.Inner = q.Tuple()
	}
	if p.Proto == packet.ProtoICMP && p.Src.Is6() && !p.Src.Is4In6() {
		p.Proto = packet.ProtoICMPv6
		p.ICMPType = map[uint8]uint8{8: 128, 0: 129, 13: 139, 14: 140, 3: 1}[p.ICMPType]
	}
	return p
}

func runOps(t *testing.T, tb *Table, ref *naiveTable, ops []byte) {
	now := packet.Time(0)
	short := DefaultTimeouts()
	short.UDP, short.UDPStream, short.TCPEstablished = 60*time.Second, 60*time.Second, 60*time.Second
	var out []Expiry
	for i := 0; i+1 < len(ops); i += 2 {
		op, arg := ops[i], ops[i+1]
		switch op & 7 {
		case 0, 1, 2: // a packet the rules allow: lookup, then update or insert
			p := fuzzPacket(op, arg)
			gen := uint16(i)
			var got, want Match
			if p.IsICMPError() {
				got, want = tb.LookupRelated(p, now), ref.lookup(&packet.Packet{
					Src: p.Inner.Src, Dst: p.Inner.Dst, SrcPort: p.Inner.SrcPort, DstPort: p.Inner.DstPort,
					Proto: p.Inner.Proto, ICMPType: 8, ICMPID: p.Inner.SrcPort}, now)
				if want.Found {
					want.Dir ^= 1
				}
				want.Related = want.Found
			} else {
				got, want = tb.Lookup(p, now), ref.lookup(p, now)
			}
			compare(t, i, "lookup "+p.String(), got, want)
			if got.Found {
				tb.Update(got, p, now)
				ref.update(p, now)
				continue
			}
			gm, gok := tb.Insert(p, now, gen)
			wm, wok := ref.insert(p, now, gen)
			if gok != wok {
				t.Fatalf("op %d insert %v at %v: ok=%v, reference %v", i, p, now, gok, wok)
			}
			compare(t, i, "insert "+p.String(), gm, wm)
		case 3: // time passes
			now += packet.Time(fuzzSteps[int(arg)%len(fuzzSteps)])
		case 4: // incremental sweep
			out = tb.Sweep(now, int(arg%16)+1, out[:0])
			ref.checkSweep(t, out, now)
		case 5: // full sweep: nothing expired may remain
			out = tb.Sweep(now, 0, out[:0])
			ref.checkSweep(t, out, now)
			for k, e := range ref.m {
				if ref.expiry(e) <= now {
					t.Fatalf("full sweep at %v left %s (expired %v)", now, k, ref.expiry(e))
				}
			}
		case 6: // the ENI's timeouts change
			tm := DefaultTimeouts()
			if arg&1 != 0 {
				tm = short
			}
			if err := tb.SetTimeouts(tm); err != nil {
				t.Fatal(err)
			}
			ref.tm = tm
		case 7: // a lookup that does not pass
			p := fuzzPacket(arg, op)
			if !p.IsICMPError() {
				compare(t, i, "probe "+p.String(), tb.Lookup(p, now), ref.lookup(p, now))
			}
		}
		if got, want := tb.Len(), len(ref.m); got != want {
			t.Fatalf("op %d at %v: table holds %d entries, reference %d", i, now, got, want)
		}
	}
	entries := tb.Entries(now)
	var live int
	for _, e := range ref.m {
		if now < ref.expiry(e) {
			live++
		}
	}
	if len(entries) != live {
		t.Fatalf("Entries: %d, reference live %d", len(entries), live)
	}
	if !slices.IsSortedFunc(entries, func(a, b EntryInfo) int {
		if a.Tuple.String() < b.Tuple.String() {
			return -1
		}
		if a.Tuple.String() > b.Tuple.String() {
			return 1
		}
		return 0
	}) {
		t.Fatal("Entries not sorted by tuple")
	}
}

func compare(t *testing.T, i int, what string, got, want Match) {
	t.Helper()
	got.slot, got.moves, got.liveAt = 0, 0, 0
	if got != want {
		t.Fatalf("op %d %s:\n got  %+v\n want %+v", i, what, got, want)
	}
}

// TestTableMatchesNaiveOnSeeds runs the fuzz seeds plus a few thousand
// pseudo-random sequences, so plain `go test` exercises the differential
// check too (SPEC.md §2.4, §2.6, §5.3).
func TestTableMatchesNaiveOnSeeds(t *testing.T) {
	var x uint64 = 0x2545f4914f6cdd1d
	for seq := range 3000 {
		data := make([]byte, 2+seq%200)
		for j := range data {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			data[j] = byte(x)
		}
		cfg := Config{Allowance: int(data[0] & 7), NoMidStreamPickup: data[0]&8 != 0}
		if data[0]&16 != 0 {
			cfg.Profile = ProfileLinux
		}
		runOps(t, newTable(t, cfg), newNaive(cfg), data[1:])
	}
}
