package firewall

import (
	"net/netip"
	"strings"

	"github.com/ctsim/ctsim/sim/packet"
)

// sgRule is one compiled security group rule for one address family: the
// protocol/port matcher, the resolved peer prefixes of that family, and the
// verdict it gives. A group reference or prefix list with members in both
// families compiles to one sgRule per family.
type sgRule struct {
	m matcher
	// allCIDR marks a rule whose peer is the literal CIDR 0.0.0.0/0 or ::/0
	// (not a prefix list or group reference that happens to cover
	// everything): only those make a flow untracked (SPEC.md §2.2).
	allCIDR bool
	peers   []netip.Prefix
	v       *Verdict
}

// compiledGroup is one security group compiled on its own: its rules per
// direction in rule order, both families mixed, and their report view.
type compiledGroup struct {
	id    string
	rules [2][]famRule
	infos [2][]SGRuleInfo
}

type famRule struct {
	f family
	r sgRule
}

// SG is the compiled union of the security groups on one interface (or one
// group on its own): allow-only rules, split by direction, address family
// and protocol class, in a deterministic order — group order on the
// interface, then rule order within a group (SPEC.md §1.2).
//
// An SG is immutable and safe for concurrent use. The zero SG has no rules
// and denies everything.
type SG struct {
	groups []string
	rules  [2][numFamilies][numClasses][]sgRule
	// open[dir][fam][0|1] reports whether dir has a rule allowing all TCP
	// (0) or all UDP (1) on all ports to the literal all-CIDR of fam: the
	// "corresponding rule in the other direction" of SPEC.md §2.2.
	open  [2][numFamilies][2]bool
	deny  [2]Verdict
	infos [2][]SGRuleInfo
	gen   uint16
}

// newSG builds the union of groups, in the order given.
func newSG(groups []*compiledGroup, gen uint16) *SG {
	s := &SG{gen: gen}
	for _, g := range groups {
		s.groups = append(s.groups, g.id)
	}
	filter := strings.Join(s.groups, ",")
	for dir := Ingress; dir <= Egress; dir++ {
		s.deny[dir] = Verdict{Action: Deny, Reason: ReasonSGNoRule,
			Rule: RuleRef{Kind: RuleNone, Filter: filter, Egress: dir == Egress, Text: noRuleText}}
		for _, g := range groups {
			s.infos[dir] = append(s.infos[dir], g.infos[dir]...)
			for _, fr := range g.rules[dir] {
				classesOf(Protocol(fr.r.m.proto), func(c protoClass) {
					s.rules[dir][fr.f][c] = append(s.rules[dir][fr.f][c], fr.r)
				})
				if fr.r.allCIDR {
					if fr.r.m.allPorts(packet.ProtoTCP) {
						s.open[dir][fr.f][0] = true
					}
					if fr.r.m.allPorts(packet.ProtoUDP) {
						s.open[dir][fr.f][1] = true
					}
				}
			}
		}
	}
	return s
}

// peerOf returns the address a rule of direction dir is matched against:
// the source for ingress, the destination for egress, unmapped.
func peerOf(p *packet.Packet, dir Direction) netip.Addr {
	if dir == Egress {
		return p.Dst.Unmap()
	}
	return p.Src.Unmap()
}

// Eval evaluates p against the ingress (peer = p.Src) or egress (peer =
// p.Dst) rules of every group in s. Security groups are allow-only and
// "most permissive" (SPEC.md §1.2): if any rule allows p the verdict is
// Allow with ReasonSGRule and the first allowing rule in group-then-rule
// order; otherwise Deny with ReasonSGNoRule and a RuleRef of kind RuleNone
// whose Filter lists the groups ("sg-a,sg-b") and whose Text is "no rule
// matched: default deny". Ports are matched against p.DstPort in both
// directions (SPEC.md §3.1 INFERENCE); for ICMP the rule's FromPort/ToPort
// are the type and code.
//
// Eval neither knows nor decides tracking: the caller asks Untracked, and
// whether the flow is automatically tracked, to tell ReasonSGRule from
// ReasonSGRuleUntracked. It does not allocate.
func (s *SG) Eval(p *packet.Packet, dir Direction) Verdict {
	if dir > Egress {
		dir = Egress
	}
	peer := peerOf(p, dir)
	rules := s.rules[dir][familyOf(peer)][classOf(p.Proto)]
	for i := range rules {
		r := &rules[i]
		if !r.m.matches(p) {
			continue
		}
		for _, pf := range r.peers {
			if pf.Contains(peer) {
				return *r.v
			}
		}
	}
	if s.deny[dir].Action == Deny {
		return s.deny[dir]
	}
	return Verdict{Action: Deny, Reason: ReasonSGNoRule, Rule: RuleRef{Egress: dir == Egress, Text: noRuleText}}
}

// Untracked reports whether p, allowed in direction dir, belongs to an
// untracked flow (SPEC.md §2.2): p is TCP or UDP; a rule in dir with the
// literal CIDR 0.0.0.0/0 (IPv4) or ::/0 (IPv6) of p's family allows it; and
// a rule in the other direction allows p's protocol (or -1) on all ports
// 0–65535 with the literal all-CIDR of the same family. Prefix lists and
// group references never qualify, even if they cover everything (SPEC.md
// §2.2's recommendation). The rules of all the interface's groups count as
// one set (the union, SPEC.md §1.2).
//
// Automatically tracked services (SPEC.md §2.3) are the caller's business.
// It does not allocate.
func (s *SG) Untracked(p *packet.Packet, dir Direction) bool {
	var pi int
	switch p.Proto {
	case packet.ProtoTCP:
		pi = 0
	case packet.ProtoUDP:
		pi = 1
	default:
		return false
	}
	if dir > Egress {
		dir = Egress
	}
	f := familyOf(peerOf(p, dir))
	if !s.open[1-dir][f][pi] {
		return false
	}
	rules := s.rules[dir][f][classOf(p.Proto)]
	for i := range rules {
		if rules[i].allCIDR && rules[i].m.matches(p) {
			return true
		}
	}
	return false
}

// Groups returns the IDs of the groups in s, in attachment order. The slice
// is shared: do not modify it.
func (s *SG) Groups() []string { return s.groups }

// Generation returns the generation of the rule set s was compiled in, for
// conntrack entries to remember which rules let them in (STYLE.md lesson
// 10).
func (s *SG) Generation() uint16 { return s.gen }

// Rules returns the rules of one direction, both families, in evaluation
// order (group order, then rule order). The slice is shared: do not modify
// it.
func (s *SG) Rules(dir Direction) []SGRuleInfo {
	if dir > Egress {
		dir = Egress
	}
	return s.infos[dir]
}

// SGRuleInfo describes one compiled security group rule, for reports.
type SGRuleInfo struct {
	Group string
	// Rule is the rule as given, with its ID generated if it had none and
	// its CIDR canonicalised.
	Rule SGRule
	// Peers are the resolved peer prefixes (a group reference's member
	// addresses as /32 or /128, a prefix list's CIDRs, or the CIDR).
	Peers []netip.Prefix
	Text  string
}

// compileGroup compiles one validated group. members maps a group ID to its
// member interfaces' private addresses; lists maps a prefix list ID to its
// CIDRs.
func compileGroup(g *SecurityGroup, members map[string][]netip.Prefix, lists map[string][]netip.Prefix) *compiledGroup {
	cg := &compiledGroup{id: g.ID}
	for dir := Ingress; dir <= Egress; dir++ {
		src := g.Ingress
		if dir == Egress {
			src = g.Egress
		}
		for i := range src {
			r := src[i]
			if r.ID == "" {
				r.ID = generatedRuleID(g.ID, dir, i)
			}
			var peers []netip.Prefix
			switch {
			case r.Group != "":
				peers = members[r.Group]
			case r.PrefixList != "":
				peers = lists[r.PrefixList]
			default:
				r.CIDR = r.CIDR.Masked()
				peers = []netip.Prefix{r.CIDR}
			}
			text := sgText(g.ID, dir, &r, resolvedText(&r, peers))
			cg.infos[dir] = append(cg.infos[dir], SGRuleInfo{Group: g.ID, Rule: r, Peers: peers, Text: text})
			v := &Verdict{Action: Allow, Reason: ReasonSGRule, Rule: RuleRef{
				Kind: RuleSG, Filter: g.ID, ID: r.ID, Egress: dir == Egress, Text: text}}
			m := sgMatcher(&r)
			isAll := r.Group == "" && r.PrefixList == "" && r.CIDR.Bits() == 0
			for f := fam4; f < numFamilies; f++ {
				var fp []netip.Prefix
				for _, p := range peers {
					if prefixFamily(p) == f {
						fp = append(fp, p)
					}
				}
				if len(fp) == 0 {
					continue
				}
				cg.rules[dir] = append(cg.rules[dir], famRule{f: f, r: sgRule{m: m, allCIDR: isAll, peers: fp, v: v}})
			}
		}
	}
	return cg
}

// generatedRuleID is the deterministic ID of a rule given without one:
// "<group-id>-in-<n>" or "<group-id>-out-<n>", n counting from 1.
func generatedRuleID(group string, dir Direction, i int) string {
	if dir == Egress {
		return group + "-out-" + itoa(i+1)
	}
	return group + "-in-" + itoa(i+1)
}
