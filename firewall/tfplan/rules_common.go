package tfplan

// The helpers in this file are the same as in package
// awsjson (the two importers share no package: each owns its directory).

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
)

// Protocol numbers the rules treat specially (SPEC.md §1.1, §3.2).
const (
	protoICMP   firewall.Protocol = 1
	protoTCP    firewall.Protocol = 6
	protoUDP    firewall.Protocol = 17
	protoICMPv6 firewall.Protocol = 58
)

// parseProtocol reads an IpProtocol or a NACL Protocol: "tcp", "udp",
// "icmp", "icmpv6", "-1" (all) or a protocol number 0–255 ("6", "17", "1",
// "58" are TCP, UDP, ICMP, ICMPv6).
func parseProtocol(s string) (firewall.Protocol, bool) {
	switch strings.ToLower(s) {
	case "-1", "all":
		return firewall.ProtoAll, true
	case "tcp":
		return protoTCP, true
	case "udp":
		return protoUDP, true
	case "icmp":
		return protoICMP, true
	case "icmpv6", "icmp6":
		return protoICMPv6, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return firewall.Protocol(n), true
}

// sgPorts checks and canonicalises an IpPermission's FromPort/ToPort for
// protocol p (SPEC.md §1.1): a port range for TCP/UDP; type and code for
// ICMP/ICMPv6, absent meaning all (-1); ignored, and returned as 0, for all
// other protocols. msg is non-empty when they are invalid.
func sgPorts(p firewall.Protocol, from, to *int32) (f, t int32, msg string) {
	switch p {
	case protoTCP, protoUDP:
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
	case protoICMP, protoICMPv6:
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

func itoa32(n int32) string { return strconv.Itoa(int(n)) }

// parseCIDR reads a CIDR of the given family ("4", "6" or "" for either) and
// returns it masked (AWS canonicalises 100.68.0.18/18 to 100.68.0.0/18,
// SPEC.md §3.1). canon reports whether it was already canonical.
func parseCIDR(s, family string) (p netip.Prefix, canon bool, msg string) {
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

// naclMatch fills e's ports and ICMP type/code from a PortRange {From, To}
// and an IcmpTypeCode {Type, Code} (SPEC.md §3.2): ports for TCP and UDP
// only, type/code for ICMP and ICMPv6 only (-1 = all), zero otherwise.
// It returns an error message, or a note of what it assumed for a missing
// value.
func naclMatch(e *firewall.NACLEntry, ports, icmp [2]*int32) (msg, assumed string) {
	switch e.Protocol {
	case protoTCP, protoUDP:
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
	case protoICMP, protoICMPv6:
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
