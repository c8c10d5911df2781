package awsimport

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
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
// type/code for ICMP and ICMPv6 only (-1–255, absent meaning all: -1), zero
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

func itoa32(n int32) string { return strconv.Itoa(int(n)) }

// ParseCIDR reads a CIDR of the given family ("4", "6" or "" for either) and
// returns it masked (AWS canonicalises 100.68.0.18/18 to 100.68.0.0/18,
// SPEC.md §3.1). canon reports whether it was already canonical. msg is
// non-empty, and p the zero Prefix, when s is not a CIDR of that family.
func ParseCIDR(s, family string) (p netip.Prefix, canon bool, msg string) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false, "bad CIDR " + strconv.Quote(s) + ": " + err.Error()
	}
	switch {
	case family == "4" && !p.Addr().Is4():
		return netip.Prefix{}, false, "CIDR " + s + " is not IPv4"
	case family == "6" && !p.Addr().Is6():
		return netip.Prefix{}, false, "CIDR " + s + " is not IPv6"
	}
	m := p.Masked()
	return m, m == p, ""
}

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
