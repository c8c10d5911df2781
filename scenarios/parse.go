package scenarios

import (
	"net/netip"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/awsjson"
	"github.com/ctsim/ctsim/firewall/tfplan"
	"github.com/ctsim/ctsim/sim"
)

var (
	topKeys     = []string{"name", "title", "story", "seed", "options", "vpc", "subnets", "hosts", "prefix_lists", "security_groups", "network_acls", "rules", "traffic", "changes", "expect"}
	optionsKeys = []string{"profile", "allowance", "auto_tracked", "duration", "no_state_on_later_drop", "no_mid_stream_pickup", "nacl_propagation_delay", "sweep_interval", "never_sent"}
)

// DefaultNACL is the ID of the allow-all network ACL a scenario gets when a
// subnet names no ACL and no ACL is marked default (SPEC.md §3.3).
const DefaultNACL = "acl-default"

// parser holds the state of one parse.
type parser struct {
	decoder
	dir string
	s   *Scenario
	// positions of names, for cross-reference errors
	subnets map[string]bool
	groups  map[string]bool
	acls    map[string]bool
	plists  map[string]bool
	hosts   map[string]*Host
	flows   map[string]int
}

func parse(file, dir string, data []byte) (*Scenario, error) {
	p := &parser{decoder: decoder{file: file}, dir: dir,
		subnets: map[string]bool{}, groups: map[string]bool{}, acls: map[string]bool{},
		plists: map[string]bool{}, hosts: map[string]*Host{}, flows: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ParseError{File: file, Msg: "the file is empty; a scenario needs at least hosts, rules and traffic"}
	}
	s, err := p.scenario(doc.Content[0])
	if err != nil {
		return nil, err
	}
	s.Warnings = p.warnings
	return s, nil
}

func (p *parser) scenario(root *yaml.Node) (*Scenario, error) {
	m, err := p.mapping(root, "scenario", topKeys...)
	if err != nil {
		return nil, err
	}
	s := &Scenario{File: p.file, Dir: p.dir, Seed: 1}
	// Synthetic traffic is a script of what both ends would send if every
	// packet arrived; a server never answers a SYN it did not get, so its
	// packets of a flow whose first packet was dropped are marked
	// never_sent (sim.Options.Replay) unless the file says otherwise.
	s.Options.Replay = true
	p.s = s
	if s.Name, err = p.optStr(m, "name"); err != nil {
		return nil, err
	}
	if s.Name == "" {
		s.Name = baseName(p.file)
	}
	if s.Title, err = p.optStr(m, "title"); err != nil {
		return nil, err
	}
	if s.Story, err = p.optStr(m, "story"); err != nil {
		return nil, err
	}
	s.Story = strings.TrimSpace(s.Story)
	if v := m.get("seed"); v != nil {
		seed, err := p.integer(v, "seed", 0, 1<<63-1)
		if err != nil {
			return nil, err
		}
		s.Seed = uint64(seed)
	}
	if v := m.get("options"); v != nil {
		if err := p.options(v); err != nil {
			return nil, err
		}
	}
	if v := m.get("rules"); v != nil {
		if err := p.imports(v); err != nil {
			return nil, err
		}
	}
	if err := p.network(m); err != nil {
		return nil, err
	}
	if err := p.traffic(m.get("traffic")); err != nil {
		return nil, err
	}
	if err := p.changes(m.get("changes")); err != nil {
		return nil, err
	}
	if err := p.expectations(m.get("expect")); err != nil {
		return nil, err
	}
	return s, nil
}

// options parses the options mapping into the engine options.
func (p *parser) options(n *yaml.Node) error {
	m, err := p.mapping(n, "options", optionsKeys...)
	if err != nil {
		return err
	}
	o := &p.s.Options
	if v := m.get("profile"); v != nil {
		s, err := p.str(v, "profile")
		if err != nil {
			return err
		}
		switch s {
		case "aws":
			o.Profile = conntrack.ProfileAWS
		case "linux":
			o.Profile = conntrack.ProfileLinux
		default:
			return p.errAt(v, "profile %q: want aws or linux", s)
		}
	}
	if v := m.get("allowance"); v != nil {
		a, err := p.integer(v, "allowance", 0, 1<<31-1)
		if err != nil {
			return err
		}
		o.Allowance = int(a)
	}
	if v, ok := m.vals["auto_tracked"]; ok {
		list, err := p.list(v, "auto_tracked")
		if err != nil {
			return err
		}
		o.AutoTracked = []string{}
		for _, it := range list {
			svc, err := p.str(it, "auto_tracked")
			if err != nil {
				return err
			}
			if known := sim.DefaultAutoTracked(); !contains(known, svc) {
				return p.errAt(it, "auto_tracked: service %q is not known; known: %s", svc, strings.Join(known, ", "))
			}
			o.AutoTracked = append(o.AutoTracked, svc)
		}
	}
	if p.s.Duration, err = p.optDuration(m, "duration"); err != nil {
		return err
	}
	if o.NoStateOnLaterDrop, err = p.optBool(m, "no_state_on_later_drop"); err != nil {
		return err
	}
	if o.NoMidStreamPickup, err = p.optBool(m, "no_mid_stream_pickup"); err != nil {
		return err
	}
	if o.NACLPropagationDelay, err = p.optDuration(m, "nacl_propagation_delay"); err != nil {
		return err
	}
	if v := m.get("never_sent"); v != nil {
		if o.Replay, err = p.boolean(v, "never_sent"); err != nil {
			return err
		}
	}
	if v := m.get("sweep_interval"); v != nil {
		if o.SweepInterval, err = p.duration(v, "sweep_interval"); err != nil {
			return err
		}
		if o.SweepInterval == 0 {
			return p.errAt(v, "sweep_interval must be above 0")
		}
	}
	return nil
}

// network parses vpc, subnets, prefix lists, groups, ACLs and hosts, in
// that order whatever their order in the file, and checks every
// cross-reference.
func (p *parser) network(m *mapping) error {
	inv := &p.s.Inventory
	var vpc *firewall.VPC
	if v := m.get("vpc"); v != nil {
		vv, err := p.vpc(v)
		if err != nil {
			return err
		}
		inv.VPCs = append(inv.VPCs, vv)
	}
	if len(inv.VPCs) > 0 {
		vpc = &inv.VPCs[0]
	}
	for _, s := range inv.Subnets {
		p.subnets[s.ID] = true
	}
	for _, g := range inv.SecurityGroups {
		p.groups[g.ID] = true
	}
	for _, a := range inv.NetworkACLs {
		p.acls[a.ID] = true
	}
	for _, pl := range inv.PrefixLists {
		p.plists[pl.ID] = true
	}
	items, err := p.seq(m.get("prefix_lists"), "prefix_lists")
	if err != nil {
		return err
	}
	for _, it := range items {
		pl, err := p.prefixList(it)
		if err != nil {
			return err
		}
		if p.plists[pl.ID] {
			return p.errAt(it, "prefix list %s is defined twice", pl.ID)
		}
		p.plists[pl.ID] = true
		inv.PrefixLists = append(inv.PrefixLists, pl)
	}
	// Groups and ACLs first (IDs only), so subnets and rules can refer to
	// any of them.
	sgItems, err := p.seq(m.get("security_groups"), "security_groups")
	if err != nil {
		return err
	}
	var sgs []firewall.SecurityGroup
	for _, it := range sgItems {
		sg, err := p.securityGroup(it)
		if err != nil {
			return err
		}
		if p.groups[sg.ID] {
			return p.errAt(it, "security group %s is defined twice", sg.ID)
		}
		if vpc != nil && sg.VPC == "" {
			sg.VPC = vpc.ID
		}
		p.groups[sg.ID] = true
		sgs = append(sgs, sg)
	}
	for i, sg := range sgs {
		for _, rules := range [][]firewall.SGRule{sg.Ingress, sg.Egress} {
			for _, r := range rules {
				if r.Group != "" && !p.groups[r.Group] {
					return p.errOrigin(r.Origin, "rule of %s refers to security group %q, which is not defined; defined: %s", sg.ID, r.Group, p.keys(p.groups))
				}
				if r.PrefixList != "" && !p.plists[r.PrefixList] {
					return p.errOrigin(r.Origin, "rule of %s refers to prefix list %q, which is not defined; defined: %s", sg.ID, r.PrefixList, p.keys(p.plists))
				}
			}
		}
		if vpc != nil && hasV6(vpc.CIDRs) && len(sg.Egress) > 0 && sg.Egress[0].ID == sg.ID+"-out-default" {
			sgs[i].Egress = append(sgs[i].Egress, firewall.SGRule{ID: sg.ID + "-out-default6",
				Protocol: firewall.ProtoAll, CIDR: allV6, Description: "AWS default: all outbound (IPv6)", Origin: sg.Origin})
		}
	}
	inv.SecurityGroups = append(inv.SecurityGroups, sgs...)
	aclItems, err := p.seq(m.get("network_acls"), "network_acls")
	if err != nil {
		return err
	}
	defaultACL := ""
	for _, a := range inv.NetworkACLs {
		if a.IsDefault && defaultACL == "" {
			defaultACL = a.ID
		}
	}
	for _, it := range aclItems {
		acl, err := p.networkACL(it)
		if err != nil {
			return err
		}
		if p.acls[acl.ID] {
			return p.errAt(it, "network ACL %s is defined twice", acl.ID)
		}
		if vpc != nil && acl.VPC == "" {
			acl.VPC = vpc.ID
		}
		p.acls[acl.ID] = true
		if acl.IsDefault && defaultACL == "" {
			defaultACL = acl.ID
		}
		inv.NetworkACLs = append(inv.NetworkACLs, acl)
	}
	subItems, err := p.seq(m.get("subnets"), "subnets")
	if err != nil {
		return err
	}
	for _, it := range subItems {
		sn, err := p.subnet(it, vpc)
		if err != nil {
			return err
		}
		if p.subnets[sn.ID] {
			return p.errAt(it, "subnet %s is defined twice", sn.ID)
		}
		p.subnets[sn.ID] = true
		for _, other := range inv.Subnets {
			if other.CIDR.Overlaps(sn.CIDR) {
				return p.errOrigin(sn.Origin, "subnet %s cidr %s overlaps subnet %s (%s)", sn.ID, sn.CIDR, other.ID, other.CIDR)
			}
		}
		if sn.NACL != "" && !p.acls[sn.NACL] {
			mm, _ := p.mapping(it, "subnet", subnetKeys...)
			return p.errAt(mm.get("nacl"), "subnet %s: network ACL %q is not defined; defined: %s", sn.ID, sn.NACL, p.keys(p.acls))
		}
		if sn.NACL == "" {
			if defaultACL == "" {
				defaultACL = DefaultNACL
				inv.NetworkACLs = append(inv.NetworkACLs, allowAllACL(vpc))
				p.acls[DefaultNACL] = true
			}
			sn.NACL = defaultACL
		}
		inv.Subnets = append(inv.Subnets, sn)
	}
	hostItems, err := p.seq(m.get("hosts"), "hosts")
	if err != nil {
		return err
	}
	if len(hostItems) == 0 && len(inv.Interfaces) == 0 {
		return p.errAt(m.node, "scenario: hosts is required (at least one host)")
	}
	for _, ifc := range inv.Interfaces {
		h := Host{Name: ifc.Name, ID: ifc.ID, External: ifc.Subnet == "", Addrs: ifc.Addrs, OS: ifc.OS, Origin: ifc.Origin}
		if h.Name == "" {
			h.Name = h.ID
		}
		if h.OS == "" {
			h.OS = "linux"
		}
		p.s.Hosts = append(p.s.Hosts, h)
	}
	addrs := map[netip.Addr]string{}
	// seen maps every host's name and ID to its index in p.s.Hosts: one
	// lookup per host, not a scan, for networks of thousands of hosts.
	seen := make(map[string]int, 2*(len(p.s.Hosts)+len(hostItems)))
	for i, h := range p.s.Hosts {
		for _, k := range []string{h.Name, h.ID} {
			if _, ok := seen[k]; !ok {
				seen[k] = i
			}
		}
	}
	for _, it := range hostItems {
		ifc, h, err := p.host(it)
		if err != nil {
			return err
		}
		hm, _ := p.mapping(it, "host", hostKeys...)
		first := -1
		for _, k := range []string{h.Name, h.ID} {
			if i, ok := seen[k]; ok && (first < 0 || i < first) {
				first = i
			}
		}
		if first >= 0 {
			return p.errAt(hm.get("name"), "host %s is defined twice (first at %s)", h.Name, p.s.Hosts[first].Origin)
		}
		if !h.External {
			sn := findSubnet(inv.Subnets, ifc.Subnet)
			if sn == nil {
				return p.errAt(hm.get("subnet"), "host %s: subnet %q is not defined; defined: %s", h.Name, ifc.Subnet, p.keys(p.subnets))
			}
			items, _ := p.list(hm.get("addresses"), "addresses")
			for i, a := range h.Addrs {
				if (a.Is4() && !sn.CIDR.Contains(a)) || (a.Is6() && !sn.IPv6CIDR.Contains(a)) {
					want := sn.CIDR
					if a.Is6() {
						want = sn.IPv6CIDR
					}
					if !want.IsValid() {
						return p.errAt(items[i], "host %s: address %s is IPv6 but subnet %s has no ipv6_cidr", h.Name, a, sn.ID)
					}
					return p.errAt(items[i], "host %s: address %s is not in subnet %s (%s)", h.Name, a, sn.ID, want)
				}
			}
			gitems, _ := p.list(hm.get("security_groups"), "security_groups")
			for i, g := range ifc.Groups {
				if !p.groups[g] {
					return p.errAt(gitems[i], "host %s: security group %q is not defined; defined: %s", h.Name, g, p.keys(p.groups))
				}
			}
		}
		items, _ := p.list(hm.get("addresses"), "addresses")
		for i, a := range h.Addrs {
			if other, dup := addrs[a]; dup {
				return p.errAt(items[i], "host %s: address %s is already host %s's", h.Name, a, other)
			}
			addrs[a] = h.Name
		}
		if h.Allowance != 0 {
			if p.s.Options.Allowances == nil {
				p.s.Options.Allowances = map[string]int{}
			}
			p.s.Options.Allowances[h.ID] = h.Allowance
		}
		inv.Interfaces = append(inv.Interfaces, ifc)
		for _, k := range []string{h.Name, h.ID} {
			if _, ok := seen[k]; !ok {
				seen[k] = len(p.s.Hosts)
			}
		}
		p.s.Hosts = append(p.s.Hosts, h)
	}
	for i := range p.s.Hosts {
		p.hosts[p.s.Hosts[i].Name] = &p.s.Hosts[i]
	}
	return nil
}

func hasV6(ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Addr().Is6() {
			return true
		}
	}
	return false
}

func findSubnet(subnets []firewall.Subnet, id string) *firewall.Subnet {
	for i := range subnets {
		if subnets[i].ID == id || (subnets[i].Name != "" && subnets[i].Name == id) {
			return &subnets[i]
		}
	}
	return nil
}

// allowAllACL is AWS's default network ACL: rule 100 allows all IPv4
// traffic both ways, and 101 all IPv6 traffic when the VPC has an IPv6
// block (SPEC.md §3.3).
func allowAllACL(vpc *firewall.VPC) firewall.NetworkACL {
	acl := firewall.NetworkACL{ID: DefaultNACL, IsDefault: true}
	if vpc != nil {
		acl.VPC = vpc.ID
	}
	for _, egress := range []bool{false, true} {
		acl.Entries = append(acl.Entries, firewall.NACLEntry{Number: 100, Egress: egress, Protocol: firewall.ProtoAll,
			CIDR: allV4, Action: firewall.Allow})
		if vpc != nil && hasV6(vpc.CIDRs) {
			acl.Entries = append(acl.Entries, firewall.NACLEntry{Number: 101, Egress: egress, Protocol: firewall.ProtoAll,
				CIDR: allV6, Action: firewall.Allow})
		}
	}
	return acl
}

// keys lists a name set sorted, for "defined: …" hints.
func (p *parser) keys(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

func (p *parser) errOrigin(o firewall.Origin, format string, args ...any) error {
	n := &yaml.Node{Line: o.Line, Column: o.Col}
	return p.errAt(n, format, args...)
}

// imports reads "rules: {aws: DIR}" or "rules: {terraform: FILE}": the
// network and rules from AWS CLI describe-* JSON (firewall/awsjson) or
// from terraform show -json (firewall/tfplan), resolved against the
// scenario file's directory. The imported objects come first in the Inventory;
// the file's own vpc, subnets, groups, ACLs and hosts are added to them
// and may refer to imported IDs.
func (p *parser) imports(n *yaml.Node) error {
	m, err := p.mapping(n, "rules", "aws", "terraform")
	if err != nil {
		return err
	}
	aws, tf := m.get("aws"), m.get("terraform")
	switch {
	case aws == nil && tf == nil:
		return p.errAt(m.node, "rules: give aws: DIR (AWS CLI describe-* JSON) or terraform: FILE (terraform show -json)")
	case aws != nil && tf != nil:
		return p.errAt(tf, "rules: give aws or terraform, not both")
	}
	v, kind := aws, "aws"
	if tf != nil {
		v, kind = tf, "terraform"
	}
	path, err := p.str(v, kind)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(path) && p.dir != "" {
		path = filepath.Join(p.dir, path)
	}
	if kind == "aws" {
		res, err := awsjson.Load(path)
		if err != nil {
			return p.errAt(v, "rules: aws: %v", err)
		}
		p.merge(res.Inventory)
		for _, w := range res.Warnings {
			p.warnings = append(p.warnings, prefixOrigin(w.Origin)+w.Msg)
		}
		return nil
	}
	res, err := tfplan.Load(path)
	if err != nil {
		return p.errAt(v, "rules: terraform: %v", err)
	}
	p.merge(res.Inventory)
	for _, w := range res.Warnings {
		p.warnings = append(p.warnings, prefixOrigin(w.Origin)+w.Msg)
	}
	return nil
}

// merge appends an imported inventory to the scenario's.
func (p *parser) merge(inv firewall.Inventory) {
	s := &p.s.Inventory
	s.VPCs = append(s.VPCs, inv.VPCs...)
	s.Subnets = append(s.Subnets, inv.Subnets...)
	s.SecurityGroups = append(s.SecurityGroups, inv.SecurityGroups...)
	s.NetworkACLs = append(s.NetworkACLs, inv.NetworkACLs...)
	s.Interfaces = append(s.Interfaces, inv.Interfaces...)
	s.PrefixLists = append(s.PrefixLists, inv.PrefixLists...)
}

func prefixOrigin(o firewall.Origin) string {
	if s := o.String(); s != "" {
		return s + ": "
	}
	return ""
}
