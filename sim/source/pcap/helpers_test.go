package pcap

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket/layers"
)

// Tiny constructors for hand-built frames and capture files, so that each
// test case is one line (STYLE.md lesson 14).

var (
	macA = [6]byte{0x02, 0, 0, 0, 0, 0xa}
	macB = [6]byte{0x02, 0, 0, 0, 0, 0xb}
	// base is the wall-clock time of the first record in built captures.
	base = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// eth wraps payload in an Ethernet header of the given EtherType.
func eth(etype uint16, payload ...[]byte) []byte {
	return cat(appendEthernet(nil, macA, macB, layers.EthernetType(etype)), cat(payload...))
}

// vlan is an 802.1Q tag (TCI = vid) followed by the inner EtherType.
func vlan(vid, etype uint16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, vid), etype)
}

// mplsLabel is one MPLS label stack entry; bottom sets the S bit.
func mplsLabel(label uint32, bottom bool) []byte {
	v := label<<12 | 64
	if bottom {
		v |= 1 << 8
	}
	return binary.BigEndian.AppendUint32(nil, v)
}

// ip4 is an IPv4 datagram around payload.
func ip4(src, dst string, proto uint8, payload []byte) []byte {
	return cat(appendIPv4(nil, ip(src), ip(dst), proto, len(payload), 0x1234, 0), payload)
}

// ip4frag is an IPv4 fragment: off in bytes, more = MF.
func ip4frag(src, dst string, proto uint8, id uint16, off int, more bool, payload []byte) []byte {
	f := uint16(off / 8)
	if more {
		f |= 0x2000
	}
	return cat(appendIPv4(nil, ip(src), ip(dst), proto, len(payload), id, f), payload)
}

// ip6 is an IPv6 datagram whose Next Header is nh.
func ip6(src, dst string, nh uint8, payload []byte) []byte {
	return cat(appendIPv6(nil, ip(src), ip(dst), nh, len(payload)), payload)
}

// ext6 is an 8-byte IPv6 option extension header (hop-by-hop or
// destination options: padding only) whose Next Header is nh.
func ext6(nh uint8) []byte { return []byte{nh, 0, 1, 4, 0, 0, 0, 0} }

// frag6 is an IPv6 fragment header.
func frag6(nh uint8, id uint32, off int, more bool) []byte {
	v := uint16(off/8) << 3
	if more {
		v |= 1
	}
	b := append([]byte{nh, 0}, binary.BigEndian.AppendUint16(nil, v)...)
	return binary.BigEndian.AppendUint32(b, id)
}

func tcp(sport, dport uint16, flags packet.TCPFlags) []byte {
	return appendTCP(nil, sport, dport, 1000, 2000, flags)
}

func udp(sport, dport uint16, n int) []byte {
	return cat(appendUDP(nil, sport, dport, n), make([]byte, n))
}

// icmp4 is an ICMP message: type, code, then the 4-byte rest of header
// (echo: identifier and sequence) and body.
func icmp4(typ, code uint8, rest uint32, body []byte) []byte {
	return cat([]byte{typ, code, 0, 0}, binary.BigEndian.AppendUint32(nil, rest), body)
}

// icmp6 has the same layout as icmp4 (RFC 4443 §2.1).
func icmp6(typ, code uint8, rest uint32, body []byte) []byte { return icmp4(typ, code, rest, body) }

// rec is one record of a built capture.
type rec struct {
	at   time.Duration // after base
	data []byte
}

// pcapFile builds a classic pcap in the given byte order and resolution.
func pcapFile(bo binary.AppendByteOrder, nano bool, link uint32, recs ...rec) []byte {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	b := bo.AppendUint32(nil, magic)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint16(b, 4)
	b = bo.AppendUint32(b, 0)
	b = bo.AppendUint32(b, 0)
	b = bo.AppendUint32(b, 65535)
	b = bo.AppendUint32(b, link)
	for _, r := range recs {
		t := base.Add(r.at)
		frac := uint32(t.Nanosecond())
		if !nano {
			frac /= 1000
		}
		b = bo.AppendUint32(b, uint32(t.Unix()))
		b = bo.AppendUint32(b, frac)
		b = bo.AppendUint32(b, uint32(len(r.data)))
		b = bo.AppendUint32(b, uint32(len(r.data)))
		b = append(b, r.data...)
	}
	return b
}

// pcapng blocks, little-endian.

func ngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

func ngSHB() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x1A2B3C4D)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0))
	return ngBlock(blockSHB, b)
}

// ngIDB is an interface description; tsresol 0 leaves the option out
// (microseconds).
func ngIDB(link uint16, tsresol uint8) []byte {
	b := binary.LittleEndian.AppendUint16(nil, link)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	if tsresol != 0 {
		b = append(b, 9, 0, 1, 0, tsresol, 0, 0, 0) // if_tsresol
		b = append(b, 0, 0, 0, 0)                   // opt_endofopt
	}
	return ngBlock(1, b)
}

// ngEPB is an enhanced packet block; ts is in the interface's units.
func ngEPB(iface uint32, ts uint64, data []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, iface)
	b = binary.LittleEndian.AppendUint32(b, uint32(ts>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return ngBlock(blockEPB, append(b, data...))
}

// ngSPB is a simple packet block (no interface, no timestamp).
func ngSPB(data []byte) []byte {
	return ngBlock(blockSPB, append(binary.LittleEndian.AppendUint32(nil, uint32(len(data))), data...))
}

// readAll reads a whole in-memory capture, checks the accounting
// invariants, and returns the packets and the stats. A classic pcap is
// read on the mapped path too (windows of several sizes), which must give
// the same.
func readAll(t testing.TB, file []byte, opt Options, maps ...[2]string) ([]packet.Packet, Stats) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), "test.pcap", opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got := readWhole(t, r, maps...)
	checkMappedLikeRead(t, file, opt, got, nil, maps...)
	return got.pkts, got.s
}

// readPath is readAll on the read path only, with no more allocation than
// the Reader's own and the packets'.
func readPath(t testing.TB, file []byte, opt Options) ([]packet.Packet, Stats) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), "test.pcap", opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var pkts []packet.Packet
	ds := drain(t, r, func(p *packet.Packet) { pkts = append(pkts, *p) })
	s := r.Stats()
	checkInvariants(t, "test.pcap", s, ds)
	return pkts, s
}

// decodeOne reads a one-record pcap of link type link holding frame and
// returns the packet, or the skip reason.
func decodeOne(t testing.TB, link uint32, frame []byte) (packet.Packet, string, Stats) {
	t.Helper()
	pkts, s := readAll(t, pcapFile(binary.LittleEndian, false, link, rec{0, frame}), Options{})
	switch {
	case len(pkts) == 1:
		return pkts[0], "", s
	case len(s.Skipped) == 1:
		return packet.Packet{}, s.Skipped[0].Reason, s
	}
	t.Fatalf("one record gave %d packets and skips %v", len(pkts), s.Skipped)
	return packet.Packet{}, "", s
}
