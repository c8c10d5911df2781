package firewall

import (
	"fmt"
	"net/netip"
)

// AWS quota bounds (SPEC.md §1.4, §3.4).
const (
	// maxGroupsPerInterface is the largest security-group-per-ENI quota
	// AWS grants ("yes, up to 16", SPEC.md §1.4).
	maxGroupsPerInterface = 16
	// maxRulesTimesGroups bounds rules per group × groups per ENI
	// ("rules × SGs-per-ENI ≤ 1,000", SPEC.md §1.4).
	maxRulesTimesGroups = 1000
	// maxNACLEntriesPerDirection is the largest NACL rule quota (40,
	// SPEC.md §3.4).
	maxNACLEntriesPerDirection = 40
	// maxDescription is the longest security group rule description
	// (SPEC.md §1.1: ≤255 characters).
	maxDescription = 255
)

// Network ACL rule numbers (SPEC.md §3.1).
const (
	// MaxNACLRuleNumber is the highest rule number a NACL entry may carry
	// ("1 to 32766. The range 32767 to 65535 is reserved").
	MaxNACLRuleNumber = 32766
	// NACLDefaultRule4 is the internal number of the IPv4 "*" deny entry.
	NACLDefaultRule4 = 32767
	// NACLDefaultRule6 is the internal number of the IPv6 "*" deny entry.
	NACLDefaultRule6 = 32768
)

// Limits are the quotas checked at compile time (SPEC.md §1.4, §3.4). The
// zero value of a field means AWS's default for it.
type Limits struct {
	SGRulesPerDirection     int // per group, per direction, per address family; AWS default 60
	GroupsPerInterface      int // AWS default 5, at most 16
	NACLEntriesPerDirection int // per direction, per family, "*" included; AWS default 20, at most 40
}

// DefaultLimits returns AWS's default quotas.
func DefaultLimits() Limits { return Limits{60, 5, 20} }

// withDefaults returns l with its zero fields set to AWS's defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.SGRulesPerDirection == 0 {
		l.SGRulesPerDirection = d.SGRulesPerDirection
	}
	if l.GroupsPerInterface == 0 {
		l.GroupsPerInterface = d.GroupsPerInterface
	}
	if l.NACLEntriesPerDirection == 0 {
		l.NACLEntriesPerDirection = d.NACLEntriesPerDirection
	}
	return l
}

// Validate checks l against the bounds AWS allows: GroupsPerInterface at
// most 16, SGRulesPerDirection × GroupsPerInterface at most 1000,
// NACLEntriesPerDirection at most 40, none negative (SPEC.md §1.4, §3.4).
// Zero fields stand for the defaults and are valid.
func (l Limits) Validate() error {
	l = l.withDefaults()
	var errs errList
	bad := func(field, format string, args ...any) {
		errs.add(&Error{Object: "limits", Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if l.SGRulesPerDirection < 0 {
		bad("sg_rules_per_direction", "sg_rules_per_direction %d is negative; it must be at least 1", l.SGRulesPerDirection)
	}
	switch {
	case l.GroupsPerInterface < 0:
		bad("groups_per_interface", "groups_per_interface %d is negative; it must be 1–%d", l.GroupsPerInterface, maxGroupsPerInterface)
	case l.GroupsPerInterface > maxGroupsPerInterface:
		bad("groups_per_interface", "groups_per_interface %d is above AWS's maximum of %d", l.GroupsPerInterface, maxGroupsPerInterface)
	}
	if l.SGRulesPerDirection > 0 && l.GroupsPerInterface > 0 && l.GroupsPerInterface <= maxGroupsPerInterface &&
		l.SGRulesPerDirection*l.GroupsPerInterface > maxRulesTimesGroups {
		bad("sg_rules_per_direction", "sg_rules_per_direction %d × groups_per_interface %d = %d is above AWS's maximum of %d",
			l.SGRulesPerDirection, l.GroupsPerInterface, l.SGRulesPerDirection*l.GroupsPerInterface, maxRulesTimesGroups)
	}
	switch {
	case l.NACLEntriesPerDirection < 0:
		bad("nacl_entries_per_direction", "nacl_entries_per_direction %d is negative; it must be 1–%d", l.NACLEntriesPerDirection, maxNACLEntriesPerDirection)
	case l.NACLEntriesPerDirection > maxNACLEntriesPerDirection:
		bad("nacl_entries_per_direction", "nacl_entries_per_direction %d is above AWS's maximum of %d", l.NACLEntriesPerDirection, maxNACLEntriesPerDirection)
	}
	return errs.err()
}

var (
	all4 = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	all6 = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
)

// DefaultNACL returns a VPC's default network ACL: rule 100 allows all IPv4
// traffic in both directions and, if ipv6, rule 101 all IPv6 traffic
// (SPEC.md §3.3). The "*" deny entries are implicit.
func DefaultNACL(id, vpc string, ipv6 bool) NetworkACL {
	n := NetworkACL{ID: id, VPC: vpc, IsDefault: true, Name: "default"}
	for _, egress := range []bool{false, true} {
		n.Entries = append(n.Entries, NACLEntry{Number: 100, Egress: egress, Protocol: ProtoAll, CIDR: all4, Action: Allow})
		if ipv6 {
			n.Entries = append(n.Entries, NACLEntry{Number: 101, Egress: egress, Protocol: ProtoAll, CIDR: all6, Action: Allow})
		}
	}
	return n
}

// CustomNACL returns a newly created network ACL: no entries, so the "*"
// rules deny all traffic both ways until rules are added (SPEC.md §3.1).
func CustomNACL(id, vpc string) NetworkACL {
	return NetworkACL{ID: id, VPC: vpc}
}

// DefaultSecurityGroup returns a VPC's default security group: inbound all
// traffic from members of the group itself, outbound all traffic to
// 0.0.0.0/0 and, if ipv6, to ::/0 (SPEC.md §1.3).
func DefaultSecurityGroup(id, vpc string, ipv6 bool) SecurityGroup {
	g := SecurityGroup{
		ID: id, Name: "default", VPC: vpc, IsDefault: true,
		Description: "default VPC security group",
		Ingress:     []SGRule{{Protocol: ProtoAll, Group: id}},
		Egress:      []SGRule{{Protocol: ProtoAll, CIDR: all4}},
	}
	if ipv6 {
		g.Egress = append(g.Egress, SGRule{Protocol: ProtoAll, CIDR: all6})
	}
	return g
}

// NewSecurityGroup returns a newly created (custom) security group as AWS
// creates it: no inbound rules and the one rule allowing all outbound IPv4
// traffic (SPEC.md §1.3).
func NewSecurityGroup(id, vpc, name string) SecurityGroup {
	return SecurityGroup{
		ID: id, Name: name, VPC: vpc,
		Egress: []SGRule{{Protocol: ProtoAll, CIDR: all4}},
	}
}
