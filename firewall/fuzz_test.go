package firewall

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// Pools the random inventories draw from: few enough values that rules and
// packets meet often, including the edges (port 0 and 65535, /0 and /32,
// a non-canonical CIDR, ICMP -1).
var (
	fuzzAddrs4  = []string{"10.0.1.10", "10.0.1.11", "10.0.2.5", "192.0.2.1", "198.51.100.7", "203.0.113.1"}
	fuzzAddrs6  = []string{"2001:db8:1::10", "2001:db8:2::5", "2001:db8:ff::1"}
	fuzzCIDRs   = []string{"0.0.0.0/0", "::/0", "10.0.0.0/16", "10.0.1.0/24", "192.0.2.0/24", "203.0.113.1/32", "10.0.1.18/20", "198.51.100.0/25", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:2::5/128"}
	fuzzProtos  = []Protocol{ProtoAll, 6, 17, 1, 58, 47, 132}
	fuzzPorts   = []int32{0, 22, 80, 443, 1024, 5000, 32768, 65535}
	fuzzICMP    = []int32{-1, 0, 3, 4, 8, 11, 128}
	fuzzPktProt = []uint8{6, 17, 1, 58, 47, 132, 6, 17}
)

func choose[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func fuzzRange(r *rand.Rand, pool []int32) (int32, int32) {
	a, b := choose(r, pool), choose(r, pool)
	return min(a, b), max(a, b)
}

// randomInventory builds a valid inventory from seed: 3 groups, a prefix
// list, 4 interfaces in one subnet and that subnet's NACL.
func randomInventory(seed uint64) *Inventory {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	inv := &Inventory{
		Subnets:     []Subnet{{ID: "s1", NACL: "acl-0"}},
		PrefixLists: []PrefixList{{ID: "pl-0", CIDRs: []netip.Prefix{pfx(choose(r, fuzzCIDRs)), pfx(choose(r, fuzzCIDRs))}}},
	}
	sgRule := func() SGRule {
		rule := SGRule{Protocol: choose(r, fuzzProtos)}
		switch rule.Protocol {
		case 6, 17:
			rule.FromPort, rule.ToPort = fuzzRange(r, fuzzPorts)
		case 1, 58:
			rule.FromPort, rule.ToPort = choose(r, fuzzICMP), choose(r, fuzzICMP)
			if rule.FromPort == -1 {
				rule.ToPort = -1
			}
		default:
			rule.FromPort, rule.ToPort = choose(r, fuzzPorts), choose(r, fuzzPorts) // ignored
		}
		switch n := r.IntN(10); {
		case n < 7:
			rule.CIDR = pfx(choose(r, fuzzCIDRs))
		case n < 9:
			rule.Group = fmt.Sprintf("sg-%d", r.IntN(3))
		default:
			rule.PrefixList = "pl-0"
		}
		if r.IntN(3) == 0 {
			rule.ID = fmt.Sprintf("r%d", r.IntN(1000))
		}
		return rule
	}
	for g := range 3 {
		sg := SecurityGroup{ID: fmt.Sprintf("sg-%d", g)}
		for range r.IntN(7) {
			sg.Ingress = append(sg.Ingress, sgRule())
		}
		for range r.IntN(7) {
			sg.Egress = append(sg.Egress, sgRule())
		}
		inv.SecurityGroups = append(inv.SecurityGroups, sg)
	}
	for i := range 4 {
		f := Interface{ID: fmt.Sprintf("eni-%d", i), Subnet: "s1",
			Addrs:  []netip.Addr{netip.MustParseAddr(choose(r, fuzzAddrs4)), netip.MustParseAddr(choose(r, fuzzAddrs6))},
			Groups: []string{fmt.Sprintf("sg-%d", i%3)}}
		if r.IntN(2) == 0 {
			f.Groups = append(f.Groups, fmt.Sprintf("sg-%d", (i+1)%3))
		}
		inv.Interfaces = append(inv.Interfaces, f)
	}
	acl := NetworkACL{ID: "acl-0"}
	used := map[[2]int32]bool{}
	for range r.IntN(12) {
		e := NACLEntry{Number: int32(1 + r.IntN(200)), Egress: r.IntN(2) == 0, Protocol: choose(r, fuzzProtos),
			CIDR: pfx(choose(r, fuzzCIDRs)), Action: choose(r, []Action{Allow, Deny}), ICMPType: choose(r, fuzzICMP), ICMPCode: choose(r, fuzzICMP)}
		if e.Protocol == 6 || e.Protocol == 17 {
			e.FromPort, e.ToPort = fuzzRange(r, fuzzPorts)
		}
		key := [2]int32{e.Number, 0}
		if e.Egress {
			key[1] = 1
		}
		if used[key] {
			continue
		}
		used[key] = true
		acl.Entries = append(acl.Entries, e)
	}
	inv.NetworkACLs = []NetworkACL{acl}
	return inv
}

// fuzzPacket builds a packet from the fuzzer's raw values.
func fuzzPacket(proto, src, dst, typ, code uint8, sport, dport uint16, six bool) *packet.Packet {
	pool := fuzzAddrs4
	if six {
		pool = fuzzAddrs6
	}
	p := &packet.Packet{Proto: fuzzPktProt[int(proto)%len(fuzzPktProt)],
		Src: netip.MustParseAddr(pool[int(src)%len(pool)]), Dst: netip.MustParseAddr(pool[int(dst)%len(pool)])}
	if proto >= 128 {
		p.Proto = proto // any protocol number
	}
	switch {
	case packet.HasPorts(p.Proto):
		p.SrcPort, p.DstPort = sport, dport
		if dport%4 == 0 {
			p.DstPort = uint16(fuzzPorts[int(dport/4)%len(fuzzPorts)])
		}
	case p.IsICMP():
		p.ICMPType, p.ICMPCode = typ%12, code%5
		if typ >= 128 {
			p.ICMPType = typ
		}
	}
	return p
}

// FuzzEvalMatchesNaive compares the compiled evaluators with the naive
// linear scan over the uncompiled inventory (helpers_test.go) on random
// valid inventories: same verdict, same deciding rule, same tracked /
// untracked answer (SPEC.md §1.2, §2.2, §3.1).
func FuzzEvalMatchesNaive(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(0), uint8(1), uint8(0), uint8(0), uint16(50000), uint16(80), false)
	f.Add(uint64(2), uint8(1), uint8(3), uint8(0), uint8(0), uint8(0), uint16(53), uint16(53), true)
	f.Add(uint64(3), uint8(2), uint8(4), uint8(0), uint8(3), uint8(4), uint16(0), uint16(0), false)
	f.Add(uint64(4), uint8(3), uint8(1), uint8(2), uint8(128), uint8(0), uint16(0), uint16(0), true)
	f.Add(uint64(5), uint8(200), uint8(5), uint8(0), uint8(0), uint8(0), uint16(1), uint16(65535), false)
	f.Fuzz(func(t *testing.T, seed uint64, proto, src, dst, typ, code uint8, sport, dport uint16, six bool) {
		inv := randomInventory(seed)
		rs, err := Compile(inv, Limits{})
		if err != nil {
			t.Fatalf("random inventory %d does not compile: %v", seed, err)
		}
		p := fuzzPacket(proto, src, dst, typ, code, sport, dport, six)
		for dir := Ingress; dir <= Egress; dir++ {
			for _, f := range inv.Interfaces {
				sg := rs.InterfaceSG(f.ID)
				checkSG(t, inv, sg, f.Groups, p, dir)
			}
			for _, g := range inv.SecurityGroups {
				checkSG(t, inv, rs.Group(g.ID), []string{g.ID}, p, dir)
			}
			got, want := verdictText(rs.NACL("acl-0").Eval(p, dir)), naiveNACL(&inv.NetworkACLs[0], p, dir)
			if got != want {
				t.Errorf("seed %d NACL %s %s: compiled %s, naive %s", seed, dir, p, got, want)
			}
		}
	})
}

func checkSG(t *testing.T, inv *Inventory, sg *SG, groups []string, p *packet.Packet, dir Direction) {
	t.Helper()
	if !slices.Equal(sg.Groups(), groups) {
		t.Fatalf("groups %v, want %v", sg.Groups(), groups)
	}
	v := sg.Eval(p, dir)
	want := naiveSG(inv, groups, p, dir)
	got := ""
	if v.Allowed() {
		got = v.Rule.ID
	}
	if got != want {
		t.Errorf("SG %v %s %s: compiled %q, naive %q", groups, dir, p, got, want)
	}
	if got, want := sg.Untracked(p, dir), naiveUntracked(inv, groups, p, dir); got != want {
		t.Errorf("SG %v %s %s: Untracked compiled %v, naive %v", groups, dir, p, got, want)
	}
}
