package firewall

import (
	"net/netip"
	"slices"

	"github.com/ctsim/ctsim/sim/packet"
)

// naclEntry is one compiled network ACL entry: matcher, canonical CIDR and
// the verdict it gives, 48 bytes without pointers but the verdict's.
type naclEntry struct {
	m    matcher
	cidr netip.Prefix
	v    *Verdict
}

// NACL is a compiled network ACL (SPEC.md §3): per direction and address
// family, the numbered entries sorted by rule number and ending in the
// implicit "*" deny entry (32767 for IPv4, 32768 for IPv6), further split by
// protocol class with the order kept. The first entry that matches decides
// and no later entry is looked at; because every list ends in "*", Eval
// always decides. IPv4 entries never match IPv6 packets and vice versa.
//
// A NACL is immutable and safe for concurrent use. The zero NACL is not
// usable: get one from RuleSet.NACL or RuleSet.SubnetNACL.
type NACL struct {
	id      string
	entries [2][numFamilies][numClasses][]naclEntry
	infos   [2][]EntryInfo
}

// EntryInfo describes one compiled network ACL entry in evaluation order,
// for reports and hints. Default marks the "*" entry.
type EntryInfo struct {
	Entry   NACLEntry
	Default bool
	Text    string
}

// Eval evaluates p against the inbound (dir Ingress, CIDR matched on p.Src)
// or outbound (Egress, matched on p.Dst) entries of p's address family, in
// rule-number order; the first match wins (SPEC.md §3.1). The verdict is
// Allow/ReasonNACLAllow or Deny/ReasonNACLDeny with the numbered entry, or
// Deny/ReasonNACLDefaultDeny with the "*" entry (RuleNACLDefault, number
// 32767 or 32768). Ports are matched against p.DstPort in both directions
// (SPEC.md §3.1 INFERENCE).
//
// It does not allocate.
func (n *NACL) Eval(p *packet.Packet, dir Direction) Verdict {
	if dir > Egress {
		dir = Egress
	}
	addr := peerOf(p, dir)
	list := n.entries[dir][familyOf(addr)][classOf(p.Proto)]
	for i := range list {
		e := &list[i]
		if e.m.matches(p) && e.cidr.Contains(addr) {
			return *e.v
		}
	}
	// Unreachable for a compiled NACL: every list ends in a "*" entry
	// matching all addresses of its family.
	return Verdict{Action: Deny, Reason: ReasonNACLDefaultDeny}
}

// ID returns the network ACL's ID.
func (n *NACL) ID() string { return n.id }

// Entries returns the entries of one direction (inbound = Ingress) for both
// families in evaluation order — rule number, then the "*" entries 32767
// (IPv4) and 32768 (IPv6). The slice is shared: do not modify it.
func (n *NACL) Entries(dir Direction) []EntryInfo {
	if dir > Egress {
		dir = Egress
	}
	return n.infos[dir]
}

// compileNACL compiles a validated network ACL: entries canonicalised,
// explicit "*" entries (32767/32768) dropped in favour of the implicit ones.
func compileNACL(a *NetworkACL) *NACL {
	n := &NACL{id: a.ID}
	var byDir [2][]NACLEntry
	for _, e := range a.Entries {
		if e.Number > MaxNACLRuleNumber {
			continue // an explicit "*" entry, validated as such
		}
		e.CIDR = e.CIDR.Masked()
		d := Ingress
		if e.Egress {
			d = Egress
		}
		byDir[d] = append(byDir[d], e)
	}
	for dir := Ingress; dir <= Egress; dir++ {
		es := byDir[dir]
		slices.SortStableFunc(es, func(a, b NACLEntry) int { return int(a.Number) - int(b.Number) })
		es = append(es, defaultEntry(dir == Egress, fam4), defaultEntry(dir == Egress, fam6))
		for i := range es {
			e := &es[i]
			text := e.String()
			def := e.Number > MaxNACLRuleNumber
			n.infos[dir] = append(n.infos[dir], EntryInfo{Entry: *e, Default: def, Text: text})
			v := &Verdict{Action: e.Action, Reason: ReasonNACLAllow, Rule: RuleRef{
				Kind: RuleNACL, Filter: a.ID, Number: e.Number, Egress: e.Egress, Text: text}}
			switch {
			case def:
				v.Reason, v.Rule.Kind = ReasonNACLDefaultDeny, RuleNACLDefault
			case e.Action == Deny:
				v.Reason = ReasonNACLDeny
			}
			ce := naclEntry{m: naclMatcher(e), cidr: e.CIDR, v: v}
			f := prefixFamily(e.CIDR)
			classesOf(e.Protocol, func(c protoClass) {
				n.entries[dir][f][c] = append(n.entries[dir][f][c], ce)
			})
		}
	}
	return n
}
