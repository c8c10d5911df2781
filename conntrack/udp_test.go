package conntrack

import (
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

const (
	query = "udp 10.0.1.10:40002 > 10.0.2.53:53"
	resp  = "udp 10.0.2.53:53 > 10.0.1.10:40002"
)

type udpCase struct {
	name    string
	cfg     Config
	packets []struct {
		line string
		t    float64
	}
	probe    float64 // a response at this time…
	found    bool    // …finds the entry or not
	expireAt float64 // when not found: the reported expiry
}

func pk(line string, t float64) struct {
	line string
	t    float64
} {
	return struct {
		line string
		t    float64
	}{line, t}
}

// TestUDPSingleTransactionVersusStream checks SPEC.md §8 #12–#14 at table
// level: a single request-response transaction keeps UdpTimeout (30 s);
// more than one makes a stream with UdpStreamTimeout (180 s, or the ENI's
// configured 60 s) (SPEC.md §2.4).
func TestUDPSingleTransactionVersusStream(t *testing.T) {
	stream60 := DefaultTimeouts()
	stream60.UDPStream = sec(60)
	tests := []udpCase{
		// §8 #12: query t0, response t1, extra datagram at t32 → dropped.
		{"single transaction reply after 29s idle", Config{}, nil, 30, true, 0},
		{"single transaction at 32s (#12)", Config{}, nil, 32, false, 31},
		// Table-level edges around last+30 s with the last packet at t1.
		{"single transaction at T-1ns", Config{}, nil, 31 - 1e-9, true, 0},
		{"single transaction at T", Config{}, nil, 31, false, 31},
		// §8 #13: two transactions make a stream: 180 s from the last packet (t3).
		{"stream at 179s idle", Config{}, []struct {
			line string
			t    float64
		}{pk(query, 2), pk(resp, 3)}, 3 + 179, true, 0},
		{"stream at 181s idle", Config{}, []struct {
			line string
			t    float64
		}{pk(query, 2), pk(resp, 3)}, 3 + 181, false, 183},
		{"stream at exactly 180s idle", Config{}, []struct {
			line string
			t    float64
		}{pk(query, 2), pk(resp, 3)}, 3 + 180, false, 183},
		// §8 #14: UdpStreamTimeout=60, response at t70 (idle 67) → dropped.
		{"stream timeout 60 (#14)", Config{Timeouts: stream60}, []struct {
			line string
			t    float64
		}{pk(query, 2), pk(resp, 3)}, 70, false, 63},
		// Two queries before one response are still one transaction.
		{"two queries one response", Config{}, []struct {
			line string
			t    float64
		}{pk(query, 2)}, 2 + 31, false, 32},
		// Two responses to one query are still one transaction.
		{"one query two responses", Config{}, []struct {
			line string
			t    float64
		}{pk(resp, 2)}, 2 + 31, false, 32},
	}
	for _, tc := range tests {
		tb := newTable(t, tc.cfg)
		send(t, tb, query, 0)
		send(t, tb, resp, at(1))
		for _, p := range tc.packets {
			send(t, tb, p.line, at(p.t))
		}
		m := seen(tb, resp, at(tc.probe))
		if m.Found != tc.found {
			t.Errorf("%s: found=%v, want %v", tc.name, m.Found, tc.found)
			continue
		}
		if !m.Found && (!m.Expired || m.ExpiredAt != at(tc.expireAt)) {
			t.Errorf("%s: ExpiredAt=%v (expired %v), want %v", tc.name, m.ExpiredAt, m.Expired, at(tc.expireAt))
		}
	}
}

// TestUDPUnrepliedTimeout: a flow seen in one direction only keeps
// UdpTimeout, at the edges T−1ns, T, T+1ns (SPEC.md §2.4).
func TestUDPUnrepliedTimeout(t *testing.T) {
	for _, delta := range []packet.Time{-1, 0, 1} {
		tb := newTable(t, Config{})
		send(t, tb, query, at(5))
		m := seen(tb, resp, at(35)+delta)
		if m.Found != (delta < 0) {
			t.Errorf("delta %d: found=%v", delta, m.Found)
		}
		if m.Found && (m.State != StateUnreplied || m.Dir != Reply) {
			t.Errorf("delta %d: %+v", delta, m)
		}
	}
}

// TestUDPStatesReported: UNREPLIED → REPLIED → STREAM as transactions
// complete (SPEC.md §2.4).
func TestUDPStatesReported(t *testing.T) {
	tb := newTable(t, Config{})
	want := []State{StateUnreplied, StateReplied, StateReplied, StateStream}
	for i, line := range []string{query, resp, query, resp} {
		p := pkt(line)
		m := tb.Lookup(p, at(float64(i)))
		if m.Found {
			m = tb.Advance(m, p, at(float64(i)))
		} else {
			m, _ = tb.Insert(p, at(float64(i)), 0)
		}
		if m.State != want[i] {
			t.Errorf("after packet %d: %v, want %v", i, m.State, want[i])
		}
	}
}

// TestUDPLinuxProfile checks SPEC.md §8 #40 (LNX-UDP current code, §5.2):
// query t0, reply t0.5 ⇒ still 30 s; query t25 (reply seen, flow older
// than 2 s) ⇒ stream, Timeouts.UDPStream (120 s in LinuxTimeouts).
func TestUDPLinuxProfile(t *testing.T) {
	tests := []struct {
		name    string
		packets []struct {
			line string
			t    float64
		}
		probe float64
		found bool
	}{
		{"fast reply stays 30s: alive", nil, 30.5 - 1e-9, true},
		{"fast reply stays 30s: gone", nil, 30.5, false},
		{"query at 25 makes a stream: alive", []struct {
			line string
			t    float64
		}{pk(query, 25)}, 25 + 120 - 1e-9, true},
		{"query at 25 makes a stream: gone", []struct {
			line string
			t    float64
		}{pk(query, 25)}, 25 + 120, false},
		{"packet at exactly 2s is not yet a stream", []struct {
			line string
			t    float64
		}{pk(query, 2)}, 2 + 30, false},
		{"packet at 2s+1ns is a stream", []struct {
			line string
			t    float64
		}{pk(query, 2+1e-9)}, 2 + 30, true},
	}
	for _, tc := range tests {
		tb := newTable(t, Config{Profile: ProfileLinux})
		send(t, tb, query, 0)
		send(t, tb, resp, at(0.5))
		for _, p := range tc.packets {
			send(t, tb, p.line, at(p.t))
		}
		if m := seen(tb, resp, at(tc.probe)); m.Found != tc.found {
			t.Errorf("%s: found=%v, want %v (%+v)", tc.name, m.Found, tc.found, m)
		}
	}
}
