package awsjson

import (
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

// securityGroups reads describe-security-groups. Every IpPermission becomes
// one SGRule per peer (IpRanges, Ipv6Ranges, UserIdGroupPairs,
// PrefixListIds), with the ID "<GroupId>-in-<n>" or "<GroupId>-out-<n>",
// n counting the group's IpPermissions of that direction from 1:
// describe-security-groups gives rules no IDs, and describe-security-group-
// rules, when read too, replaces them with the real sgr-… IDs.
func (b *builder) securityGroups(f *file) error {
	for i, g := range f.doc.SecurityGroups {
		at := []any{"SecurityGroups", i}
		o := f.ix.Pos(at...)
		if g.GroupId == "" {
			return f.ix.Errorf(at, "security group without GroupId")
		}
		if !b.first("security group", g.GroupId, o) {
			continue
		}
		sg := firewall.SecurityGroup{
			ID: g.GroupId, Name: g.GroupName, VPC: g.VpcId, Description: g.Description,
			IsDefault: g.GroupName == "default", Origin: o,
		}
		var err error
		if sg.Ingress, err = b.permissions(f, g.GroupId, "in", awsimport.Sub(at, "IpPermissions"), g.IpPermissions); err != nil {
			return err
		}
		if sg.Egress, err = b.permissions(f, g.GroupId, "out", awsimport.Sub(at, "IpPermissionsEgress"), g.IpPermissionsEgress); err != nil {
			return err
		}
		b.inv.SecurityGroups = append(b.inv.SecurityGroups, sg)
	}
	return nil
}

func (b *builder) permissions(f *file, group, dir string, at []any, perms []ipPermissionShape) ([]firewall.SGRule, error) {
	var out []firewall.SGRule
	for j, p := range perms {
		pat := awsimport.Sub(at, j)
		proto, ok := awsimport.ParseProtocol(p.IpProtocol)
		if !ok {
			return nil, f.ix.Errorf(awsimport.Sub(pat, "IpProtocol"), "security group %s: unknown IpProtocol %q", group, p.IpProtocol)
		}
		from, to, msg := awsimport.SGPorts(proto, p.FromPort, p.ToPort)
		if msg != "" {
			return nil, f.ix.Errorf(awsimport.Sub(pat, "FromPort"), "security group %s: %s", group, msg)
		}
		b.ignoredSG(f, pat, "security group "+group, proto, p.FromPort, p.ToPort)
		base := firewall.SGRule{
			ID: group + "-" + dir + "-" + strconv.Itoa(j+1), Protocol: proto, FromPort: from, ToPort: to,
		}
		n := len(out)
		cidr := func(s, family, desc string, k int, list, key string) error {
			kat := awsimport.Sub(pat, list, k, key)
			c, canon, msg := awsimport.ParseCIDR(key, s, family)
			if msg != "" {
				return f.ix.Errorf(kat, "security group %s: %s", group, msg)
			}
			if !canon {
				b.warn(f.ix.Pos(kat...), "assumed %s for %s in security group %s (host bits cleared)", c, s, group)
			}
			r := base
			r.CIDR, r.Description, r.Origin = c, desc, f.ix.Pos(awsimport.Sub(pat, list, k)...)
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
				return nil, f.ix.Errorf(awsimport.Sub(pat, "UserIdGroupPairs", k), "security group %s: UserIdGroupPair without GroupId", group)
			}
			if pair.VpcPeeringConnectionId != "" {
				b.warn(f.ix.Pos(awsimport.Sub(pat, "UserIdGroupPairs", k, "VpcPeeringConnectionId")...),
					"assumed group %s across peering %s is reachable like a local group", pair.GroupId, pair.VpcPeeringConnectionId)
			}
			r := base
			r.Group, r.Description, r.Origin = pair.GroupId, pair.Description, f.ix.Pos(awsimport.Sub(pat, "UserIdGroupPairs", k)...)
			out = append(out, r)
		}
		for k, pl := range p.PrefixListIds {
			if pl.PrefixListId == "" {
				return nil, f.ix.Errorf(awsimport.Sub(pat, "PrefixListIds", k), "security group %s: prefix list entry without PrefixListId", group)
			}
			r := base
			r.PrefixList, r.Description, r.Origin = pl.PrefixListId, pl.Description, f.ix.Pos(awsimport.Sub(pat, "PrefixListIds", k)...)
			out = append(out, r)
		}
		if len(out) == n {
			b.warn(f.ix.Pos(pat...), "security group %s: IpPermission %d has no peer (no IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds): it allows nothing", group, j)
		}
	}
	return out, nil
}

// ignoredSG warns, at the first value given, about a FromPort/ToPort that
// the rule's protocol ignores (SPEC.md §1.1). -1 means "all" and is no
// port range; the AWS CLI prints it for IpProtocol "-1" in
// describe-security-group-rules.
func (b *builder) ignoredSG(f *file, at []any, subject string, proto firewall.Protocol, from, to *int32) {
	msg, k := awsimport.IgnoredSG(proto, []awsimport.Value{{Name: "FromPort", V: from}, {Name: "ToPort", V: to}}, -1)
	if msg != "" {
		b.warn(f.ix.Pos(awsimport.Sub(at, []string{"FromPort", "ToPort"}[k])...), "%s: %s", subject, msg)
	}
}

// securityGroupRules reads describe-security-group-rules. A rule that
// matches one read from describe-security-groups (same group, direction,
// protocol, ports and peer) gives it its sgr-… ID; any other rule is added,
// creating its group if no file describes it.
func (b *builder) securityGroupRules(f *file) error {
	for i, sr := range f.doc.SecurityGroupRules {
		at := []any{"SecurityGroupRules", i}
		o := f.ix.Pos(at...)
		if sr.GroupId == "" || sr.SecurityGroupRuleId == "" {
			return f.ix.Errorf(at, "security group rule without GroupId or SecurityGroupRuleId")
		}
		if !b.first("security group rule", sr.SecurityGroupRuleId, o) {
			continue
		}
		proto, ok := awsimport.ParseProtocol(sr.IpProtocol)
		if !ok {
			return f.ix.Errorf(awsimport.Sub(at, "IpProtocol"), "security group rule %s: unknown IpProtocol %q", sr.SecurityGroupRuleId, sr.IpProtocol)
		}
		from, to, msg := awsimport.SGPorts(proto, sr.FromPort, sr.ToPort)
		if msg != "" {
			return f.ix.Errorf(awsimport.Sub(at, "FromPort"), "security group rule %s: %s", sr.SecurityGroupRuleId, msg)
		}
		b.ignoredSG(f, at, "security group rule "+sr.SecurityGroupRuleId, proto, sr.FromPort, sr.ToPort)
		r := firewall.SGRule{ID: sr.SecurityGroupRuleId, Protocol: proto, FromPort: from, ToPort: to, Description: sr.Description, Origin: o}
		peers := 0
		for _, c := range []struct{ s, fam, key string }{{sr.CidrIpv4, "4", "CidrIpv4"}, {sr.CidrIpv6, "6", "CidrIpv6"}} {
			if c.s == "" {
				continue
			}
			peers++
			p, _, msg := awsimport.ParseCIDR(c.key, c.s, c.fam)
			if msg != "" {
				return f.ix.Errorf(awsimport.Sub(at, c.key), "security group rule %s: %s", sr.SecurityGroupRuleId, msg)
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
			return f.ix.Errorf(at, "security group rule %s has %d peers, want exactly one", sr.SecurityGroupRuleId, peers)
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
		o := f.ix.Pos(at...)
		if n.NetworkAclId == "" {
			return f.ix.Errorf(at, "network ACL without NetworkAclId")
		}
		if !b.first("network ACL", n.NetworkAclId, o) {
			continue
		}
		acl := firewall.NetworkACL{ID: n.NetworkAclId, Name: tagName(n.Tags), VPC: n.VpcId, IsDefault: n.IsDefault, Origin: o}
		for j, e := range n.Entries {
			eat := awsimport.Sub(at, "Entries", j)
			if e.RuleNumber == nil {
				return f.ix.Errorf(eat, "network ACL %s: entry without RuleNumber", n.NetworkAclId)
			}
			num := *e.RuleNumber
			action := strings.ToLower(e.RuleAction)
			if num == 32767 || num == 32768 {
				if action != "deny" {
					return f.ix.Errorf(awsimport.Sub(eat, "RuleAction"), "network ACL %s: default rule * (%d) is %q, want deny", n.NetworkAclId, num, e.RuleAction)
				}
				continue
			}
			if num < 1 || num > 32766 {
				return f.ix.Errorf(awsimport.Sub(eat, "RuleNumber"), "network ACL %s: rule number %d out of range 1-32766", n.NetworkAclId, num)
			}
			ent := firewall.NACLEntry{Number: num, Egress: e.Egress, Origin: f.ix.Pos(eat...)}
			switch action {
			case "allow":
				ent.Action = firewall.Allow
			case "deny":
				ent.Action = firewall.Deny
			default:
				return f.ix.Errorf(awsimport.Sub(eat, "RuleAction"), "network ACL %s rule %d: RuleAction %q, want allow or deny", n.NetworkAclId, num, e.RuleAction)
			}
			p, ok := awsimport.ParseProtocol(e.Protocol)
			if !ok {
				return f.ix.Errorf(awsimport.Sub(eat, "Protocol"), "network ACL %s rule %d: unknown Protocol %q", n.NetworkAclId, num, e.Protocol)
			}
			ent.Protocol = p
			switch {
			case e.CidrBlock != "" && e.Ipv6CidrBlock != "":
				return f.ix.Errorf(eat, "network ACL %s rule %d has both CidrBlock and Ipv6CidrBlock", n.NetworkAclId, num)
			case e.CidrBlock != "":
				c, _, msg := awsimport.ParseCIDR("CidrBlock", e.CidrBlock, "4")
				if msg != "" {
					return f.ix.Errorf(awsimport.Sub(eat, "CidrBlock"), "network ACL %s rule %d: %s", n.NetworkAclId, num, msg)
				}
				ent.CIDR = c
			case e.Ipv6CidrBlock != "":
				c, _, msg := awsimport.ParseCIDR("Ipv6CidrBlock", e.Ipv6CidrBlock, "6")
				if msg != "" {
					return f.ix.Errorf(awsimport.Sub(eat, "Ipv6CidrBlock"), "network ACL %s rule %d: %s", n.NetworkAclId, num, msg)
				}
				ent.CIDR = c
			default:
				return f.ix.Errorf(eat, "network ACL %s rule %d has neither CidrBlock nor Ipv6CidrBlock", n.NetworkAclId, num)
			}
			var pr, it [2]*int32
			if e.PortRange != nil {
				pr = [2]*int32{e.PortRange.From, e.PortRange.To}
			}
			if e.IcmpTypeCode != nil {
				it = [2]*int32{e.IcmpTypeCode.Type, e.IcmpTypeCode.Code}
			}
			vals := []awsimport.Value{{Name: "PortRange.From", V: pr[0]}, {Name: "PortRange.To", V: pr[1]},
				{Name: "IcmpTypeCode.Type", V: it[0]}, {Name: "IcmpTypeCode.Code", V: it[1]}}
			if msg, k := awsimport.IgnoredNACL(ent, vals, -1); msg != "" {
				path := [][]any{{"PortRange", "From"}, {"PortRange", "To"}, {"IcmpTypeCode", "Type"}, {"IcmpTypeCode", "Code"}}[k]
				b.warn(f.ix.Pos(awsimport.Sub(eat, path...)...), "network ACL %s rule %d: %s", n.NetworkAclId, num, msg)
			}
			msg, assumed := awsimport.NACLMatch(&ent, pr, it)
			if msg != "" {
				return f.ix.Errorf(awsimport.Sub(eat, "PortRange"), "network ACL %s rule %d: %s", n.NetworkAclId, num, msg)
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
				b.warn(f.ix.Pos(awsimport.Sub(at, "Associations", j)...), "duplicate association of subnet %s (already with %s) ignored", a.SubnetId, prev)
				continue
			}
			b.naclOf[a.SubnetId] = n.NetworkAclId
		}
		b.inv.NetworkACLs = append(b.inv.NetworkACLs, acl)
	}
	return nil
}
