package synth

import (
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

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
