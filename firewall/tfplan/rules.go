package tfplan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

// sgIndex returns the index of group id, adding a placeholder (with a
// warning) for a group that is not in the plan.
func (b *netBuilder) sgIndex(r *res, id string) int {
	for i := range b.inv.SecurityGroups {
		if b.inv.SecurityGroups[i].ID == id {
			return i
		}
	}
	b.warn(r, "assumed security group %s exists (not in this plan); only this plan's rules are known for it", id)
	b.inv.SecurityGroups = append(b.inv.SecurityGroups, firewall.SecurityGroup{ID: id, Origin: b.origin(r)})
	return len(b.inv.SecurityGroups) - 1
}

// naclIndex is sgIndex for network ACLs.
func (b *netBuilder) naclIndex(r *res, id string) int {
	for i := range b.inv.NetworkACLs {
		if b.inv.NetworkACLs[i].ID == id {
			return i
		}
	}
	b.warn(r, "assumed network ACL %s exists (not in this plan); only this plan's rules are known for it", id)
	b.inv.NetworkACLs = append(b.inv.NetworkACLs, firewall.NetworkACL{ID: id, Origin: b.origin(r)})
	return len(b.inv.NetworkACLs) - 1
}

// ports reads from_port/to_port (or other keys) at base as pointers.
func (b *netBuilder) ports(r *res, base []any, keys ...string) ([2]*int32, error) {
	var out [2]*int32
	for i, k := range keys {
		n, ok, bad := r.num(append(base[:len(base):len(base)], k)...)
		if bad != "" {
			return out, b.errorf(r, append(base[:len(base):len(base)], k), "%s is %s, want a number", k, bad)
		}
		if ok {
			if n < -1<<31 || n > 1<<31-1 {
				return out, b.errorf(r, append(base[:len(base):len(base)], k), "%s %d out of range", k, n)
			}
			v := int32(n)
			out[i] = &v
		}
	}
	return out, nil
}

// sgBase reads protocol and ports of a rule whose attributes are at base.
func (b *netBuilder) sgBase(r *res, base []any, protoKey string) (firewall.SGRule, error) {
	at := func(k string) []any { return append(base[:len(base):len(base)], k) }
	s := r.str(at(protoKey)...)
	proto, ok := awsimport.ParseProtocol(s)
	if !ok {
		return firewall.SGRule{}, b.errorf(r, at(protoKey), "unknown protocol %q", s)
	}
	pp, err := b.ports(r, base, "from_port", "to_port")
	if err != nil {
		return firewall.SGRule{}, err
	}
	from, to, msg := awsimport.SGPorts(proto, pp[0], pp[1])
	if msg != "" {
		return firewall.SGRule{}, b.errorf(r, at("from_port"), "%s", msg)
	}
	// Terraform wants from_port = to_port = 0 for protocol -1: 0 and -1
	// say "no ports" here (SPEC.md §1.1).
	names := []string{"from_port", "to_port"}
	if msg, k := awsimport.IgnoredSG(proto, []awsimport.Value{{Name: pathString(at(names[0])), V: pp[0]}, {Name: pathString(at(names[1])), V: pp[1]}}, 0, -1); msg != "" {
		b.warnAt(r, at(names[k]), "%s", msg)
	}
	return firewall.SGRule{Protocol: proto, FromPort: from, ToPort: to, Description: r.str(at("description")...), Origin: b.ix.Pos(awsimport.Sub(awsimport.Sub(r.path, "values"), base...)...)}, nil
}

// peers splits a rule with many peers into one SGRule per peer: IPv4 CIDRs,
// IPv6 CIDRs, prefix lists, groups, and the group itself for self.
func (b *netBuilder) peers(r *res, base []any, rule firewall.SGRule, self string, keys map[string]string) ([]firewall.SGRule, error) {
	at := func(k string) []any { return append(base[:len(base):len(base)], k) }
	var out []firewall.SGRule
	for _, kind := range []string{"cidr4", "cidr6", "pl", "sg"} {
		key, ok := keys[kind]
		if !ok {
			continue
		}
		if kind == "sg" && r.boolean(at("self")...) && r.isUnknown(at(key)...) {
			continue // computed from self: the group itself, added below
		}
		var vals []string
		if strings.HasSuffix(key, "s") { // a list attribute
			vals = b.refValues(r, at(key)...)
		} else if v := b.refValue(r, at(key)...); v != "" {
			vals = []string{v}
		}
		for i, v := range vals {
			x := rule
			switch kind {
			case "cidr4", "cidr6":
				fam := "4"
				if kind == "cidr6" {
					fam = "6"
				}
				path := at(key)
				if strings.HasSuffix(key, "s") {
					path = append(path, i)
				}
				p, err := b.cidr(r, v, fam, path...)
				if err != nil {
					return nil, err
				}
				x.CIDR = p
			case "pl":
				x.PrefixList = v
			case "sg":
				x.Group = v
			}
			out = append(out, x)
		}
	}
	if r.boolean(at("self")...) {
		x := rule
		x.Group = self
		out = append(out, x)
	}
	return out, nil
}

// securityGroup reads aws_security_group and aws_default_security_group
// with their inline ingress and egress blocks.
func (b *netBuilder) securityGroup(r *res) error {
	g := firewall.SecurityGroup{ID: r.id, Name: r.addr, VPC: b.refValue(r, "vpc_id"), Description: r.str("description"),
		IsDefault: r.typ == "aws_default_security_group", Origin: b.origin(r)}
	if g.IsDefault && g.VPC == "" {
		g.VPC = b.defaultOwner(r, "aws_vpc", "default_security_group_id")
	}
	for _, dir := range []struct {
		key, tag string
		rules    *[]firewall.SGRule
	}{{"ingress", "in", &g.Ingress}, {"egress", "out", &g.Egress}} {
		if r.isUnknown(dir.key) {
			b.warn(r, "%s is unknown until apply: assumed no inline %s rules", dir.key, dir.key)
			continue
		}
		for i := range r.blocks(dir.key) {
			base := []any{dir.key, i}
			rule, err := b.sgBase(r, base, "protocol")
			if err != nil {
				return err
			}
			rule.ID = fmt.Sprintf("%s-%s-%d", g.ID, dir.tag, i+1)
			rules, err := b.peers(r, base, rule, g.ID, map[string]string{
				"cidr4": "cidr_blocks", "cidr6": "ipv6_cidr_blocks", "pl": "prefix_list_ids", "sg": "security_groups"})
			if err != nil {
				return err
			}
			if len(rules) == 0 {
				b.warn(r, "%s[%d] has no peer (no cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, security_groups or self): it allows nothing", dir.key, i)
			}
			*dir.rules = append(*dir.rules, rules...)
		}
	}
	b.inv.SecurityGroups = append(b.inv.SecurityGroups, g)
	return nil
}

// defaultOwner finds the VPC whose attribute attr the configuration of a
// default ACL or group references (their vpc_id is computed).
func (b *netBuilder) defaultOwner(r *res, typ, attr string) string {
	key := "vpc_id"
	if r.typ == "aws_default_network_acl" {
		key = "default_network_acl_id"
	}
	for _, rf := range b.refs(r, key) {
		if rf.r.typ == typ {
			return rf.r.id
		}
	}
	return ""
}

// ruleID returns a rule resource's ID: security_group_rule_id, id, or its
// address while unknown.
func ruleID(r *res) string {
	if s := r.str("security_group_rule_id"); s != "" {
		return s
	}
	if s := r.str("id"); s != "" {
		return s
	}
	return r.addr
}

// securityGroupRule reads aws_security_group_rule.
func (b *netBuilder) securityGroupRule(r *res) error {
	typ := r.str("type")
	if typ != "ingress" && typ != "egress" {
		return b.errorf(r, []any{"type"}, "type %q, want ingress or egress", typ)
	}
	sg := b.refValue(r, "security_group_id")
	rule, err := b.sgBase(r, nil, "protocol")
	if err != nil {
		return err
	}
	rule.ID, rule.Origin = ruleID(r), b.origin(r)
	rules, err := b.peers(r, nil, rule, sg, map[string]string{
		"cidr4": "cidr_blocks", "cidr6": "ipv6_cidr_blocks", "pl": "prefix_list_ids", "sg": "source_security_group_id"})
	if err != nil {
		return err
	}
	if len(rules) == 0 {
		b.warn(r, "rule has no peer: it allows nothing")
	}
	g := &b.inv.SecurityGroups[b.sgIndex(r, sg)]
	if typ == "ingress" {
		g.Ingress = append(g.Ingress, rules...)
	} else {
		g.Egress = append(g.Egress, rules...)
	}
	return nil
}

// vpcSecurityGroupRule reads aws_vpc_security_group_ingress_rule and
// aws_vpc_security_group_egress_rule: one rule, one peer.
func (b *netBuilder) vpcSecurityGroupRule(r *res) error {
	sg := b.refValue(r, "security_group_id")
	rule, err := b.sgBase(r, nil, "ip_protocol")
	if err != nil {
		return err
	}
	rule.ID, rule.Origin = ruleID(r), b.origin(r)
	rules, err := b.peers(r, nil, rule, sg, map[string]string{
		"cidr4": "cidr_ipv4", "cidr6": "cidr_ipv6", "pl": "prefix_list_id", "sg": "referenced_security_group_id"})
	if err != nil {
		return err
	}
	if len(rules) != 1 {
		return b.errorf(r, nil, "%d peers (cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_security_group_id), want exactly one", len(rules))
	}
	g := &b.inv.SecurityGroups[b.sgIndex(r, sg)]
	if r.typ == "aws_vpc_security_group_ingress_rule" {
		g.Ingress = append(g.Ingress, rules[0])
	} else {
		g.Egress = append(g.Egress, rules[0])
	}
	return nil
}

// naclEntry reads one network ACL entry whose attributes are at base;
// numKey and actionKey differ between inline blocks (rule_no, action) and
// aws_network_acl_rule (rule_number, rule_action).
func (b *netBuilder) naclEntry(r *res, acl string, base []any, egress bool, numKey, actionKey string) (firewall.NACLEntry, bool, error) {
	at := func(k string) []any { return append(base[:len(base):len(base)], k) }
	n, ok, bad := r.num(at(numKey)...)
	if !ok {
		return firewall.NACLEntry{}, false, b.errorf(r, at(numKey), "%s is %s, want a rule number", numKey, cmpOr(bad, "missing"))
	}
	if n == 32767 || n == 32768 {
		if r.str(at(actionKey)...) != "deny" {
			return firewall.NACLEntry{}, false, b.errorf(r, at(actionKey), "network ACL %s: default rule * (%d) is %q, want deny", acl, n, r.str(at(actionKey)...))
		}
		return firewall.NACLEntry{}, false, nil
	}
	if n < 1 || n > 32766 {
		return firewall.NACLEntry{}, false, b.errorf(r, at(numKey), "network ACL %s: rule number %d out of range 1-32766", acl, n)
	}
	e := firewall.NACLEntry{Number: int32(n), Egress: egress, Origin: b.ix.Pos(awsimport.Sub(awsimport.Sub(r.path, "values"), base...)...)}
	if len(base) == 0 {
		e.Origin = b.origin(r)
	}
	switch a := strings.ToLower(r.str(at(actionKey)...)); a {
	case "allow":
		e.Action = firewall.Allow
	case "deny":
		e.Action = firewall.Deny
	default:
		return e, false, b.errorf(r, at(actionKey), "network ACL %s rule %d: %s %q, want allow or deny", acl, n, actionKey, a)
	}
	s := r.str(at("protocol")...)
	p, ok2 := awsimport.ParseProtocol(s)
	if !ok2 {
		return e, false, b.errorf(r, at("protocol"), "network ACL %s rule %d: unknown protocol %q", acl, n, s)
	}
	e.Protocol = p
	c4, c6 := b.refValue(r, at("cidr_block")...), b.refValue(r, at("ipv6_cidr_block")...)
	var err error
	switch {
	case c4 != "" && c6 != "":
		return e, false, b.errorf(r, base, "network ACL %s rule %d has both cidr_block and ipv6_cidr_block", acl, n)
	case c4 != "":
		e.CIDR, err = b.cidr(r, c4, "4", at("cidr_block")...)
	case c6 != "":
		e.CIDR, err = b.cidr(r, c6, "6", at("ipv6_cidr_block")...)
	default:
		return e, false, b.errorf(r, base, "network ACL %s rule %d has neither cidr_block nor ipv6_cidr_block", acl, n)
	}
	if err != nil {
		return e, false, err
	}
	pr, err := b.ports(r, base, "from_port", "to_port")
	if err != nil {
		return e, false, err
	}
	it, err := b.ports(r, base, "icmp_type", "icmp_code")
	if err != nil {
		return e, false, err
	}
	// Terraform state holds 0 for the ports and ICMP values a rule does not
	// set: 0 and -1 say "nothing given" here (SPEC.md §3.2).
	keys := []string{"from_port", "to_port", "icmp_type", "icmp_code"}
	vals := []awsimport.Value{{Name: keys[0], V: pr[0]}, {Name: keys[1], V: pr[1]}, {Name: keys[2], V: it[0]}, {Name: keys[3], V: it[1]}}
	for i := range vals {
		vals[i].Name = pathString(at(keys[i]))
	}
	if msg, k := awsimport.IgnoredNACL(e, vals, 0, -1); msg != "" {
		b.warnAt(r, at(keys[k]), "network ACL %s rule %d: %s", acl, n, msg)
	}
	msg, assumed := awsimport.NACLMatch(&e, pr, it)
	if msg != "" {
		return e, false, b.errorf(r, at("from_port"), "network ACL %s rule %d: %s", acl, n, msg)
	}
	if assumed != "" {
		b.warn(r, "assumed %s for network ACL %s rule %d", assumed, acl, n)
	}
	return e, true, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// networkACL reads aws_network_acl and aws_default_network_acl with their
// inline ingress and egress blocks and subnet_ids.
func (b *netBuilder) networkACL(r *res) error {
	n := firewall.NetworkACL{ID: r.id, Name: r.addr, VPC: b.refValue(r, "vpc_id"), IsDefault: r.typ == "aws_default_network_acl", Origin: b.origin(r)}
	if n.IsDefault && n.VPC == "" {
		n.VPC = b.defaultOwner(r, "aws_vpc", "default_network_acl_id")
	}
	for _, dir := range []struct {
		key    string
		egress bool
	}{{"ingress", false}, {"egress", true}} {
		if r.isUnknown(dir.key) {
			b.warn(r, "%s is unknown until apply: assumed no inline %s entries", dir.key, dir.key)
			continue
		}
		for i := range r.blocks(dir.key) {
			e, ok, err := b.naclEntry(r, n.ID, []any{dir.key, i}, dir.egress, "rule_no", "action")
			if err != nil {
				return err
			}
			if ok {
				n.Entries = append(n.Entries, e)
			}
		}
	}
	prio := 2
	if n.IsDefault {
		prio = 1
	}
	for _, s := range b.refValues(r, "subnet_ids") {
		b.setNACL(r, s, n.ID, prio)
	}
	b.inv.NetworkACLs = append(b.inv.NetworkACLs, n)
	return nil
}

// networkACLRule reads aws_network_acl_rule.
func (b *netBuilder) networkACLRule(r *res) error {
	acl := b.refValue(r, "network_acl_id")
	e, ok, err := b.naclEntry(r, acl, nil, r.boolean("egress"), "rule_number", "rule_action")
	if err != nil || !ok {
		return err
	}
	n := &b.inv.NetworkACLs[b.naclIndex(r, acl)]
	n.Entries = append(n.Entries, e)
	return nil
}

// dedupe merges what a state lists twice: a group's or ACL's inline rules
// also list the rules that separate rule resources manage (their ingress and
// egress attributes are computed from AWS). Identical security group rules
// are one AWS rule (AWS refuses duplicates): the copy with a generated ID
// goes. Network ACL entries with the same number and direction must agree.
func (b *netBuilder) dedupe() error {
	for gi := range b.inv.SecurityGroups {
		g := &b.inv.SecurityGroups[gi]
		g.Ingress = dedupeRules(g.ID, g.Ingress)
		g.Egress = dedupeRules(g.ID, g.Egress)
	}
	for ni := range b.inv.NetworkACLs {
		n := &b.inv.NetworkACLs[ni]
		var out []firewall.NACLEntry
	entries:
		for _, e := range n.Entries {
			for _, o := range out {
				if o.Number != e.Number || o.Egress != e.Egress {
					continue
				}
				x, y := o, e
				x.Origin, y.Origin = firewall.Origin{}, firewall.Origin{}
				if x != y {
					dir := "ingress"
					if e.Egress {
						dir = "egress"
					}
					return &firewall.Error{Origin: e.Origin, Object: "network ACL " + n.ID, Field: "rule_number",
						Msg: fmt.Sprintf("%s rule %d is defined twice with different content (also at %s)", dir, e.Number, o.Origin)}
				}
				continue entries
			}
			out = append(out, e)
		}
		n.Entries = out
	}
	return nil
}

type ruleKey struct {
	proto     firewall.Protocol
	from, to  int32
	cidr      netip.Prefix
	group, pl string
}

func dedupeRules(group string, rules []firewall.SGRule) []firewall.SGRule {
	generated := func(id string) bool {
		return strings.HasPrefix(id, group+"-in-") || strings.HasPrefix(id, group+"-out-")
	}
	var out []firewall.SGRule
	seen := make(map[ruleKey]int)
	for _, r := range rules {
		k := ruleKey{r.Protocol, r.FromPort, r.ToPort, r.CIDR, r.Group, r.PrefixList}
		if i, ok := seen[k]; ok {
			if generated(out[i].ID) && !generated(r.ID) {
				out[i].ID, out[i].Origin = r.ID, r.Origin
			}
			if out[i].Description == "" {
				out[i].Description = r.Description
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, r)
	}
	return out
}
