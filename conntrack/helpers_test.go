package conntrack

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// pkt builds a packet from a tcpdump-like line:
//
//	"tcp 10.0.1.5:49152 > 10.0.2.7:443 S"   (flags: S F R P . in any order)
//	"udp [2001:db8::1]:5353 > [2001:db8::2]:53"
//	"icmp 10.0.0.1 > 10.0.0.2 echo-request id=7"
//	"icmp 10.0.0.1 > 10.0.0.2 type=13"
//	"gre 10.0.1.5 > 192.0.2.50"
//
// It panics on malformed input: it is for test tables only.
func pkt(s string) *packet.Packet {
	f := strings.Fields(s)
	if len(f) < 4 || f[2] != ">" {
		panic("pkt: malformed " + s)
	}
	p := &packet.Packet{}
	switch f[0] {
	case "tcp":
		p.Proto = packet.ProtoTCP
	case "udp":
		p.Proto = packet.ProtoUDP
	case "icmp":
		p.Proto = packet.ProtoICMP
	case "icmpv6":
		p.Proto = packet.ProtoICMPv6
	case "gre":
		p.Proto = packet.ProtoGRE
	case "esp":
		p.Proto = packet.ProtoESP
	case "sctp":
		p.Proto = packet.ProtoSCTP
	default:
		n, err := strconv.Atoi(f[0])
		if err != nil {
			panic("pkt: protocol " + f[0])
		}
		p.Proto = uint8(n)
	}
	p.Src, p.SrcPort = endpoint(f[1])
	p.Dst, p.DstPort = endpoint(f[3])
	for _, tok := range f[4:] {
		switch {
		case p.Proto == packet.ProtoTCP:
			f, err := packet.ParseTCPFlags(tok)
			if err != nil {
				panic("pkt: " + s + ": " + err.Error())
			}
			p.Flags |= f
		case tok == "echo-request" && p.Proto == packet.ProtoICMP:
			p.ICMPType = 8
		case tok == "echo-reply" && p.Proto == packet.ProtoICMP:
			p.ICMPType = 0
		case tok == "echo-request":
			p.ICMPType = 128
		case tok == "echo-reply":
			p.ICMPType = 129
		case strings.HasPrefix(tok, "id="):
			n, _ := strconv.Atoi(tok[3:])
			p.ICMPID = uint16(n)
		case strings.HasPrefix(tok, "type="):
			n, _ := strconv.Atoi(tok[5:])
			p.ICMPType = uint8(n)
		case strings.HasPrefix(tok, "code="):
			n, _ := strconv.Atoi(tok[5:])
			p.ICMPCode = uint8(n)
		default:
			panic("pkt: token " + tok)
		}
	}
	return p
}

func endpoint(s string) (netip.Addr, uint16) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), ap.Port()
	}
	return netip.MustParseAddr(s), 0
}

// at returns the virtual time s seconds after the start.
func at(s float64) packet.Time { return packet.Time(s * float64(time.Second)) }

// sec is s seconds as a duration.
func sec(s int) time.Duration { return time.Duration(s) * time.Second }

// newTable returns a table for cfg or fails the test.
func newTable(t testing.TB, cfg Config) *Table {
	t.Helper()
	tb, err := NewTable(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// send is what the simulator does with a packet the rules allow: look it
// up; advance the entry it finds or create one. It returns the Lookup's
// Match and whether the packet got (or had) an entry.
func send(t testing.TB, tb *Table, line string, now packet.Time) (Match, bool) {
	t.Helper()
	p := pkt(line)
	m := tb.Lookup(p, now)
	if m.Found {
		tb.Update(m, p, now)
		return m, true
	}
	im, ok := tb.Insert(p, now, 1)
	return m, ok && im.Found
}

// seen reports whether a packet finds a live entry at now, without
// changing anything but the removal of an expired entry.
func seen(tb *Table, line string, now packet.Time) Match {
	return tb.Lookup(pkt(line), now)
}
