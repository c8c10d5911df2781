package pcap

import (
	"encoding/binary"
	"net/netip"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// decoder turns one captured frame into a packet.Packet with a single
// preallocated gopacket.DecodingLayerParser over a sparse container. The
// layers read the frame in place (zero copy); decode copies what the packet
// needs out of them before it returns, so the frame buffer may be reused by
// the next read. The zero decoder is not usable; call newDecoder.
type decoder struct {
	// parser starts at the link dispatch (layerTypeCapture); ethParser, over
	// the same layers, at Ethernet, for the Ethernet frames of 14 bytes or
	// more that make most captures (the dispatch would only pass them on);
	// used is the one that decoded the last frame.
	parser, ethParser, used *gopacket.DecodingLayerParser
	decoded                 []gopacket.LayerType

	link  linkLayer
	eth   ethLayer
	dot1q layers.Dot1Q
	sll   sllLayer
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	mpls  mplsLayer
	ip4   ipv4Layer
	ip6   ipv6Layer
	ext   ip6ExtLayer
	frag  ip6FragLayer
	tcp   tcpLayer
	udp   udpLayer
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
	sctp  layers.SCTP

	// cut reports whether the last decode kept a TCP header cut after its
	// flags byte (WarnTCPHeaderCut).
	cut bool
	// parseErr reports whether the parser failed on the last frame.
	parseErr bool
}

func newDecoder() *decoder {
	d := &decoder{decoded: make([]gopacket.LayerType, 0, 16)}
	// The extension skipper claims the whole IPv6 extension class; the
	// fragment layer is put after it so it takes the fragment type back.
	// One sparse container, sized once (layerTypeCapture is the highest
	// type), for both parsers: adding the layers to each parser one by one
	// would cost some 120 allocations a parser, on every Open.
	c := gopacket.DecodingLayerContainer(gopacket.DecodingLayerSparse(make([]gopacket.DecodingLayer, layerTypeCapture+1)))
	for _, l := range []gopacket.DecodingLayer{
		&d.link, &d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.mpls,
		&d.ip4, &d.ip6, &d.ext, &d.frag,
		&d.tcp, &d.udp, &d.icmp4, &d.icmp6, &d.sctp,
	} {
		c = c.Put(l)
	}
	d.parser = newParser(layerTypeCapture, c)
	d.ethParser = newParser(layers.LayerTypeEthernet, c)
	return d
}

// newParser returns a parser over the layers in c that starts at layer
// first.
func newParser(first gopacket.LayerType, c gopacket.DecodingLayerContainer) *gopacket.DecodingLayerParser {
	p := gopacket.NewDecodingLayerParser(first)
	p.SetDecodingLayerContainer(c)
	p.IgnoreUnsupported = true
	return p
}

// decode fills *p (every field but At and Frame) from frame data of link type
// link, or returns why the frame is skipped. It does not allocate for the
// frames a healthy capture holds.
func (d *decoder) decode(data []byte, link layers.LinkType, p *packet.Packet) SkipReason {
	*p = packet.Packet{}
	d.cut, d.sll.badHalen, d.parseErr = false, false, false
	if !linkSupported(link) {
		return SkipUnsupportedLinkType
	}
	d.used = d.parser
	if link == linkEthernet && len(data) >= 14 {
		d.used = d.ethParser
	}
	d.link.link = link
	err := d.used.DecodeLayers(data, &d.decoded)
	d.parseErr = err != nil
	if err != nil {
		if r := d.failed(); r != reasonNone {
			return r
		}
	}
	var (
		ipv       uint8 // 4 or 6 once an IP header is decoded
		l4        gopacket.LayerType
		lastLink  gopacket.LayerType
		l4payload []byte // bytes after the last network header
	)
	proto := uint8(0)
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			ipv = 4
			ip := &d.ip4
			p.Src, p.Dst = netip.AddrFrom4(ip.src), netip.AddrFrom4(ip.dst)
			proto = uint8(ip.proto)
			p.Length = uint32(ip.length)
			if ip.more || ip.fragOffset != 0 {
				p.Fragment = packet.Fragment{
					ID: uint32(ip.id), Offset: ip.fragOffset * 8,
					More: ip.more, IsFragment: true,
				}
			}
			l4payload = ip.payload
		case layers.LayerTypeIPv6:
			ipv = 6
			ip := &d.ip6.IPv6
			p.Src = netip.AddrFrom16([16]byte(ip.SrcIP))
			p.Dst = netip.AddrFrom16([16]byte(ip.DstIP))
			proto = uint8(d.ip6.nextHeader())
			p.Length = 40 + uint32(ip.Length)
			if ip.Length == 0 { // jumbogram
				p.Length = 40 + uint32(len(ip.Payload))
			}
			l4payload = ip.Payload
		case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
			proto = uint8(d.ext.NextHeader)
			l4payload = d.ext.Payload
		case layers.LayerTypeIPv6Fragment:
			f := &d.frag.IPv6Fragment
			proto = uint8(f.NextHeader)
			if f.FragmentOffset != 0 || f.MoreFragments { // not an atomic fragment (RFC 6946)
				p.Fragment = packet.Fragment{
					ID: f.Identification, Offset: f.FragmentOffset * 8,
					More: f.MoreFragments, IsFragment: true,
				}
			}
			l4payload = f.Payload
		case layers.LayerTypeTCP, layers.LayerTypeUDP, layers.LayerTypeICMPv4,
			layers.LayerTypeICMPv6, layers.LayerTypeSCTP:
			l4 = t
		default:
			lastLink = t
		}
	}
	if ipv == 0 {
		if lastLink == layers.LayerTypeMPLS {
			return SkipMPLS
		}
		return SkipNotIP
	}
	p.Proto = proto
	switch l4 {
	case layers.LayerTypeTCP:
		p.SrcPort, p.DstPort = d.tcp.srcPort, d.tcp.dstPort
		p.Seq, p.Ack = d.tcp.seq, d.tcp.ack
		p.Flags = packet.TCPFlags(d.tcp.flags)
	case layers.LayerTypeUDP:
		p.SrcPort, p.DstPort = uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
	case layers.LayerTypeSCTP:
		p.SrcPort, p.DstPort = uint16(d.sctp.SrcPort), uint16(d.sctp.DstPort)
	case layers.LayerTypeICMPv4:
		p.ICMPType, p.ICMPCode = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
		if p.IsICMPEcho() {
			p.ICMPID = d.icmp4.Id
		} else if p.IsICMPError() {
			p.Inner, _ = parseQuoted(d.icmp4.Payload)
		}
	case layers.LayerTypeICMPv6:
		p.ICMPType, p.ICMPCode = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
		body := d.icmp6.Payload // after type, code, checksum
		if p.IsICMPEcho() {
			if len(body) < 2 {
				return SkipTruncated
			}
			p.ICMPID = binary.BigEndian.Uint16(body)
		} else if p.IsICMPError() && len(body) >= 4 {
			p.Inner, _ = parseQuoted(body[4:])
		}
	default:
		// err != nil with no transport layer means failed() chose to keep
		// the packet: a TCP header cut after its flags byte.
		if err != nil {
			if proto != packet.ProtoTCP || len(l4payload) < 14 {
				return SkipTruncated
			}
			h := l4payload
			d.cut = true
			p.SrcPort = binary.BigEndian.Uint16(h[0:2])
			p.DstPort = binary.BigEndian.Uint16(h[2:4])
			p.Seq = binary.BigEndian.Uint32(h[4:8])
			p.Ack = binary.BigEndian.Uint32(h[8:12])
			p.Flags = packet.TCPFlags(h[13])
		}
	}
	return reasonNone
}

// failed classifies a DecodeLayers error by the layer that failed: the one
// that follows the last layer decoded. It returns reasonNone for the one
// failure the packet survives: a TCP header cut by the snap length after its
// flags byte (everything the filters read is there).
func (d *decoder) failed() SkipReason {
	n := len(d.decoded)
	if n == 0 {
		if d.link.reason != reasonNone {
			return d.link.reason
		}
		return SkipMalformedLink
	}
	var next gopacket.LayerType
	switch d.decoded[n-1] {
	case layerTypeCapture:
		next = d.link.NextLayerType()
	case layers.LayerTypeEthernet:
		next = d.eth.NextLayerType()
	case layers.LayerTypeDot1Q:
		next = d.dot1q.NextLayerType()
	case layers.LayerTypeLinuxSLL:
		next = d.sll.NextLayerType()
	case layers.LayerTypeLinuxSLL2:
		next = d.sll2.NextLayerType()
	case layers.LayerTypeLoopback:
		next = d.loop.NextLayerType()
	case layers.LayerTypeMPLS:
		next = d.mpls.NextLayerType()
	case layers.LayerTypeIPv4:
		next = d.ip4.NextLayerType()
	case layers.LayerTypeIPv6:
		next = d.ip6.NextLayerType()
	case layers.LayerTypeIPv6Fragment:
		next = d.frag.NextLayerType()
	case layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
		next = d.ext.NextLayerType()
	}
	switch next {
	case layers.LayerTypeIPv4, layers.LayerTypeIPv6, layers.LayerTypeIPv6Fragment,
		layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination:
		if d.used.Truncated {
			return SkipTruncated
		}
		return SkipMalformedIP
	case layers.LayerTypeTCP:
		if d.used.Truncated {
			return reasonNone // decode keeps it if the flags byte is there
		}
		return SkipMalformedTransport
	case layers.LayerTypeUDP, layers.LayerTypeICMPv4, layers.LayerTypeICMPv6, layers.LayerTypeSCTP:
		if d.used.Truncated {
			return SkipTruncated
		}
		return SkipMalformedTransport
	case layers.LayerTypeMPLS:
		if d.used.Truncated {
			return SkipTruncated
		}
		return SkipMPLS
	}
	if d.used.Truncated {
		return SkipTruncated
	}
	return SkipMalformedLink
}

// parseQuoted reads the flow an ICMP or ICMPv6 error quotes: the start of
// the offending datagram (its IP header and at least 8 bytes after it, RFC
// 792 and RFC 4443 §3), in that datagram's own direction (SPEC.md §2.7: the
// models decide whether such an error is related to the quoted flow). It
// reports false when the quote is too short for the addresses; ports are
// left zero when their bytes are missing or the quote is a later fragment.
func parseQuoted(b []byte) (packet.Tuple, bool) {
	var t packet.Tuple
	if len(b) < 1 {
		return t, false
	}
	var l4 []byte
	first := true
	switch b[0] >> 4 {
	case 4:
		ihl := int(b[0]&0x0f) * 4
		if len(b) < 20 || ihl < 20 || len(b) < ihl {
			return t, false
		}
		t.Src = netip.AddrFrom4([4]byte(b[12:16]))
		t.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		t.Proto = b[9]
		first = binary.BigEndian.Uint16(b[6:8])&0x1fff == 0
		l4 = b[ihl:]
	case 6:
		if len(b) < 40 {
			return t, false
		}
		t.Src = netip.AddrFrom16([16]byte(b[8:24]))
		t.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		nh, off := b[6], 40
	chain:
		for range 8 {
			switch nh {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if off+2 > len(b) {
					break chain
				}
				nh, off = b[off], off+(int(b[off+1])+1)*8
			case 44: // fragment
				if off+8 > len(b) {
					break chain
				}
				first = binary.BigEndian.Uint16(b[off+2:off+4])>>3 == 0
				nh, off = b[off], off+8
			case 51: // authentication header
				if off+2 > len(b) {
					break chain
				}
				nh, off = b[off], off+(int(b[off+1])+2)*4
			default:
				break chain
			}
		}
		t.Proto = nh
		if off <= len(b) {
			l4 = b[off:]
		}
	default:
		return t, false
	}
	if !first {
		return t, true
	}
	switch {
	case packet.HasPorts(t.Proto) && len(l4) >= 4:
		t.SrcPort = binary.BigEndian.Uint16(l4[0:2])
		t.DstPort = binary.BigEndian.Uint16(l4[2:4])
	case len(l4) >= 6 && ((t.Proto == packet.ProtoICMP && (l4[0] == 0 || l4[0] == 8)) ||
		(t.Proto == packet.ProtoICMPv6 && (l4[0] == 128 || l4[0] == 129))):
		id := binary.BigEndian.Uint16(l4[4:6])
		t.SrcPort, t.DstPort = id, id
	}
	return t, true
}
