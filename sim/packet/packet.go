package packet

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// IP protocol numbers used by name in the models (IANA; SPEC.md §1.1).
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoGRE    uint8 = 47
	ProtoESP    uint8 = 50
	ProtoICMPv6 uint8 = 58
	ProtoSCTP   uint8 = 132
)

// ProtoName returns the lower-case name of an IP protocol number ("tcp",
// "udp", "icmp", "icmpv6", "gre", "esp", "sctp") or its decimal number.
func ProtoName(p uint8) string {
	switch p {
	case ProtoICMP:
		return "icmp"
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoGRE:
		return "gre"
	case ProtoESP:
		return "esp"
	case ProtoICMPv6:
		return "icmpv6"
	case ProtoSCTP:
		return "sctp"
	}
	return fmt.Sprintf("%d", p)
}

// HasPorts reports whether protocol p carries 16-bit source and destination
// ports that the filters match on (TCP and UDP; SCTP ports are decoded but
// AWS matches SCTP as "all ports", SPEC.md §1.1).
func HasPorts(p uint8) bool { return p == ProtoTCP || p == ProtoUDP || p == ProtoSCTP }

// TCPFlags is the TCP flag byte (FIN=0x01 … CWR=0x80).
type TCPFlags uint8

// TCP flag bits.
const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Has reports whether all bits of f2 are set in f.
func (f TCPFlags) Has(f2 TCPFlags) bool { return f&f2 == f2 }

// String returns tcpdump-style flags: "S", "S.", ".", "P.", "F.", "R", "R.".
func (f TCPFlags) String() string {
	var b strings.Builder
	if f.Has(SYN) {
		b.WriteByte('S')
	}
	if f.Has(FIN) {
		b.WriteByte('F')
	}
	if f.Has(RST) {
		b.WriteByte('R')
	}
	if f.Has(PSH) {
		b.WriteByte('P')
	}
	if f.Has(URG) {
		b.WriteByte('U')
	}
	if f.Has(ACK) {
		b.WriteByte('.')
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// ParseTCPFlags reads tcpdump-style flags, as String writes them: S F R P
// U, "." for ACK, and E W for ECE and CWR.
func ParseTCPFlags(s string) (TCPFlags, error) {
	var f TCPFlags
	if s == "" {
		return 0, errors.New("no flags")
	}
	for _, c := range s {
		switch c {
		case 'S':
			f |= SYN
		case 'F':
			f |= FIN
		case 'R':
			f |= RST
		case 'P':
			f |= PSH
		case 'U':
			f |= URG
		case 'E':
			f |= ECE
		case 'W':
			f |= CWR
		case '.':
			f |= ACK
		default:
			return 0, errors.New("want tcpdump letters S F R P U E W and . for ACK")
		}
	}
	return f, nil
}

// Tuple is a flow's 5-tuple as seen on the wire, in the packet's direction.
// For ICMP echo, SrcPort and DstPort both hold the echo identifier; for other
// protocols without ports they are zero. The zero Tuple is invalid.
type Tuple struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8
}

// IsValid reports whether t has both addresses set.
func (t Tuple) IsValid() bool { return t.Src.IsValid() && t.Dst.IsValid() }

// Reverse returns the tuple of the other direction.
func (t Tuple) Reverse() Tuple {
	return Tuple{Src: t.Dst, Dst: t.Src, SrcPort: t.DstPort, DstPort: t.SrcPort, Proto: t.Proto}
}

// String formats t as "tcp 10.0.1.5:49152 > 10.0.2.7:443" (IPv6 addresses in
// brackets), or "gre 10.0.1.5 > 192.0.2.50" for protocols without ports.
func (t Tuple) String() string {
	var buf [128]byte
	return string(t.AppendTo(buf[:0]))
}

// AppendTo appends t as String formats it to b and returns the extended
// buffer: a caller formatting many tuples reuses one buffer.
func (t Tuple) AppendTo(b []byte) []byte {
	b = append(b, ProtoName(t.Proto)...)
	b = append(b, ' ')
	if !HasPorts(t.Proto) {
		b = t.Src.AppendTo(b)
		b = append(b, " > "...)
		return t.Dst.AppendTo(b)
	}
	b = netip.AddrPortFrom(t.Src, t.SrcPort).AppendTo(b)
	b = append(b, " > "...)
	return netip.AddrPortFrom(t.Dst, t.DstPort).AppendTo(b)
}

// Packet is the header view of one packet: everything the filters and
// connection tracking read, nothing they don't. It is a value type; copy it
// freely. The zero Packet is invalid (no addresses).
//
// For ICMP and ICMPv6, ICMPType/ICMPCode are set; for echo request/reply
// ICMPID is the identifier. For ICMP errors (destination unreachable, time
// exceeded, packet too big, …) Inner is the flow quoted in the error's
// payload, in the direction of the original packet.
type Packet struct {
	At       Time
	Src, Dst netip.Addr
	SrcPort  uint16
	DstPort  uint16
	Proto    uint8
	Flags    TCPFlags
	ICMPType uint8
	ICMPCode uint8
	ICMPID   uint16
	Seq, Ack uint32
	// Length is the IP datagram length in bytes (header included).
	Length uint32
	// Frame is the 1-based frame number in a capture, as Wireshark shows
	// it; 0 for synthetic packets.
	Frame uint64
	// Fragment describes IP fragmentation; the zero value means "not a
	// fragment".
	Fragment Fragment
	// Inner is the quoted flow of an ICMP error; zero otherwise.
	Inner Tuple
}

// Fragment describes where a packet sits in a fragmented IP datagram.
type Fragment struct {
	// ID is the IP identification field (IPv4) or the fragment header's
	// identification (IPv6).
	ID uint32
	// Offset is the fragment offset in bytes.
	Offset uint16
	// More is the "more fragments" flag.
	More bool
	// IsFragment reports whether the packet is a fragment at all.
	IsFragment bool
}

// First reports whether the packet is not a later fragment: it carries the
// transport header (ports) itself.
func (f Fragment) First() bool { return !f.IsFragment || f.Offset == 0 }

// Tuple returns the packet's 5-tuple in its own direction. For ICMP echo the
// identifier stands in both port positions (so request and reply share a
// key); for other ICMP messages the ports are zero.
func (p *Packet) Tuple() Tuple {
	t := Tuple{Src: p.Src, Dst: p.Dst, Proto: p.Proto}
	switch {
	case HasPorts(p.Proto):
		t.SrcPort, t.DstPort = p.SrcPort, p.DstPort
	case p.IsICMPEcho():
		t.SrcPort, t.DstPort = p.ICMPID, p.ICMPID
	}
	return t
}

// IsICMP reports whether p is ICMP or ICMPv6.
func (p *Packet) IsICMP() bool { return p.Proto == ProtoICMP || p.Proto == ProtoICMPv6 }

// IsICMPEcho reports whether p is an ICMP/ICMPv6 echo request or reply.
func (p *Packet) IsICMPEcho() bool {
	switch p.Proto {
	case ProtoICMP:
		return p.ICMPType == 8 || p.ICMPType == 0
	case ProtoICMPv6:
		return p.ICMPType == 128 || p.ICMPType == 129
	}
	return false
}

// IsICMPEchoRequest reports whether p is an echo request (ICMP 8, ICMPv6 128).
func (p *Packet) IsICMPEchoRequest() bool {
	return (p.Proto == ProtoICMP && p.ICMPType == 8) || (p.Proto == ProtoICMPv6 && p.ICMPType == 128)
}

// IsICMPError reports whether p is an ICMP error message that quotes another
// packet: ICMP 3, 4, 5, 11, 12; ICMPv6 1, 2, 3, 4.
func (p *Packet) IsICMPError() bool {
	switch p.Proto {
	case ProtoICMP:
		switch p.ICMPType {
		case 3, 4, 5, 11, 12:
			return true
		}
	case ProtoICMPv6:
		return p.ICMPType >= 1 && p.ICMPType <= 4
	}
	return false
}

// Is6 reports whether p is an IPv6 packet.
func (p *Packet) Is6() bool { return p.Src.Is6() && !p.Src.Is4In6() }

// String formats p tcpdump-style: "tcp 10.0.1.5:49152 > 10.0.2.7:443 S",
// "icmp 10.0.1.5 > 8.8.8.8 echo-request id=7", "gre 10.0.1.5 > 192.0.2.50",
// and a later IP fragment as "icmp 10.0.1.5 > 8.8.8.8 fragment id=9 offset=1480".
func (p *Packet) String() string {
	if !p.Fragment.First() {
		// A later fragment carries no transport header: its ports and ICMP
		// fields are zero and would read as, say, "echo-reply id=0".
		return fmt.Sprintf("%s %s > %s fragment id=%d offset=%d", ProtoName(p.Proto), p.Src, p.Dst, p.Fragment.ID, p.Fragment.Offset)
	}
	switch {
	case p.Proto == ProtoTCP:
		return p.Tuple().String() + " " + p.Flags.String()
	case p.IsICMP():
		s := ProtoName(p.Proto) + " " + p.Src.String() + " > " + p.Dst.String() + " " + ICMPName(p.Proto, p.ICMPType, p.ICMPCode)
		if p.IsICMPEcho() {
			s += fmt.Sprintf(" id=%d", p.ICMPID)
		}
		if p.Inner.IsValid() {
			s += " quoting " + p.Inner.String()
		}
		return s
	}
	return p.Tuple().String()
}

// ICMPName names common ICMP/ICMPv6 type/code pairs in words, or returns
// "type T code C".
func ICMPName(proto, typ, code uint8) string {
	if proto == ProtoICMP {
		switch typ {
		case 0:
			return "echo-reply"
		case 8:
			return "echo-request"
		case 3:
			switch code {
			case 3:
				return "port-unreachable"
			case 4:
				return "frag-needed"
			}
			return fmt.Sprintf("dest-unreachable code %d", code)
		case 11:
			return "time-exceeded"
		}
	} else {
		switch typ {
		case 128:
			return "echo-request"
		case 129:
			return "echo-reply"
		case 1:
			if code == 4 {
				return "port-unreachable"
			}
			return fmt.Sprintf("dest-unreachable code %d", code)
		case 2:
			return "packet-too-big"
		case 3:
			return "time-exceeded"
		}
	}
	return fmt.Sprintf("type %d code %d", typ, code)
}
