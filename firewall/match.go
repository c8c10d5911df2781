package firewall

import (
	"net/netip"

	"github.com/ctsim/ctsim/sim/packet"
)

// family indexes the per-address-family rule lists: IPv4 and IPv6 rules are
// kept apart and never match the other family's packets (SPEC.md §1.4,
// §3.1).
type family uint8

const (
	fam4 family = iota
	fam6
	numFamilies
)

// familyOf returns a's family; a must be unmapped.
func familyOf(a netip.Addr) family {
	if a.Is6() {
		return fam6
	}
	return fam4
}

func prefixFamily(p netip.Prefix) family { return familyOf(p.Addr()) }

// protoClass partitions rules by the protocols they can match, so that a
// packet scans only the rules that can apply to it. Each class list keeps
// the rules' evaluation order, so the first match in a class list is the
// first match overall.
type protoClass uint8

const (
	classTCP    protoClass = iota // protocol 6 and -1 rules
	classUDP                      // protocol 17 and -1 rules
	classICMP                     // protocol 1 and -1 rules
	classICMPv6                   // protocol 58 and -1 rules
	classOther                    // -1 and every other protocol number
	numClasses
)

// classOf returns the class of a packet's protocol number.
func classOf(proto uint8) protoClass {
	switch proto {
	case packet.ProtoTCP:
		return classTCP
	case packet.ProtoUDP:
		return classUDP
	case packet.ProtoICMP:
		return classICMP
	case packet.ProtoICMPv6:
		return classICMPv6
	}
	return classOther
}

// classesOf calls f for each class a rule with protocol p belongs to.
func classesOf(p Protocol, f func(protoClass)) {
	if p == ProtoAll {
		for c := protoClass(0); c < numClasses; c++ {
			f(c)
		}
		return
	}
	f(classOf(uint8(p)))
}

// matchKind says which part of the packet beyond the protocol a rule looks
// at.
type matchKind uint8

const (
	matchAll   matchKind = iota // every packet of the protocol ("all ports")
	matchPorts                  // destination port in [lo, hi] (SPEC.md §3.1 INFERENCE)
	matchICMP                   // ICMP type and code, -1 = all
)

// matcher is the protocol-and-port half of a compiled rule: 12 bytes, no
// pointers.
type matcher struct {
	proto    int16 // -1 = all protocols
	kind     matchKind
	lo, hi   uint16
	icmpType int16 // -1 = all types
	icmpCode int16 // -1 = all codes
}

// matches reports whether p's protocol, destination port or ICMP type and
// code fall in m. It does not allocate.
func (m *matcher) matches(p *packet.Packet) bool {
	if m.proto != -1 && m.proto != int16(p.Proto) {
		return false
	}
	switch m.kind {
	case matchPorts:
		return m.lo <= p.DstPort && p.DstPort <= m.hi
	case matchICMP:
		return (m.icmpType < 0 || m.icmpType == int16(p.ICMPType)) &&
			(m.icmpCode < 0 || m.icmpCode == int16(p.ICMPCode))
	}
	return true
}

// allPorts reports whether m matches every packet of protocol proto (or
// every protocol): the "any port (0-65535)" half of SPEC.md §2.2.
func (m *matcher) allPorts(proto uint8) bool {
	if m.proto == -1 {
		return true
	}
	return m.proto == int16(proto) && (m.kind == matchAll || (m.kind == matchPorts && m.lo == 0 && m.hi == 65535))
}

// sgMatcher compiles an SG rule's protocol and ports (SPEC.md §1.1): ports
// for tcp and udp, type/code for icmp and icmpv6, everything for -1 and
// other protocol numbers. r must be valid.
func sgMatcher(r *SGRule) matcher {
	m := matcher{proto: int16(r.Protocol)}
	switch uint8(r.Protocol) {
	case packet.ProtoTCP, packet.ProtoUDP:
		m.kind, m.lo, m.hi = matchPorts, uint16(r.FromPort), uint16(r.ToPort)
	case packet.ProtoICMP, packet.ProtoICMPv6:
		m.kind, m.icmpType, m.icmpCode = matchICMP, int16(r.FromPort), int16(r.ToPort)
	}
	if r.Protocol == ProtoAll {
		m.kind = matchAll
	}
	return m
}

// naclMatcher compiles a NACL entry's protocol and ports (SPEC.md §3.2):
// ports for 6 and 17, type/code for 1 and for 58 with an IPv6 CIDR,
// everything for -1, other numbers and 58 with an IPv4 CIDR. e must be
// valid.
func naclMatcher(e *NACLEntry) matcher {
	m := matcher{proto: int16(e.Protocol)}
	if e.Protocol == ProtoAll {
		return m
	}
	switch uint8(e.Protocol) {
	case packet.ProtoTCP, packet.ProtoUDP:
		m.kind, m.lo, m.hi = matchPorts, uint16(e.FromPort), uint16(e.ToPort)
	case packet.ProtoICMP:
		m.kind, m.icmpType, m.icmpCode = matchICMP, int16(e.ICMPType), int16(e.ICMPCode)
	case packet.ProtoICMPv6:
		if e.CIDR.Addr().Is6() {
			m.kind, m.icmpType, m.icmpCode = matchICMP, int16(e.ICMPType), int16(e.ICMPCode)
		}
	}
	return m
}
