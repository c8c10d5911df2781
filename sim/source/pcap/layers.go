package pcap

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// This file holds the small DecodingLayers the decoder adds to gopacket's:
// the per-record link dispatch, MPLS, and wrappers that stop the IP layers
// after the outer datagram's transport header (STYLE.md lesson 3: decide
// once, then only read).

// layerTypeCapture is the first layer of every record: it looks at the
// record's link type and hands over to the right link decoder. It is an
// unregistered LayerType, so the package keeps no global state; 990 is clear
// of every type gopacket v1.7.7 registers (0–300, 1010, 12345).
const layerTypeCapture gopacket.LayerType = 990

var (
	errShortLink    = errors.New("frame shorter than its link header")
	errIPVersion    = errors.New("ip version does not match the link or ethertype")
	errIPZeroLength = errors.New("ipv4 total length 0 on a non-tcp datagram")
	errMPLSDepth    = errors.New("mpls label stack deeper than 16 labels")
)

// Link types the reader decodes. LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229)
// have no gopacket decoder; the dispatch maps them to IPv4 and IPv6 itself.
const (
	linkNull     layers.LinkType = 0
	linkEthernet layers.LinkType = 1
	linkRaw      layers.LinkType = 101
	linkLoop     layers.LinkType = 108
	linkSLL      layers.LinkType = 113
	linkIPv4     layers.LinkType = 228
	linkIPv6     layers.LinkType = 229
	linkSLL2     layers.LinkType = 276
)

// linkSupported reports whether the reader decodes link type lt.
func linkSupported(lt layers.LinkType) bool {
	switch lt {
	case linkNull, linkEthernet, linkRaw, linkLoop, linkSLL, linkIPv4, linkIPv6, linkSLL2:
		return true
	}
	return false
}

// linkLayer dispatches a record to the decoder of its link type. link is set
// before each DecodeLayers call; reason says why DecodeFromBytes failed.
type linkLayer struct {
	link    layers.LinkType
	next    gopacket.LayerType
	payload []byte
	reason  SkipReason
}

func (l *linkLayer) CanDecode() gopacket.LayerClass    { return layerTypeCapture }
func (l *linkLayer) NextLayerType() gopacket.LayerType { return l.next }
func (l *linkLayer) LayerPayload() []byte              { return l.payload }

func (l *linkLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.payload = data
	l.reason = reasonNone
	min := 1
	switch l.link {
	case linkEthernet:
		min, l.next = 14, layers.LayerTypeEthernet
	case linkNull, linkLoop:
		min, l.next = 4, layers.LayerTypeLoopback
	case linkSLL:
		min, l.next = 16, layers.LayerTypeLinuxSLL
	case linkSLL2:
		min, l.next = 20, layers.LayerTypeLinuxSLL2
	}
	if len(data) < min {
		l.reason = SkipTruncated
		df.SetTruncated()
		return errShortLink
	}
	switch l.link {
	case linkRaw, linkIPv4, linkIPv6:
		// LINKTYPE_RAW carries either version: read the version nibble.
		// LINKTYPE_IPV4/IPV6 promise one; a payload of the other version
		// is malformed (tcpdump's LINKTYPE_IPV4_invalid.pcap).
		switch v := data[0] >> 4; {
		case v == 4 && l.link != linkIPv6:
			l.next = layers.LayerTypeIPv4
		case v == 6 && l.link != linkIPv4:
			l.next = layers.LayerTypeIPv6
		default:
			l.reason = SkipMalformedIP
			return errIPVersion
		}
	}
	return nil
}

// sllLayer decodes the Linux cooked header (LINKTYPE_LINUX_SLL) itself.
// gopacket's LinuxSLL refuses an address length over 8, but the header is 16
// bytes whatever that field says: packet type, ARPHRD type, address length,
// an 8-byte address field, protocol. libpcap writes at most 8 address bytes
// and Wireshark reads the datagram from byte 16, so the reader does too and
// raises WarnSLLBadHalen instead of skipping the record.
type sllLayer struct {
	addrType uint16
	proto    layers.EthernetType
	payload  []byte
	// badHalen reports an address length over 8 in the last header decoded.
	badHalen bool
}

func (s *sllLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeLinuxSLL }
func (s *sllLayer) LayerPayload() []byte           { return s.payload }

// NextLayerType follows gopacket's LinuxSLL: protocol 0x0004 means an 802.2
// LLC frame (except on radiotap, ARPHRD 803), anything else is an EtherType.
func (s *sllLayer) NextLayerType() gopacket.LayerType {
	if s.proto == layers.LinuxSLL2EthernetTypeLLC && s.addrType != uint16(layers.ARPHardwareTypeDot11Radiotap) {
		return layers.LayerTypeLLC
	}
	return s.proto.LayerType()
}

func (s *sllLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 16 {
		df.SetTruncated()
		return errShortLink
	}
	s.addrType = binary.BigEndian.Uint16(data[2:4])
	s.badHalen = binary.BigEndian.Uint16(data[4:6]) > 8
	s.proto = layers.EthernetType(binary.BigEndian.Uint16(data[14:16]))
	s.payload = data[16:]
	return nil
}

// mplsLayer pops an MPLS label stack (RFC 3032) and guesses the payload by
// its first nibble, as routers and Wireshark do: 4 is IPv4, 6 is IPv6, and
// anything else (a pseudowire control word, 0) is not IP.
type mplsLayer struct {
	next    gopacket.LayerType
	payload []byte
}

func (m *mplsLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeMPLS }
func (m *mplsLayer) NextLayerType() gopacket.LayerType { return m.next }
func (m *mplsLayer) LayerPayload() []byte              { return m.payload }

func (m *mplsLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	m.next = gopacket.LayerTypeZero
	for range 16 {
		if len(data) < 4 {
			df.SetTruncated()
			return errShortLink
		}
		bottom := data[2]&1 != 0
		data = data[4:]
		if !bottom {
			continue
		}
		m.payload = data
		if len(data) > 0 {
			switch data[0] >> 4 {
			case 4:
				m.next = layers.LayerTypeIPv4
			case 6:
				m.next = layers.LayerTypeIPv6
			}
		}
		return nil
	}
	return errMPLSDepth
}

// ipv4Layer reads an IPv4 header. It accepts and refuses exactly the
// headers gopacket's IPv4 does (length and header-length checks, options
// walked for their lengths, the same truncation flag; FuzzIPv4Layer checks
// it against gopacket's), keeping only the fields the decoder uses, with
// three changes: it checks the version nibble, it refuses a zero total
// length except on TCP (TSO on the sending host writes 0 there, and
// Wireshark reads it that way), and it goes on to a transport header only
// for TCP, UDP, ICMP and SCTP in the first fragment. Every other protocol,
// tunnels included (GRE 47, IPv6-in-IPv4 41, IP-in-IP 4, ESP 50), is an
// "other protocol" decoded no further than the outer IP.
type ipv4Layer struct {
	src, dst   [4]byte
	proto      layers.IPProtocol
	length     uint16 // total length; for 0 (TSO), the bytes captured
	id         uint16
	more       bool   // more fragments
	fragOffset uint16 // in 8-byte units
	payload    []byte
}

// Errors of ipv4Layer, as gopacket's IPv4 refuses a header.
var (
	errIPv4Short   = errors.New("ipv4 header shorter than 20 bytes")
	errIPv4Length  = errors.New("ipv4 total length under 20, or under its header length")
	errIPv4IHL     = errors.New("ipv4 header length under 5")
	errIPv4Cut     = errors.New("ipv4 header cut by the snap length")
	errIPv4Options = errors.New("bad ipv4 option length")
)

func (ip *ipv4Layer) CanDecode() gopacket.LayerClass { return layers.LayerTypeIPv4 }
func (ip *ipv4Layer) LayerPayload() []byte           { return ip.payload }

func (ip *ipv4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 20 {
		df.SetTruncated()
		return errIPv4Short
	}
	field := binary.BigEndian.Uint16(data[2:4])
	ihl := int(data[0]&0x0f) * 4
	length := int(field)
	if length == 0 {
		length = len(data)
	}
	switch {
	case length < 20:
		return errIPv4Length
	case ihl < 20:
		return errIPv4IHL
	case ihl > length:
		return errIPv4Length
	}
	if len(data) > length {
		data = data[:length]
	} else if len(data) < length {
		df.SetTruncated()
		if ihl > len(data) {
			return errIPv4Cut
		}
	}
	for opts := data[20:ihl]; len(opts) > 0; {
		switch opts[0] {
		case 0: // end of options
			opts = nil
		case 1: // no-operation
			opts = opts[1:]
		default:
			if len(opts) < 2 || len(opts) < int(opts[1]) {
				df.SetTruncated()
				return errIPv4Options
			}
			if opts[1] < 2 {
				return errIPv4Options
			}
			opts = opts[opts[1]:]
		}
	}
	if data[0]>>4 != 4 {
		return errIPVersion
	}
	ip.proto = layers.IPProtocol(data[9])
	if field == 0 && ip.proto != layers.IPProtocolTCP {
		return errIPZeroLength
	}
	ip.length = uint16(min(length, math.MaxUint16))
	ip.id = binary.BigEndian.Uint16(data[4:6])
	frag := binary.BigEndian.Uint16(data[6:8])
	ip.more, ip.fragOffset = frag&0x2000 != 0, frag&0x1fff
	ip.src, ip.dst = [4]byte(data[12:16]), [4]byte(data[16:20])
	ip.payload = data[ihl:]
	return nil
}

func (ip *ipv4Layer) NextLayerType() gopacket.LayerType {
	if ip.fragOffset != 0 {
		return gopacket.LayerTypeZero
	}
	switch ip.proto {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	case layers.IPProtocolICMPv4:
		return layers.LayerTypeICMPv4
	case layers.IPProtocolSCTP:
		return layers.LayerTypeSCTP
	}
	return gopacket.LayerTypeZero
}

// next6 is the layer after an IPv6 header or extension header whose Next
// Header field is nh: a transport this package reads, an extension header,
// or nothing (an other protocol, tunnels included).
func next6(nh layers.IPProtocol) gopacket.LayerType {
	switch nh {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	case layers.IPProtocolICMPv6:
		return layers.LayerTypeICMPv6
	case layers.IPProtocolSCTP:
		return layers.LayerTypeSCTP
	case layers.IPProtocolIPv6HopByHop:
		return layers.LayerTypeIPv6HopByHop
	case layers.IPProtocolIPv6Routing:
		return layers.LayerTypeIPv6Routing
	case layers.IPProtocolIPv6Destination:
		return layers.LayerTypeIPv6Destination
	case layers.IPProtocolIPv6Fragment:
		return layers.LayerTypeIPv6Fragment
	}
	return gopacket.LayerTypeZero
}

// ipv6Layer is gopacket's IPv6 (which folds a hop-by-hop header in) with a
// version check and next6 as its successor rule.
type ipv6Layer struct{ layers.IPv6 }

func (ip *ipv6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := ip.IPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if ip.Version != 6 {
		return errIPVersion
	}
	return nil
}

func (ip *ipv6Layer) NextLayerType() gopacket.LayerType { return next6(ip.nextHeader()) }

// nextHeader returns the protocol after the fixed header and hop-by-hop.
func (ip *ipv6Layer) nextHeader() layers.IPProtocol {
	if ip.HopByHop != nil {
		return ip.HopByHop.NextHeader
	}
	return ip.NextHeader
}

// ip6ExtLayer skips a routing, destination-options or stray hop-by-hop
// extension header.
type ip6ExtLayer struct{ layers.IPv6ExtensionSkipper }

func (e *ip6ExtLayer) NextLayerType() gopacket.LayerType { return next6(e.NextHeader) }

// ip6FragLayer reads the fragment header. Only the first fragment (offset
// 0) goes on to the transport header.
type ip6FragLayer struct{ layers.IPv6Fragment }

func (f *ip6FragLayer) NextLayerType() gopacket.LayerType {
	if f.FragmentOffset != 0 {
		return gopacket.LayerTypeZero
	}
	return next6(f.NextHeader)
}

// ethLayer decodes an Ethernet II header: what gopacket's Ethernet reads
// for the decoder (the EtherType and the payload after the 14 bytes),
// without the MAC address slices and the 802.3 length trimming it does
// besides. A length field (under 0x0600) means an 802.3 frame, LLC, which
// carries no IP the reader decodes, as in gopacket.
type ethLayer struct {
	typ     layers.EthernetType
	payload []byte
}

func (e *ethLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeEthernet }
func (e *ethLayer) LayerPayload() []byte           { return e.payload }

func (e *ethLayer) NextLayerType() gopacket.LayerType {
	switch e.typ {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	}
	return e.typ.LayerType()
}

func (e *ethLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 14 {
		return errShortLink
	}
	e.typ = layers.EthernetType(binary.BigEndian.Uint16(data[12:14]))
	if e.typ < 0x0600 {
		e.typ = layers.EthernetTypeLLC
	}
	e.payload = data[14:]
	return nil
}

// tcpLayer reads a TCP header: ports, sequence numbers and flags, the
// fields the filters need. It accepts and refuses exactly the headers
// gopacket's TCP does (FuzzTCPLayer checks it against gopacket's), but does
// not parse the options: gopacket v1.7.7 never fails on an option (it stops
// reading options at a bad one), and it allocates for every Multipath TCP
// option it reads, which would cost an allocation per packet on MPTCP
// traffic. No application layer follows.
type tcpLayer struct {
	srcPort, dstPort uint16
	seq, ack         uint32
	flags            uint8
	payload          []byte
}

var (
	errTCPShort  = errors.New("tcp header shorter than 20 bytes")
	errTCPOffset = errors.New("tcp data offset under 5")
	errTCPCut    = errors.New("tcp data offset past the end of the segment")
)

func (t *tcpLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeTCP }
func (t *tcpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
func (t *tcpLayer) LayerPayload() []byte              { return t.payload }

func (t *tcpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 20 {
		df.SetTruncated()
		return errTCPShort
	}
	off := int(data[12]>>4) * 4
	if off < 20 {
		return errTCPOffset
	}
	if off > len(data) {
		df.SetTruncated()
		return errTCPCut
	}
	t.srcPort = binary.BigEndian.Uint16(data[0:2])
	t.dstPort = binary.BigEndian.Uint16(data[2:4])
	t.seq = binary.BigEndian.Uint32(data[4:8])
	t.ack = binary.BigEndian.Uint32(data[8:12])
	t.flags = data[13]
	t.payload = data[off:]
	return nil
}

// udpLayer is gopacket's UDP, the last layer the decoder reads: no
// application layer follows (gopacket would look the ports up for one,
// which the parser would then not find).
type udpLayer struct{ layers.UDP }

func (u *udpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
