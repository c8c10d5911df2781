package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/awsjson"
	"github.com/ctsim/ctsim/firewall/tfplan"
	"github.com/ctsim/ctsim/sim/packet"
)

type rulesOpts struct {
	out outputFlags
	sim simFlags
}

func rulesCommand() *command {
	return &command{
		name:  "rules",
		args:  "show [FILE|NAME]",
		short: "print imported (or a scenario's) security groups and network ACLs as tables",
		long: `"rules show" reads the network and rules from --aws DIR (AWS CLI describe-*
JSON: a directory or one file), --terraform FILE ('terraform show -json' of a
plan or state), or a scenario FILE|NAME, compiles them as the simulator does,
and prints:

  security group rules: group, direction, protocol, ports, peer, description, rule ID
  network ACL entries:  NACL, direction, rule number (with the "*" defaults), protocol,
                        ports, CIDR, action
  subnets and interfaces: which NACL and which groups apply where.

Anything the importers do not support is reported on stderr as a warning with
its file:line:col. -o csv prints the two rule tables, separated by a blank
line.`,
		example: `  ctsim rules show --aws ./describe-output/
  ctsim rules show --terraform plan.json -o json
  ctsim rules show ephemeral-ports`,
		flags: func(fs *pflag.FlagSet) any {
			o := &rulesOpts{}
			o.out.add(fs, "table, json, csv, markdown")
			o.sim.add(fs, false)
			fs.Lookup("seed").Hidden = true
			return o
		},
		run: func(e *env, opts any, args []string) error { return runRules(e, opts.(*rulesOpts), args) },
	}
}

// sgRuleJSON is one security group rule in `ctsim rules show -o json`.
type sgRuleJSON struct {
	Group       string `json:"group"`
	GroupName   string `json:"group_name,omitempty"`
	Direction   string `json:"direction"`
	Protocol    string `json:"protocol"`
	Ports       string `json:"ports"`
	Peer        string `json:"peer"`
	Description string `json:"description,omitempty"`
	RuleID      string `json:"rule_id"`
	Text        string `json:"text"`
	Origin      string `json:"origin,omitempty"`
}

// naclEntryJSON is one network ACL entry in `ctsim rules show -o json`.
type naclEntryJSON struct {
	NACL      string `json:"nacl"`
	Direction string `json:"direction"`
	// Rule is the rule number, or "*" for the implicit default entries.
	Rule     string `json:"rule"`
	Protocol string `json:"protocol"`
	Ports    string `json:"ports"`
	CIDR     string `json:"cidr"`
	Action   string `json:"action"`
	Origin   string `json:"origin,omitempty"`
}

type subnetJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	CIDR     string `json:"cidr"`
	IPv6CIDR string `json:"ipv6_cidr,omitempty"`
	NACL     string `json:"nacl"`
}

type interfaceJSON struct {
	ID        string   `json:"id"`
	Name      string   `json:"name,omitempty"`
	Subnet    string   `json:"subnet,omitempty"`
	Addresses []string `json:"addresses"`
	Public    []string `json:"public_addresses,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	Service   string   `json:"service,omitempty"`
}

// rulesJSON is the document `ctsim rules show -o json` prints.
type rulesJSON struct {
	Version     int             `json:"ctsim_json"`
	Command     string          `json:"command"`
	Source      string          `json:"source"`
	SGRules     []sgRuleJSON    `json:"security_group_rules"`
	NACLEntries []naclEntryJSON `json:"network_acl_entries"`
	Subnets     []subnetJSON    `json:"subnets"`
	Interfaces  []interfaceJSON `json:"interfaces"`
	Warnings    []string        `json:"warnings,omitempty"`
}

func runRules(e *env, o *rulesOpts, args []string) error {
	r, err := o.out.renderer(e, "rules", fmtTable, fmtJSON, fmtCSV, fmtMarkdown)
	if err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "show" {
		return usageErrorf("rules", "want 'rules show'")
	}
	args = args[1:]
	if len(args) > 1 {
		return usageErrorf("rules", "rules show takes at most one scenario FILE or NAME")
	}
	inv, lim, source, warnings, err := rulesInventory(e, o, args)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(e.stderr, "ctsim: warning: "+w)
	}
	rs, err := firewall.Compile(inv, lim)
	if err != nil {
		return err
	}
	doc := buildRulesJSON(inv, rs)
	doc.Source, doc.Warnings = source, warnings
	return r.render(e.stdout, rulesDocument(doc))
}

// rulesInventory reads the inventory rules show prints.
func rulesInventory(e *env, o *rulesOpts, args []string) (*firewall.Inventory, firewall.Limits, string, []string, error) {
	if len(args) == 1 {
		s, err := loadScenario(e, args[0], &o.sim)
		if err != nil {
			return nil, firewall.Limits{}, "", nil, err
		}
		// loadScenario printed the scenario's warnings already.
		return &s.Inventory, s.Options.Limits, s.File, nil, nil
	}
	switch {
	case o.sim.aws != "" && o.sim.terraform != "":
		return nil, firewall.Limits{}, "", nil, usageErrorf("rules", "give --aws or --terraform, not both")
	case o.sim.aws != "":
		res, err := awsjson.Load(o.sim.aws)
		if err != nil {
			return nil, firewall.Limits{}, "", nil, err
		}
		var ws []string
		for _, w := range res.Warnings {
			ws = append(ws, w.String())
		}
		return &res.Inventory, firewall.Limits{}, o.sim.aws, ws, nil
	case o.sim.terraform != "":
		return loadTerraform(o.sim.terraform)
	}
	return nil, firewall.Limits{}, "", nil, usageErrorf("rules", "rules show needs --aws DIR, --terraform FILE or a scenario FILE|NAME")
}

// protoWord names an AWS protocol value as the console does: "all", "tcp",
// "udp", "icmp", "icmpv6", or the number with its name ("47 (gre)").
func protoWord(p firewall.Protocol) string {
	if p == firewall.ProtoAll {
		return "all"
	}
	if p < 0 || p > 255 {
		return strconv.Itoa(int(p))
	}
	switch n := packet.ProtoName(uint8(p)); n {
	case "tcp", "udp", "icmp", "icmpv6":
		return n
	default:
		if n == strconv.Itoa(int(p)) {
			return n
		}
		return strconv.Itoa(int(p)) + " (" + n + ")"
	}
}

// portsWord formats a port range or an ICMP type/code for a rules table.
func portsWord(p firewall.Protocol, from, to int32) string {
	switch {
	case p == firewall.Protocol(packet.ProtoTCP) || p == firewall.Protocol(packet.ProtoUDP):
		if from == to {
			return strconv.Itoa(int(from))
		}
		if from == 0 && to == 65535 || from == 0 && to == 0 {
			return "all"
		}
		return strconv.Itoa(int(from)) + "-" + strconv.Itoa(int(to))
	case p == firewall.Protocol(packet.ProtoICMP) || p == firewall.Protocol(packet.ProtoICMPv6):
		switch {
		case from < 0:
			return "all types"
		case to < 0:
			return "type " + strconv.Itoa(int(from))
		}
		return "type " + strconv.Itoa(int(from)) + " code " + strconv.Itoa(int(to))
	}
	return "all"
}

// withCompiled returns the IDs listed in the inventory, in its order, then
// the ones only the compiled rule set has (the default security group or
// network ACL Compile made for a VPC that had none), sorted.
func withCompiled(listed, compiled []string) []string {
	seen := make(map[string]bool, len(listed))
	ids := make([]string, 0, len(compiled))
	for _, id := range listed {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range compiled {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

func buildRulesJSON(inv *firewall.Inventory, rs *firewall.RuleSet) *rulesJSON {
	doc := &rulesJSON{Version: jsonVersion, Command: "rules show",
		SGRules: []sgRuleJSON{}, NACLEntries: []naclEntryJSON{}, Subnets: []subnetJSON{}, Interfaces: []interfaceJSON{}}
	groupNames := map[string]string{}
	groupIDs := make([]string, 0, len(inv.SecurityGroups))
	for _, g := range inv.SecurityGroups {
		groupNames[g.ID] = g.Name
		groupIDs = append(groupIDs, g.ID)
	}
	for _, id := range withCompiled(groupIDs, rs.GroupIDs()) {
		sg := rs.Group(id)
		if sg == nil {
			continue
		}
		for _, dir := range []firewall.Direction{firewall.Ingress, firewall.Egress} {
			for _, ri := range sg.Rules(dir) {
				rule := ri.Rule
				doc.SGRules = append(doc.SGRules, sgRuleJSON{
					Group: id, GroupName: groupNames[id], Direction: dir.String(),
					Protocol: protoWord(rule.Protocol), Ports: portsWord(rule.Protocol, rule.FromPort, rule.ToPort),
					Peer: rule.Peer(), Description: rule.Description, RuleID: rule.ID, Text: ri.Text,
					Origin: rule.Origin.String(),
				})
			}
		}
	}
	aclIDs := make([]string, 0, len(inv.NetworkACLs))
	for _, a := range inv.NetworkACLs {
		aclIDs = append(aclIDs, a.ID)
	}
	for _, id := range withCompiled(aclIDs, rs.NACLIDs()) {
		n := rs.NACL(id)
		if n == nil {
			continue
		}
		for _, dir := range []firewall.Direction{firewall.Ingress, firewall.Egress} {
			for _, ei := range n.Entries(dir) {
				en := ei.Entry
				num := strconv.Itoa(int(en.Number))
				if ei.Default {
					num = "*"
				}
				ports := portsWord(en.Protocol, en.FromPort, en.ToPort)
				if en.Protocol == firewall.Protocol(packet.ProtoICMP) || en.Protocol == firewall.Protocol(packet.ProtoICMPv6) {
					ports = portsWord(en.Protocol, en.ICMPType, en.ICMPCode)
				}
				d := "inbound"
				if dir == firewall.Egress {
					d = "outbound"
				}
				doc.NACLEntries = append(doc.NACLEntries, naclEntryJSON{
					NACL: id, Direction: d, Rule: num, Protocol: protoWord(en.Protocol), Ports: ports,
					CIDR: en.CIDR.String(), Action: en.Action.String(), Origin: en.Origin.String(),
				})
			}
		}
	}
	for _, s := range inv.Subnets {
		sj := subnetJSON{ID: s.ID, Name: s.Name, CIDR: s.CIDR.String(), NACL: s.NACL}
		if s.IPv6CIDR.IsValid() {
			sj.IPv6CIDR = s.IPv6CIDR.String()
		}
		if n := rs.SubnetNACL(s.ID); n != nil {
			sj.NACL = n.ID()
		}
		doc.Subnets = append(doc.Subnets, sj)
	}
	for _, in := range inv.Interfaces {
		ij := interfaceJSON{ID: in.ID, Name: in.Name, Subnet: in.Subnet, Groups: in.Groups, Service: in.Service, Addresses: []string{}}
		if sg := rs.InterfaceSG(in.ID); sg != nil {
			ij.Groups = sg.Groups() // includes the default group an interface without groups gets
		}
		for _, a := range in.Addrs {
			ij.Addresses = append(ij.Addresses, a.String())
		}
		for _, a := range in.PublicAddrs {
			ij.Public = append(ij.Public, a.String())
		}
		doc.Interfaces = append(doc.Interfaces, ij)
	}
	return doc
}

func rulesDocument(doc *rulesJSON) *document {
	sg := section{Title: "Security group rules",
		Columns: []string{"group", "direction", "protocol", "ports", "peer", "description", "rule ID"},
		Keys:    []string{"group", "direction", "protocol", "ports", "peer", "description", "rule_id"},
		Wrap:    map[int]int{5: 40}}
	for _, r := range doc.SGRules {
		g := r.Group
		if r.GroupName != "" && r.GroupName != r.Group {
			g += " (" + r.GroupName + ")"
		}
		sg.Rows = append(sg.Rows, []string{g, r.Direction, r.Protocol, r.Ports, r.Peer, r.Description, r.RuleID})
	}
	na := section{Title: "Network ACL entries",
		Columns: []string{"NACL", "direction", "rule number", "protocol", "ports", "CIDR", "action"},
		Keys:    []string{"nacl", "direction", "rule", "protocol", "ports", "cidr", "action"},
		Color: map[int]func(string) string{6: func(s string) string {
			if s == "deny" {
				return ansiRed
			}
			return ansiGreen
		}}}
	for _, e := range doc.NACLEntries {
		na.Rows = append(na.Rows, []string{e.NACL, e.Direction, e.Rule, e.Protocol, e.Ports, e.CIDR, e.Action})
	}
	sub := section{Title: "Subnets", Columns: []string{"subnet", "name", "CIDR", "IPv6 CIDR", "NACL"}}
	for _, s := range doc.Subnets {
		sub.Rows = append(sub.Rows, []string{s.ID, s.Name, s.CIDR, s.IPv6CIDR, s.NACL})
	}
	ifs := section{Title: "Interfaces", Columns: []string{"interface", "name", "subnet", "addresses", "groups"}}
	for _, in := range doc.Interfaces {
		addrs := strings.Join(in.Addresses, ", ")
		if len(in.Public) > 0 {
			addrs += " (public " + strings.Join(in.Public, ", ") + ")"
		}
		subnet := in.Subnet
		if subnet == "" {
			subnet = "(outside the VPC)"
		}
		ifs.Rows = append(ifs.Rows, []string{in.ID, in.Name, subnet, addrs, strings.Join(in.Groups, ", ")})
	}
	return &document{
		Heading:  []string{"rules from " + doc.Source},
		Sections: []section{sg, na, sub, ifs},
		CSV:      []int{0, 1},
		JSON:     doc,
	}
}

// loadTerraform reads a Terraform plan or state (terraform show -json) for
// rules show, with the importer's warnings (unsupported resources,
// values assumed because they are unknown until apply).
func loadTerraform(path string) (*firewall.Inventory, firewall.Limits, string, []string, error) {
	res, err := tfplan.Load(path)
	if err != nil {
		return nil, firewall.Limits{}, "", nil, err
	}
	ws := make([]string, 0, len(res.Warnings))
	for _, w := range res.Warnings {
		ws = append(ws, w.String())
	}
	return &res.Inventory, firewall.Limits{}, path, ws, nil
}
