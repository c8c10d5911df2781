package synth

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

var (
	cli4 = Endpoint{Name: "client", Addr: netip.MustParseAddr("10.0.1.5")}
	srv4 = Endpoint{Name: "server", Addr: netip.MustParseAddr("10.0.2.7")}
	cli6 = Endpoint{Name: "client6", Addr: netip.MustParseAddr("2001:db8:1::5")}
	srv6 = Endpoint{Name: "server6", Addr: netip.MustParseAddr("2001:db8:2::7")}
	rtr4 = Endpoint{Name: "router", Addr: netip.MustParseAddr("192.0.2.1")}
	rtr6 = Endpoint{Name: "router6", Addr: netip.MustParseAddr("2001:db8:ff::1")}
)

// gen builds a generator from flows with seed 1, failing the test on error.
func gen(t testing.TB, flows ...Flow) *Generator {
	t.Helper()
	g, err := New(flows, 1)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// all drains g.
func all(t testing.TB, g *Generator) []packet.Packet {
	t.Helper()
	var out []packet.Packet
	var p packet.Packet
	for {
		ok, err := g.Next(&p)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !ok {
			return out
		}
		out = append(out, p)
	}
}

// timeline renders packets one per line as "AT DIR WHAT": DIR is ">" for a
// packet from the flow's client address and "<" for the others; WHAT is the
// TCP flags, or the ICMP message, or the protocol name.
func timeline(pkts []packet.Packet, client netip.Addr) string {
	var b strings.Builder
	for i := range pkts {
		p := &pkts[i]
		dir := "<"
		if p.Src == client {
			dir = ">"
		}
		what := packet.ProtoName(p.Proto)
		switch {
		case p.Proto == packet.ProtoTCP:
			what = p.Flags.String()
		case p.IsICMP():
			what = packet.ICMPName(p.Proto, p.ICMPType, p.ICMPCode)
		}
		fmt.Fprintf(&b, "%s %s %s\n", p.At, dir, what)
	}
	return b.String()
}

// lines joins its arguments into a timeline string.
func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// checkTCPNumbers checks that every segment's Seq continues its sender's
// stream and its Ack acknowledges everything the peer sent before it, as
// a receiving stack would (SPEC.md §5.3's state machine reads these flags
// and numbers in order).
func checkTCPNumbers(t *testing.T, pkts []packet.Packet, client netip.Addr) {
	t.Helper()
	var nxt [2]uint32
	var started [2]bool
	for i := range pkts {
		p := &pkts[i]
		from := 0
		if p.Src != client {
			from = 1
		}
		hdr := uint32(20 + 20)
		if p.Is6() {
			hdr = 40 + 20
		}
		payload := p.Length - hdr
		keepalive := started[from] && p.Seq == nxt[from]-1 && payload == 0 && p.Flags == packet.ACK
		if started[from] && p.Seq != nxt[from] && !keepalive {
			t.Errorf("packet %d (%s): seq %d, want %d", i, p, p.Seq, nxt[from])
		}
		if p.Flags.Has(packet.ACK) && started[1-from] && p.Ack != nxt[1-from] {
			t.Errorf("packet %d (%s): ack %d, want %d", i, p, p.Ack, nxt[1-from])
		}
		if keepalive {
			continue
		}
		started[from] = true
		nxt[from] = p.Seq + payload
		if p.Flags.Has(packet.SYN) || p.Flags.Has(packet.FIN) {
			nxt[from]++
		}
	}
}
