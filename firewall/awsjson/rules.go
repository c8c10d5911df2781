package awsjson

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

// securityGroups reads describe-security-groups. Every IpPermission becomes
// one SGRule per peer (IpRanges, Ipv6Ranges, UserIdGroupPairs,
// PrefixListIds), with the ID "<GroupId>-in-<n>" or "<GroupId>-out-<n>",
// n counting the group's IpPermissions of that direction from 1:
// describe-security-groups gives rules no IDs, and describe-security-group-
// rules, when read too, replaces them with the real sgr-… IDs.
func (b *builder) securityGroups(f *file) error {
	for i, g := range f.doc.SecurityGroups {
		at := []any{"SecurityGroups", i}
		o := f.ix.pos(at...)
		if g.GroupId == "" {
			return f.ix.errorf(at, "security group without GroupId")
		}
		if !b.first("security group", g.GroupId, o) {
			continue
		}
		sg := firewall.SecurityGroup{
			ID: g.GroupId, Name: g.GroupName, VPC: g.VpcId, Description: g.Description,
			IsDefault: g.GroupName == "default", Origin: o,
		}
		var err error
		if sg.Ingress, err = b.permissions(f, g.GroupId, "in", sub(at, "IpPermissions"), g.IpPermissions); err != nil {
			return err
		}
		if sg.Egress, err = b.permissions(f, g.GroupId, "out", sub(at, "IpPermissionsEgress"), g.IpPermissionsEgress); err != nil {
			return err
		}
		b.inv.SecurityGroups = append(b.inv.SecurityGroups, sg)
	}
	return nil
}

func (b *builder) permissions(f *file, group, dir string, at []any, perms []ipPermissionShape) ([]firewall.SGRule, error) {
	var out []firewall.SGRule
	for j, p := range perms {
		pat := sub(at, j)
		proto, ok := parseProtocol(p.IpProtocol)
		if !ok {
			return nil, f.ix.errorf(sub(pat, "IpProtocol"), "security group %s: unknown IpProtocol %q", group, p.IpProtocol)
		}
		from, to, msg := sgPorts(proto, p.FromPort, p.ToPort)
		if msg != "" {
			return nil, f.ix.errorf(sub(pat, "FromPort"), "security group %s: %s", group, msg)
		}
		base := firewall.SGRule{
			ID: group + "-" + dir + "-" + strconv.Itoa(j+1), Protocol: proto, FromPort: from, ToPort: to,
		}
		n := len(out)
		cidr := func(s, family, desc string, k int, list, key string) error {
			kat := sub(pat, list, k, key)
			c, canon, msg := parseCIDR(s, family)
			if msg != "" {
				return f.ix.errorf(kat, "security group %s: %s", group, msg)
			}
			if !canon {
				b.warn(f.ix.pos(kat...), "assumed %s for %s in security group %s (host bits cleared)", c, s, group)
			}
			r := base
			r.CIDR, r.Description, r.Origin = c, desc, f.ix.pos(sub(pat, list, k)...)
			out = append(out, r)
			return nil
		}
		for k, r := range p.IpRanges {
			if err := cidr(r.CidrIp, "4", r.Description, k, "IpRanges", "CidrIp"); err != nil {
				return nil, err
			}
		}
		for k, r := range p.Ipv6Ranges {
			if err := cidr(r.CidrIpv6, "6", r.Description, k, "Ipv6Ranges", "CidrIpv6"); err != nil {
				return nil, err
			}
		}
		for k, pair := range p.UserIdGroupPairs {
			if pair.GroupId == "" {
				return nil, f.ix.errorf(sub(pat, "UserIdGroupPairs", k), "security group %s: UserIdGroupPair without GroupId", group)
			}
			if pair.VpcPeeringConnectionId != "" {
				b.warn(f.ix.pos(sub(pat, "UserIdGroupPairs", k, "VpcPeeringConnectionId")...),
					"assumed group %s across peering %s is reachable like a local group", pair.GroupId, pair.VpcPeeringConnectionId)
			}
			r := base
			r.Group, r.Description, r.Origin = pair.GroupId, pair.Description, f.ix.pos(sub(pat, "UserIdGroupPairs", k)...)
			out = append(out, r)
		}
		for k, pl := range p.PrefixListIds {
			if pl.PrefixListId == "" {
				return nil, f.ix.errorf(sub(pat, "PrefixListIds", k), "security group %s: prefix list entry without PrefixListId", group)
			}
			r := base
			r.PrefixList, r.Description, r.Origin = pl.PrefixListId, pl.Description, f.ix.pos(sub(pat, "PrefixListIds", k)...)
			out = append(out, r)
		}
		if len(out) == n {
			b.warn(f.ix.pos(pat...), "security group %s: IpPermission %d has no peer (no IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds): it allows nothing", group, j)
		}
	}
	return out, nil
}

// securityGroupRules reads describe-security-group-rules. A rule that
// matches one read from describe-security-groups (same group, direction,
// protocol, ports and peer) gives it its sgr-… ID; any other rule is added,
// creating its group if no file describes it.
func (b *builder) securityGroupRules(f *file) error {
	for i, sr := range f.doc.SecurityGroupRules {
		at := []any{"SecurityGroupRules", i}
		o := f.ix.pos(at...)
		if sr.GroupId == "" || sr.SecurityGroupRuleId == "" {
			return f.ix.errorf(at, "security group rule without GroupId or SecurityGroupRuleId")
		}
		if !b.first("security group rule", sr.SecurityGroupRuleId, o) {
			continue
		}
		proto, ok := parseProtocol(sr.IpProtocol)
		if !ok {
			return f.ix.errorf(sub(at, "IpProtocol"), "security group rule %s: unknown IpProtocol %q", sr.SecurityGroupRuleId, sr.IpProtocol)
		}
		from, to, msg := sgPorts(proto, sr.FromPort, sr.ToPort)
		if msg != "" {
			return f.ix.errorf(sub(at, "FromPort"), "security group rule %s: %s", sr.SecurityGroupRuleId, msg)
		}
		r := firewall.SGRule{ID: sr.SecurityGroupRuleId, Protocol: proto, FromPort: from, ToPort: to, Description: sr.Description, Origin: o}
		peers := 0
		for _, c := range []struct{ s, fam, key string }{{sr.CidrIpv4, "4", "CidrIpv4"}, {sr.CidrIpv6, "6", "CidrIpv6"}} {
			if c.s == "" {
				continue
			}
			peers++
			p, _, msg := parseCIDR(c.s, c.fam)
			if msg != "" {
				return f.ix.errorf(sub(at, c.key), "security group rule %s: %s", sr.SecurityGroupRuleId, msg)
			}
			r.CIDR = p
		}
		if sr.PrefixListId != "" {
			peers++
			r.PrefixList = sr.PrefixListId
		}
		if sr.ReferencedGroupInfo != nil && sr.ReferencedGroupInfo.GroupId != "" {
			peers++
			r.Group = sr.ReferencedGroupInfo.GroupId
		}
		if peers != 1 {
			return f.ix.errorf(at, "security group rule %s has %d peers, want exactly one", sr.SecurityGroupRuleId, peers)
		}
		gi := -1
		for k := range b.inv.SecurityGroups {
			if b.inv.SecurityGroups[k].ID == sr.GroupId {
				gi = k
				break
			}
		}
		if gi < 0 {
			b.inv.SecurityGroups = append(b.inv.SecurityGroups, firewall.SecurityGroup{ID: sr.GroupId, Origin: o})
			gi = len(b.inv.SecurityGroups) - 1
		}
		g := &b.inv.SecurityGroups[gi]
		rules := &g.Ingress
		if sr.IsEgress {
			rules = &g.Egress
		}
		matched := false
		for k := range *rules {
			x := &(*rules)[k]
			if strings.HasPrefix(x.ID, "sgr-") || x.Protocol != r.Protocol || x.FromPort != r.FromPort ||
				x.ToPort != r.ToPort || x.CIDR != r.CIDR || x.Group != r.Group || x.PrefixList != r.PrefixList {
				continue
			}
			x.ID = r.ID
			matched = true
			break
		}
		if !matched {
			*rules = append(*rules, r)
		}
	}
	return nil
}

// networkACLs reads describe-network-acls. The "*" entries (rule numbers
// 32767 and 32768) are checked to be deny and left out: compiling adds them
// (firewall.NetworkACL). Associations[].SubnetId link subnets to the ACL.
func (b *builder) networkACLs(f *file) error {
	for i, n := range f.doc.NetworkAcls {
		at := []any{"NetworkAcls", i}
		o := f.ix.pos(at...)
		if n.NetworkAclId == "" {
			return f.ix.errorf(at, "network ACL without NetworkAclId")
		}
		if !b.first("network ACL", n.NetworkAclId, o) {
			continue
		}
		acl := firewall.NetworkACL{ID: n.NetworkAclId, Name: tagName(n.Tags), VPC: n.VpcId, IsDefault: n.IsDefault, Origin: o}
		for j, e := range n.Entries {
			eat := sub(at, "Entries", j)
			if e.RuleNumber == nil {
				return f.ix.errorf(eat, "network ACL %s: entry without RuleNumber", n.NetworkAclId)
			}
			num := *e.RuleNumber
			action := strings.ToLower(e.RuleAction)
			if num == 32767 || num == 32768 {
				if action != "deny" {
					return f.ix.errorf(sub(eat, "RuleAction"), "network ACL %s: default rule * (%d) is %q, want deny", n.NetworkAclId, num, e.RuleAction)
				}
				continue
			}
			if num < 1 || num > 32766 {
				return f.ix.errorf(sub(eat, "RuleNumber"), "network ACL %s: rule number %d out of range 1-32766", n.NetworkAclId, num)
			}
			ent := firewall.NACLEntry{Number: num, Egress: e.Egress, Origin: f.ix.pos(eat...)}
			switch action {
			case "allow":
				ent.Action = firewall.Allow
			case "deny":
				ent.Action = firewall.Deny
			default:
				return f.ix.errorf(sub(eat, "RuleAction"), "network ACL %s rule %d: RuleAction %q, want allow or deny", n.NetworkAclId, num, e.RuleAction)
			}
			p, ok := parseProtocol(e.Protocol)
			if !ok {
				return f.ix.errorf(sub(eat, "Protocol"), "network ACL %s rule %d: unknown Protocol %q", n.NetworkAclId, num, e.Protocol)
			}
			ent.Protocol = p
			switch {
			case e.CidrBlock != "" && e.Ipv6CidrBlock != "":
				return f.ix.errorf(eat, "network ACL %s rule %d has both CidrBlock and Ipv6CidrBlock", n.NetworkAclId, num)
			case e.CidrBlock != "":
				c, _, msg := parseCIDR(e.CidrBlock, "4")
				if msg != "" {
					return f.ix.errorf(sub(eat, "CidrBlock"), "network ACL %s rule %d: %s", n.NetworkAclId, num, msg)
				}
				ent.CIDR = c
			case e.Ipv6CidrBlock != "":
				c, _, msg := parseCIDR(e.Ipv6CidrBlock, "6")
				if msg != "" {
					return f.ix.errorf(sub(eat, "Ipv6CidrBlock"), "network ACL %s rule %d: %s", n.NetworkAclId, num, msg)
				}
				ent.CIDR = c
			default:
				return f.ix.errorf(eat, "network ACL %s rule %d has neither CidrBlock nor Ipv6CidrBlock", n.NetworkAclId, num)
			}
			var pr, it [2]*int32
			if e.PortRange != nil {
				pr = [2]*int32{e.PortRange.From, e.PortRange.To}
			}
			if e.IcmpTypeCode != nil {
				it = [2]*int32{e.IcmpTypeCode.Type, e.IcmpTypeCode.Code}
			}
			msg, assumed := naclMatch(&ent, pr, it)
			if msg != "" {
				return f.ix.errorf(sub(eat, "PortRange"), "network ACL %s rule %d: %s", n.NetworkAclId, num, msg)
			}
			if assumed != "" {
				b.warn(ent.Origin, "assumed %s for network ACL %s rule %d", assumed, n.NetworkAclId, num)
			}
			acl.Entries = append(acl.Entries, ent)
		}
		for j, a := range n.Associations {
			if a.SubnetId == "" {
				continue
			}
			if prev, ok := b.naclOf[a.SubnetId]; ok && prev != n.NetworkAclId {
				b.warn(f.ix.pos(sub(at, "Associations", j)...), "duplicate association of subnet %s (already with %s) ignored", a.SubnetId, prev)
				continue
			}
			b.naclOf[a.SubnetId] = n.NetworkAclId
		}
		b.inv.NetworkACLs = append(b.inv.NetworkACLs, acl)
	}
	return nil
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
