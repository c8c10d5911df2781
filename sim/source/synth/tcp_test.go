package synth

import (
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestTCPSessionTimeline checks the packets of generated TCP sessions:
// flags, directions and times. The handshake, data and close are what the
// conntrack state machine of SPEC.md §5.3 steps through (S, S., ., P.,
// F., R.), and FIN or RST ends tracking early where nothing else would
// (SPEC.md §2.4: "if an EC2 instance does not send or receive a FIN or
// RST, the connections can stay idle for up to 5 days").
func TestTCPSessionTimeline(t *testing.T) {
	base := Flow{Name: "web", Kind: TCP, Client: cli4, Server: srv4, DstPort: 443}
	tests := []struct {
		name string
		edit func(*Flow)
		want string
	}{
		{"handshake, one exchange, FIN close by default", func(*Flow) {}, lines(
			"0s > S", "0.01s < S.", "0.02s > .", "0.02s > P.", "0.03s < P.",
			"0.04s > F.", "0.05s < F.", "0.06s > .")},
		{"RST close aborts after the last response", func(f *Flow) { f.Close = CloseRST }, lines(
			"0s > S", "0.01s < S.", "0.02s > .", "0.02s > P.", "0.03s < P.", "0.04s > R.")},
		{"no close leaves the connection established", func(f *Flow) { f.Close = CloseNone }, lines(
			"0s > S", "0.01s < S.", "0.02s > .", "0.02s > P.", "0.03s < P.", "0.04s > .")},
		{"two exchanges Think apart", func(f *Flow) { f.Exchanges = 2; f.Think = ms(500); f.RTT = ms(100) }, lines(
			"0s > S", "0.1s < S.", "0.2s > .", "0.2s > P.", "0.3s < P.", "0.4s > .",
			"0.9s > P.", "1s < P.", "1.1s > F.", "1.2s < F.", "1.3s > .")},
		{"idle before the only exchange follows the handshake", func(f *Flow) { f.Idle = 400 * time.Second; f.Close = CloseRST }, lines(
			"0s > S", "0.01s < S.", "0.02s > .", "400.02s > P.", "400.03s < P.", "400.04s > R.")},
		{"no reply is a lone SYN", func(f *Flow) { f.NoReply = true }, lines("0s > S")},
		{"start offsets the whole session", func(f *Flow) { f.Start = 7 * time.Second; f.Close = CloseRST }, lines(
			"7s > S", "7.01s < S.", "7.02s > .", "7.02s > P.", "7.03s < P.", "7.04s > R.")},
		{"a response above the MSS is split into segments", func(f *Flow) { f.ResponseBytes = 3000; f.Close = CloseRST }, lines(
			"0s > S", "0.01s < S.", "0.02s > .", "0.02s > P.", "0.03s < .", "0.03s < .", "0.03s < P.", "0.04s > R.")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.edit(&f)
			pkts := all(t, gen(t, f))
			if got := timeline(pkts, cli4.Addr); got != tt.want {
				t.Errorf("timeline:\n%s\nwant:\n%s", got, tt.want)
			}
			checkTCPNumbers(t, pkts, cli4.Addr)
			for _, p := range pkts {
				if p.Proto != packet.ProtoTCP || (p.DstPort != 443 && p.SrcPort != 443) {
					t.Errorf("packet %s: want tcp to or from port 443", &p)
				}
				if p.Length < 40 || p.Length > 1500 {
					t.Errorf("packet %s: length %d outside 40–1500", &p, p.Length)
				}
			}
		})
	}
}

// TestTCPKeepalivesAcrossIdle checks keepalive probes during the idle gap:
// AWS advises keepalives "at intervals of less than 5 minutes" to keep an
// idle TCP flow's tracking alive past a 350 s timeout (SPEC.md §2.4, §2.5).
func TestTCPKeepalivesAcrossIdle(t *testing.T) {
	f := Flow{Name: "ssh", Kind: TCP, Client: cli4, Server: srv4, DstPort: 22,
		Exchanges: 2, Think: time.Second, Idle: 1000 * time.Second, Keepalive: 300 * time.Second, Close: CloseRST}
	pkts := all(t, gen(t, f))
	want := lines(
		"0s > S", "0.01s < S.", "0.02s > .", "0.02s > P.", "0.03s < P.", "0.04s > .",
		"300.04s > .", "300.05s < .", "600.04s > .", "600.05s < .", "900.04s > .", "900.05s < .",
		"1000.04s > P.", "1000.05s < P.", "1000.06s > R.")
	if got := timeline(pkts, cli4.Addr); got != want {
		t.Errorf("timeline:\n%s\nwant:\n%s", got, want)
	}
	checkTCPNumbers(t, pkts, cli4.Addr)
	// A probe carries the sequence number one below the next, as Linux's
	// tcp_write_wakeup does, so the server answers with a bare ACK.
	probe := pkts[6]
	if probe.Seq != pkts[5].Seq-1 || probe.Length != 40 {
		t.Errorf("keepalive probe seq %d length %d, want seq %d length 40", probe.Seq, probe.Length, pkts[5].Seq-1)
	}
}

// TestTCPv6Lengths checks that IPv6 sessions use the 40-byte header and the
// 1440-byte MSS, so every packet still fits a 1500-byte MTU (SPEC.md §3.10).
func TestTCPv6Lengths(t *testing.T) {
	f := Flow{Name: "v6", Kind: TCP, Client: cli6, Server: srv6, DstPort: 80, RequestBytes: 10, ResponseBytes: 2000}
	pkts := all(t, gen(t, f))
	want := []uint32{60, 60, 60, 70, 1500, 620, 60, 60, 60}
	if len(pkts) != len(want) {
		t.Fatalf("got %d packets, want %d:\n%s", len(pkts), len(want), timeline(pkts, cli6.Addr))
	}
	for i, p := range pkts {
		if !p.Is6() || p.Length != want[i] {
			t.Errorf("packet %d %s: length %d v6=%v, want %d v6", i, &p, p.Length, p.Is6(), want[i])
		}
	}
	checkTCPNumbers(t, pkts, cli6.Addr)
}

// TestScriptSteps checks scripted sessions: explicit packets for teaching
// timelines, with TCP sequence numbers computed as a stack would. The TCP
// script is the mid-connection pickup and simultaneous close of SPEC.md
// §5.3; the UDP script answers after 31 s, past the 30 s UdpTimeout
// (SPEC.md §2.4).
func TestScriptSteps(t *testing.T) {
	const (
		S, A, P, F, R = packet.SYN, packet.ACK, packet.PSH, packet.FIN, packet.RST
	)
	tests := []struct {
		name string
		flow Flow
		want string
	}{
		{"tcp handshake then server reset", Flow{Name: "s", Kind: TCP, DstPort: 22, Start: time.Second, Script: []Step{
			{At: 0, Flags: S},
			{At: ms(5), From: FromServer, Flags: S | A},
			{At: ms(10), Flags: A},
			{At: ms(10), Flags: P | A, Bytes: 30},
			{At: 3 * time.Second, From: FromServer, Flags: R | A},
		}}, lines("1s > S", "1.005s < S.", "1.01s > .", "1.01s > P.", "4s < R.")},
		{"tcp simultaneous close", Flow{Name: "s", Kind: TCP, DstPort: 22, Script: []Step{
			{Flags: S}, {At: ms(1), From: FromServer, Flags: S | A}, {At: ms(2), Flags: A},
			{At: ms(3), Flags: F | A}, {At: ms(3), From: FromServer, Flags: F | A},
			{At: ms(4), Flags: A}, {At: ms(4), From: FromServer, Flags: A},
		}}, lines("0s > S", "0.001s < S.", "0.002s > .", "0.003s > F.", "0.003s < F.", "0.004s > .", "0.004s < .")},
		{"udp reply after 31 s", Flow{Name: "u", Kind: UDP, DstPort: 123, Script: []Step{
			{Bytes: 48}, {At: 31 * time.Second, From: FromServer, Bytes: 48},
		}}, lines("0s > udp", "31s < udp")},
		{"echo with an unanswered request", Flow{Name: "e", Kind: ICMPEcho, Script: []Step{
			{}, {At: time.Second}, {At: ms(1010), From: FromServer},
		}}, lines("0s > echo-request", "1s > echo-request", "1.01s < echo-reply")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.flow
			f.Client, f.Server = cli4, srv4
			pkts := all(t, gen(t, f))
			if got := timeline(pkts, cli4.Addr); got != tt.want {
				t.Errorf("timeline:\n%s\nwant:\n%s", got, tt.want)
			}
			if f.Kind == TCP {
				checkTCPNumbers(t, pkts, cli4.Addr)
			}
			if f.Kind == ICMPEcho && (pkts[1].Seq != 2 || pkts[2].Seq != 2) {
				t.Errorf("echo seqs %d, %d, want 2, 2 (the reply answers the latest request)", pkts[1].Seq, pkts[2].Seq)
			}
		})
	}
}

// TestScriptRepeatsPerSession checks that Count repeats a script from each
// session's start.
func TestScriptRepeatsPerSession(t *testing.T) {
	f := Flow{Name: "u", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53, Count: 2, Every: 10 * time.Second,
		Script: []Step{{}, {At: time.Second, From: FromServer}}}
	got := timeline(all(t, gen(t, f)), cli4.Addr)
	if want := lines("0s > udp", "1s < udp", "10s > udp", "11s < udp"); got != want {
		t.Errorf("timeline:\n%s\nwant:\n%s", got, want)
	}
}
