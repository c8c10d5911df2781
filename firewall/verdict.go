package firewall

// Verdict is what one filter decided about one packet: the action, why, and
// the rule that decided. It is a small value returned by value; building it
// does not allocate (RuleRef's strings are computed when the rules are
// compiled).
type Verdict struct {
	Action Action
	Reason Reason
	Rule   RuleRef
}

// Allowed reports whether v lets the packet pass.
func (v Verdict) Allowed() bool { return v.Action == Allow }

// Decided reports whether v is a decision (allow or deny) rather than the
// "not decided yet" zero value.
func (v Verdict) Decided() bool { return v.Action != noVerdict }

// RuleKind says what a RuleRef points at.
type RuleKind uint8

// Kinds of rule reference.
const (
	RuleNone        RuleKind = iota // nothing decided by a rule (conntrack, not filtered, …)
	RuleSG                          // a security group rule
	RuleNACL                        // a numbered network ACL entry
	RuleNACLDefault                 // the "*" default deny entry of a network ACL
)

// RuleRef names the rule that decided: a security group rule (group ID, rule
// ID, direction) or a network ACL entry (ACL ID, rule number, direction,
// including "*" as 32767/32768). Text is the rule in words, as the report
// quotes it ("100 allow tcp 1024-65535 from 0.0.0.0/0"). The zero RuleRef
// means "no rule".
type RuleRef struct {
	Kind   RuleKind
	Filter string // sg-… or acl-… ID
	ID     string // security group rule ID, or ""
	Number int32  // network ACL rule number; 32767/32768 for "*"
	Egress bool
	Text   string
}

// IsZero reports whether r names no rule.
func (r RuleRef) IsZero() bool { return r.Kind == RuleNone && r.Filter == "" }

// Reason is why a filter step allowed or dropped a packet. String gives a
// stable snake_case token for JSON, CSV and JUnit; Hint a sentence in plain
// words. Reasons cover every step of the path — rules, connection tracking,
// the addresses AWS does not filter — so that one enum explains a whole
// trace.
type Reason uint8

// Reasons. Their String tokens are part of the JSON output: append, never
// renumber or rename.
const (
	ReasonNone Reason = iota
	// ReasonSGRule: a security group rule allows the packet; the flow is
	// tracked (SPEC.md §2.1).
	ReasonSGRule
	// ReasonSGRuleUntracked: a security group rule allows the packet and the
	// flow is untracked: all-open rules both ways, so replies are judged by
	// the rules too (SPEC.md §2.2).
	ReasonSGRuleUntracked
	// ReasonSGNoRule: no rule of any group on the ENI allows the packet
	// (security groups are allow-only, SPEC.md §1.2).
	ReasonSGNoRule
	// ReasonTracked: a tracked connection entry lets the packet through,
	// whatever the rules say now (CT1, CT4).
	ReasonTracked
	// ReasonTrackingExpired: no rule allows the packet and the connection
	// entry that would have let it through has expired.
	ReasonTrackingExpired
	// ReasonAllowanceExceeded: the packet needs a new tracked entry and the
	// ENI's conntrack allowance is used up (SPEC.md §2.6).
	ReasonAllowanceExceeded
	// ReasonICMPErrorNotRelated: an ICMP error quoting a tracked flow that
	// no rule allows; AWS does not treat ICMP errors as related (SPEC.md §2.7).
	ReasonICMPErrorNotRelated
	// ReasonICMPErrorRelated: an ICMP error admitted as related to a tracked
	// flow (linux profile only, SPEC.md §5.4).
	ReasonICMPErrorRelated
	// ReasonNACLAllow: a numbered network ACL rule allows the packet.
	ReasonNACLAllow
	// ReasonNACLDeny: a numbered network ACL rule denies the packet.
	ReasonNACLDeny
	// ReasonNACLDefaultDeny: no numbered rule matches; the "*" rule denies.
	ReasonNACLDefaultDeny
	// ReasonSameSubnet: network ACLs are not evaluated within a subnet
	// (SPEC.md §3.1).
	ReasonSameSubnet
	// ReasonNotFiltered: AWS does not filter traffic to this address
	// (Route 53 Resolver, IMDS, Time Sync; SPEC.md §1.5).
	ReasonNotFiltered
	// ReasonNoFilter: the endpoint is outside the VPC and has no filter of
	// its own.
	ReasonNoFilter
	// ReasonFragment: a later IP fragment follows its first fragment's
	// verdict.
	ReasonFragment
	// ReasonFragmentOrphan: a later fragment whose first fragment was never
	// seen; it cannot be matched on ports and is dropped.
	ReasonFragmentOrphan
	// ReasonNeverSent: in a replay, a packet that would not have existed
	// had the rules applied (for example data after a dropped SYN).
	ReasonNeverSent
	// ReasonGatewayUnsolicited: a NAT gateway or egress-only internet
	// gateway drops an inbound packet of a connection started outside the
	// VPC (SPEC.md §6).
	ReasonGatewayUnsolicited
	numReasons
)

var reasonTokens = [numReasons]string{
	ReasonNone:                "none",
	ReasonSGRule:              "sg_rule",
	ReasonSGRuleUntracked:     "sg_rule_untracked",
	ReasonSGNoRule:            "sg_no_matching_rule",
	ReasonTracked:             "conntrack_tracked",
	ReasonTrackingExpired:     "conntrack_entry_expired",
	ReasonAllowanceExceeded:   "conntrack_allowance_exceeded",
	ReasonICMPErrorNotRelated: "icmp_error_not_related",
	ReasonICMPErrorRelated:    "icmp_error_related",
	ReasonNACLAllow:           "nacl_allow",
	ReasonNACLDeny:            "nacl_deny",
	ReasonNACLDefaultDeny:     "nacl_default_deny",
	ReasonSameSubnet:          "nacl_same_subnet",
	ReasonNotFiltered:         "not_filtered",
	ReasonNoFilter:            "no_filter",
	ReasonFragment:            "fragment_follows_first",
	ReasonFragmentOrphan:      "fragment_orphan",
	ReasonNeverSent:           "never_sent",
	ReasonGatewayUnsolicited:  "gateway_unsolicited",
}

var reasonHints = [numReasons]string{
	ReasonNone:                "no decision",
	ReasonSGRule:              "a security group rule allows it; the connection is tracked, so its replies pass whatever the rules in the other direction say",
	ReasonSGRuleUntracked:     "a security group rule allows it; the flow is untracked (all-open rules both ways), so every packet, replies included, is judged by the rules",
	ReasonSGNoRule:            "no rule in any security group on the interface allows it (security groups have no deny rules: what is not allowed is dropped)",
	ReasonTracked:             "a tracked connection lets it through: security groups are stateful, and a tracked connection survives rule changes until it times out",
	ReasonTrackingExpired:     "the connection's tracking entry had expired, and no rule allows the packet on its own",
	ReasonAllowanceExceeded:   "the interface's connection tracking allowance is used up, so no new connection can be tracked",
	ReasonICMPErrorNotRelated: "AWS security groups do not treat ICMP errors as part of the connection they quote; without an inbound ICMP rule they are dropped (this breaks path MTU discovery)",
	ReasonICMPErrorRelated:    "the ICMP error quotes a tracked connection and is admitted as related (linux profile)",
	ReasonNACLAllow:           "a network ACL rule allows it",
	ReasonNACLDeny:            "a network ACL rule denies it; network ACLs are stateless and the lowest-numbered matching rule wins",
	ReasonNACLDefaultDeny:     "no network ACL rule matches, so the default \"*\" rule denies it; network ACLs are stateless, so replies need their own rule",
	ReasonSameSubnet:          "network ACLs are not evaluated for traffic within a subnet",
	ReasonNotFiltered:         "AWS does not filter traffic to this service address (Route 53 Resolver, instance metadata, Time Sync)",
	ReasonNoFilter:            "the host is outside the VPC and has no filter of its own",
	ReasonFragment:            "a later IP fragment follows the verdict of its first fragment",
	ReasonFragmentOrphan:      "a later IP fragment whose first fragment was never seen cannot be matched on ports",
	ReasonNeverSent:           "this packet would never have been sent: an earlier packet of its flow was dropped",
	ReasonGatewayUnsolicited:  "a NAT gateway / egress-only internet gateway only lets in replies to connections started from inside the VPC",
}

// String returns r's stable snake_case token.
func (r Reason) String() string {
	if r < numReasons {
		return reasonTokens[r]
	}
	return "reason_" + itoa(int(r))
}

// Hint returns a sentence in plain words explaining r.
func (r Reason) Hint() string {
	if r < numReasons {
		return reasonHints[r]
	}
	return r.String()
}

// ParseReason returns the Reason whose String is s.
func ParseReason(s string) (Reason, bool) {
	for i, t := range reasonTokens {
		if t == s {
			return Reason(i), true
		}
	}
	return ReasonNone, false
}

// Direction is the direction a rule list applies to, seen from the filtered
// object: Ingress (security group inbound, NACL inbound: traffic entering
// the ENI or subnet) or Egress.
type Direction uint8

// Directions.
const (
	Ingress Direction = iota
	Egress
)

// String returns "ingress" or "egress".
func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}
