package conntrack

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestKeySize pins the key's size, which the Key doc comment states
// (STYLE.md lesson 1: 38 B against 72 B for netip.AddrPort fields).
func TestKeySize(t *testing.T) {
	if got := unsafe.Sizeof(Key{}); got != 38 {
		t.Errorf("unsafe.Sizeof(Key{}) = %d, want 38", got)
	}
}

// TestEntrySize pins the slot size behind the ≤160 B/connection budget
// (slots.go): 56 B per slot, at most 150 B per connection at the lowest
// load factor (3/8).
func TestEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(entry{}); got != 56 {
		t.Errorf("unsafe.Sizeof(entry{}) = %d, want 56", got)
	}
}

// TestKeyNormalisesBothDirectionsToOneKey: a packet and its reply build the
// same key, with opposite srcIsA (one direction-normalised key serving both
// directions; SPEC.md §2.1 CT2, CT3).
func TestKeyNormalisesBothDirectionsToOneKey(t *testing.T) {
	tests := []struct{ fwd, rev string }{
		{"tcp 10.0.1.5:49152 > 10.0.2.7:443 S", "tcp 10.0.2.7:443 > 10.0.1.5:49152 S."},
		{"tcp 10.0.2.7:443 > 10.0.1.5:49152 S", "tcp 10.0.1.5:49152 > 10.0.2.7:443 S."},
		{"udp 10.0.0.1:53 > 10.0.0.1:40000", "udp 10.0.0.1:40000 > 10.0.0.1:53"}, // same host, ports decide
		{"udp [2001:db8::1]:5000 > [2001:db8::2]:53", "udp [2001:db8::2]:53 > [2001:db8::1]:5000"},
		{"icmp 10.0.0.1 > 10.0.0.2 echo-request id=7", "icmp 10.0.0.2 > 10.0.0.1 echo-reply id=7"},
		{"icmpv6 2001:db8::1 > 2001:db8::2 echo-request id=9", "icmpv6 2001:db8::2 > 2001:db8::1 echo-reply id=9"},
		{"icmp 10.0.0.9 > 10.0.0.2 type=13", "icmp 10.0.0.2 > 10.0.0.9 type=14"}, // timestamp request/reply
		{"gre 10.0.1.5 > 192.0.2.50", "gre 192.0.2.50 > 10.0.1.5"},
		{"sctp 10.0.1.5:5000 > 192.0.2.50:9999", "sctp 192.0.2.50:1 > 10.0.1.5:2"}, // CT3: ports not tracked
	}
	for _, tc := range tests {
		k1, a1 := KeyOf(pkt(tc.fwd))
		k2, a2 := KeyOf(pkt(tc.rev))
		if k1 != k2 {
			t.Errorf("%q and %q: keys differ: %v vs %v", tc.fwd, tc.rev, k1, k2)
		}
		if a1 == a2 {
			t.Errorf("%q and %q: both srcIsA=%v", tc.fwd, tc.rev, a1)
		}
	}
}

// TestKeySeparatesFlows: flows that differ in family, protocol, port,
// echo identifier or ICMP message class get different keys (SPEC.md §2.1
// CT2; IPv4 and IPv6 traffic are separate, §2.2).
func TestKeySeparatesFlows(t *testing.T) {
	tests := []struct{ x, y string }{
		{"tcp 10.0.0.1:1000 > 10.0.0.2:80", "tcp [::ffff:10.0.0.1]:1000 > [::ffff:10.0.0.2]:80"}, // IPv4 vs 4-in-6 IPv6
		{"tcp 10.0.0.1:1000 > 10.0.0.2:80", "udp 10.0.0.1:1000 > 10.0.0.2:80"},
		{"tcp 10.0.0.1:1000 > 10.0.0.2:80", "tcp 10.0.0.1:1001 > 10.0.0.2:80"},
		{"icmp 10.0.0.1 > 10.0.0.2 echo-request id=1", "icmp 10.0.0.1 > 10.0.0.2 echo-request id=2"},
		{"icmp 10.0.0.1 > 10.0.0.2 echo-request id=13", "icmp 10.0.0.1 > 10.0.0.2 type=13"},
		{"icmp 10.0.0.1 > 10.0.0.2 echo-request id=0", "icmp 10.0.0.1 > 10.0.0.2 type=17"},
		{"icmp 10.0.0.1 > 10.0.0.2 type=13", "icmp 10.0.0.1 > 10.0.0.2 type=17"},
		{"gre 10.0.0.1 > 10.0.0.2", "esp 10.0.0.1 > 10.0.0.2"},
	}
	for _, tc := range tests {
		k1, _ := KeyOf(pkt(tc.x))
		k2, _ := KeyOf(pkt(tc.y))
		if k1 == k2 {
			t.Errorf("%q and %q share key %v", tc.x, tc.y, k1)
		}
	}
}

// TestKeyTupleRoundTrips: the tuple rebuilt from a key, in the original
// direction, is the packet's own tuple (what Expiry and Entries report).
func TestKeyTupleRoundTrips(t *testing.T) {
	for _, line := range []string{
		"tcp 10.0.2.7:443 > 10.0.1.5:49152 S",
		"udp [2001:db8::2]:53 > [2001:db8::1]:5000",
		"icmp 10.0.0.2 > 10.0.0.1 echo-request id=7",
		"icmp 10.0.0.2 > 10.0.0.1 type=13",
		"gre 192.0.2.50 > 10.0.1.5",
		"tcp [::ffff:10.0.0.1]:1000 > [::ffff:10.0.0.2]:80",
	} {
		p := pkt(line)
		k, srcIsA := KeyOf(p)
		if got, want := k.Tuple(srcIsA), p.Tuple(); got != want {
			t.Errorf("%q: Tuple = %v, want %v", line, got, want)
		}
	}
	k, _ := KeyOf(pkt("sctp 10.0.1.5:5000 > 192.0.2.50:9999"))
	if tu := k.Tuple(true); tu.SrcPort != 0 || tu.DstPort != 0 || tu.Proto != packet.ProtoSCTP {
		t.Errorf("sctp key tuple %v: want zero ports (CT3)", tu)
	}
}

// TestKeyHashIsDeterministic: the same key hashes to the same value in
// every run and on every platform, which keeps slot and sweep order — and
// so reports — reproducible (STYLE.md lesson 7).
func TestKeyHashIsDeterministic(t *testing.T) {
	k, _ := KeyOf(pkt("tcp 10.0.1.5:49152 > 10.0.2.7:443 S"))
	if got, want := k.hash(hashSeed), uint64(0x40c777144860b723); got != want {
		t.Errorf("hash = %#x, want %#x", got, want)
	}
}

// TestSetPacketIsKeyOf proves that SetPacket writes KeyOf's key and reports
// its direction, whatever the key held before, for both directions of TCP,
// UDP, ICMP echo, ICMP errors and other protocols over IPv4 and IPv6: a
// reply finds its request's entry (SPEC.md §2.1 CT1).
func TestSetPacketIsKeyOf(t *testing.T) {
	addrs := []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"),
		netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"),
	}
	tests := []struct {
		name  string
		proto uint8
		typ   uint8
	}{
		{"tcp", packet.ProtoTCP, 0},
		{"udp", packet.ProtoUDP, 0},
		{"icmp echo", packet.ProtoICMP, 8},
		{"icmp echo reply", packet.ProtoICMP, 0},
		{"icmp unreachable", packet.ProtoICMP, 3},
		{"icmpv6 echo request", packet.ProtoICMPv6, 128},
		{"gre", 47, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, src := range addrs {
				for _, dst := range addrs {
					for _, sport := range []uint16{0, 80, 443} {
						p := packet.Packet{Src: src, Dst: dst, Proto: tt.proto, SrcPort: sport, DstPort: 80, ICMPType: tt.typ, ICMPID: 7}
						k := Key{aport: 1, bport: 2, v6: true} // stale fields are overwritten
						srcIsA := k.SetPacket(&p)
						want, wantSrcIsA := KeyOf(&p)
						if k != want || srcIsA != wantSrcIsA {
							t.Errorf("%v→%v port %d: SetPacket = %+v, %v; KeyOf = %+v, %v", src, dst, sport, k, srcIsA, want, wantSrcIsA)
						}
					}
				}
			}
		})
	}
}
