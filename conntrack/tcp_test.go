package conntrack

import (
	"strings"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// linuxTable is Linux's tcp_conntracks table transcribed from
// nf_conntrack_proto_tcp.c (LNX-TCP), one row per event, columns
// sNO sSS sSR sES sFW sCW sLA sTW sCL sS2; "IV" invalid, "IG" ignored.
// TestTCPStepMatchesLinuxTable checks tcpStep against every cell.
var linuxTable = [2]map[string]string{
	Original: {
		"S":    "SS SS IG IG IG IG IG SS SS S2",
		"S.":   "IV IV IG IG IG IG IG IG IG SR",
		"F":    "IV IV FW FW LA LA LA TW CL IV",
		".":    "ES IV ES ES CW CW TW TW CL IV",
		"R":    "IV CL CL CL CL CL CL CL CL CL",
		"none": "IV IV IV IV IV IV IV IV IV IV",
	},
	Reply: {
		"S":    "IV S2 IV IV IV IV IV IV IV S2",
		"S.":   "IV SR IG IG IG IG IG IG IG SR",
		"F":    "IV IV FW FW LA LA LA TW CL IV",
		".":    "IV IG SR ES CW CW TW TW CL IG",
		"R":    "IV CL CL CL CL CL CL CL CL CL",
		"none": "IV IV IV IV IV IV IV IV IV IV",
	},
}

var linuxCols = []State{StateNone, StateSynSent, StateSynRecv, StateEstablished, StateFinWait,
	StateCloseWait, StateLastAck, StateTimeWait, StateClose, StateSynSent2}

var linuxAbbrev = map[string]State{
	"NO": StateNone, "SS": StateSynSent, "SR": StateSynRecv, "ES": StateEstablished, "FW": StateFinWait,
	"CW": StateCloseWait, "LA": StateLastAck, "TW": StateTimeWait, "CL": StateClose, "S2": StateSynSent2,
}

func flagsOf(ev string) packet.TCPFlags {
	switch ev {
	case "S":
		return packet.SYN
	case "S.":
		return packet.SYN | packet.ACK
	case "F":
		return packet.FIN | packet.ACK // FIN wins over ACK, as in Linux
	case ".":
		return packet.ACK | packet.PSH
	case "R":
		return packet.RST | packet.ACK // RST wins over everything
	}
	return 0
}

// TestTCPStepMatchesLinuxTable checks every TCP transition, both
// directions, every event and every state, against Linux's table
// (SPEC.md §5.3; AWS documents no TCP state machine, §2.4).
func TestTCPStepMatchesLinuxTable(t *testing.T) {
	for dir, rows := range linuxTable {
		for ev, row := range rows {
			cells := strings.Fields(row)
			for i, cell := range cells {
				from := linuxCols[i]
				got, out := tcpStep(from, Dir(dir), flagsOf(ev))
				switch cell {
				case "IV":
					if got != from || out != tcpInvalid {
						t.Errorf("%v %s in %v: got %v/%d, want invalid (state kept)", Dir(dir), ev, from, got, out)
					}
				case "IG":
					if got != from || out != tcpIgnored {
						t.Errorf("%v %s in %v: got %v/%d, want ignored (state kept)", Dir(dir), ev, from, got, out)
					}
				default:
					if want := linuxAbbrev[cell]; got != want || out != tcpMoved {
						t.Errorf("%v %s in %v: got %v/%d, want %v", Dir(dir), ev, from, got, out, want)
					}
				}
			}
		}
	}
}

// TestTCPFirstPacket checks what a segment that finds no entry creates:
// SYN opens SYN_SENT; SYN/ACK and RST create nothing (Linux sIV from
// NONE); other segments are picked up mid-stream unless pickup is off
// (SPEC.md §5.1 tcp_loose, §5.3 "Assumed").
func TestTCPFirstPacket(t *testing.T) {
	tests := []struct {
		flags   string
		pickup  bool
		want    State
		created bool
	}{
		{"S", true, StateSynSent, true},
		{"S", false, StateSynSent, true},
		{"S.", true, StateNone, false},
		{"R", true, StateNone, false},
		{".", true, StateEstablished, true},
		{"P.", true, StateEstablished, true},
		{"F.", true, StateFinWait, true},
		{".", false, StateNone, false},
		{"F.", false, StateNone, false},
	}
	for _, tc := range tests {
		p := pkt("tcp 10.0.0.1:1000 > 10.0.0.2:80 " + tc.flags)
		got, _, ok := tcpFirst(p.Flags, tc.pickup)
		if got != tc.want || ok != tc.created {
			t.Errorf("%s pickup=%v: got %v created=%v, want %v created=%v", tc.flags, tc.pickup, got, ok, tc.want, tc.created)
		}
	}
}

// TestStateNames checks the conntrack(8)-style names.
func TestStateNames(t *testing.T) {
	for s, want := range map[State]string{
		StateSynSent: "SYN_SENT", StateEstablished: "ESTABLISHED", StateTimeWait: "TIME_WAIT",
		StateSynSent2: "SYN_SENT2", StateStream: "STREAM", State(200): "INVALID",
	} {
		if s.String() != want {
			t.Errorf("State(%d).String() = %q, want %q", s, s.String(), want)
		}
	}
}

const (
	cli = "10.0.1.5:49152"
	srv = "10.0.2.7:443"
)

func c2s(flags string) string { return "tcp " + cli + " > " + srv + " " + flags }
func s2c(flags string) string { return "tcp " + srv + " > " + cli + " " + flags }

// TestTCPDialogueWalksEveryState drives one connection through the whole
// life of SPEC.md §5.3 on the table, checking the state after each packet.
func TestTCPDialogueWalksEveryState(t *testing.T) {
	tb := newTable(t, Config{})
	steps := []struct {
		line string
		want State
	}{
		{c2s("S"), StateSynSent},
		{s2c("S."), StateSynRecv},
		{c2s("."), StateEstablished},
		{s2c("P."), StateEstablished},
		{c2s("F."), StateFinWait},
		{s2c("."), StateCloseWait},
		{s2c("F."), StateLastAck},
		{c2s("."), StateTimeWait},
		{c2s("S"), StateSynSent}, // reopen from TIME_WAIT
		{s2c("R"), StateClose},
		{c2s("S"), StateSynSent}, // reopen from CLOSE
		{s2c("S"), StateSynSent2},
		{s2c("S."), StateSynRecv},
	}
	for i, st := range steps {
		now := at(float64(i))
		p := pkt(st.line)
		m := tb.Lookup(p, now)
		if !m.Found {
			m, _ = tb.Insert(p, now, 1)
		} else {
			m = tb.Advance(m, p, now)
		}
		if m.State != st.want {
			t.Fatalf("step %d %q: state %v, want %v", i, st.line, m.State, st.want)
		}
	}
}

// TestTCPStateTimeoutEdges checks, for every TCP state, that the entry is
// alive at last+T−1ns and gone at last+T and last+T+1ns, with ExpiredAt =
// last+T (SPEC.md §5.1 values; expiry at now ≥ L+T as Linux's
// nf_ct_is_expired).
func TestTCPStateTimeoutEdges(t *testing.T) {
	d := DefaultTimeouts()
	tests := []struct {
		state   State
		packets []string
		timeout int
	}{
		{StateSynSent, []string{c2s("S")}, 120},
		{StateSynSent2, []string{c2s("S"), s2c("S")}, 120},
		{StateSynRecv, []string{c2s("S"), s2c("S.")}, 60},
		{StateEstablished, []string{c2s("S"), s2c("S."), c2s(".")}, 432000},
		{StateFinWait, []string{c2s("S"), s2c("S."), c2s("."), c2s("F.")}, 120},
		{StateCloseWait, []string{c2s("S"), s2c("S."), c2s("."), c2s("F."), s2c(".")}, 60},
		{StateLastAck, []string{c2s("S"), s2c("S."), c2s("."), c2s("F."), s2c("F.")}, 30},
		{StateTimeWait, []string{c2s("S"), s2c("S."), c2s("."), c2s("F."), s2c("F."), c2s(".")}, 120},
		{StateClose, []string{c2s("S"), s2c("S."), c2s("."), s2c("R")}, 10},
	}
	if d.ForState(StateEstablished) != sec(432000) {
		t.Fatal("ForState(ESTABLISHED) is not the established timeout")
	}
	for _, tc := range tests {
		for _, delta := range []packet.Time{-1, 0, 1} {
			tb := newTable(t, Config{})
			var last packet.Time
			for i, line := range tc.packets {
				last = at(float64(i) * 0.5)
				send(t, tb, line, last)
			}
			limit := last + packet.Time(sec(tc.timeout))
			m := seen(tb, c2s("."), limit+delta)
			if alive := delta < 0; m.Found != alive {
				t.Errorf("%v: at L+T%+dns found=%v, want %v", tc.state, delta, m.Found, alive)
			}
			if m.Found && m.State != tc.state {
				t.Errorf("%v: state %v", tc.state, m.State)
			}
			if !m.Found && (!m.Expired || m.ExpiredAt != limit) {
				t.Errorf("%v: at L+T%+dns Expired=%v ExpiredAt=%v, want true %v", tc.state, delta, m.Expired, m.ExpiredAt, limit)
			}
		}
	}
}

// TestTCPMidStreamPickup: a lone ACK with no entry creates an ESTABLISHED
// entry (Linux tcp_loose=1, SPEC.md §5.1), whose reply then matches; with
// NoMidStreamPickup it is refused: untracked, not counted as an allowance
// drop.
func TestTCPMidStreamPickup(t *testing.T) {
	tb := newTable(t, Config{})
	m, ok := tb.Insert(pkt(c2s(".")), 0, 7)
	if !ok || !m.Found || m.State != StateEstablished || m.Gen != 7 {
		t.Fatalf("pickup: %+v ok=%v", m, ok)
	}
	if r := seen(tb, s2c("."), at(1)); !r.Found || r.Dir != Reply {
		t.Errorf("reply after pickup: %+v", r)
	}

	strict := newTable(t, Config{NoMidStreamPickup: true})
	m, ok = strict.Insert(pkt(c2s(".")), 0, 7)
	if !ok || m.Found || !m.Refused {
		t.Errorf("no pickup: %+v ok=%v, want refused and ok", m, ok)
	}
	if s := strict.Stats(); s.Entries != 0 || s.Refused != 1 || s.AllowanceExceeded != 0 {
		t.Errorf("no pickup stats %+v", s)
	}
	if m, ok := strict.Insert(pkt(c2s("S")), 0, 7); !ok || m.State != StateSynSent {
		t.Errorf("SYN under NoMidStreamPickup: %+v ok=%v", m, ok)
	}
}

// TestTCPInvalidSegmentsAreCountedNotDropped: an ACK from the client in
// SYN_SENT is invalid in Linux (§5.3); the entry keeps its state, the idle
// timer restarts and Stats.Invalid counts it.
func TestTCPInvalidSegmentsAreCountedNotDropped(t *testing.T) {
	tb := newTable(t, Config{})
	send(t, tb, c2s("S"), 0)
	send(t, tb, c2s("."), at(100))
	m := seen(tb, c2s("S"), at(219)) // 100 + 120 − 1: alive only if refreshed
	if !m.Found || m.State != StateSynSent {
		t.Errorf("after invalid ACK: %+v", m)
	}
	if got := tb.Stats().Invalid; got != 1 {
		t.Errorf("Stats.Invalid = %d, want 1", got)
	}
}
