package pcap

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// Frames shared by the tables below.
var (
	synV4  = ip4("10.0.1.5", "10.0.2.7", packet.ProtoTCP, tcp(49152, 443, packet.SYN))
	synV6  = ip6("2001:db8::5", "2001:db8::7", packet.ProtoTCP, tcp(49152, 443, packet.SYN))
	synV4s = "tcp 10.0.1.5:49152 > 10.0.2.7:443 S"
	synV6s = "tcp [2001:db8::5]:49152 > [2001:db8::7]:443 S"
)

// sll is a Linux cooked header (LINKTYPE_LINUX_SLL) with address length
// halen, carrying EtherType etype.
func sll(halen uint16, etype uint16) []byte {
	return []byte{0, 0, 0, 1, byte(halen >> 8), byte(halen), 2, 0, 0, 0, 0, 0xa, 0, 0, byte(etype >> 8), byte(etype)}
}

// sll2 is a LINKTYPE_LINUX_SLL2 header carrying EtherType etype.
func sll2(etype uint16) []byte {
	return []byte{byte(etype >> 8), byte(etype), 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0xa, 0, 0}
}

// TestLinkTypes decodes the same datagrams under every link type the
// reader supports, and skips the others with a reason (issue: link types;
// SPEC.md §1.1 for the protocols).
func TestLinkTypes(t *testing.T) {
	tests := []struct {
		name  string
		link  uint32
		frame []byte
		want  string // p.String(), or the skip reason token
	}{
		// Ethernet, tagged and labelled
		{"ethernet", 1, eth(0x0800, synV4), synV4s},
		{"ethernet ipv6", 1, eth(0x86dd, synV6), synV6s},
		{"802.1Q", 1, eth(0x8100, vlan(10, 0x0800), synV4), synV4s},
		{"QinQ 88a8 then 8100", 1, eth(0x88a8, vlan(10, 0x8100), vlan(20, 0x0800), synV4), synV4s},
		{"double 8100", 1, eth(0x8100, vlan(10, 0x8100), vlan(20, 0x86dd), synV6), synV6s},
		{"mpls two labels", 1, eth(0x8847, mplsLabel(100, false), mplsLabel(200, true), synV4), synV4s},
		{"mpls ipv6", 1, eth(0x8847, mplsLabel(100, true), synV6), synV6s},
		{"mpls pseudowire", 1, eth(0x8847, mplsLabel(100, true), []byte{0, 0, 0, 0}, eth(0x0800, synV4)), "mpls"},
		{"arp", 1, eth(0x0806, make([]byte, 28)), "not_ip"},
		{"ethernet loopback 9000", 1, eth(0x9000, make([]byte, 40)), "not_ip"},
		{"802.3 llc", 1, eth(40, make([]byte, 40)), "not_ip"},
		{"ethernet cut", 1, eth(0x0800)[:10], "truncated"},
		{"ethertype ipv4 carrying ipv6", 1, eth(0x0800, synV6), "malformed_ip"},
		// Linux cooked
		{"sll", 113, cat(sll(6, 0x0800), synV4), synV4s},
		{"sll ipv6", 113, cat(sll(6, 0x86dd), synV6), synV6s},
		{"sll address length 20", 113, cat(sll(20, 0x0800), synV4), synV4s},
		{"sll cut", 113, sll(6, 0x0800)[:15], "truncated"},
		{"sll arp", 113, cat(sll(6, 0x0806), make([]byte, 28)), "not_ip"},
		{"sll2", 276, cat(sll2(0x0800), synV4), synV4s},
		{"sll2 cut", 276, sll2(0x0800)[:12], "truncated"},
		// BSD null and OpenBSD loopback
		{"null af 2 little-endian", 0, cat([]byte{2, 0, 0, 0}, synV4), synV4s},
		{"null af 30 darwin ipv6", 0, cat([]byte{30, 0, 0, 0}, synV6), synV6s},
		{"loop af 24 big-endian", 108, cat([]byte{0, 0, 0, 24}, synV6), synV6s},
		{"null af 7", 0, cat([]byte{7, 0, 0, 0}, synV4), "not_ip"},
		// raw IP
		{"raw 101 ipv4", 101, synV4, synV4s},
		{"raw 101 ipv6", 101, synV6, synV6s},
		{"raw 228 ipv4", 228, synV4, synV4s},
		{"raw 229 ipv6", 229, synV6, synV6s},
		{"raw 228 carrying ipv6", 228, synV6, "malformed_ip"},
		{"raw 229 carrying ipv4", 229, synV4, "malformed_ip"},
		{"raw 101 version 5", 101, cat([]byte{0x50}, synV4[1:]), "malformed_ip"},
		{"raw empty", 101, nil, "truncated"},
		// others
		{"802.11", 105, make([]byte, 60), "unsupported_link_type"},
		{"ppp", 9, make([]byte, 60), "unsupported_link_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, reason, _ := decodeOne(t, tt.link, tt.frame)
			got := reason
			if reason == "" {
				got = p.String()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSLLAddressLengthOver8: the Linux SLL header is 16 bytes whatever its
// address length says; a length over 8 raises sll_bad_halen and the
// datagram after the header is still decoded, as Wireshark does (issue:
// link types, malformed packets; SPEC.md §1.1).
func TestSLLAddressLengthOver8(t *testing.T) {
	tests := []struct {
		halen uint16
		warn  string
	}{
		{6, ""}, {8, ""}, {9, "sll_bad_halen"}, {227, "sll_bad_halen"}, {50438, "sll_bad_halen"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.halen), func(t *testing.T) {
			p, reason, s := decodeOne(t, 113, cat(sll(tt.halen, 0x0800), synV4))
			if reason != "" || p.String() != synV4s {
				t.Fatalf("got %q / skipped %q, want %q", p.String(), reason, synV4s)
			}
			var warn string
			for _, w := range s.Warnings {
				warn = w.Reason
			}
			if warn != tt.warn {
				t.Errorf("warnings %v, want %q", s.Warnings, tt.warn)
			}
		})
	}
	// The corpus file with such headers: the six frames decode (tshark
	// flags only one of its 209 frames).
	path := filepath.Join(corpusDir(t), "malformed", "sll-pcapng-oversized-halen__gopacket-linux_sll_oversized_addr.pcapng")
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := map[uint64]bool{}
	drain(t, r, func(p *packet.Packet) { got[p.Frame] = p.Proto == packet.ProtoTCP })
	for _, f := range []uint64{8, 76, 91, 106, 117, 120} {
		if !got[f] {
			t.Errorf("frame %d not delivered as TCP", f)
		}
	}
}

// TestProtocols checks the header fields the filters read for each
// protocol: ports, flags, ICMP type/code/id, the quoted flow of ICMP errors
// (SPEC.md §2.7), fragments (the first carries ports, later ones only the
// fragment fields), and other protocols by number (SPEC.md §1.1).
func TestProtocols(t *testing.T) {
	quotedUDP := ip4("192.168.1.1", "192.168.1.102", packet.ProtoUDP, udp(53, 59207, 20))
	quotedTCP := ip4("10.0.1.5", "198.51.100.9", packet.ProtoTCP, tcp(49152, 25, packet.ACK|packet.PSH))
	quotedTCP6 := ip6("2001:db8::5", "2001:db8::9", packet.ProtoTCP, tcp(40000, 443, packet.ACK))
	tests := []struct {
		name  string
		frame []byte
		want  string
		check func(t *testing.T, p packet.Packet)
	}{
		{"udp", ip4("10.0.1.5", "8.8.8.8", packet.ProtoUDP, udp(40000, 53, 30)), "udp 10.0.1.5:40000 > 8.8.8.8:53", nil},
		{"tcp flags seq ack", ip4("10.0.1.5", "10.0.2.7", packet.ProtoTCP, tcp(1, 2, packet.FIN|packet.ACK)), "tcp 10.0.1.5:1 > 10.0.2.7:2 F.",
			func(t *testing.T, p packet.Packet) {
				if p.Seq != 1000 || p.Ack != 2000 || p.Length != 40 {
					t.Errorf("seq %d ack %d len %d, want 1000 2000 40", p.Seq, p.Ack, p.Length)
				}
			}},
		{"sctp", ip4("10.0.1.5", "10.0.2.7", packet.ProtoSCTP, make([]byte, 16)), "sctp 10.0.1.5:0 > 10.0.2.7:0", nil},
		{"gre is other", ip4("10.0.1.5", "192.0.2.50", packet.ProtoGRE, cat([]byte{0, 0, 8, 0}, synV4)), "gre 10.0.1.5 > 192.0.2.50", nil},
		{"esp is other", ip4("10.0.1.5", "192.0.2.50", packet.ProtoESP, make([]byte, 40)), "esp 10.0.1.5 > 192.0.2.50", nil},
		{"6in4 is other", ip4("1.2.3.4", "5.6.7.8", 41, synV6), "41 1.2.3.4 > 5.6.7.8", nil},
		{"ipip is other", ip4("1.2.3.4", "5.6.7.8", 4, synV4), "4 1.2.3.4 > 5.6.7.8", nil},
		{"icmp echo", ip4("10.0.1.5", "8.8.8.8", packet.ProtoICMP, icmp4(8, 0, 7<<16|1, nil)), "icmp 10.0.1.5 > 8.8.8.8 echo-request id=7", nil},
		{"icmp port unreachable quoting udp", ip4("192.168.1.102", "192.168.1.1", packet.ProtoICMP, icmp4(3, 3, 0, quotedUDP[:28])),
			"icmp 192.168.1.102 > 192.168.1.1 port-unreachable quoting udp 192.168.1.1:53 > 192.168.1.102:59207", nil},
		{"icmp frag-needed quoting tcp", ip4("192.0.2.1", "10.0.1.5", packet.ProtoICMP, icmp4(3, 4, 1492, quotedTCP)),
			"icmp 192.0.2.1 > 10.0.1.5 frag-needed quoting tcp 10.0.1.5:49152 > 198.51.100.9:25", nil},
		{"icmp error quoting only an ip header", ip4("192.0.2.1", "10.0.1.5", packet.ProtoICMP, icmp4(11, 0, 0, quotedTCP[:20])),
			"icmp 192.0.2.1 > 10.0.1.5 time-exceeded quoting tcp 10.0.1.5:0 > 198.51.100.9:0", nil},
		{"icmp error quoting garbage", ip4("192.0.2.1", "10.0.1.5", packet.ProtoICMP, icmp4(3, 1, 0, []byte{1, 2, 3})),
			"icmp 192.0.2.1 > 10.0.1.5 dest-unreachable code 1", nil},
		{"icmpv6 echo", ip6("2001:db8::5", "2001:db8::7", packet.ProtoICMPv6, icmp6(128, 0, 9<<16|1, nil)), "icmpv6 2001:db8::5 > 2001:db8::7 echo-request id=9", nil},
		{"icmpv6 packet too big quoting ipv6 tcp", ip6("2001:db8::1", "2001:db8::5", packet.ProtoICMPv6, icmp6(2, 0, 1280, quotedTCP6)),
			"icmpv6 2001:db8::1 > 2001:db8::5 packet-too-big quoting tcp [2001:db8::5]:40000 > [2001:db8::9]:443", nil},
		{"icmpv6 quoting through extension headers", ip6("2001:db8::1", "2001:db8::5", packet.ProtoICMPv6,
			icmp6(1, 4, 0, ip6("2001:db8::5", "2001:db8::9", 60, cat(ext6(packet.ProtoUDP), udp(5353, 53, 4))))),
			"icmpv6 2001:db8::1 > 2001:db8::5 port-unreachable quoting udp [2001:db8::5]:5353 > [2001:db8::9]:53", nil},
		{"ipv6 routing header", ip6("2001:db8::5", "2001:db8::7", 43, cat([]byte{packet.ProtoUDP, 0, 0, 0, 0, 0, 0, 0}, udp(5353, 53, 4))), "udp [2001:db8::5]:5353 > [2001:db8::7]:53", nil},
		{"sctp over ipv6", ip6("2001:db8::5", "2001:db8::7", packet.ProtoSCTP, cat([]byte{0x0b, 0x59, 0x0b, 0x59}, make([]byte, 12))), "sctp [2001:db8::5]:2905 > [2001:db8::7]:2905", nil},
		{"ipv6 no next header", ip6("2001:db8::5", "2001:db8::7", 59, make([]byte, 8)), "59 2001:db8::5 > 2001:db8::7", nil},
		{"ipv6 hop-by-hop and destination options", ip6("2001:db8::5", "2001:db8::7", 0, cat(ext6(60), ext6(packet.ProtoTCP), tcp(49152, 443, packet.SYN))), synV6s, nil},
		{"ipv6 first fragment", ip6("2001:db8::5", "2001:db8::7", 44, cat(frag6(packet.ProtoUDP, 77, 0, true), udp(5353, 53, 100))),
			"udp [2001:db8::5]:5353 > [2001:db8::7]:53",
			func(t *testing.T, p packet.Packet) {
				want := packet.Fragment{ID: 77, Offset: 0, More: true, IsFragment: true}
				if p.Fragment != want || !p.Fragment.First() {
					t.Errorf("fragment %+v, want %+v", p.Fragment, want)
				}
			}},
		{"ipv6 later fragment", ip6("2001:db8::5", "2001:db8::7", 44, cat(frag6(packet.ProtoUDP, 77, 1448, false), make([]byte, 100))),
			"udp 2001:db8::5 > 2001:db8::7 fragment id=77 offset=1448",
			func(t *testing.T, p packet.Packet) {
				want := packet.Fragment{ID: 77, Offset: 1448, More: false, IsFragment: true}
				if p.Fragment != want || p.Fragment.First() {
					t.Errorf("fragment %+v, want %+v", p.Fragment, want)
				}
			}},
		{"ipv6 atomic fragment is not a fragment", ip6("2001:db8::5", "2001:db8::7", 44, cat(frag6(packet.ProtoTCP, 5, 0, false), tcp(49152, 443, packet.SYN))), synV6s,
			func(t *testing.T, p packet.Packet) {
				if p.Fragment.IsFragment {
					t.Errorf("atomic fragment marked as fragment: %+v", p.Fragment)
				}
			}},
		{"ipv4 first fragment", ip4frag("10.0.1.5", "10.0.2.7", packet.ProtoUDP, 99, 0, true, udp(5000, 6000, 1472)),
			"udp 10.0.1.5:5000 > 10.0.2.7:6000",
			func(t *testing.T, p packet.Packet) {
				want := packet.Fragment{ID: 99, Offset: 0, More: true, IsFragment: true}
				if p.Fragment != want {
					t.Errorf("fragment %+v, want %+v", p.Fragment, want)
				}
			}},
		{"ipv4 later fragment", ip4frag("10.0.1.5", "10.0.2.7", packet.ProtoUDP, 99, 1480, false, make([]byte, 100)),
			"udp 10.0.1.5 > 10.0.2.7 fragment id=99 offset=1480",
			func(t *testing.T, p packet.Packet) {
				want := packet.Fragment{ID: 99, Offset: 1480, More: false, IsFragment: true}
				if p.Fragment != want || p.Length != 120 {
					t.Errorf("fragment %+v len %d, want %+v len 120", p.Fragment, p.Length, want)
				}
			}},
		{"ipv4 options", func() []byte {
			b := ip4("10.0.1.5", "10.0.2.7", packet.ProtoTCP, cat([]byte{1, 1, 1, 0}, tcp(1, 2, packet.SYN)))
			b[0] = 0x46 // IHL 6: the first 4 payload bytes become options
			return b
		}(), "tcp 10.0.1.5:1 > 10.0.2.7:2 S", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, reason, _ := decodeOne(t, 101, tt.frame)
			if reason != "" {
				t.Fatalf("skipped: %s", reason)
			}
			if got := p.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

// TestMalformedPackets checks that broken headers are skipped with the
// reason that names the broken layer, never delivered half-read and never
// a panic (issue: "each skipped packet is counted with its reason").
func TestMalformedPackets(t *testing.T) {
	bad := func(b []byte, i int, v byte) []byte {
		c := append([]byte(nil), b...)
		c[i] = v
		return c
	}
	udp4 := ip4("10.0.1.5", "10.0.2.7", packet.ProtoUDP, udp(1, 2, 4))
	tests := []struct {
		name  string
		frame []byte
		want  string // skip reason, or "" for delivered
		warn  string // expected warning token, if any
	}{
		{"ipv4 ihl 4", bad(synV4, 0, 0x44), "malformed_ip", ""},
		{"ipv4 header cut", synV4[:12], "truncated", ""},
		{"ipv4 total length 0 on udp", bad(bad(udp4, 2, 0), 3, 0), "malformed_ip", ""},
		{"ipv4 total length 0 on tcp is tso", bad(bad(synV4, 2, 0), 3, 0), "", ""},
		{"ipv4 total length under header", bad(bad(synV4, 2, 0), 3, 12), "malformed_ip", ""},
		{"ipv6 header cut", synV6[:30], "truncated", ""},
		{"ipv6 extension longer than the datagram", ip6("2001:db8::5", "2001:db8::7", 60, []byte{6, 4}), "malformed_ip", ""},
		{"ipv6 extension cut by the snap length", ip6("2001:db8::5", "2001:db8::7", 60, cat(ext6(6), tcp(1, 2, packet.SYN)))[:44], "truncated", ""},
		{"tcp data offset 3", bad(synV4, 32, 0x30), "malformed_transport", ""},
		{"tcp cut before flags", synV4[:20+10], "truncated", ""},
		{"tcp cut after flags", synV4[:20+16], "", "tcp_header_cut"},
		{"udp length 4", bad(udp4, 25, 4), "malformed_transport", ""},
		{"udp cut", udp4[:24], "truncated", ""},
		{"icmp cut", ip4("10.0.1.5", "8.8.8.8", packet.ProtoICMP, []byte{8, 0, 0, 0}), "truncated", ""},
		{"icmpv6 echo without identifier", ip6("2001:db8::5", "2001:db8::7", packet.ProtoICMPv6, []byte{128, 0, 0, 0}), "truncated", ""},
		{"sctp cut", ip4("10.0.1.5", "10.0.2.7", packet.ProtoSCTP, make([]byte, 8)), "malformed_transport", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, reason, s := decodeOne(t, 101, tt.frame)
			if reason != tt.want {
				t.Errorf("reason %q, want %q", reason, tt.want)
			}
			var warn string
			for _, w := range s.Warnings {
				warn = w.Reason
			}
			if warn != tt.warn {
				t.Errorf("warnings %v, want %q", s.Warnings, tt.warn)
			}
		})
	}
	// An MPLS stack that never ends is not followed for ever.
	var deep []byte
	for range 20 {
		deep = append(deep, mplsLabel(1, false)...)
	}
	if _, reason, _ := decodeOne(t, 1, eth(0x8847, deep, synV4)); reason != "mpls" {
		t.Errorf("20-label stack: reason %q, want mpls", reason)
	}
}

// TestTokens: skip reasons and warnings print as stable snake_case tokens,
// declared in sorted order so that Stats lists them sorted without sorting.
func TestTokens(t *testing.T) {
	var reasons, warnings []string
	for r := SkipReason(1); r < numReasons; r++ {
		reasons = append(reasons, r.String())
	}
	for w := Warning(0); w < numWarnings; w++ {
		warnings = append(warnings, w.String())
	}
	for _, list := range [][]string{reasons, warnings} {
		for i := 1; i < len(list); i++ {
			if list[i-1] >= list[i] {
				t.Errorf("tokens not sorted: %q before %q", list[i-1], list[i])
			}
		}
	}
	if got := SkipNotIP.String(); got != "not_ip" {
		t.Errorf("SkipNotIP = %q", got)
	}
	if got := SkipReason(200).String(); got != "skip_reason_200" {
		t.Errorf("unknown reason = %q", got)
	}
}
