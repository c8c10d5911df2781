package firewall

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// This file holds the one-line constructors the table tests are written in
// (STYLE.md lesson 14) and the naive reference evaluator that the fuzz test
// compares with the compiled path (STYLE.md lesson 15).

// pkt parses a tcpdump-like line into a packet:
//
//	"tcp 10.0.1.5:49152 > 10.0.2.7:443 S"
//	"udp [2001:db8::1]:5353 > [2001:db8::2]:53"
//	"icmp 10.0.1.5 > 8.8.8.8 8/0"     (type/code)
//	"gre 10.0.1.5 > 192.0.2.50"        (or a protocol number: "132 … > …:9999")
func pkt(s string) *packet.Packet {
	f := strings.Fields(s)
	if len(f) < 4 || f[2] != ">" {
		panic("pkt: bad line " + s)
	}
	p := &packet.Packet{Proto: protoByName(f[0])}
	if strings.Contains(f[1], "]:") || (strings.Count(f[1], ":") == 1 && strings.Contains(f[1], ".")) {
		src, dst := netip.MustParseAddrPort(f[1]), netip.MustParseAddrPort(f[3])
		p.Src, p.SrcPort, p.Dst, p.DstPort = src.Addr(), src.Port(), dst.Addr(), dst.Port()
	} else {
		p.Src, p.Dst = netip.MustParseAddr(f[1]), netip.MustParseAddr(f[3])
	}
	if len(f) > 4 {
		if p.IsICMP() {
			t, c, _ := strings.Cut(f[4], "/")
			p.ICMPType, p.ICMPCode = uint8(mustAtoi(t)), uint8(mustAtoi(c))
		} else {
			for _, r := range f[4] {
				p.Flags |= map[rune]packet.TCPFlags{'S': packet.SYN, 'F': packet.FIN, 'R': packet.RST, 'P': packet.PSH, '.': packet.ACK}[r]
			}
		}
	}
	return p
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func protoByName(s string) uint8 {
	switch s {
	case "tcp":
		return packet.ProtoTCP
	case "udp":
		return packet.ProtoUDP
	case "icmp":
		return packet.ProtoICMP
	case "icmpv6":
		return packet.ProtoICMPv6
	case "gre":
		return packet.ProtoGRE
	case "sctp":
		return packet.ProtoSCTP
	}
	return uint8(mustAtoi(s))
}

func ruleProto(s string) Protocol {
	if s == "all" || s == "-1" {
		return ProtoAll
	}
	return Protocol(protoByName(s))
}

// rangeOf parses "80", "1024-65535", "-1" or "3/4" (type/code) into two
// numbers.
func rangeOf(s string) (int32, int32) {
	if a, b, ok := strings.Cut(s, "/"); ok {
		return int32(mustAtoi(a)), int32(mustAtoi(b))
	}
	if a, b, ok := strings.Cut(s[1:], "-"); ok {
		return int32(mustAtoi(s[:1] + a)), int32(mustAtoi(b))
	}
	n := int32(mustAtoi(s))
	return n, n
}

// rules parses NACL entries, one per string: "[out] 100 allow tcp
// 0.0.0.0/0 1024-65535", "90 deny icmp 0.0.0.0/0 3/4", "100 allow all
// ::/0". Entries are inbound unless prefixed with "out".
func rules(lines ...string) []NACLEntry {
	var es []NACLEntry
	for _, l := range lines {
		f := strings.Fields(l)
		var e NACLEntry
		if f[0] == "out" {
			e.Egress, f = true, f[1:]
		}
		e.Number = int32(mustAtoi(f[0]))
		e.Action = map[string]Action{"allow": Allow, "deny": Deny}[f[1]]
		e.Protocol = ruleProto(f[2])
		e.CIDR = netip.MustParsePrefix(f[3])
		e.ICMPType, e.ICMPCode = -1, -1
		if len(f) > 4 {
			if e.Protocol == 1 || e.Protocol == 58 {
				e.ICMPType, e.ICMPCode = rangeOf(f[4])
			} else {
				e.FromPort, e.ToPort = rangeOf(f[4])
			}
		}
		es = append(es, e)
	}
	return es
}

// sgr parses one SG rule: "tcp 22 203.0.113.1/32", "all sg-web", "icmp 3/4
// 0.0.0.0/0", "132 5000 0.0.0.0/0", "udp 53 pl-dns", optionally followed by
// an ID.
func sgr(s string) SGRule {
	f := strings.Fields(s)
	r := SGRule{Protocol: ruleProto(f[0]), FromPort: -1, ToPort: -1}
	f = f[1:]
	if r.Protocol != ProtoAll && !isPeer(f[0]) {
		r.FromPort, r.ToPort = rangeOf(f[0])
		f = f[1:]
	}
	switch peer := f[0]; {
	case strings.HasPrefix(peer, "sg-"):
		r.Group = peer
	case strings.HasPrefix(peer, "pl-"):
		r.PrefixList = peer
	default:
		r.CIDR = netip.MustParsePrefix(peer)
	}
	if len(f) > 1 {
		r.ID = f[1]
	}
	return r
}

func isPeer(s string) bool {
	return strings.HasPrefix(s, "sg-") || strings.HasPrefix(s, "pl-") || strings.Contains(s, "/") && !strings.Contains(s, "-") && strings.ContainsAny(s, ".:")
}

func sgrs(lines ...string) []SGRule {
	rs := make([]SGRule, len(lines))
	for i, l := range lines {
		rs[i] = sgr(l)
	}
	return rs
}

func addrs(ss ...string) []netip.Addr {
	as := make([]netip.Addr, len(ss))
	for i, s := range ss {
		as[i] = netip.MustParseAddr(s)
	}
	return as
}

// mustCompile compiles inv with default limits or fails the test.
func mustCompile(t testing.TB, inv *Inventory) *RuleSet {
	t.Helper()
	rs, err := Compile(inv, Limits{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return rs
}

// oneNACL compiles a network ACL made of entries.
func oneNACL(t testing.TB, entries []NACLEntry) *NACL {
	t.Helper()
	rs := mustCompile(t, &Inventory{NetworkACLs: []NetworkACL{{ID: "acl-1", Entries: entries}}})
	return rs.NACL("acl-1")
}

// verdictText summarises v for table tests: "allow sg-web-in-1",
// "deny none", "allow 100", "deny *32767".
func verdictText(v Verdict) string {
	switch v.Rule.Kind {
	case RuleSG:
		return v.Action.String() + " " + v.Rule.ID
	case RuleNACL:
		return v.Action.String() + " " + itoa(int(v.Rule.Number))
	case RuleNACLDefault:
		return v.Action.String() + " *" + itoa(int(v.Rule.Number))
	}
	return v.Action.String() + " none"
}

// --- naive reference evaluator: a linear scan over the uncompiled Inventory.

// naiveMembers reports whether a is a private address of an interface in the
// VPC that carries group g (interfaces without groups: the VPC default).
func naiveMember(inv *Inventory, g string, a netip.Addr) bool {
	for _, f := range inv.Interfaces {
		if f.Subnet == "" || !slices.Contains(f.Groups, g) {
			continue
		}
		for _, x := range f.Addrs {
			if x.Unmap() == a {
				return true
			}
		}
	}
	return false
}

func naivePeer(inv *Inventory, r *SGRule, a netip.Addr) bool {
	switch {
	case r.Group != "":
		return naiveMember(inv, r.Group, a)
	case r.PrefixList != "":
		for _, pl := range inv.PrefixLists {
			if pl.ID == r.PrefixList {
				for _, c := range pl.CIDRs {
					if c.Masked().Contains(a) {
						return true
					}
				}
			}
		}
		return false
	}
	return r.CIDR.Masked().Contains(a)
}

// naiveProto applies SPEC.md §1.1 to an SG rule.
func naiveSGProto(r *SGRule, p *packet.Packet) bool {
	if r.Protocol == ProtoAll {
		return true
	}
	if int(r.Protocol) != int(p.Proto) {
		return false
	}
	switch p.Proto {
	case 6, 17:
		return int32(p.DstPort) >= r.FromPort && int32(p.DstPort) <= r.ToPort
	case 1, 58:
		return (r.FromPort == -1 || r.FromPort == int32(p.ICMPType)) && (r.ToPort == -1 || r.ToPort == int32(p.ICMPCode))
	}
	return true
}

func groupRules(inv *Inventory, id string, dir Direction) []SGRule {
	for _, g := range inv.SecurityGroups {
		if g.ID == id {
			if dir == Egress {
				return g.Egress
			}
			return g.Ingress
		}
	}
	return nil
}

// naiveSG returns the ID of the first rule (group order, then rule order)
// that allows p, or "".
func naiveSG(inv *Inventory, groups []string, p *packet.Packet, dir Direction) string {
	peer := p.Src.Unmap()
	if dir == Egress {
		peer = p.Dst.Unmap()
	}
	for _, g := range groups {
		for i, r := range groupRules(inv, g, dir) {
			if naiveSGProto(&r, p) && naivePeer(inv, &r, peer) {
				if r.ID == "" {
					return generatedRuleID(g, dir, i)
				}
				return r.ID
			}
		}
	}
	return ""
}

// naiveUntracked applies SPEC.md §2.2 literally.
func naiveUntracked(inv *Inventory, groups []string, p *packet.Packet, dir Direction) bool {
	if p.Proto != 6 && p.Proto != 17 {
		return false
	}
	peer := p.Src.Unmap()
	if dir == Egress {
		peer = p.Dst.Unmap()
	}
	isAll := func(r *SGRule) bool {
		return r.Group == "" && r.PrefixList == "" && r.CIDR.Bits() == 0 && r.CIDR.Addr().Is6() == peer.Is6()
	}
	this, other := false, false
	for _, g := range groups {
		for _, r := range groupRules(inv, g, dir) {
			this = this || (isAll(&r) && naiveSGProto(&r, p))
		}
		for _, r := range groupRules(inv, g, 1-dir) {
			other = other || (isAll(&r) && (r.Protocol == ProtoAll || int(r.Protocol) == int(p.Proto) && r.FromPort == 0 && r.ToPort == 65535))
		}
	}
	return this && other
}

// naiveNACL returns "allow N", "deny N" or "deny *3276x" for p.
func naiveNACL(a *NetworkACL, p *packet.Packet, dir Direction) string {
	addr := p.Src.Unmap()
	if dir == Egress {
		addr = p.Dst.Unmap()
	}
	es := slices.Clone(a.Entries)
	slices.SortFunc(es, func(x, y NACLEntry) int { return cmp.Compare(x.Number, y.Number) })
	for _, e := range es {
		if e.Egress != (dir == Egress) || e.Number > MaxNACLRuleNumber || !e.CIDR.Masked().Contains(addr) {
			continue
		}
		ok := true
		if e.Protocol != ProtoAll {
			ok = int(e.Protocol) == int(p.Proto)
			switch {
			case !ok:
			case p.Proto == 6 || p.Proto == 17:
				ok = int32(p.DstPort) >= e.FromPort && int32(p.DstPort) <= e.ToPort
			case p.Proto == 1 || (p.Proto == 58 && e.CIDR.Addr().Is6()):
				ok = (e.ICMPType == -1 || e.ICMPType == int32(p.ICMPType)) && (e.ICMPCode == -1 || e.ICMPCode == int32(p.ICMPCode))
			}
		}
		if ok {
			return fmt.Sprintf("%s %d", e.Action, e.Number)
		}
	}
	if addr.Is6() {
		return "deny *32768"
	}
	return "deny *32767"
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
