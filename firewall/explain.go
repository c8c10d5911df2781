package firewall

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/sim/packet"
)

// Rule texts are built once, at compile time, and stored in RuleRef.Text so
// that a Verdict never formats a string on the hot path (STYLE.md lesson 4).

// noRuleText is the RuleRef text of a security group verdict that no rule
// decided (SPEC.md §1.2: allow-only, so what is not allowed is dropped).
const noRuleText = "no rule matched: default deny"

// maxListed is how many resolved peers a rule text lists before "+N more".
const maxListed = 5

// protoName names an AWS protocol value: "tcp", "udp", "icmp", "icmpv6",
// "gre", "esp", "sctp", or "proto N".
func protoName(p Protocol) string {
	if p < 0 || p > 255 {
		return "proto " + strconv.Itoa(int(p))
	}
	n := packet.ProtoName(uint8(p))
	if n[0] >= '0' && n[0] <= '9' {
		return "proto " + n
	}
	return n
}

// portsText formats a TCP/UDP range: "22", "1024-65535".
func portsText(from, to int32) string {
	if from == to {
		return strconv.Itoa(int(from))
	}
	return strconv.Itoa(int(from)) + "-" + strconv.Itoa(int(to))
}

// icmpText formats an ICMP type and code, -1 meaning all: "all types",
// "type 8 all codes", "type 3 code 4".
func icmpText(typ, code int32) string {
	switch {
	case typ < 0:
		return "all types"
	case code < 0:
		return "type " + strconv.Itoa(int(typ)) + " all codes"
	}
	return "type " + strconv.Itoa(int(typ)) + " code " + strconv.Itoa(int(code))
}

// sgProtoText formats an SG rule's protocol and ports as the console shows
// them: "all traffic", "tcp 22", "udp 1024-65535", "icmp type 3 code 4",
// "sctp" (other protocols match all ports, SPEC.md §1.1).
func sgProtoText(r *SGRule) string {
	if r.Protocol == ProtoAll {
		return "all traffic"
	}
	name := protoName(r.Protocol)
	switch uint8(r.Protocol) {
	case packet.ProtoTCP, packet.ProtoUDP:
		return name + " " + portsText(r.FromPort, r.ToPort)
	case packet.ProtoICMP, packet.ProtoICMPv6:
		return name + " " + icmpText(r.FromPort, r.ToPort)
	}
	return name
}

// Peer names the rule's peer as written: a CIDR, a group ID or a prefix
// list ID ("nothing" for a rule without a peer, which Compile rejects).
func (r SGRule) Peer() string {
	switch {
	case r.Group != "":
		return r.Group
	case r.PrefixList != "":
		return r.PrefixList
	case r.CIDR.IsValid():
		return r.CIDR.String()
	}
	return "nothing"
}

// String formats r without its group or direction: "tcp 22 203.0.113.1/32
// (sgr-1)", "all traffic sg-web".
func (r SGRule) String() string {
	s := sgProtoText(&r) + " " + r.Peer()
	if r.ID != "" {
		s += " (" + r.ID + ")"
	}
	return s
}

// Text formats r as a rule of group in direction dir: "sg-web ingress tcp
// 22 from 203.0.113.1/32 (sgr-1)". Compiled rules add the resolved members
// of a referenced group or the CIDRs of a prefix list (see SGRuleInfo.Text).
func (r SGRule) Text(group string, dir Direction) string {
	return sgText(group, dir, &r, "")
}

func sgText(group string, dir Direction, r *SGRule, resolved string) string {
	var b strings.Builder
	b.WriteString(group)
	b.WriteByte(' ')
	b.WriteString(dir.String())
	b.WriteByte(' ')
	b.WriteString(sgProtoText(r))
	if dir == Egress {
		b.WriteString(" to ")
	} else {
		b.WriteString(" from ")
	}
	b.WriteString(r.Peer())
	if resolved != "" {
		b.WriteString(" (")
		b.WriteString(resolved)
		b.WriteByte(')')
	}
	if r.ID != "" {
		b.WriteString(" (")
		b.WriteString(r.ID)
		b.WriteByte(')')
	}
	return b.String()
}

// resolvedText lists a group reference's member addresses ("members:
// 10.0.1.5, 10.0.1.6") or a prefix list's CIDRs ("10.0.0.0/8, …").
func resolvedText(r *SGRule, peers []netip.Prefix) string {
	var b strings.Builder
	switch {
	case r.Group != "":
		b.WriteString("members: ")
		if len(peers) == 0 {
			b.WriteString("none")
			return b.String()
		}
	case r.PrefixList != "":
		if len(peers) == 0 {
			return "empty"
		}
	default:
		return ""
	}
	for i, p := range peers {
		if i == maxListed {
			b.WriteString(", +")
			b.WriteString(strconv.Itoa(len(peers) - maxListed))
			b.WriteString(" more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if r.Group != "" && p.IsSingleIP() {
			b.WriteString(p.Addr().String())
		} else {
			b.WriteString(p.String())
		}
	}
	return b.String()
}

// naclProtoText formats a NACL entry's protocol and ports: "all", "tcp
// 1024-65535", "icmp type 3 code 4", "icmpv6" (with an IPv4 CIDR: all types,
// SPEC.md §3.2), "gre".
func naclProtoText(e *NACLEntry) string {
	if e.Protocol == ProtoAll {
		return "all"
	}
	name := protoName(e.Protocol)
	switch uint8(e.Protocol) {
	case packet.ProtoTCP, packet.ProtoUDP:
		return name + " " + portsText(e.FromPort, e.ToPort)
	case packet.ProtoICMP:
		return name + " " + icmpText(e.ICMPType, e.ICMPCode)
	case packet.ProtoICMPv6:
		if e.CIDR.Addr().Is6() {
			return name + " " + icmpText(e.ICMPType, e.ICMPCode)
		}
	}
	return name
}

// String formats e as the console lists it: "100 allow tcp 1024-65535 from
// 0.0.0.0/0" (inbound), "140 allow tcp 32768-65535 to 0.0.0.0/0"
// (outbound), "* deny all from 0.0.0.0/0" for the default entries.
func (e NACLEntry) String() string {
	var b strings.Builder
	if e.Number == NACLDefaultRule4 || e.Number == NACLDefaultRule6 {
		b.WriteByte('*')
	} else {
		b.WriteString(strconv.Itoa(int(e.Number)))
	}
	b.WriteByte(' ')
	b.WriteString(e.Action.String())
	b.WriteByte(' ')
	b.WriteString(naclProtoText(&e))
	if e.Egress {
		b.WriteString(" to ")
	} else {
		b.WriteString(" from ")
	}
	if e.CIDR.IsValid() {
		b.WriteString(e.CIDR.String())
	} else {
		b.WriteString("nothing")
	}
	return b.String()
}

// defaultEntry returns the implicit "*" deny entry of family f.
func defaultEntry(egress bool, f family) NACLEntry {
	e := NACLEntry{Number: NACLDefaultRule4, Egress: egress, Protocol: ProtoAll, CIDR: all4, Action: Deny}
	if f == fam6 {
		e.Number, e.CIDR = NACLDefaultRule6, all6
	}
	return e
}

// naclDirection names a NACL direction as the console does.
func naclDirection(egress bool) string {
	if egress {
		return "outbound"
	}
	return "inbound"
}
