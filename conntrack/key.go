package conntrack

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"github.com/ctsim/ctsim/sim/packet"
)

// Key identifies one tracked flow in both directions at once. It is
// normalised so that (a, aport) ≤ (b, bport), comparing the 16-byte
// addresses first and the ports second; the entry it indexes remembers
// whether the original direction ran a→b. A packet and its reply therefore
// build the same Key.
//
// Key is fixed-size and pointer-free — 38 bytes, measured with
// unsafe.Sizeof on Go 1.26 (TestKeySize), against 72 B for a key built from
// two netip.AddrPort values — so a table of keys is never scanned by the
// garbage collector (STYLE.md lesson 1). IPv4 addresses are stored in their
// IPv4-mapped IPv6 form; v6 keeps IPv4 and IPv6 flows with the same bytes
// apart (a real IPv6 packet from ::ffff:10.0.0.1 is not the IPv4 flow from
// 10.0.0.1).
//
// What the ports hold depends on the protocol (SPEC.md §2.1 CT2, CT3):
//   - TCP and UDP: the transport ports.
//   - ICMP and ICMPv6 echo: the echo identifier on both sides, as
//     packet.Tuple does, so request and reply share a key.
//   - Other ICMP messages (timestamp, address mask, router and neighbour
//     discovery, …): a message-class marker that is never equal on the two
//     sides, see icmpClassPorts. Echo keys always have aport == bport, so the
//     two kinds can never collide.
//   - Every other protocol, SCTP included: zero. AWS tracks "only the IP
//     address and protocol number" (CT3).
//
// The zero Key is the key of no packet.
type Key struct {
	a, b         [16]byte
	aport, bport uint16
	proto        uint8
	v6           bool
}

// KeyOf returns the key of p's flow and reports whether p travels a→b
// (from the key's first side to its second). It does not allocate.
func KeyOf(p *packet.Packet) (k Key, srcIsA bool) {
	srcIsA = k.SetPacket(p)
	return k, srcIsA
}

// SetPacket sets k to the key of p's flow, in place, and reports whether p
// travels a→b: KeyOf without copying the key out (a caller that keeps keys
// of packets read ahead). It does not allocate.
func (k *Key) SetPacket(p *packet.Packet) (srcIsA bool) {
	var sport, dport uint16
	switch {
	case p.Proto == packet.ProtoTCP || p.Proto == packet.ProtoUDP:
		sport, dport = p.SrcPort, p.DstPort
	case p.IsICMPEcho():
		sport, dport = p.ICMPID, p.ICMPID
	case p.IsICMP():
		sport, dport = icmpClassPorts(p.Proto, p.ICMPType)
	}
	k.a, k.b = p.Src.As16(), p.Dst.As16()
	k.proto, k.v6 = p.Proto, p.Src.Is6()
	k.aport, k.bport = sport, dport
	if lessSide(&k.a, sport, &k.b, dport) {
		return true
	}
	k.a, k.b = k.b, k.a
	k.aport, k.bport = dport, sport
	return false
}

// keyOfTuple returns the key of a flow given by its tuple, as the inner
// packet of an ICMP error quotes it. A quoted ICMP flow is taken to be an
// echo (its ports are the identifier, as packet.Tuple sets them).
func keyOfTuple(t packet.Tuple) (k Key, srcIsA bool) {
	sport, dport := t.SrcPort, t.DstPort
	if !(t.Proto == packet.ProtoTCP || t.Proto == packet.ProtoUDP ||
		t.Proto == packet.ProtoICMP || t.Proto == packet.ProtoICMPv6) {
		sport, dport = 0, 0
	}
	return makeKey(t.Src, t.Dst, sport, dport, t.Proto)
}

// makeKey normalises one direction of a flow into a Key.
func makeKey(src, dst netip.Addr, sport, dport uint16, proto uint8) (k Key, srcIsA bool) {
	s, d := src.As16(), dst.As16()
	k.proto = proto
	k.v6 = src.Is6()
	if lessSide(&s, sport, &d, dport) {
		k.a, k.aport, k.b, k.bport = s, sport, d, dport
		return k, true
	}
	k.a, k.aport, k.b, k.bport = d, dport, s, sport
	return k, false
}

// lessSide reports whether (x, xp) ≤ (y, yp). Equal sides (a host talking
// to itself on one port) count as a→b, so both directions of such a flow
// are Original.
func lessSide(x *[16]byte, xp uint16, y *[16]byte, yp uint16) bool {
	x0, y0 := binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(y[:8])
	if x0 != y0 {
		return x0 < y0
	}
	x1, y1 := binary.BigEndian.Uint64(x[8:]), binary.BigEndian.Uint64(y[8:])
	if x1 != y1 {
		return x1 < y1
	}
	return xp <= yp
}

// Proto returns the key's IP protocol number.
func (k Key) Proto() uint8 { return k.proto }

// Is6 reports whether the key is of an IPv6 flow.
func (k Key) Is6() bool { return k.v6 }

// addr converts a stored address back to a netip.Addr of the key's family.
func (k *Key) addr(b *[16]byte) netip.Addr {
	a := netip.AddrFrom16(*b)
	if !k.v6 {
		return a.Unmap()
	}
	return a
}

// Tuple returns the flow's tuple in the direction a→b when aToB is true,
// b→a otherwise. ICMP class keys get zero ports back, as packet.Tuple gives
// them. It does not allocate.
func (k *Key) Tuple(aToB bool) packet.Tuple {
	t := packet.Tuple{Src: k.addr(&k.a), Dst: k.addr(&k.b), SrcPort: k.aport, DstPort: k.bport, Proto: k.proto}
	if isICMPProto(k.proto) && k.aport != k.bport {
		t.SrcPort, t.DstPort = 0, 0
	}
	if !aToB {
		t = t.Reverse()
	}
	return t
}

// String formats the key a→b, as Tuple(true).String() does.
func (k Key) String() string { return k.Tuple(true).String() }

// Hash returns k's hash as every Table computes it (one fixed seed), so
// that one hash serves every table a packet meets: LookupHashed, Peek and
// PrefetchHashed take it.
func (k *Key) Hash() uint64 { return k.hash(hashSeed) }

// Sides returns the key's two sides in its order: each an address in its
// 16-byte form (IPv4 mapped) and a port (for ICMP, the echo identifier or
// the class ports). A caller keeping its own index of flows can take them
// instead of normalising the packet's tuple a second time, and hash them
// with HashSides.
func (k *Key) Sides() (a, b [16]byte, aport, bport uint16) {
	return k.a, k.b, k.aport, k.bport
}

// HashSides returns the Hash of the key with these sides, protocol and
// family, without building it.
func HashSides(a, b *[16]byte, aport, bport uint16, proto uint8, v6 bool) uint64 {
	return hashFields(a, b, aport, bport, proto, v6, hashSeed)
}

// hash mixes the key with seed. It is a wyhash-style multiply-fold over
// the key's words: fast, allocation-free and deterministic, which the
// table needs for reproducible runs (STYLE.md lesson 7). Inputs are
// simulated or captured packets, not an adversary, so a fixed seed is fine.
func (k *Key) hash(seed uint64) uint64 {
	return hashFields(&k.a, &k.b, k.aport, k.bport, k.proto, k.v6, seed)
}

func hashFields(ka, kb *[16]byte, aport, bport uint16, proto uint8, v6 bool, seed uint64) uint64 {
	const (
		m1 = 0xa0761d6478bd642f
		m2 = 0xe7037ed1a0b428db
		m3 = 0x8ebc6af09c88c6e3
		m4 = 0x589965cc75374cc3
	)
	a0 := binary.LittleEndian.Uint64(ka[:8])
	a1 := binary.LittleEndian.Uint64(ka[8:])
	b0 := binary.LittleEndian.Uint64(kb[:8])
	b1 := binary.LittleEndian.Uint64(kb[8:])
	x := uint64(aport) | uint64(bport)<<16 | uint64(proto)<<32
	if v6 {
		x |= 1 << 40
	}
	h := mix(a0^seed^m1, a1^m2) ^ mix(b0^m3, b1^m4)
	return mix(h^x^m2, seed^m1)
}

// mix is the 64×64→128 multiply folded to 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
