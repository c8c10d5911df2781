package scenarios

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
)

// Change kinds as the YAML spells them: the sim.ChangeKind tokens.
var changeKinds = []string{"add_sg_rule", "remove_sg_rule", "replace_sg_rule", "add_nacl_entry",
	"remove_nacl_entry", "replace_nacl_entry", "associate_nacl", "set_tracking"}

var changeKeys = append([]string{"at", "note"}, changeKinds...)

// ruleState is the set of rule IDs and entry numbers as the changes so far
// leave them, so that every change can be checked against the rules it
// edits at its time.
type ruleState struct {
	sgRules map[string]map[string]bool // "group/direction" → rule IDs
	entries map[string]map[int32]bool  // "acl/direction" → rule numbers
}

func (p *parser) newRuleState() *ruleState {
	st := &ruleState{sgRules: map[string]map[string]bool{}, entries: map[string]map[int32]bool{}}
	for _, g := range p.s.Inventory.SecurityGroups {
		for _, dir := range []firewall.Direction{firewall.Ingress, firewall.Egress} {
			set := map[string]bool{}
			rules := g.Ingress
			if dir == firewall.Egress {
				rules = g.Egress
			}
			for _, r := range rules {
				set[r.ID] = true
			}
			st.sgRules[g.ID+"/"+dir.String()] = set
		}
	}
	for _, a := range p.s.Inventory.NetworkACLs {
		st.entries[a.ID+"/ingress"] = map[int32]bool{}
		st.entries[a.ID+"/egress"] = map[int32]bool{}
		for _, e := range a.Entries {
			dir := "ingress"
			if e.Egress {
				dir = "egress"
			}
			st.entries[a.ID+"/"+dir][e.Number] = true
		}
	}
	return st
}

type parsedChange struct {
	tc   TimedChange
	node *yaml.Node
	m    *mapping   // the kind's mapping
	rule *yaml.Node // the rule_id to blame (the rule's own for add_sg_rule)
	num  *yaml.Node // the rule_number to blame
}

// changes parses the changes list. Changes are checked in time order (file
// order at equal times, the order the engine applies them in) against the
// rules as earlier changes leave them.
func (p *parser) changes(n *yaml.Node) error {
	items, err := p.seq(n, "changes")
	if err != nil {
		return err
	}
	var list []parsedChange
	for _, it := range items {
		pc, err := p.change(it)
		if err != nil {
			return err
		}
		list = append(list, pc)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].tc.At < list[j].tc.At })
	st := p.newRuleState()
	for i := range list {
		if err := p.checkChange(st, &list[i]); err != nil {
			return err
		}
	}
	for _, pc := range list {
		if d := p.s.Duration; d > 0 && pc.tc.At > d {
			p.warn(pc.node, "change at %s falls after the duration (%s) and is not applied", packet.FormatSeconds(pc.tc.At), packet.FormatSeconds(d))
		}
		p.s.Changes = append(p.s.Changes, pc.tc)
	}
	return nil
}

func (p *parser) change(n *yaml.Node) (parsedChange, error) {
	var pc parsedChange
	pc.node = n
	m, err := p.mapping(n, "change", changeKeys...)
	if err != nil {
		return pc, err
	}
	av, err := p.require(m, "at")
	if err != nil {
		return pc, err
	}
	if pc.tc.At, err = p.duration(av, "at"); err != nil {
		return pc, err
	}
	c := &pc.tc.Change
	c.Origin = p.origin(n)
	if c.Note, err = p.optStr(m, "note"); err != nil {
		return pc, err
	}
	kind := ""
	for _, k := range changeKinds {
		if m.has(k) {
			if kind != "" {
				return pc, p.errAt(m.keys[k], "change: one change per item; found %s and %s", kind, k)
			}
			kind = k
		}
	}
	if kind == "" {
		return pc, p.errAt(n, "change: say what changes: one of %s", strings.Join(changeKinds, ", "))
	}
	c.Kind, _ = sim.ParseChangeKind(kind)
	kn := m.get(kind)
	switch kind {
	case "add_sg_rule", "replace_sg_rule":
		keys := []string{"group", "direction", "rule"}
		if kind == "replace_sg_rule" {
			keys = append(keys, "rule_id")
		}
		if pc.m, err = p.mapping(kn, kind, keys...); err != nil {
			return pc, err
		}
		if err := p.groupDir(pc.m, c); err != nil {
			return pc, err
		}
		if kind == "replace_sg_rule" {
			if c.RuleID, err = p.reqStr(pc.m, "rule_id"); err != nil {
				return pc, err
			}
		}
		rv, err := p.require(pc.m, "rule")
		if err != nil {
			return pc, err
		}
		if c.Rule, pc.rule, err = p.sgRule(rv, c.Group, c.Direction); err != nil {
			return pc, err
		}
		if kind == "replace_sg_rule" {
			pc.rule = pc.m.get("rule_id")
		}
	case "remove_sg_rule":
		if pc.m, err = p.mapping(kn, kind, "group", "direction", "rule_id"); err != nil {
			return pc, err
		}
		if err := p.groupDir(pc.m, c); err != nil {
			return pc, err
		}
		if c.RuleID, err = p.reqStr(pc.m, "rule_id"); err != nil {
			return pc, err
		}
		pc.rule = pc.m.get("rule_id")
	case "add_nacl_entry", "replace_nacl_entry":
		if pc.m, err = p.mapping(kn, kind, "acl", "direction", "entry"); err != nil {
			return pc, err
		}
		if err := p.aclDir(pc.m, c); err != nil {
			return pc, err
		}
		ev, err := p.require(pc.m, "entry")
		if err != nil {
			return pc, err
		}
		var numNode *yaml.Node
		if c.Entry, numNode, err = p.naclEntry(ev, c.ACL, c.Direction == firewall.Egress); err != nil {
			return pc, err
		}
		pc.num = numNode
		c.Number = c.Entry.Number
	case "remove_nacl_entry":
		if pc.m, err = p.mapping(kn, kind, "acl", "direction", "rule_number"); err != nil {
			return pc, err
		}
		if err := p.aclDir(pc.m, c); err != nil {
			return pc, err
		}
		nv, err := p.require(pc.m, "rule_number")
		if err != nil {
			return pc, err
		}
		num, err := p.integer(nv, "rule_number", 1, 32766)
		if err != nil {
			return pc, err
		}
		c.Number = int32(num)
		pc.num = nv
	case "associate_nacl":
		if pc.m, err = p.mapping(kn, kind, "subnet", "acl"); err != nil {
			return pc, err
		}
		if c.Subnet, err = p.reqStr(pc.m, "subnet"); err != nil {
			return pc, err
		}
		if c.ACL, err = p.reqStr(pc.m, "acl"); err != nil {
			return pc, err
		}
	case "set_tracking":
		keys := append([]string{"host"}, timeoutKeys...)
		if pc.m, err = p.mapping(kn, kind, keys...); err != nil {
			return pc, err
		}
		if c.Interface, err = p.reqStr(pc.m, "host"); err != nil {
			return pc, err
		}
		if c.Tracking, err = p.timeouts(pc.m); err != nil {
			return pc, err
		}
	}
	return pc, nil
}

func (p *parser) direction(m *mapping) (firewall.Direction, error) {
	v, err := p.require(m, "direction")
	if err != nil {
		return 0, err
	}
	s, err := p.str(v, "direction")
	if err != nil {
		return 0, err
	}
	switch s {
	case "ingress", "inbound":
		return firewall.Ingress, nil
	case "egress", "outbound":
		return firewall.Egress, nil
	}
	return 0, p.errAt(v, "direction %q: want ingress or egress", s)
}

func (p *parser) groupDir(m *mapping, c *sim.Change) (err error) {
	if c.Group, err = p.reqStr(m, "group"); err != nil {
		return err
	}
	c.Direction, err = p.direction(m)
	return err
}

func (p *parser) aclDir(m *mapping, c *sim.Change) (err error) {
	if c.ACL, err = p.reqStr(m, "acl"); err != nil {
		return err
	}
	c.Direction, err = p.direction(m)
	return err
}

// checkChange checks a change's references against the rules as the
// changes before it leave them, and updates st.
func (p *parser) checkChange(st *ruleState, pc *parsedChange) error {
	c := &pc.tc.Change
	m := pc.m
	switch c.Kind {
	case sim.AddSGRule, sim.RemoveSGRule, sim.ReplaceSGRule:
		set, ok := st.sgRules[c.Group+"/"+c.Direction.String()]
		if !ok {
			return p.errAt(m.get("group"), "%s: security group %q is not defined; defined: %s", c.Kind, c.Group, p.keys(p.groups))
		}
		if c.Kind == sim.AddSGRule {
			if c.Rule.ID == "" {
				c.Rule.ID = fmt.Sprintf("%s-%s-added-%d:%d", c.Group, shortDir(c.Direction), c.Origin.Line, c.Origin.Col)
			}
			if set[c.Rule.ID] {
				return p.errAt(pc.rule, "add_sg_rule: %s already has a %s rule %q", c.Group, c.Direction, c.Rule.ID)
			}
			set[c.Rule.ID] = true
			break
		}
		if !set[c.RuleID] {
			return p.errAt(pc.rule, "%s: %s has no %s rule %q at this time; its rules: %s", c.Kind, c.Group, c.Direction, c.RuleID, p.keys(set))
		}
		if c.Kind == sim.RemoveSGRule {
			delete(set, c.RuleID)
		} else if c.Rule.ID == "" {
			c.Rule.ID = c.RuleID
		} else if c.Rule.ID != c.RuleID {
			delete(set, c.RuleID)
			set[c.Rule.ID] = true
		}
	case sim.AddNACLEntry, sim.RemoveNACLEntry, sim.ReplaceNACLEntry:
		set, ok := st.entries[c.ACL+"/"+c.Direction.String()]
		if !ok {
			return p.errAt(m.get("acl"), "%s: network ACL %q is not defined; defined: %s", c.Kind, c.ACL, p.keys(p.acls))
		}
		switch {
		case c.Kind == sim.AddNACLEntry && set[c.Number]:
			return p.errAt(pc.num, "add_nacl_entry: %s %s already has rule %d at this time (use replace_nacl_entry)", c.ACL, c.Direction, c.Number)
		case c.Kind != sim.AddNACLEntry && !set[c.Number]:
			return p.errAt(pc.num, "%s: %s %s has no rule %d at this time", c.Kind, c.ACL, c.Direction, c.Number)
		}
		if c.Kind == sim.RemoveNACLEntry {
			delete(set, c.Number)
		} else {
			set[c.Number] = true
		}
	case sim.AssociateNACL:
		if !p.subnets[c.Subnet] && findSubnet(p.s.Inventory.Subnets, c.Subnet) == nil {
			return p.errAt(m.get("subnet"), "associate_nacl: subnet %q is not defined; defined: %s", c.Subnet, p.keys(p.subnets))
		}
		if !p.acls[c.ACL] {
			return p.errAt(m.get("acl"), "associate_nacl: network ACL %q is not defined; defined: %s", c.ACL, p.keys(p.acls))
		}
	case sim.SetTracking:
		h := p.hosts[c.Interface]
		if h == nil || h.External {
			return p.errAt(m.get("host"), "set_tracking: %q is not a host in a subnet; hosts: %s", c.Interface, p.hostNames())
		}
		c.Interface = h.ID
	}
	return nil
}

func shortDir(d firewall.Direction) string {
	if d == firewall.Egress {
		return "out"
	}
	return "in"
}
