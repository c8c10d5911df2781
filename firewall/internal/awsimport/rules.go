package awsimport

import (
	"slices"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// Protocol numbers the rules treat specially (SPEC.md §1.1, §3.2).
const (
	ProtoICMP   firewall.Protocol = 1
	ProtoTCP    firewall.Protocol = 6
	ProtoUDP    firewall.Protocol = 17
	ProtoICMPv6 firewall.Protocol = 58
)

// ParseProtocol reads an IpProtocol or a NACL Protocol: "tcp", "udp",
// "icmp", "icmpv6" (or "icmp6"), "-1" or "all" (firewall.ProtoAll), or a
// protocol number 0–255 ("6", "17", "1", "58" are TCP, UDP, ICMP, ICMPv6).
// Names are case-insensitive. ok is false for anything else.
func ParseProtocol(s string) (p firewall.Protocol, ok bool) {
	switch strings.ToLower(s) {
	case "-1", "all":
		return firewall.ProtoAll, true
	case "tcp":
		return ProtoTCP, true
	case "udp":
		return ProtoUDP, true
	case "icmp":
		return ProtoICMP, true
	case "icmpv6", "icmp6":
		return ProtoICMPv6, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return firewall.Protocol(n), true
}

// SGPorts checks and canonicalises a security group rule's FromPort/ToPort
// for protocol p (SPEC.md §1.1): a port range 0–65535 for TCP/UDP, both
// required; type and code for ICMP/ICMPv6, each -1–255, absent meaning all
// (-1), and a code only with a type; ignored, and returned as 0, for all
// other protocols. msg is non-empty, and f and t are 0, when they are
// invalid.
func SGPorts(p firewall.Protocol, from, to *int32) (f, t int32, msg string) {
	switch p {
	case ProtoTCP, ProtoUDP:
		if from == nil || to == nil {
			return 0, 0, "FromPort and ToPort are required for tcp and udp"
		}
		f, t = *from, *to
		if f < 0 || f > 65535 || t < 0 || t > 65535 {
			return 0, 0, "port range " + itoa32(f) + "-" + itoa32(t) + " out of range 0-65535"
		}
		if f > t {
			return 0, 0, "port range " + itoa32(f) + "-" + itoa32(t) + ": FromPort above ToPort"
		}
		return f, t, ""
	case ProtoICMP, ProtoICMPv6:
		f, t = -1, -1
		if from != nil {
			f = *from
		}
		if to != nil {
			t = *to
		}
		if f < -1 || f > 255 {
			return 0, 0, "ICMP type " + itoa32(f) + " out of range -1-255"
		}
		if t < -1 || t > 255 {
			return 0, 0, "ICMP code " + itoa32(t) + " out of range -1-255"
		}
		if f == -1 && t != -1 {
			return 0, 0, "ICMP code " + itoa32(t) + " given for all ICMP types (-1): all types needs all codes"
		}
		return f, t, ""
	}
	return 0, 0, ""
}

// NACLMatch fills e's ports and ICMP type/code for e.Protocol from a
// PortRange {From, To} and an IcmpTypeCode {Type, Code} (SPEC.md §3.2):
// ports for TCP and UDP only (0–65535, all of them when either is absent),
// type/code for ICMP and ICMPv6 only (-1–255, absent meaning all: -1; all
// of them for ICMPv6 with an IPv4 e.CIDR, which must be set), zero
// otherwise. It returns an error message, or a note of what it assumed for a
// missing value ("port range 0-65535 (no PortRange)").
func NACLMatch(e *firewall.NACLEntry, ports, icmp [2]*int32) (msg, assumed string) {
	switch e.Protocol {
	case ProtoTCP, ProtoUDP:
		if ports[0] == nil || ports[1] == nil {
			e.FromPort, e.ToPort = 0, 65535
			return "", "port range 0-65535 (no PortRange)"
		}
		e.FromPort, e.ToPort = *ports[0], *ports[1]
		if e.FromPort < 0 || e.FromPort > 65535 || e.ToPort < 0 || e.ToPort > 65535 {
			return "port range " + itoa32(e.FromPort) + "-" + itoa32(e.ToPort) + " out of range 0-65535", ""
		}
		if e.FromPort > e.ToPort {
			return "port range " + itoa32(e.FromPort) + "-" + itoa32(e.ToPort) + ": From above To", ""
		}
	case ProtoICMP, ProtoICMPv6:
		e.ICMPType, e.ICMPCode = -1, -1
		if e.Protocol == ProtoICMPv6 && e.CIDR.Addr().Is4() {
			return "", "" // all types and codes, whatever is given (IgnoredNACL says so)
		}
		if icmp[0] != nil {
			e.ICMPType = *icmp[0]
		}
		if icmp[1] != nil {
			e.ICMPCode = *icmp[1]
		}
		if e.ICMPType < -1 || e.ICMPType > 255 || e.ICMPCode < -1 || e.ICMPCode > 255 {
			return "ICMP type/code " + itoa32(e.ICMPType) + "/" + itoa32(e.ICMPCode) + " out of range -1-255", ""
		}
	}
	return "", ""
}

// Value is one optional number of a rule as the input spells it: its
// member name ("FromPort", "PortRange.From", "from_port") and its value, nil
// when absent.
type Value struct {
	Name string
	V    *int32
}

// IgnoredSG returns a warning message when a security group rule of
// protocol p gives FromPort/ToPort values that AWS ignores (SPEC.md §1.1:
// "specifying -1 or a protocol number other than tcp, udp, icmp, or icmpv6
// allows traffic on all ports, regardless of any port range you specify"),
// and the index in vals of the first value it names, or "" and -1. A value
// equal to one of unset says nothing and is not reported: the input's
// spelling of "no ports" (-1 in AWS CLI output; 0 and -1 in Terraform,
// which wants from_port = to_port = 0 for protocol -1).
func IgnoredSG(p firewall.Protocol, vals []Value, unset ...int32) (msg string, at int) {
	switch p {
	case ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6:
		return "", -1
	}
	return ignored(vals, unset, "for protocol "+ProtoName(p)+": AWS allows all ports (SPEC.md §1.1)")
}

// IgnoredNACL is IgnoredSG for a network ACL entry whose Protocol and CIDR
// are set, with the PortRange values first in vals, then the IcmpTypeCode
// values (SPEC.md §3.2): protocols other than 6, 17, 1 and 58 ignore all
// four ("traffic on all ports is allowed, regardless of any ports or ICMP
// types or codes that you specify"); 58 with an IPv4 CIDR ignores the ICMP
// type and code ("traffic for all ICMP types and codes allowed, regardless
// of any that you specify").
func IgnoredNACL(e firewall.NACLEntry, vals []Value, unset ...int32) (msg string, at int) {
	switch e.Protocol {
	case ProtoTCP, ProtoUDP, ProtoICMP:
		return "", -1
	case ProtoICMPv6:
		if !e.CIDR.Addr().Is4() || len(vals) < 2 {
			return "", -1
		}
		msg, at = ignored(vals[2:], unset, "for protocol "+ProtoName(e.Protocol)+" with an IPv4 CIDR: AWS allows all ICMP types and codes (SPEC.md §3.2)")
		if at >= 0 {
			at += 2
		}
		return msg, at
	}
	return ignored(vals, unset, "for protocol "+ProtoName(e.Protocol)+": AWS allows all ports (SPEC.md §3.2)")
}

// ignored lists the values of vals that are given and not unset:
// "FromPort 5000 and ToPort 5000 are ignored " + why.
func ignored(vals []Value, unset []int32, why string) (msg string, at int) {
	at = -1
	var names []string
	for i, v := range vals {
		if v.V == nil || slices.Contains(unset, *v.V) {
			continue
		}
		if at < 0 {
			at = i
		}
		names = append(names, v.Name+" "+itoa32(*v.V))
	}
	switch len(names) {
	case 0:
		return "", -1
	case 1:
		return names[0] + " is ignored " + why, at
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " are ignored " + why, at
}

// ProtoName names a rule's protocol for messages: "-1 (all)", "6 (tcp)",
// "132 (sctp)", "99".
func ProtoName(p firewall.Protocol) string {
	if p == firewall.ProtoAll {
		return "-1 (all)"
	}
	n := strconv.Itoa(int(p))
	if p < 0 || p > 255 {
		return n
	}
	if name := packet.ProtoName(uint8(p)); name != n {
		return n + " (" + name + ")"
	}
	return n
}

func itoa32(n int32) string { return strconv.Itoa(int(n)) }

// Associate sets the NACL of each subnet of inv: naclOf[subnet ID] when the
// input associates one, else the default network ACL of the subnet's VPC
// (SPEC.md §3.1: "unassociated subnets use the default NACL"), else none.
// It reads naclOf and never changes it.
func Associate(inv *firewall.Inventory, naclOf map[string]string) {
	for i := range inv.Subnets {
		s := &inv.Subnets[i]
		if id, ok := naclOf[s.ID]; ok {
			s.NACL = id
			continue
		}
		for _, n := range inv.NetworkACLs {
			if n.IsDefault && n.VPC == s.VPC {
				s.NACL = n.ID
				break
			}
		}
	}
}
