package synth

import (
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// FuzzNew builds flows from arbitrary field values. New must never panic;
// when it succeeds, the packets must be in time order, each at least as
// long as its headers, each named by FlowName, and as many as Len says.
// Specs reach New from scenario files written by people, so every
// combination of fields must end in packets or a *FieldError.
func FuzzNew(f *testing.F) {
	f.Add(uint8(1), uint8(0), uint16(0), uint16(443), uint8(3), uint8(2), uint8(0), uint16(100), uint16(3000),
		uint32(0), uint32(100), uint32(10), uint32(1000), uint32(400000), uint32(60000), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(2), uint8(0), uint16(0), uint16(53), uint8(20), uint8(0), uint8(3), uint16(0), uint16(0),
		uint32(5), uint32(50), uint32(29000), uint32(0), uint32(0), uint32(0), uint8(1|4), uint8(3), uint64(7))
	f.Add(uint8(3), uint8(0), uint16(0), uint16(0), uint8(2), uint8(0), uint8(4), uint16(56), uint16(0),
		uint32(0), uint32(1000), uint32(0), uint32(0), uint32(0), uint32(0), uint8(8), uint8(0), uint64(2))
	f.Add(uint8(4), uint8(0), uint16(0), uint16(0), uint8(2), uint8(0), uint8(0), uint16(0), uint16(0),
		uint32(25), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint8(16), uint8(0), uint64(3))
	f.Add(uint8(5), uint8(132), uint16(0), uint16(3868), uint8(1), uint8(0), uint8(2), uint16(0), uint16(0),
		uint32(0), uint32(0), uint32(599000), uint32(0), uint32(0), uint32(0), uint8(2), uint8(5), uint64(4))
	f.Fuzz(func(t *testing.T, kind, proto uint8, sport, dport uint16, count, exchanges, requests uint8,
		reqBytes, respBytes uint16, startMs, everyMs, rttMs, thinkMs, idleMs, keepaliveMs uint32,
		bits, osIndex uint8, seed uint64) {
		d := func(ms uint32) time.Duration { return time.Duration(ms) * time.Millisecond }
		client, server, router := cli4, srv4, rtr4
		if bits&8 != 0 {
			client, server, router = cli6, srv6, rtr6
		}
		oses := packet.OSProfiles()
		client.OS = oses[int(osIndex)%len(oses)]
		client.Sequential = bits&4 != 0
		quoted := Flow{Name: "q", Kind: TCP, Client: client, Server: server, DstPort: 80}
		fl := Flow{
			Name: "f", Kind: Kind(kind % 7), Proto: proto, Client: client, Server: server,
			SrcPort: sport, DstPort: dport, Count: int(count), Exchanges: int(exchanges), Requests: int(requests),
			RequestBytes: int(reqBytes), ResponseBytes: int(respBytes),
			Start: d(startMs), Every: d(everyMs), RTT: d(rttMs), Think: d(thinkMs), Idle: d(idleMs), Keepalive: d(keepaliveMs),
			Poisson: bits&1 != 0, NoReply: bits&2 != 0, Close: []string{"", "fin", "rst", "none"}[bits>>5&3],
		}
		if fl.Kind == ICMPError {
			fl.Client, fl.Server, fl.Quote = router, Endpoint{}, "q"
			if bits&16 != 0 {
				fl.QuoteTo = QuoteToServer
			}
		}
		g, err := newGenerator([]Flow{quoted, fl}, seed, 20000)
		if err != nil {
			return
		}
		var p packet.Packet
		var prev packet.Time
		n := 0
		for {
			ok, err := g.Next(&p)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if !ok {
				break
			}
			n++
			if p.At < prev {
				t.Fatalf("packet %d at %s after %s", n, p.At, prev)
			}
			prev = p.At
			hdr := uint32(20)
			if p.Is6() {
				hdr = 40
			}
			if p.Length < hdr {
				t.Fatalf("packet %d %s: length %d below the IP header", n, &p, p.Length)
			}
			if g.FlowName(p.Tuple()) == "" {
				t.Fatalf("packet %d %s has no flow name", n, &p)
			}
		}
		if n != g.Len() {
			t.Fatalf("%d packets, Len %d", n, g.Len())
		}
	})
}
