package firewall

// STUB FILE — written by the lead to fix the API; the firewall implementer
// replaces every body below and deletes this comment (and may move the code
// into sg.go, nacl.go, compile.go).

import (
	"net/netip"

	"github.com/ctsim/ctsim/sim/packet"
)

// Limits are the quotas checked at compile time (SPEC.md §1.4, §3.4).
type Limits struct {
	SGRulesPerDirection     int // per group, per direction, per address family; AWS default 60
	GroupsPerInterface      int // AWS default 5, at most 16
	NACLEntriesPerDirection int // per direction, per family, "*" included; AWS default 20, at most 40
}

// DefaultLimits returns AWS's default quotas.
func DefaultLimits() Limits { return Limits{60, 5, 20} }

// Compile validates inv and compiles every security group and network ACL in
// it, resolving group references (to member interfaces' private addresses)
// and prefix lists.
func Compile(inv *Inventory, lim Limits) (*RuleSet, error) { panic("unimplemented") }

// RuleSet is a compiled, immutable Inventory.
type RuleSet struct{ gen uint16 }

// InterfaceSG returns the union of the security groups on interface id, or
// nil for an interface outside the VPC (or unknown).
func (rs *RuleSet) InterfaceSG(id string) *SG { panic("unimplemented") }

// SubnetNACL returns the network ACL associated with subnet id.
func (rs *RuleSet) SubnetNACL(subnetID string) *NACL { panic("unimplemented") }

// Generation returns the rule-set generation given at compile time.
func (rs *RuleSet) Generation() uint16 { return rs.gen }

// SG is the compiled union of the security groups on one interface.
type SG struct{}

// Eval evaluates p against the ingress (peer = p.Src) or egress (peer =
// p.Dst) rules. It does not allocate.
func (s *SG) Eval(p *packet.Packet, dir Direction) Verdict { panic("unimplemented") }

// Untracked reports whether p, allowed in direction dir, belongs to an
// untracked flow (SPEC.md §2.2). It does not allocate.
func (s *SG) Untracked(p *packet.Packet, dir Direction) bool { panic("unimplemented") }

// NACL is a compiled network ACL.
type NACL struct{}

// Eval evaluates p against the inbound (dir Ingress, matched on p.Src) or
// outbound (Egress, matched on p.Dst) entries. It does not allocate.
func (n *NACL) Eval(p *packet.Packet, dir Direction) Verdict { panic("unimplemented") }

// NACL returns the compiled network ACL id, or nil.
func (rs *RuleSet) NACL(id string) *NACL { panic("unimplemented") }

// Group returns security group id compiled on its own, or nil.
func (rs *RuleSet) Group(id string) *SG { panic("unimplemented") }

// EntryInfo describes one compiled network ACL entry in evaluation order,
// for reports and hints. Default marks the "*" entry.
type EntryInfo struct {
	Entry   NACLEntry
	Default bool
	Text    string
}

// ID returns the network ACL's ID.
func (n *NACL) ID() string { panic("unimplemented") }

// Entries returns the entries of one direction (inbound = Ingress) for both
// families in evaluation order, "*" entries included. It may allocate.
func (n *NACL) Entries(dir Direction) []EntryInfo { panic("unimplemented") }

// SGRuleInfo describes one compiled security group rule, for reports.
type SGRuleInfo struct {
	Group string
	Rule  SGRule
	// Peers are the resolved peer prefixes (a group reference's member
	// addresses as /32 or /128, a prefix list's CIDRs, or the CIDR).
	Peers []netip.Prefix
	Text  string
}

// Groups returns the IDs of the groups in s, in attachment order.
func (s *SG) Groups() []string { panic("unimplemented") }

// Rules returns the rules of one direction in evaluation order. It may
// allocate.
func (s *SG) Rules(dir Direction) []SGRuleInfo { panic("unimplemented") }
