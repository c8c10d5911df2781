package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// Keys of the rule objects, in the order the docs list them.
var (
	sgKeys     = []string{"id", "name", "description", "vpc", "default", "ingress", "egress"}
	sgRuleKeys = []string{"rule_id", "ip_protocol", "from_port", "to_port", "ports", "cidr", "group", "prefix_list", "description"}
	aclKeys    = []string{"id", "name", "vpc", "default", "ingress", "egress"}
	entryKeys  = []string{"rule_number", "protocol", "rule_action", "cidr_block", "ipv6_cidr_block", "port_range", "from_port", "to_port", "icmp_type", "icmp_code"}
)

// protocol parses an AWS protocol: a name (tcp, udp, icmp, icmpv6, gre,
// esp, sctp, all), "-1", or a number 0–255 (SPEC.md §1.1, §3.2).
func (d *decoder) protocol(n *yaml.Node, field string) (firewall.Protocol, error) {
	s, err := d.scalar(n, field, "a protocol")
	if err != nil {
		return 0, err
	}
	v := strings.ToLower(s.Value)
	switch v {
	case "-1", "all":
		return firewall.ProtoAll, nil
	case "tcp":
		return firewall.Protocol(packet.ProtoTCP), nil
	case "udp":
		return firewall.Protocol(packet.ProtoUDP), nil
	case "icmp":
		return firewall.Protocol(packet.ProtoICMP), nil
	case "icmpv6":
		return firewall.Protocol(packet.ProtoICMPv6), nil
	case "gre":
		return firewall.Protocol(packet.ProtoGRE), nil
	case "esp":
		return firewall.Protocol(packet.ProtoESP), nil
	case "sctp":
		return firewall.Protocol(packet.ProtoSCTP), nil
	}
	num, perr := strconv.Atoi(v)
	if perr != nil || num < 0 || num > 255 {
		return 0, d.errAt(s, "%s %q is not a protocol (want tcp, udp, icmp, icmpv6, gre, esp, sctp, all, -1 or a number 0–255)", field, s.Value)
	}
	return firewall.Protocol(num), nil
}

// protoName names p for messages.
func protoName(p firewall.Protocol) string {
	if p == firewall.ProtoAll {
		return "all"
	}
	return packet.ProtoName(uint8(p))
}

func isPortProto(p firewall.Protocol) bool {
	return p == firewall.Protocol(packet.ProtoTCP) || p == firewall.Protocol(packet.ProtoUDP)
}

func isICMPProto(p firewall.Protocol) bool {
	return p == firewall.Protocol(packet.ProtoICMP) || p == firewall.Protocol(packet.ProtoICMPv6)
}

// ports reads a port range given either as "ports"/"port_range" (a port
// or "lo-hi") or as from_port + to_port. ok is false when neither is given.
func (d *decoder) ports(m *mapping, shorthand string) (lo, hi int32, ok bool, err error) {
	if v := m.get(shorthand); v != nil {
		if m.has("from_port") || m.has("to_port") {
			return 0, 0, false, d.errAt(v, "%s: give %s or from_port/to_port, not both", m.what, shorthand)
		}
		lo, hi, err = d.portRange(v, shorthand)
		return lo, hi, true, err
	}
	fv, tv := m.get("from_port"), m.get("to_port")
	if fv == nil && tv == nil {
		return 0, 0, false, nil
	}
	if fv == nil || tv == nil {
		return 0, 0, false, d.errAt(m.node, "%s: give both from_port and to_port (or %s)", m.what, shorthand)
	}
	f, err := d.integer(fv, "from_port", 0, 65535)
	if err != nil {
		return 0, 0, false, err
	}
	t, err := d.integer(tv, "to_port", 0, 65535)
	if err != nil {
		return 0, 0, false, err
	}
	if f > t {
		return 0, 0, false, d.errAt(fv, "from_port %d is above to_port %d", f, t)
	}
	return int32(f), int32(t), true, nil
}

// icmpTypeCode reads an ICMP type and code (each -1..255, -1 = all); a
// type of -1 needs a code of -1 (SPEC.md §1.1).
func (d *decoder) icmpTypeCode(m *mapping, typeKey, codeKey string) (typ, code int32, err error) {
	typ, code = -1, -1
	if v := m.get(typeKey); v != nil {
		t, err := d.integer(v, typeKey, -1, 255)
		if err != nil {
			return 0, 0, err
		}
		typ = int32(t)
	}
	if v := m.get(codeKey); v != nil {
		c, err := d.integer(v, codeKey, -1, 255)
		if err != nil {
			return 0, 0, err
		}
		code = int32(c)
		if typ == -1 && code != -1 {
			return 0, 0, d.errAt(v, "%s %d needs a specific %s: with all ICMP types (-1) the code must be -1 too", codeKey, code, typeKey)
		}
	}
	return typ, code, nil
}

// securityGroup parses one security group.
func (d *decoder) securityGroup(n *yaml.Node) (firewall.SecurityGroup, error) {
	m, err := d.mapping(n, "security group", sgKeys...)
	if err != nil {
		return firewall.SecurityGroup{}, err
	}
	var sg firewall.SecurityGroup
	sg.Origin = d.origin(n)
	if sg.ID, err = d.reqStr(m, "id"); err != nil {
		return sg, err
	}
	if sg.Name, err = d.optStr(m, "name"); err != nil {
		return sg, err
	}
	if sg.Description, err = d.optStr(m, "description"); err != nil {
		return sg, err
	}
	if sg.VPC, err = d.optStr(m, "vpc"); err != nil {
		return sg, err
	}
	if sg.IsDefault, err = d.optBool(m, "default"); err != nil {
		return sg, err
	}
	ids := map[string]*yaml.Node{}
	for _, dir := range []firewall.Direction{firewall.Ingress, firewall.Egress} {
		key, short := "ingress", "in"
		if dir == firewall.Egress {
			key, short = "egress", "out"
		}
		items, err := d.seq(m.get(key), key)
		if err != nil {
			return sg, err
		}
		if dir == firewall.Egress && m.vals[key] == nil {
			// A new security group has one outbound rule allowing all
			// traffic (SPEC.md §1.3); "egress: []" removes it.
			sg.Egress = append(sg.Egress, firewall.SGRule{ID: sg.ID + "-out-default",
				Protocol: firewall.ProtoAll, CIDR: allV4, Description: "AWS default: all outbound", Origin: sg.Origin})
			continue
		}
		for i, it := range items {
			r, idNode, err := d.sgRule(it, sg.ID, dir)
			if err != nil {
				return sg, err
			}
			if r.ID == "" {
				r.ID = fmt.Sprintf("%s-%s-%d", sg.ID, short, i+1)
			}
			if first, dup := ids[r.ID]; dup {
				return sg, d.errAt(idNode, "rule_id %q is used twice in %s (first at line %d)", r.ID, sg.ID, first.Line)
			}
			ids[r.ID] = it
			if dir == firewall.Ingress {
				sg.Ingress = append(sg.Ingress, r)
			} else {
				sg.Egress = append(sg.Egress, r)
			}
		}
	}
	return sg, nil
}

// sgRule parses one security group rule (IpPermission with one peer,
// SPEC.md §1.1). It returns the node to blame for a duplicate ID.
func (d *decoder) sgRule(n *yaml.Node, group string, dir firewall.Direction) (firewall.SGRule, *yaml.Node, error) {
	var r firewall.SGRule
	m, err := d.mapping(n, dir.String()+" rule of "+group, sgRuleKeys...)
	if err != nil {
		return r, nil, err
	}
	r.Origin = d.origin(n)
	if r.ID, err = d.optStr(m, "rule_id"); err != nil {
		return r, nil, err
	}
	idNode := m.get("rule_id")
	if idNode == nil {
		idNode = n
	}
	if r.Description, err = d.optStr(m, "description"); err != nil {
		return r, nil, err
	}
	pv, err := d.require(m, "ip_protocol")
	if err != nil {
		return r, nil, err
	}
	if r.Protocol, err = d.protocol(pv, "ip_protocol"); err != nil {
		return r, nil, err
	}
	switch {
	case isPortProto(r.Protocol):
		lo, hi, ok, err := d.ports(m, "ports")
		if err != nil {
			return r, nil, err
		}
		if !ok {
			return r, nil, d.errAt(m.node, "%s: a %s rule needs from_port and to_port (or ports: 80, ports: 1024-65535)", m.what, protoName(r.Protocol))
		}
		r.FromPort, r.ToPort = lo, hi
	case isICMPProto(r.Protocol):
		if m.has("ports") {
			return r, nil, d.errAt(m.get("ports"), "ports: for %s give from_port (the ICMP type) and to_port (the code), -1 = all", protoName(r.Protocol))
		}
		if r.FromPort, r.ToPort, err = d.icmpTypeCode(m, "from_port", "to_port"); err != nil {
			return r, nil, err
		}
	default:
		for _, k := range []string{"ports", "from_port", "to_port"} {
			if v := m.get(k); v != nil {
				d.warn(v, "%s is ignored for protocol %s: AWS allows all ports (SPEC.md §1.1)", k, protoName(r.Protocol))
			}
		}
		// Ports do not apply: leave them zero, as the importers do.
	}
	peers := 0
	if v := m.get("cidr"); v != nil {
		peers++
		if r.CIDR, err = d.prefix(v, "cidr"); err != nil {
			return r, nil, err
		}
	}
	if v := m.get("group"); v != nil {
		peers++
		if r.Group, err = d.str(v, "group"); err != nil {
			return r, nil, err
		}
	}
	if v := m.get("prefix_list"); v != nil {
		peers++
		if r.PrefixList, err = d.str(v, "prefix_list"); err != nil {
			return r, nil, err
		}
	}
	if peers != 1 {
		return r, nil, d.errAt(m.node, "%s: give exactly one peer: cidr, group or prefix_list (found %d)", m.what, peers)
	}
	return r, idNode, nil
}

// networkACL parses one network ACL; rule numbers must be unique per
// direction (SPEC.md §3.1).
func (d *decoder) networkACL(n *yaml.Node) (firewall.NetworkACL, error) {
	var acl firewall.NetworkACL
	m, err := d.mapping(n, "network ACL", aclKeys...)
	if err != nil {
		return acl, err
	}
	acl.Origin = d.origin(n)
	if acl.ID, err = d.reqStr(m, "id"); err != nil {
		return acl, err
	}
	if acl.Name, err = d.optStr(m, "name"); err != nil {
		return acl, err
	}
	if acl.VPC, err = d.optStr(m, "vpc"); err != nil {
		return acl, err
	}
	if acl.IsDefault, err = d.optBool(m, "default"); err != nil {
		return acl, err
	}
	for _, egress := range []bool{false, true} {
		key := "ingress"
		if egress {
			key = "egress"
		}
		items, err := d.seq(m.get(key), key)
		if err != nil {
			return acl, err
		}
		seen := map[int32]*yaml.Node{}
		for _, it := range items {
			e, numNode, err := d.naclEntry(it, acl.ID, egress)
			if err != nil {
				return acl, err
			}
			if first, dup := seen[e.Number]; dup {
				return acl, d.errAt(numNode, "rule_number %d is used twice in %s %s (first at line %d); rule numbers are unique per direction", e.Number, acl.ID, key, first.Line)
			}
			seen[e.Number] = numNode
			acl.Entries = append(acl.Entries, e)
		}
	}
	return acl, nil
}

// naclEntry parses one network ACL entry (CreateNetworkAclEntry, SPEC.md
// §3.2).
func (d *decoder) naclEntry(n *yaml.Node, acl string, egress bool) (firewall.NACLEntry, *yaml.Node, error) {
	e := firewall.NACLEntry{Egress: egress}
	dir := "ingress"
	if egress {
		dir = "egress"
	}
	m, err := d.mapping(n, dir+" entry of "+acl, entryKeys...)
	if err != nil {
		return e, nil, err
	}
	e.Origin = d.origin(n)
	numNode, err := d.require(m, "rule_number")
	if err != nil {
		return e, nil, err
	}
	num, err := d.scalar(numNode, "rule_number", "an integer")
	if err != nil {
		return e, nil, err
	}
	if num.Value == "*" {
		return e, nil, d.errAt(num, "rule_number *: the default deny rule is implicit and cannot be written; use 1–32766")
	}
	if v, perr := strconv.ParseInt(num.Value, 10, 64); perr == nil && (v < 1 || v > 32766) {
		return e, nil, d.errAt(num, "rule_number %d is outside 1–32766 (32767 and up are reserved for the \"*\" rule)", v)
	}
	v, err := d.integer(num, "rule_number", 1, 32766)
	if err != nil {
		return e, nil, err
	}
	e.Number = int32(v)
	pv, err := d.require(m, "protocol")
	if err != nil {
		return e, nil, err
	}
	if e.Protocol, err = d.protocol(pv, "protocol"); err != nil {
		return e, nil, err
	}
	av, err := d.require(m, "rule_action")
	if err != nil {
		return e, nil, err
	}
	as, err := d.str(av, "rule_action")
	if err != nil {
		return e, nil, err
	}
	switch strings.ToLower(as) {
	case "allow":
		e.Action = firewall.Allow
	case "deny":
		e.Action = firewall.Deny
	default:
		return e, nil, d.errAt(av, "rule_action %q: want allow or deny", as)
	}
	c4, c6 := m.get("cidr_block"), m.get("ipv6_cidr_block")
	switch {
	case c4 != nil && c6 != nil:
		return e, nil, d.errAt(c6, "%s: give cidr_block or ipv6_cidr_block, not both (one CIDR per entry)", m.what)
	case c4 != nil:
		if e.CIDR, err = d.prefix(c4, "cidr_block"); err != nil {
			return e, nil, err
		}
		if !e.CIDR.Addr().Is4() {
			return e, nil, d.errAt(c4, "cidr_block %s is IPv6; use ipv6_cidr_block", e.CIDR)
		}
	case c6 != nil:
		if e.CIDR, err = d.prefix(c6, "ipv6_cidr_block"); err != nil {
			return e, nil, err
		}
		if !e.CIDR.Addr().Is6() {
			return e, nil, d.errAt(c6, "ipv6_cidr_block %s is IPv4; use cidr_block", e.CIDR)
		}
	default:
		return e, nil, d.errAt(m.node, "%s: cidr_block or ipv6_cidr_block is required", m.what)
	}
	// Type and code stay zero unless the protocol is ICMP (as the
	// importers leave them).
	switch {
	case isPortProto(e.Protocol):
		lo, hi, ok, err := d.ports(m, "port_range")
		if err != nil {
			return e, nil, err
		}
		if !ok {
			return e, nil, d.errAt(m.node, "%s: a %s entry needs port_range (80 or 1024-65535) or from_port/to_port", m.what, protoName(e.Protocol))
		}
		e.FromPort, e.ToPort = lo, hi
	case isICMPProto(e.Protocol):
		if e.ICMPType, e.ICMPCode, err = d.icmpTypeCode(m, "icmp_type", "icmp_code"); err != nil {
			return e, nil, err
		}
	default:
		for _, k := range []string{"port_range", "from_port", "to_port", "icmp_type", "icmp_code"} {
			if v := m.get(k); v != nil {
				d.warn(v, "%s is ignored for protocol %s: AWS allows all ports (SPEC.md §3.2)", k, protoName(e.Protocol))
			}
		}
	}
	for _, k := range []string{"icmp_type", "icmp_code"} {
		if v := m.get(k); v != nil && isPortProto(e.Protocol) {
			return e, nil, d.errAt(v, "%s applies to icmp and icmpv6 entries only", k)
		}
	}
	for _, k := range []string{"port_range", "from_port", "to_port"} {
		if v := m.get(k); v != nil && isICMPProto(e.Protocol) {
			return e, nil, d.errAt(v, "%s applies to tcp and udp entries only; for %s use icmp_type and icmp_code", k, protoName(e.Protocol))
		}
	}
	return e, numNode, nil
}
