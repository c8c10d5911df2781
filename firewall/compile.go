package firewall

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"
)

// RuleSet is a compiled, immutable Inventory: every security group on its
// own, the union of groups on each interface, and every network ACL, with
// group references resolved to member addresses and prefix lists to their
// CIDRs. It is safe for concurrent use. The zero RuleSet holds nothing.
type RuleSet struct {
	gen        uint16
	groupSG    map[string]*SG
	ifaceSG    map[string]*SG
	nacls      map[string]*NACL
	subnetNACL map[string]*NACL
}

// Compile validates inv and compiles every security group and network ACL in
// it, resolving group references (to member interfaces' private addresses)
// and prefix lists. It is CompileGeneration with generation 0.
func Compile(inv *Inventory, lim Limits) (*RuleSet, error) {
	return CompileGeneration(inv, lim, 0)
}

// CompileGeneration is Compile stamping the rule set (and every SG in it)
// with generation gen, so that conntrack entries can tell which rules let
// them in (STYLE.md lesson 10).
//
// Validation (SPEC.md §1, §3) checks references to unknown groups, prefix
// lists, subnets, VPCs and network ACLs; duplicate IDs; CIDRs (which are
// canonicalised: 100.68.0.18/18 becomes 100.68.0.0/18); protocols (-1 or
// 0–255); TCP/UDP port ranges (0–65535, from ≤ to); ICMP types and codes
// (-1 or 0–255, all types only with all codes for security groups); NACL
// rule numbers (1–32766, unique per direction; an explicit 32767/32768
// "deny all" entry from an AWS import is accepted and folded into the
// implicit "*" entry) and actions; and the quotas in lim (zero fields mean
// AWS's defaults): rules per group per direction per family (a group
// reference counts one rule in each family, a prefix list its MaxEntries in
// the family of its CIDRs), groups per interface, NACL entries per direction per family
// counting "*".
//
// Compile reports every problem it finds, not only the first: the error is
// an errors.Join of *Error values in inventory order, and the RuleSet is
// nil. Use errors.As to get at the first *Error.
//
// An interface in a subnet with no groups gets its VPC's default security
// group, and a subnet with no NACL its VPC's default network ACL (SPEC.md
// §1.3, §3.1). If the inventory has none, Compile makes one with
// DefaultSecurityGroup or DefaultNACL, named "sg-default" or "acl-default"
// (followed by "-<vpc>" when the VPC is named).
func CompileGeneration(inv *Inventory, lim Limits, gen uint16) (*RuleSet, error) {
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	if inv == nil {
		inv = &Inventory{}
	}
	lim = lim.withDefaults()
	c := &compiler{inv: inv, lim: lim}
	c.index()
	c.checkSubnets()
	c.checkPrefixLists()
	for i := range c.groups {
		c.checkGroup(c.groups[i])
	}
	c.checkInterfaces()
	for i := range c.nacls {
		c.checkNACL(c.nacls[i])
	}
	if err := c.errs.err(); err != nil {
		return nil, err
	}
	return c.build(gen), nil
}

// compiler holds the indexes and errors of one Compile.
type compiler struct {
	inv  *Inventory
	lim  Limits
	errs errList

	vpcs    map[string]*VPC
	subnets map[string]*Subnet
	groups  []*SecurityGroup // inventory groups, then synthesized defaults
	groupBy map[string]*SecurityGroup
	nacls   []*NetworkACL
	naclBy  map[string]*NetworkACL
	lists   map[string]*PrefixList
	ifGroup map[string][]string // interface ID → effective groups
}

func (c *compiler) bad(o Origin, object, field, format string, args ...any) {
	checker{errs: &c.errs, origin: o, object: object}.bad(field, format, args...)
}

// index builds the ID maps and reports duplicate and empty IDs.
func (c *compiler) index() {
	inv := c.inv
	c.vpcs = map[string]*VPC{}
	for i := range inv.VPCs {
		v := &inv.VPCs[i]
		if c.dup(v.Origin, "vpc", v.ID, c.vpcs[v.ID] != nil) {
			c.vpcs[v.ID] = v
		}
	}
	c.subnets = map[string]*Subnet{}
	for i := range inv.Subnets {
		s := &inv.Subnets[i]
		if c.dup(s.Origin, "subnet", s.ID, c.subnets[s.ID] != nil) {
			c.subnets[s.ID] = s
		}
	}
	c.groupBy = map[string]*SecurityGroup{}
	for i := range inv.SecurityGroups {
		g := &inv.SecurityGroups[i]
		if c.dup(g.Origin, "security group", g.ID, c.groupBy[g.ID] != nil) {
			c.groupBy[g.ID] = g
			c.groups = append(c.groups, g)
		}
	}
	c.naclBy = map[string]*NetworkACL{}
	for i := range inv.NetworkACLs {
		n := &inv.NetworkACLs[i]
		if c.dup(n.Origin, "network acl", n.ID, c.naclBy[n.ID] != nil) {
			c.naclBy[n.ID] = n
			c.nacls = append(c.nacls, n)
		}
	}
	c.lists = map[string]*PrefixList{}
	for i := range inv.PrefixLists {
		p := &inv.PrefixLists[i]
		if c.dup(p.Origin, "prefix list", p.ID, c.lists[p.ID] != nil) {
			c.lists[p.ID] = p
		}
	}
	seen := map[string]bool{}
	for i := range inv.Interfaces {
		f := &inv.Interfaces[i]
		c.dup(f.Origin, "interface", f.ID, seen[f.ID])
		seen[f.ID] = true
	}
}

// dup reports an empty or duplicate ID and returns whether the object may be
// indexed.
func (c *compiler) dup(o Origin, kind, id string, exists bool) bool {
	switch {
	case id == "":
		c.bad(o, kind, "id", "%s has no id; give every %s a unique id", kind, kind)
		return false
	case exists:
		c.bad(o, kind+" "+id, "id", "id %q is used twice; ids must be unique", id)
		return false
	}
	return true
}

// vpcHasIPv6 reports whether vpc has an IPv6 block, or a subnet with one.
func (c *compiler) vpcHasIPv6(vpc string) bool {
	if v := c.vpcs[vpc]; v != nil {
		for _, p := range v.CIDRs {
			if p.Addr().Is6() {
				return true
			}
		}
	}
	for i := range c.inv.Subnets {
		s := &c.inv.Subnets[i]
		if s.VPC == vpc && s.IPv6CIDR.IsValid() {
			return true
		}
	}
	return false
}

func defaultName(prefix, vpc string) string {
	if vpc == "" {
		return prefix
	}
	return prefix + "-" + vpc
}

// defaultGroup returns vpc's default security group, making one if the
// inventory has none.
func (c *compiler) defaultGroup(vpc string) string {
	for _, g := range c.groups {
		if g.IsDefault && g.VPC == vpc {
			return g.ID
		}
	}
	g := DefaultSecurityGroup(defaultName("sg-default", vpc), vpc, c.vpcHasIPv6(vpc))
	c.groups = append(c.groups, &g)
	c.groupBy[g.ID] = &g
	return g.ID
}

// defaultNACL returns vpc's default network ACL, making one if the
// inventory has none.
func (c *compiler) defaultNACL(vpc string) *NetworkACL {
	for _, n := range c.nacls {
		if n.IsDefault && n.VPC == vpc {
			return n
		}
	}
	n := DefaultNACL(defaultName("acl-default", vpc), vpc, c.vpcHasIPv6(vpc))
	c.nacls = append(c.nacls, &n)
	c.naclBy[n.ID] = &n
	return &n
}

// checkSubnets checks each subnet's VPC, CIDR and network ACL reference.
func (c *compiler) checkSubnets() {
	for i := range c.inv.Subnets {
		s := &c.inv.Subnets[i]
		obj := "subnet " + s.ID
		if s.VPC != "" && len(c.vpcs) > 0 && c.vpcs[s.VPC] == nil {
			c.bad(s.Origin, obj, "vpc", "vpc %q is not defined", s.VPC)
		}
		if s.CIDR.IsValid() && !s.CIDR.Addr().Is4() {
			c.bad(s.Origin, obj, "cidr", "cidr %s is not an IPv4 block; put IPv6 blocks in ipv6_cidr", s.CIDR)
		}
		if s.IPv6CIDR.IsValid() && !s.IPv6CIDR.Addr().Is6() {
			c.bad(s.Origin, obj, "ipv6_cidr", "ipv6_cidr %s is not an IPv6 block", s.IPv6CIDR)
		}
		if s.NACL != "" && c.naclBy[s.NACL] == nil {
			c.bad(s.Origin, obj, "nacl", "network acl %q is not defined", s.NACL)
		}
	}
}

// checkPrefixLists checks each prefix list's CIDRs and MaxEntries.
func (c *compiler) checkPrefixLists() {
	for i := range c.inv.PrefixLists {
		p := &c.inv.PrefixLists[i]
		ck := checker{errs: &c.errs, origin: p.Origin, object: "prefix list " + p.ID}
		for _, pf := range p.CIDRs {
			ck.cidr(pf)
		}
		if p.MaxEntries < 0 || (p.MaxEntries > 0 && p.MaxEntries < len(p.CIDRs)) {
			ck.bad("max_entries", "max_entries %d is below its %d entries; it must be at least the number of entries (or 0)", p.MaxEntries, len(p.CIDRs))
		}
	}
}

// listWeight is what a reference to prefix list p counts against a rule
// quota: its maximum size (SPEC.md §1.2), per family it holds CIDRs of.
func listWeight(p *PrefixList) int {
	if p.MaxEntries > 0 {
		return p.MaxEntries
	}
	return len(p.CIDRs)
}

// listFamilies reports which families p holds CIDRs of; an empty list
// counts as IPv4 (a customer-managed prefix list has one family).
func listFamilies(p *PrefixList) [numFamilies]bool {
	var in [numFamilies]bool
	for _, c := range p.CIDRs {
		if c.IsValid() {
			in[prefixFamily(c)] = true
		}
	}
	if !in[fam6] {
		in[fam4] = true
	}
	return in
}

// checkGroup validates a security group's rules and its rule quota.
func (c *compiler) checkGroup(g *SecurityGroup) {
	for dir := Ingress; dir <= Egress; dir++ {
		rules := g.Ingress
		if dir == Egress {
			rules = g.Egress
		}
		var count [numFamilies]int
		for i := range rules {
			r := &rules[i]
			ck := checker{errs: &c.errs, origin: pick(r.Origin, g.Origin),
				object: g.ID + " " + dir.String() + " rule " + itoa(i+1)}
			c.checkSGRule(ck, r)
			switch {
			case r.Group != "":
				count[fam4]++
				count[fam6]++
			case r.PrefixList != "":
				if p := c.lists[r.PrefixList]; p != nil {
					for f, in := range listFamilies(p) {
						if in {
							count[f] += listWeight(p)
						}
					}
				}
			case r.CIDR.IsValid():
				count[prefixFamily(r.CIDR)]++
			}
		}
		for f, n := range count {
			if n > c.lim.SGRulesPerDirection {
				c.bad(g.Origin, g.ID+" "+dir.String(), "rules",
					"%d %s rules are above the quota of %d per direction per family (a prefix list counts its max entries)",
					n, familyName(family(f)), c.lim.SGRulesPerDirection)
			}
		}
	}
}

func familyName(f family) string {
	if f == fam6 {
		return "IPv6"
	}
	return "IPv4"
}

// checkSGRule validates one security group rule (SPEC.md §1.1).
func (c *compiler) checkSGRule(ck checker, r *SGRule) {
	peers := 0
	if r.CIDR.IsValid() {
		peers++
		ck.cidr(r.CIDR)
	}
	if r.Group != "" {
		peers++
		if c.groupBy[r.Group] == nil {
			ck.bad("group", "security group %q is not defined", r.Group)
		}
	}
	if r.PrefixList != "" {
		peers++
		if c.lists[r.PrefixList] == nil {
			ck.bad("prefix_list", "prefix list %q is not defined", r.PrefixList)
		}
	}
	switch {
	case peers == 0:
		ck.bad("cidr", "rule has no peer; give exactly one of cidr, group or prefix_list")
	case peers > 1:
		ck.bad("cidr", "rule has %d peers; give exactly one of cidr, group or prefix_list (split the rule)", peers)
	}
	if n := utf8.RuneCountInString(r.Description); n > maxDescription {
		ck.bad("description", "description is %d characters long; at most %d are allowed", n, maxDescription)
	}
	if !ck.protocol(r.Protocol) || r.Protocol == ProtoAll {
		return
	}
	switch r.Protocol {
	case 6, 17:
		ck.portRange(r.FromPort, r.ToPort)
	case 1, 58:
		if ck.icmpTypeCode("from_port", "to_port", r.FromPort, r.ToPort) && r.FromPort == -1 && r.ToPort != -1 {
			ck.bad("to_port", "to_port %d is an icmp code but from_port -1 means all types; all types requires all codes (to_port -1)", r.ToPort)
		}
	}
}

// checkInterfaces checks each interface's subnet and groups and works out
// its effective groups.
func (c *compiler) checkInterfaces() {
	c.ifGroup = map[string][]string{}
	for i := range c.inv.Interfaces {
		f := &c.inv.Interfaces[i]
		obj := "interface " + f.ID
		if f.Subnet == "" {
			continue // outside the VPC: no filter of its own
		}
		s := c.subnets[f.Subnet]
		if s == nil {
			c.bad(f.Origin, obj, "subnet", "subnet %q is not defined", f.Subnet)
			continue
		}
		groups := f.Groups
		if len(groups) == 0 {
			groups = []string{c.defaultGroup(s.VPC)}
		}
		if len(groups) > c.lim.GroupsPerInterface {
			c.bad(f.Origin, obj, "groups", "%d security groups are above the quota of %d per interface", len(groups), c.lim.GroupsPerInterface)
		}
		for j, g := range groups {
			if c.groupBy[g] == nil {
				c.bad(f.Origin, obj, "groups", "security group %q is not defined", g)
			}
			for _, h := range groups[:j] {
				if h == g {
					c.bad(f.Origin, obj, "groups", "security group %q is listed twice; list each group once", g)
				}
			}
		}
		c.ifGroup[f.ID] = groups
	}
}

// checkNACL validates a network ACL's entries and its quota (SPEC.md §3).
func (c *compiler) checkNACL(n *NetworkACL) {
	var count [2][numFamilies]int
	seen := map[[2]int32]bool{}
	for i := range n.Entries {
		e := &n.Entries[i]
		dir := naclDirection(e.Egress)
		ck := checker{errs: &c.errs, origin: pick(e.Origin, n.Origin),
			object: n.ID + " " + dir + " rule " + itoa(int(e.Number))}
		cidr, cidrOK := ck.cidr(e.CIDR)
		if e.Number == NACLDefaultRule4 || e.Number == NACLDefaultRule6 {
			want := defaultEntry(e.Egress, fam4)
			if e.Number == NACLDefaultRule6 {
				want = defaultEntry(e.Egress, fam6)
			}
			if e.Action != Deny || e.Protocol != ProtoAll || !cidrOK || cidr != want.CIDR {
				ck.bad("number", "rule number %d is reserved for the default \"*\" entry %q; number your rules 1–%d",
					e.Number, want.String(), MaxNACLRuleNumber)
			}
			continue
		}
		if e.Number < 1 || e.Number > MaxNACLRuleNumber {
			ck.bad("number", "rule number %d is outside 1–%d", e.Number, MaxNACLRuleNumber)
		}
		key := [2]int32{e.Number, 0}
		if e.Egress {
			key[1] = 1
		}
		if seen[key] {
			ck.bad("number", "rule number %d is used twice in %s rules; numbers must be unique per direction", e.Number, dir)
		}
		seen[key] = true
		if e.Action != Allow && e.Action != Deny {
			ck.bad("action", "action %q is not allow or deny", e.Action.String())
		}
		if cidrOK {
			d := 0
			if e.Egress {
				d = 1
			}
			count[d][prefixFamily(cidr)]++
		}
		if !ck.protocol(e.Protocol) || e.Protocol == ProtoAll {
			continue
		}
		switch e.Protocol {
		case 6, 17:
			ck.portRange(e.FromPort, e.ToPort)
		case 1:
			ck.icmpTypeCode("icmp_type", "icmp_code", e.ICMPType, e.ICMPCode)
		case 58:
			if cidrOK && cidr.Addr().Is6() {
				ck.icmpTypeCode("icmp_type", "icmp_code", e.ICMPType, e.ICMPCode)
			}
		}
	}
	for d := range count {
		for f, k := range count[d] {
			if k+1 > c.lim.NACLEntriesPerDirection {
				c.bad(n.Origin, n.ID+" "+naclDirection(d == 1), "entries",
					"%d %s entries plus \"*\" are above the quota of %d per direction per family",
					k, familyName(family(f)), c.lim.NACLEntriesPerDirection)
			}
		}
	}
}

// build compiles the validated inventory.
func (c *compiler) build(gen uint16) *RuleSet {
	inv := c.inv
	// Members of each group: the private addresses of interfaces in the VPC
	// that carry it (SPEC.md §1.2: "private IP addresses", never public).
	members := map[string][]netip.Prefix{}
	for i := range inv.Interfaces {
		f := &inv.Interfaces[i]
		for _, g := range c.ifGroup[f.ID] {
			for _, a := range f.Addrs {
				a = a.Unmap()
				members[g] = append(members[g], netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	lists := map[string][]netip.Prefix{}
	for id, p := range c.lists {
		for _, pf := range p.CIDRs {
			lists[id] = append(lists[id], pf.Masked())
		}
	}
	// Subnets' NACLs first: they may synthesize default NACLs.
	subnetACL := map[string]*NetworkACL{}
	for i := range inv.Subnets {
		s := &inv.Subnets[i]
		if s.NACL != "" {
			subnetACL[s.ID] = c.naclBy[s.NACL]
		} else {
			subnetACL[s.ID] = c.defaultNACL(s.VPC)
		}
	}
	rs := &RuleSet{gen: gen, groupSG: map[string]*SG{}, ifaceSG: map[string]*SG{},
		nacls: map[string]*NACL{}, subnetNACL: map[string]*NACL{}}
	compiled := map[string]*compiledGroup{}
	for _, g := range c.groups {
		cg := compileGroup(g, members, lists)
		compiled[g.ID] = cg
		rs.groupSG[g.ID] = newSG([]*compiledGroup{cg}, gen)
	}
	unions := map[string]*SG{}
	for i := range inv.Interfaces {
		f := &inv.Interfaces[i]
		groups, ok := c.ifGroup[f.ID]
		if !ok {
			continue
		}
		key := strings.Join(groups, "\x00")
		sg := unions[key]
		switch {
		case sg != nil:
		case len(groups) == 1:
			sg = rs.groupSG[groups[0]]
		default:
			cgs := make([]*compiledGroup, len(groups))
			for j, g := range groups {
				cgs[j] = compiled[g]
			}
			sg = newSG(cgs, gen)
		}
		unions[key] = sg
		rs.ifaceSG[f.ID] = sg
	}
	for _, n := range c.nacls {
		rs.nacls[n.ID] = compileNACL(n)
	}
	for id, n := range subnetACL {
		rs.subnetNACL[id] = rs.nacls[n.ID]
	}
	return rs
}

// InterfaceSG returns the union of the security groups on interface id, or
// nil for an interface outside the VPC (or unknown).
func (rs *RuleSet) InterfaceSG(id string) *SG { return rs.ifaceSG[id] }

// SubnetNACL returns the network ACL associated with subnet id (the VPC's
// default network ACL if the subnet names none), or nil for an unknown
// subnet.
func (rs *RuleSet) SubnetNACL(subnetID string) *NACL { return rs.subnetNACL[subnetID] }

// Generation returns the rule-set generation given at compile time.
func (rs *RuleSet) Generation() uint16 { return rs.gen }

// NACL returns the compiled network ACL id, or nil.
func (rs *RuleSet) NACL(id string) *NACL { return rs.nacls[id] }

// Group returns security group id compiled on its own, or nil.
func (rs *RuleSet) Group(id string) *SG { return rs.groupSG[id] }

// GroupIDs returns the IDs of every compiled security group, sorted,
// including default groups Compile made.
func (rs *RuleSet) GroupIDs() []string { return slices.Sorted(maps.Keys(rs.groupSG)) }

// NACLIDs returns the IDs of every compiled network ACL, sorted, including
// default network ACLs Compile made.
func (rs *RuleSet) NACLIDs() []string { return slices.Sorted(maps.Keys(rs.nacls)) }
