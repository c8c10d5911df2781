package sim

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// ChangeKind says what a Change does.
type ChangeKind uint8

// Kinds of change. Their String tokens appear in results: append, never
// renumber.
const (
	// AddSGRule appends Rule to group Group in Direction.
	AddSGRule ChangeKind = iota + 1
	// RemoveSGRule removes the rule RuleID from group Group in Direction.
	RemoveSGRule
	// ReplaceSGRule replaces the rule RuleID of group Group in Direction
	// with Rule (Rule.ID empty keeps RuleID).
	ReplaceSGRule
	// AddNACLEntry adds Entry to network ACL ACL (Entry.Egress says the
	// direction; Direction is ignored).
	AddNACLEntry
	// RemoveNACLEntry removes entry Number in Direction (Egress =
	// outbound) from network ACL ACL.
	RemoveNACLEntry
	// ReplaceNACLEntry replaces the entry numbered Entry.Number in Entry's
	// direction of network ACL ACL with Entry.
	ReplaceNACLEntry
	// AssociateNACL associates network ACL ACL with subnet Subnet.
	AssociateNACL
	// SetTracking sets interface Interface's connection tracking timeouts
	// (zero fields: the AWS default for its instance type, or Linux's for
	// the timeouts AWS does not document, SPEC.md §5.1). Existing
	// entries use the new timeouts from then on.
	SetTracking
	numChangeKinds
)

var changeTokens = [numChangeKinds]string{
	"none",
	"add_sg_rule",
	"remove_sg_rule",
	"replace_sg_rule",
	"add_nacl_entry",
	"remove_nacl_entry",
	"replace_nacl_entry",
	"associate_nacl",
	"set_tracking",
}

// String returns the kind's snake_case token ("add_sg_rule", …).
func (k ChangeKind) String() string {
	if k < numChangeKinds {
		return changeTokens[k]
	}
	return "change_kind_" + strconv.Itoa(int(k))
}

// ParseChangeKind returns the ChangeKind whose String is s.
func ParseChangeKind(s string) (ChangeKind, bool) {
	for i := AddSGRule; i < numChangeKinds; i++ {
		if changeTokens[i] == s {
			return i, true
		}
	}
	return 0, false
}

// Change is a timed edit of the rules or of an interface's tracking
// configuration. Only the fields its Kind names are read. The zero Change is
// invalid.
type Change struct {
	// Kind says what the change does and which fields it reads.
	Kind ChangeKind
	// Group is the security group ID (AddSGRule, RemoveSGRule,
	// ReplaceSGRule).
	Group string
	// Direction is the security group rule direction, or the network ACL
	// direction of RemoveNACLEntry (Egress = outbound).
	Direction firewall.Direction
	// Rule is the security group rule to add or to replace with.
	Rule firewall.SGRule
	// RuleID names the security group rule to remove or replace.
	RuleID string
	// ACL is the network ACL ID (NACL kinds, AssociateNACL).
	ACL string
	// Entry is the network ACL entry to add or to replace with.
	Entry firewall.NACLEntry
	// Number is the network ACL rule number to remove.
	Number int32
	// Subnet is the subnet ID of AssociateNACL.
	Subnet string
	// Interface is the interface ID or name of SetTracking.
	Interface string
	// Tracking is the new connection tracking specification of
	// SetTracking.
	Tracking firewall.TrackingSpec
	// Note is free text carried into the result ("close SSH to the
	// office").
	Note string
	// Origin is where the change was written, for error messages.
	Origin firewall.Origin
}

// AppliedChange records a change in a Result.
type AppliedChange struct {
	// At is the time the change was scheduled for.
	At Timestamp `json:"at"`
	// Effective is the time it took effect (later than At for network ACL
	// changes with a propagation delay).
	Effective Timestamp `json:"effective"`
	// Kind is the ChangeKind's token ("remove_sg_rule").
	Kind string `json:"kind"`
	// Description says what changed in words ("remove sg-web ingress rule
	// sgr-1: tcp 22 from 203.0.113.1/32").
	Description string `json:"description"`
	// Note is the Change's Note.
	Note string `json:"note,omitempty"`
	// Generation is the rule generation after the change.
	Generation uint16 `json:"generation"`
}

// isNACL reports whether k edits network ACLs or their association.
func (k ChangeKind) isNACL() bool {
	return k == AddNACLEntry || k == RemoveNACLEntry || k == ReplaceNACLEntry || k == AssociateNACL
}

// checkChange checks that c names objects the inventory has.
func (e *Engine) checkChange(c *Change) error {
	switch c.Kind {
	case AddSGRule, RemoveSGRule, ReplaceSGRule:
		if e.groupIndex(c.Group) < 0 {
			return fmt.Errorf("%s: unknown security group %q", c.Kind, c.Group)
		}
		if c.Kind != AddSGRule && c.RuleID == "" {
			return fmt.Errorf("%s %s: rule_id is required", c.Kind, c.Group)
		}
	case AddNACLEntry, RemoveNACLEntry, ReplaceNACLEntry:
		if e.aclIndex(c.ACL) < 0 {
			return fmt.Errorf("%s: unknown network ACL %q", c.Kind, c.ACL)
		}
	case AssociateNACL:
		if e.aclIndex(c.ACL) < 0 {
			return fmt.Errorf("%s: unknown network ACL %q", c.Kind, c.ACL)
		}
		if e.subnetIndex(c.Subnet) < 0 {
			return fmt.Errorf("%s: unknown subnet %q", c.Kind, c.Subnet)
		}
	case SetTracking:
		i := e.interfaceIndex(c.Interface)
		if i < 0 {
			return fmt.Errorf("%s: unknown interface %q", c.Kind, c.Interface)
		}
		if e.net.ifaces[i].table == nil {
			return fmt.Errorf("%s: interface %s has no connection tracking (outside the VPC or no security groups)", c.Kind, c.Interface)
		}
	default:
		return fmt.Errorf("unknown change kind %d", c.Kind)
	}
	return nil
}

func (e *Engine) groupIndex(id string) int {
	for i := range e.inv.SecurityGroups {
		if e.inv.SecurityGroups[i].ID == id {
			return i
		}
	}
	return -1
}

func (e *Engine) aclIndex(id string) int {
	for i := range e.inv.NetworkACLs {
		if e.inv.NetworkACLs[i].ID == id {
			return i
		}
	}
	return -1
}

func (e *Engine) subnetIndex(id string) int {
	for i := range e.inv.Subnets {
		if e.inv.Subnets[i].ID == id {
			return i
		}
	}
	return -1
}

// apply applies e.changes[i] at the current time: it edits the private
// inventory and recompiles (SetTracking edits the table instead). On error
// the inventory is left as it was.
func (e *Engine) apply(i int) error {
	pc := &e.changes[i]
	pc.done = true
	c := &pc.c
	desc, err := e.edit(c)
	if err != nil {
		return fmt.Errorf("%schange at %s (%s): %w", prefix(c.Origin), pc.at, c.Kind, err)
	}
	e.applied = append(e.applied, AppliedChange{
		At: Timestamp(pc.at), Effective: Timestamp(pc.effective), Kind: c.Kind.String(),
		Description: desc, Note: c.Note, Generation: e.Generation(),
	})
	return nil
}

// edit performs c and describes it.
func (e *Engine) edit(c *Change) (string, error) {
	if c.Kind == SetTracking {
		fi := e.interfaceIndex(c.Interface)
		in := &e.inv.Interfaces[fi]
		old := in.Tracking
		in.Tracking = c.Tracking
		tm, err := e.timeoutsFor(fi)
		if err == nil {
			err = e.net.ifaces[fi].table.SetTimeouts(tm)
		}
		if err != nil {
			in.Tracking = old
			return "", err
		}
		desc := fmt.Sprintf("set %s tracking: tcp established %s, udp %s, udp stream %s",
			e.net.ifaces[fi].name, packet.FormatSeconds(tm.TCPEstablished), packet.FormatSeconds(tm.UDP), packet.FormatSeconds(tm.UDPStream))
		// The non-AWS timeouts (SPEC.md §5.1) are named only when the
		// change sets them.
		for _, o := range []struct {
			name   string
			set, v time.Duration
		}{
			{"icmp", c.Tracking.ICMP, tm.ICMP},
			{"tcp syn_sent", c.Tracking.TCPSynSent, tm.TCPSynSent},
			{"tcp syn_recv", c.Tracking.TCPSynRecv, tm.TCPSynRecv},
			{"tcp fin_wait", c.Tracking.TCPFinWait, tm.TCPFinWait},
			{"tcp close_wait", c.Tracking.TCPCloseWait, tm.TCPCloseWait},
			{"tcp last_ack", c.Tracking.TCPLastAck, tm.TCPLastAck},
			{"tcp time_wait", c.Tracking.TCPTimeWait, tm.TCPTimeWait},
			{"tcp close", c.Tracking.TCPClose, tm.TCPClose},
		} {
			if o.set != 0 {
				desc += ", " + o.name + " " + packet.FormatSeconds(o.v)
			}
		}
		return desc, nil
	}

	saved := e.inv
	var desc string
	switch c.Kind {
	case AddSGRule, RemoveSGRule, ReplaceSGRule:
		groups := append([]firewall.SecurityGroup(nil), e.inv.SecurityGroups...)
		g := &groups[e.groupIndex(c.Group)]
		rules := &g.Ingress
		if c.Direction == firewall.Egress {
			rules = &g.Egress
		}
		old := *rules
		switch c.Kind {
		case AddSGRule:
			*rules = append(append([]firewall.SGRule(nil), old...), c.Rule)
			desc = fmt.Sprintf("add %s %s rule: %s", c.Group, c.Direction, describeSGRule(&c.Rule, c.Direction))
		default:
			j := findRule(old, c.RuleID)
			if j < 0 {
				return "", fmt.Errorf("security group %s has no %s rule %q", c.Group, c.Direction, c.RuleID)
			}
			next := append([]firewall.SGRule(nil), old...)
			if c.Kind == RemoveSGRule {
				// Importers may split one AWS rule into several SGRules
				// sharing an ID: remove them all.
				next = next[:0]
				for _, r := range old {
					if r.ID != c.RuleID {
						next = append(next, r)
					}
				}
				desc = fmt.Sprintf("remove %s %s rule %s: %s", c.Group, c.Direction, c.RuleID, describeSGRule(&old[j], c.Direction))
			} else {
				r := c.Rule
				if r.ID == "" {
					r.ID = c.RuleID
				}
				next[j] = r
				desc = fmt.Sprintf("replace %s %s rule %s (%s) with %s", c.Group, c.Direction, c.RuleID, describeSGRule(&old[j], c.Direction), describeSGRule(&r, c.Direction))
			}
			*rules = next
		}
		e.inv.SecurityGroups = groups
	case AddNACLEntry, RemoveNACLEntry, ReplaceNACLEntry:
		ai := e.aclIndex(c.ACL)
		acls := append([]firewall.NetworkACL(nil), e.inv.NetworkACLs...)
		a := &acls[ai]
		old := a.Entries
		egress := c.Entry.Egress
		number := c.Entry.Number
		if c.Kind == RemoveNACLEntry {
			egress, number = c.Direction == firewall.Egress, c.Number
		}
		j := -1
		for k := range old {
			if old[k].Number == number && old[k].Egress == egress {
				j = k
				break
			}
		}
		next := append([]firewall.NACLEntry(nil), old...)
		switch c.Kind {
		case AddNACLEntry:
			if j >= 0 {
				return "", fmt.Errorf("network ACL %s already has %s rule %d", c.ACL, naclDir(egress), number)
			}
			next = append(next, c.Entry)
			desc = fmt.Sprintf("add %s %s rule %s", c.ACL, naclDir(egress), describeNACLEntry(&c.Entry))
		case RemoveNACLEntry:
			if j < 0 {
				return "", fmt.Errorf("network ACL %s has no %s rule %d", c.ACL, naclDir(egress), number)
			}
			desc = fmt.Sprintf("remove %s %s rule %s", c.ACL, naclDir(egress), describeNACLEntry(&old[j]))
			next = append(next[:j], next[j+1:]...)
		case ReplaceNACLEntry:
			if j < 0 {
				return "", fmt.Errorf("network ACL %s has no %s rule %d", c.ACL, naclDir(egress), number)
			}
			desc = fmt.Sprintf("replace %s %s rule %s with %s", c.ACL, naclDir(egress), describeNACLEntry(&old[j]), describeNACLEntry(&c.Entry))
			next[j] = c.Entry
		}
		a.Entries = next
		e.inv.NetworkACLs = acls
	case AssociateNACL:
		subs := append([]firewall.Subnet(nil), e.inv.Subnets...)
		s := &subs[e.subnetIndex(c.Subnet)]
		desc = fmt.Sprintf("associate %s with subnet %s (was %s)", c.ACL, c.Subnet, orDefault(s.NACL))
		s.NACL = c.ACL
		e.inv.Subnets = subs
	}
	if err := e.compile(); err != nil {
		e.inv = saved
		return "", err
	}
	return desc, nil
}

func orDefault(s string) string {
	if s == "" {
		return "the default network ACL"
	}
	return s
}

func naclDir(egress bool) string {
	if egress {
		return "outbound"
	}
	return "inbound"
}

func findRule(rules []firewall.SGRule, id string) int {
	for i := range rules {
		if rules[i].ID == id {
			return i
		}
	}
	return -1
}
