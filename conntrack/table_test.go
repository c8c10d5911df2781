package conntrack

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestOtherProtocolsTrackedByAddressesFor600s checks SPEC.md §8 #10 and
// CT3: GRE A→P at t0; P→A at t300 is a reply; with no traffic since t0,
// P→A at t601 finds the entry expired at t600 (edges at 600 s ± 1 ns).
func TestOtherProtocolsTrackedByAddressesFor600s(t *testing.T) {
	const out, back = "gre 10.0.1.10 > 192.0.2.50", "gre 192.0.2.50 > 10.0.1.10"
	tests := []struct {
		probe packet.Time
		found bool
	}{
		{at(300), true},
		{at(600) - 1, true},
		{at(600), false},
		{at(600) + 1, false},
		{at(601), false},
	}
	for _, tc := range tests {
		tb := newTable(t, Config{})
		send(t, tb, out, 0)
		m := seen(tb, back, tc.probe)
		if m.Found != tc.found {
			t.Errorf("probe at %v: found=%v, want %v", tc.probe, m.Found, tc.found)
		}
		if m.Found && m.Dir != Reply {
			t.Errorf("probe at %v: dir %v, want reply", tc.probe, m.Dir)
		}
		if !m.Found && m.ExpiredAt != at(600) {
			t.Errorf("probe at %v: ExpiredAt %v, want 600s", tc.probe, m.ExpiredAt)
		}
	}
}

// TestNitroV6EstablishedTimeout checks SPEC.md §8 #16a/b: after a
// handshake at t0, data at t86400 passes on a default instance (432000 s)
// but data at t400 finds the entry gone on Nitro v6 (350 s); edges at
// 350 s ± 1 ns.
func TestNitroV6EstablishedTimeout(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		probe   packet.Time
		found   bool
	}{
		{"#16a default at 86400s", "", at(86400), true},
		{"default at 432000s-1ns", "", at(432000) - 1, true},
		{"default at 432000s", "", at(432000), false},
		{"#16b nitro-v6 at 400s", "nitro-v6", at(400), false},
		{"nitro-v6 at 350s-1ns", "nitro-v6", at(350) - 1, true},
		{"nitro-v6 at 350s", "nitro-v6", at(350), false},
		{"nitro-v6 at 350s+1ns", "nitro-v6", at(350) + 1, false},
	}
	for _, tc := range tests {
		tb := newTable(t, Config{Timeouts: TimeoutsFor(tc.profile)})
		send(t, tb, c2s("S"), 0)
		send(t, tb, s2c("S."), 0)
		send(t, tb, c2s("."), 0)
		if m := seen(tb, s2c("P."), tc.probe); m.Found != tc.found {
			t.Errorf("%s: found=%v, want %v", tc.name, m.Found, tc.found)
		}
	}
}

// TestICMPEchoTrackedWithICMPTimeout: an echo request creates an entry the
// reply matches in the Reply direction (SPEC.md §8 #6, CT8); it expires
// after Timeouts.ICMP (30 s, Linux's value, §5.1) at the T−1ns/T edges.
func TestICMPEchoTrackedWithICMPTimeout(t *testing.T) {
	const req, rep = "icmp 198.51.100.7 > 10.0.1.10 echo-request id=7", "icmp 10.0.1.10 > 198.51.100.7 echo-reply id=7"
	tb := newTable(t, Config{})
	send(t, tb, req, 0)
	if m := seen(tb, rep, at(0.01)); !m.Found || m.Dir != Reply || m.State != StateUnreplied {
		t.Fatalf("echo reply: %+v", m)
	}
	if m := seen(tb, "icmp 10.0.1.10 > 198.51.100.7 echo-reply id=8", at(0.01)); m.Found {
		t.Errorf("a reply with another identifier matched: %+v", m)
	}
	if m := seen(tb, rep, at(30)-1); !m.Found {
		t.Errorf("at 30s-1ns: not found")
	}
	if m := seen(tb, rep, at(30)); m.Found || m.ExpiredAt != at(30) {
		t.Errorf("at 30s: %+v, want expired at 30s", m)
	}
	// Timestamp request/reply share a class entry, apart from echo.
	send(t, tb, "icmp 10.0.1.10 > 10.0.2.7 type=13", at(40))
	if m := seen(tb, "icmp 10.0.2.7 > 10.0.1.10 type=14", at(41)); !m.Found || m.Dir != Reply {
		t.Errorf("timestamp reply: %+v", m)
	}
	if m := seen(tb, "icmp 10.0.2.7 > 10.0.1.10 echo-reply id=13", at(41)); m.Found {
		t.Errorf("an echo reply matched the timestamp entry: %+v", m)
	}
}

// icmpError builds an ICMP error from router to the quoted packet's
// source, quoting it.
func icmpError(router string, quoted string, proto uint8, typ, code uint8) *packet.Packet {
	q := pkt(quoted)
	p := pkt(fmt.Sprintf("icmp %s > %s type=%d code=%d", router, q.Src, typ, code))
	p.Proto = proto
	p.Inner = q.Tuple()
	return p
}

// TestLookupRelatedFindsTheQuotedFlow checks SPEC.md §8 #34 at table level:
// a "fragmentation needed" error quoting A's tracked packet is found with
// LookupRelated in the Reply direction; ICMP errors never create entries
// nor refresh the flow (the AWS profile refusing them is the caller's
// decision, §2.7; Linux admits them as RELATED, §5.4).
func TestLookupRelatedFindsTheQuotedFlow(t *testing.T) {
	tb := newTable(t, Config{})
	send(t, tb, s2c("S"), 0) // A (10.0.2.7:443) is the client here
	send(t, tb, c2s("S."), 0)
	send(t, tb, s2c("."), 0)
	e := icmpError("192.0.2.1", s2c("P."), packet.ProtoICMP, 3, 4)
	m := tb.LookupRelated(e, at(1))
	if !m.Found || !m.Related || m.Dir != Reply || m.State != StateEstablished {
		t.Fatalf("related: %+v", m)
	}
	// Quoting the other direction gives the Original direction.
	if m := tb.LookupRelated(icmpError("192.0.2.1", c2s("P."), packet.ProtoICMP, 11, 0), at(1)); !m.Found || m.Dir != Original {
		t.Errorf("related, reverse: %+v", m)
	}
	if m := tb.Lookup(e, at(1)); m.Found {
		t.Errorf("plain Lookup of the error found %+v", m)
	}
	tb.Update(m, e, at(5)) // must not refresh
	if im, ok := tb.Insert(e, at(5), 0); !ok || im.Found || !im.Refused {
		t.Errorf("Insert of an ICMP error: %+v ok=%v, want refused", im, ok)
	}
	if got := tb.Len(); got != 1 {
		t.Errorf("entries %d, want 1", got)
	}
	// IPv6: packet too big quoting a tracked flow.
	send(t, tb, "udp [2001:db8::1]:5000 > [2001:db8::2]:53", 0)
	e6 := icmpError("2001:db8::ff", "udp [2001:db8::1]:5000 > [2001:db8::2]:53", packet.ProtoICMPv6, 2, 0)
	if m := tb.LookupRelated(e6, at(1)); !m.Found || m.Dir != Reply {
		t.Errorf("ICMPv6 related: %+v", m)
	}
	if m := tb.LookupRelated(pkt("icmp 10.0.0.1 > 10.0.0.2 echo-request id=1"), at(1)); m.Found {
		t.Errorf("LookupRelated of a non-error found %+v", m)
	}
}

// TestIPv4AndIPv6FlowsAreSeparate: the same ports over IPv4 and over IPv6
// (even IPv4-mapped IPv6) are different entries (SPEC.md §2.2: "IPv4 and
// IPv6 traffic are separate").
func TestIPv4AndIPv6FlowsAreSeparate(t *testing.T) {
	tb := newTable(t, Config{})
	send(t, tb, "tcp 10.0.0.1:1000 > 10.0.0.2:80 S", 0)
	for _, line := range []string{
		"tcp [::ffff:10.0.0.2]:80 > [::ffff:10.0.0.1]:1000 S.",
		"tcp [2001:db8::2]:80 > [2001:db8::1]:1000 S.",
	} {
		if m := seen(tb, line, at(1)); m.Found {
			t.Errorf("%s matched the IPv4 entry", line)
		}
	}
	send(t, tb, "tcp [::ffff:10.0.0.1]:1000 > [::ffff:10.0.0.2]:80 S", 0)
	send(t, tb, "tcp [2001:db8::1]:1000 > [2001:db8::2]:80 S", 0)
	if got := tb.Len(); got != 3 {
		t.Errorf("entries %d, want 3", got)
	}
	if m := seen(tb, "tcp 10.0.0.2:80 > 10.0.0.1:1000 S.", at(1)); !m.Found || m.Dir != Reply {
		t.Errorf("IPv4 reply: %+v", m)
	}
}

// TestAllowanceExhaustionAndRecovery checks SPEC.md §2.6: with the
// allowance used up, a packet needing a new entry is refused and counted
// (conntrack_allowance_exceeded); existing entries keep working; once an
// entry expires, a new connection fits again without any sweep, and the
// reclaimed expiry is reported by the next Sweep.
func TestAllowanceExhaustionAndRecovery(t *testing.T) {
	tb := newTable(t, Config{Allowance: 2})
	if got := tb.Available(); got != 2 {
		t.Fatalf("Available = %d, want 2", got)
	}
	send(t, tb, "udp 10.0.0.1:1000 > 10.0.0.2:53", 0)
	send(t, tb, "udp 10.0.0.1:1001 > 10.0.0.2:53", at(10))
	if got := tb.Available(); got != 0 {
		t.Errorf("Available = %d, want 0", got)
	}
	if _, ok := tb.Insert(pkt("udp 10.0.0.1:1002 > 10.0.0.2:53"), at(20), 0); ok {
		t.Fatal("third entry admitted over the allowance")
	}
	if s := tb.Stats(); s.AllowanceExceeded != 1 || s.Entries != 2 {
		t.Errorf("stats %+v", s)
	}
	if m := seen(tb, "udp 10.0.0.2:53 > 10.0.0.1:1001", at(20)); !m.Found {
		t.Error("existing entry stopped working when the table was full")
	}
	// Untracked or refused packets use no entry and are not counted.
	if m, ok := tb.Insert(pkt("tcp 10.0.0.1:5 > 10.0.0.2:6 R"), at(20), 0); !ok || !m.Refused {
		t.Errorf("RST with a full table: %+v ok=%v", m, ok)
	}
	if !tb.Full(at(30) - 1) {
		t.Error("Full at 30s-1ns = false with two live entries")
	}
	// At t29.999999999 the first entry is still live (last packet t0).
	if _, ok := tb.Insert(pkt("udp 10.0.0.1:1002 > 10.0.0.2:53"), at(30)-1, 0); ok {
		t.Error("admitted before any entry expired")
	}
	// At t30 the first entry has expired: Full and Insert reclaim its slot.
	if tb.Full(at(30)) {
		t.Error("Full at 30s = true although an entry expired")
	}
	m, ok := tb.Insert(pkt("udp 10.0.0.1:1002 > 10.0.0.2:53"), at(30), 0)
	if !ok || !m.Found {
		t.Fatalf("insert after expiry: %+v ok=%v", m, ok)
	}
	if s := tb.Stats(); s.AllowanceExceeded != 2 || s.Expired != 1 || s.Entries != 2 || s.Peak != 2 {
		t.Errorf("stats %+v", s)
	}
	exp := tb.Sweep(at(30), 0, nil)
	first := pkt("udp 10.0.0.1:1000 > 10.0.0.2:53")
	k, _ := KeyOf(first)
	want := Expiry{Tuple: first.Tuple(), At: at(30), State: StateUnreplied, Gen: 1, Key: k}
	if len(exp) != 1 || exp[0] != want {
		t.Errorf("Sweep after reclaim = %+v, want [%+v]", exp, want)
	}
	if got := newTable(t, Config{}).Available(); got != -1 {
		t.Errorf("unlimited Available = %d, want -1", got)
	}
}

// TestSweepIsIncrementalAndReportsExpiryTime: Sweep visits at most max
// slots per call, covers the whole table over successive calls, reports
// each expiry once at last+timeout in the original direction, in the same
// order on every run (SPEC.md §2.4 timeouts; STYLE.md lessons 7 and 9).
func TestSweepIsIncrementalAndReportsExpiryTime(t *testing.T) {
	run := func() []Expiry {
		tb := newTable(t, Config{})
		for i := range 100 {
			send(t, tb, fmt.Sprintf("udp 10.0.0.1:%d > 10.0.0.2:53", 1000+i), at(float64(i)))
		}
		all := tb.Sweep(at(200), 8, nil)
		if len(all) == 0 || len(all) >= 50 {
			t.Fatalf("one Sweep(max=8) of 256 slots expired %d of 100 entries", len(all))
		}
		for range 40 {
			all = tb.Sweep(at(200), 8, all)
		}
		if tb.Len() != 0 {
			t.Errorf("%d entries left after sweeping", tb.Len())
		}
		return all
	}
	a, b := run(), run()
	if len(a) != 100 {
		t.Fatalf("%d expiries, want 100", len(a))
	}
	if !slices.Equal(a, b) {
		t.Error("sweep order differs between two identical runs")
	}
	seenPort := map[uint16]bool{}
	for _, e := range a {
		i := int(e.Tuple.SrcPort) - 1000
		if e.At != at(float64(i)+30) || e.Tuple.DstPort != 53 || seenPort[e.Tuple.SrcPort] {
			t.Errorf("bad expiry %+v", e)
		}
		seenPort[e.Tuple.SrcPort] = true
	}
}

// TestSweepKeepsLiveEntries: a sweep at T−1ns removes nothing, at T it
// removes the entry (SPEC.md §2.4 UDP 30 s).
func TestSweepKeepsLiveEntries(t *testing.T) {
	tb := newTable(t, Config{})
	send(t, tb, query, at(1))
	if out := tb.Sweep(at(31)-1, 0, nil); len(out) != 0 || tb.Len() != 1 {
		t.Errorf("sweep at T-1ns removed %v", out)
	}
	if out := tb.Sweep(at(31), 0, nil); len(out) != 1 || out[0].At != at(31) || tb.Len() != 0 {
		t.Errorf("sweep at T: %v", out)
	}
}

// TestSetTimeoutsAppliesToExistingEntries: lowering the UDP stream
// timeout on a live ENI shortens existing streams (SPEC.md §2.4, AWS-WN-2311
// "EC2 will now purge these sessions at the specified timeout value"), and
// a full table reclaims entries the new timeouts expired.
func TestSetTimeoutsAppliesToExistingEntries(t *testing.T) {
	tb := newTable(t, Config{Allowance: 1})
	for i, line := range []string{query, resp, query, resp} {
		send(t, tb, line, at(float64(i)))
	}
	if m := seen(tb, resp, at(100)); !m.Found || m.State != StateStream {
		t.Fatalf("stream at 100s: %+v", m)
	}
	tm := DefaultTimeouts()
	tm.UDPStream = sec(60)
	if err := tb.SetTimeouts(tm); err != nil {
		t.Fatal(err)
	}
	// The last packet was at t3: the entry has been expired since t63.
	if _, ok := tb.Insert(pkt("udp 10.0.0.9:1 > 10.0.0.8:2"), at(100), 0); !ok {
		t.Error("full table did not reclaim an entry expired by SetTimeouts")
	}
	if out := tb.Sweep(at(100), 0, nil); len(out) != 1 || out[0].At != at(63) || out[0].State != StateStream {
		t.Errorf("reclaimed expiry %+v, want one STREAM at 63s", out)
	}
}

// TestInsertOnExistingEntry: Insert meeting a live entry advances it (and
// keeps its generation); meeting an expired one replaces it and reports the
// expiry (SPEC.md §2.1 CT4: entries carry the rules' generation).
func TestInsertOnExistingEntry(t *testing.T) {
	tb := newTable(t, Config{})
	if m, _ := tb.Insert(pkt(c2s("S")), 0, 3); m.Gen != 3 || m.State != StateSynSent {
		t.Fatalf("insert: %+v", m)
	}
	m, ok := tb.Insert(pkt(s2c("S.")), at(1), 9)
	if !ok || m.Gen != 3 || m.State != StateSynRecv || m.Dir != Reply {
		t.Errorf("insert on live entry: %+v", m)
	}
	m, ok = tb.Insert(pkt(c2s("S")), at(500), 9)
	if !ok || !m.Found || m.Gen != 9 || !m.Expired || m.ExpiredAt != at(61) || m.Dir != Original {
		t.Errorf("insert on expired entry: %+v", m)
	}
	if s := tb.Stats(); s.Inserted != 2 || s.Expired != 1 || s.Entries != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestEntriesSortedByTuple: Entries lists live entries sorted by tuple,
// with state and expiry time (for reports).
func TestEntriesSortedByTuple(t *testing.T) {
	tb := newTable(t, Config{})
	send(t, tb, "udp 10.0.0.3:1 > 10.0.0.4:53", 0)
	send(t, tb, "gre 10.0.0.1 > 10.0.0.2", 0)
	send(t, tb, c2s("S"), at(1))
	send(t, tb, "udp 10.0.0.5:1 > 10.0.0.6:53", at(-100)) // already expired at 0
	got := tb.Entries(at(2))
	var lines []string
	for _, e := range got {
		lines = append(lines, e.String())
	}
	want := []string{
		"gre 10.0.0.1 > 10.0.0.2 UNREPLIED last=0s expires=600s gen=1",
		"tcp 10.0.1.5:49152 > 10.0.2.7:443 SYN_SENT last=1s expires=121s gen=1",
		"udp 10.0.0.3:1 > 10.0.0.4:53 UNREPLIED last=0s expires=30s gen=1",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Entries:\n%q\nwant\n%q", lines, want)
	}
}

// TestTableGrowsAndKeepsEveryEntry: inserting many flows (growing the
// table several times) then removing half keeps every remaining flow
// findable in the right direction (backward-shift deletion).
func TestTableGrowsAndKeepsEveryEntry(t *testing.T) {
	tb := newTable(t, Config{})
	const n = 5000
	line := func(i int) string {
		return fmt.Sprintf("tcp 10.%d.%d.1:%d > 10.9.9.9:443 S", i>>8&255, i&255, 1024+i%7)
	}
	for i := range n {
		if _, ok := tb.Insert(pkt(line(i)), at(float64(i%2)), 0); !ok {
			t.Fatal("insert failed")
		}
	}
	tb.Sweep(at(120.5), 0, nil) // expires the even ones (last packet t0)
	if tb.Len() != n/2 {
		t.Fatalf("Len = %d, want %d", tb.Len(), n/2)
	}
	for i := range n {
		p := pkt(line(i))
		m := tb.Lookup(p, at(120.5))
		if m.Found != (i%2 == 1) || (m.Found && m.Dir != Original) {
			t.Fatalf("flow %d: %+v", i, m)
		}
	}
}

// TestUpdateWithStaleMatch: a Match held while other entries are removed
// (which shifts entries between slots) still updates its own flow
// (STYLE.md lesson 9: lazy removal anywhere must not corrupt the table).
func TestUpdateWithStaleMatch(t *testing.T) {
	tb := newTable(t, Config{Capacity: 8}) // 16 slots: probe runs collide
	line := func(i int) string { return fmt.Sprintf("udp 10.0.0.%d:1000 > 10.0.1.1:53", i) }
	for i := range 10 {
		send(t, tb, line(i), at(float64(i%2)))
	}
	reply := pkt("udp 10.0.1.1:53 > 10.0.0.9:1000")
	m := tb.Lookup(reply, at(30.5))
	tb.Sweep(at(30.5), 0, nil) // removes the five flows last seen at t0
	if tb.Len() != 5 {
		t.Fatalf("Len %d, want 5", tb.Len())
	}
	got := tb.Advance(m, reply, at(30.5))
	if !got.Found || got.Dir != Reply || got.State != StateReplied {
		t.Fatalf("Advance with a stale Match: %+v", got)
	}
	for i := range 10 {
		m := seen(tb, line(i), at(30.9))
		if want := i%2 == 1; m.Found != want {
			t.Errorf("flow %d: found %v, want %v", i, m.Found, want)
		}
		if i == 9 && m.State != StateReplied {
			t.Errorf("flow 9 state %v: the stale update went elsewhere", m.State)
		}
	}
}

// TestFullTableReclaimsOnlyExpiredEntries checks the allowance's reclaim
// (SPEC.md §2.6) against the entries' true deadlines: an entry refreshed
// since it was inserted is kept, one whose timeout a RST shortened (TCP
// CLOSE, 10 s, SPEC.md §5.1) is reclaimed at its new deadline, and a
// refusal costs nothing when no entry has expired.
func TestFullTableReclaimsOnlyExpiredEntries(t *testing.T) {
	tm := DefaultTimeouts()
	tm.TCPEstablished = sec(60)
	tb := newTable(t, Config{Allowance: 2, Timeouts: tm})
	kept := pkt("tcp 10.0.0.1:1000 > 10.0.0.2:80 .")
	reset := pkt("tcp 10.0.0.1:1001 > 10.0.0.2:80 .")
	tb.Insert(kept, 0, 1)
	tb.Insert(reset, 0, 1)
	// kept is refreshed at 50 s (deadline 110 s); reset gets a RST at 1 s
	// (deadline 11 s).
	tb.Update(tb.Lookup(kept, packet.Time(sec(50))), kept, packet.Time(sec(50)))
	rst := pkt("tcp 10.0.0.2:80 > 10.0.0.1:1001 R")
	tb.Update(tb.Lookup(rst, packet.Time(sec(1))), rst, packet.Time(sec(1)))

	third := pkt("tcp 10.0.0.1:1002 > 10.0.0.2:80 .")
	if _, ok := tb.Insert(third, packet.Time(sec(11))-1, 1); ok {
		t.Fatal("insert at 11s−1ns succeeded; nothing had expired")
	}
	if _, ok := tb.Insert(third, packet.Time(sec(11)), 1); !ok {
		t.Fatal("insert at 11s refused; the reset entry had expired")
	}
	fourth := pkt("tcp 10.0.0.1:1003 > 10.0.0.2:80 .")
	if _, ok := tb.Insert(fourth, packet.Time(sec(70)), 1); ok {
		t.Fatal("insert at 70s succeeded; the refreshed entry lives until 110s")
	}
	if m := tb.Lookup(kept, packet.Time(sec(70))); !m.Found {
		t.Fatal("the refreshed entry was reclaimed")
	}
	if exp := tb.Sweep(packet.Time(sec(70)), 0, nil); len(exp) != 1 || exp[0].At != packet.Time(sec(11)) {
		t.Errorf("expiries %+v, want the reset entry at 11s", exp)
	}
}

// TestPeekFindsLiveEntriesAndChangesNothing checks Peek against Lookup:
// a live entry is found in the packet's direction, one expired at now
// (lastSeen + 30 s for UDP, SPEC.md §2.4; edge at 30 s ± 1 ns) is not,
// and neither case removes or counts anything — the next Lookup still
// reports the expiry. One hash serves every table: Key.Hash equals
// HashSides of Key.Sides.
func TestPeekFindsLiveEntriesAndChangesNothing(t *testing.T) {
	const out, back = "udp 10.0.1.10:40000 > 10.0.2.20:53", "udp 10.0.2.20:53 > 10.0.1.10:40000"
	tests := []struct {
		line  string
		probe packet.Time
		found bool
		dir   Dir
	}{
		{out, at(1), true, Original},
		{back, at(29), true, Reply},
		{back, at(30) - 1, true, Reply},
		{back, at(30), false, Original},
		{out, at(31), false, Original},
	}
	for _, tc := range tests {
		tb := newTable(t, Config{})
		send(t, tb, out, 0)
		k, srcIsA := KeyOf(pkt(tc.line))
		a, b, ap, bp := k.Sides()
		if h := HashSides(&a, &b, ap, bp, k.Proto(), k.Is6()); h != k.Hash() {
			t.Fatalf("HashSides %x, Hash %x", h, k.Hash())
		}
		before := tb.Stats()
		m := tb.Peek(&k, k.Hash(), -1, srcIsA, tc.probe)
		if m.Found != tc.found || m.Expired || (m.Found && m.Dir != tc.dir) {
			t.Errorf("%s at %v: Peek %+v, want found=%v dir %v and no expiry", tc.line, tc.probe, m, tc.found, tc.dir)
		}
		// A hint, right or wrong, changes nothing but the work.
		for _, hint := range []int32{m.Slot(), m.Slot() + 1, 1 << 30, -7} {
			if got := tb.Peek(&k, k.Hash(), hint, srcIsA, tc.probe); got != m {
				t.Errorf("%s at %v: Peek with hint %d = %+v, want %+v", tc.line, tc.probe, hint, got, m)
			}
		}
		if m.Found != (m.Slot() >= 0) {
			t.Errorf("%s at %v: Slot %d for a Match found=%v", tc.line, tc.probe, m.Slot(), m.Found)
		}
		if after := tb.Stats(); after != before {
			t.Errorf("%s at %v: Peek changed the stats %+v → %+v", tc.line, tc.probe, before, after)
		}
		l := tb.LookupHashed(&k, k.Hash(), srcIsA, tc.probe)
		if l.Found != tc.found || l.Expired == tc.found {
			t.Errorf("%s at %v: Lookup after Peek %+v, want found=%v, expired=%v", tc.line, tc.probe, l, tc.found, !tc.found)
		}
		if m.Found {
			tb.Update(m, pkt(tc.line), tc.probe)
			if got := seen(tb, tc.line, tc.probe+1); !got.Found {
				t.Errorf("%s at %v: the entry Peek found was lost by Update", tc.line, tc.probe)
			}
		}
	}
}

// TestInsertHashedIsInsert: InsertHashed with the key, hash and direction
// KeyOf gives creates the entry Insert creates — TCP SYN, UDP, ICMP echo
// in both directions — and refuses what Insert refuses (a SYN/ACK with no
// entry, an ICMP error: SPEC.md §2.1, §2.7).
func TestInsertHashedIsInsert(t *testing.T) {
	for _, line := range []string{
		"tcp 10.0.1.10:40000 > 10.0.2.20:443 S",
		"tcp 10.0.2.20:443 > 10.0.1.10:40000 S.",
		"udp 10.0.2.20:53 > 10.0.1.10:40000",
		"icmp 10.0.1.10 > 10.0.2.20 echo-request id=7",
		"icmp 10.0.2.20 > 10.0.1.10 type=3 code=3",
	} {
		a, b := newTable(t, Config{}), newTable(t, Config{})
		p := pkt(line)
		if p.ICMPType == 3 {
			p.Inner = pkt("udp 10.0.1.10:40000 > 10.0.2.20:53").Tuple()
		}
		ma, oka := a.Insert(p, at(1), 3)
		k, srcIsA := KeyOf(p)
		mb, okb := b.InsertHashed(&k, k.Hash(), srcIsA, p, at(1), 3)
		if ma != mb || oka != okb || a.Stats() != b.Stats() {
			t.Errorf("%s: Insert %+v %v %+v, InsertHashed %+v %v %+v", line, ma, oka, a.Stats(), mb, okb, b.Stats())
		}
	}
}

// TestUpdateAfterSetTimeoutsSeesTheNewTimeout: a Match found live at t is
// refreshed by an Update at t without asking again — unless the timeouts
// changed in between: GRE tracked at 0 s, found live at 10 s under the
// 600 s other-protocol timeout, is expired by the Update at 10 s once the
// timeout is 5 s (SPEC.md §2.4, §5.1: changed timeouts apply to existing
// entries).
func TestUpdateAfterSetTimeoutsSeesTheNewTimeout(t *testing.T) {
	for _, change := range []bool{false, true} {
		tb := newTable(t, Config{})
		send(t, tb, "gre 10.0.1.10 > 192.0.2.50", 0)
		p := pkt("gre 192.0.2.50 > 10.0.1.10")
		k, srcIsA := KeyOf(p)
		m := tb.Peek(&k, k.Hash(), -1, srcIsA, at(10))
		if !m.Found {
			t.Fatal("entry not found at 10 s")
		}
		if change {
			tm := DefaultTimeouts()
			tm.Other = sec(5)
			if err := tb.SetTimeouts(tm); err != nil {
				t.Fatal(err)
			}
		}
		tb.Update(m, p, at(10))
		if got := tb.Stats().Expired; got != map[bool]uint64{false: 0, true: 1}[change] {
			t.Errorf("timeouts changed %v: %d expired, want %v", change, got, change)
		}
		if found := seen(tb, "gre 10.0.1.10 > 192.0.2.50", at(11)).Found; found == change {
			t.Errorf("timeouts changed %v: entry found at 11 s = %v", change, found)
		}
	}
}
